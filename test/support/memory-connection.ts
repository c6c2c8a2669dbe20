/**
 * Hosts in memory, for runner tests without root, sshd or a lab: each host is
 * a small filesystem (files, directories, links with mode and owners) and a
 * table of scripted commands, reached through a real Connection. Every run,
 * putFile and getFile is recorded, so a test can say exactly what touched a
 * host (check mode: nothing but read-only probes).
 *
 * The commands the file modules plan (stat, test -e, readlink, cat, mkdir -p,
 * touch, rm, chmod, chown, chgrp, ln -s) act on the filesystem; facts are
 * gathered from it (/etc/hostname, /etc/os-release), so a task that changes
 * those files changes what the next gathering says. Anything else must be
 * scripted; an unscripted command fails the call, so a test notices a command
 * it did not expect.
 */
import path from 'node:path';
import { FACTS_COMMAND } from '../../src/runner/facts.js';
import { DOCKER_INFO_COMMAND } from '../../src/facts/docker-info.js';
import { statCommand } from '../../src/modules/file-content.js';
import { SwarmplayError } from '../../src/errors.js';
import type { Connection, ConnectionSpec, PutFileOptions, PutFileResult, RunOptions, RunResult } from '../../src/transport/types.js';

export interface MemoryEntry {
  kind: 'file' | 'directory' | 'link';
  content: Buffer;
  /** For links. */
  target?: string;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  owner: string;
  group: string;
}

export type Call =
  | { kind: 'run'; host: string; command: string; options?: RunOptions; /** Read-only (a probe, a fact reader): allowed in check mode. */ probe: boolean }
  | { kind: 'putFile'; host: string; path: string; content: string; options?: PutFileOptions }
  | { kind: 'getFile'; host: string; path: string };

export type CommandAnswer = RunResult | string;

export interface ScriptedCommand {
  /** The exact command, or a pattern over it. */
  match: string | RegExp;
  /** Read-only: the runner may run it in check mode (a condition's probe, a fact reader). */
  probe?: boolean;
  /** A string is stdout with exit 0. A function may change the host (`host.files`), or answer later. */
  answer: CommandAnswer | ((command: string, host: MemoryHost, options?: RunOptions) => CommandAnswer | Promise<CommandAnswer>);
}

export interface MemoryHostOptions {
  /** Path -> content (a file, mode 0644, root:root); parent folders are made. */
  files?: Record<string, string>;
  /** Folders that exist (besides /, /etc, /tmp and files' parents). */
  directories?: string[];
  commands?: ScriptedCommand[];
  /** What `docker info --format '{{json .}}'` prints (gathering and the docker_info fact); unset: no docker. */
  dockerInfo?: string;
  /** IPv4 addresses by interface, for the gathered facts. */
  addresses?: Record<string, string[]>;
  /** What the gathering's `command -v apt-get dnf yum ...` finds, e.g. ['/usr/bin/dnf']; unset: nothing. */
  packageManagers?: string[];
}

const DEFAULT_OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';

function toResult(answer: CommandAnswer): RunResult {
  return typeof answer === 'string' ? { stdout: answer, stderr: '', exitCode: 0 } : answer;
}

const ok = (stdout = ''): RunResult => ({ stdout, stderr: '', exitCode: 0 });
const failed = (stderr: string, exitCode = 1): RunResult => ({ stdout: '', stderr, exitCode });

/**
 * The words of a simple command line as quote() and quoteArgs() write it:
 * bare words and 'single-quoted' parts. Undefined for anything a shell would
 * read differently (operators, expansions, double quotes, several lines).
 */
export function simpleWords(command: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? '') + command.slice(i + 1, end);
      i = end;
    } else if (c === '\\' && command[i + 1] === "'") {
      word = (word ?? '') + "'";
      i += 1;
    } else if (/[A-Za-z0-9_@%+=:,./-]/.test(c)) {
      word = (word ?? '') + c;
    } else {
      return undefined;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

function statType(entry: MemoryEntry): string {
  return entry.kind === 'file' ? (entry.content.length ? 'regular file' : 'regular empty file') : entry.kind === 'link' ? 'symbolic link' : 'directory';
}

const ids: Record<string, number> = { root: 0 };
const idOf = (name: string): number => ids[name] ?? 1000;

export class MemoryHost {
  readonly files = new Map<string, MemoryEntry>();
  readonly commands: ScriptedCommand[];
  dockerInfo?: string;
  addresses: Record<string, string[]>;
  packageManagers: string[];

  constructor(
    readonly name: string,
    /** Where this host's calls are recorded (shared by a MemoryNetwork, in order across hosts). */
    readonly calls: Call[],
    options: MemoryHostOptions = {},
  ) {
    this.commands = [...(options.commands ?? [])];
    this.dockerInfo = options.dockerInfo;
    this.addresses = options.addresses ?? { eth0: ['192.0.2.10'] };
    this.packageManagers = options.packageManagers ?? [];
    for (const dir of ['/', '/etc', '/tmp', ...(options.directories ?? [])]) this.mkdirp(dir);
    for (const [file, content] of Object.entries(options.files ?? {})) this.write(file, content);
  }

  /** The host's calls (the shared log filtered to this host). */
  get ownCalls(): Call[] {
    return this.calls.filter((c) => c.host === this.name);
  }

  /** The file's text, or undefined. */
  read(file: string): string | undefined {
    const entry = this.files.get(file);
    return entry?.kind === 'file' ? entry.content.toString('utf8') : undefined;
  }

  write(file: string, content: string | Buffer, attributes: Partial<Pick<MemoryEntry, 'mode' | 'owner' | 'group'>> = {}): void {
    this.mkdirp(path.posix.dirname(file));
    const previous = this.files.get(file);
    this.files.set(file, {
      kind: 'file',
      content: Buffer.isBuffer(content) ? content : Buffer.from(content),
      mode: attributes.mode ?? previous?.mode ?? 0o644,
      owner: attributes.owner ?? previous?.owner ?? 'root',
      group: attributes.group ?? previous?.group ?? 'root',
    });
  }

  mkdirp(dir: string): void {
    for (let current = dir; ; current = path.posix.dirname(current)) {
      if (!this.files.has(current)) {
        this.files.set(current, { kind: 'directory', content: Buffer.alloc(0), mode: 0o755, owner: 'root', group: 'root' });
      }
      if (current === '/' || current === '.') break;
    }
  }

  /** The whole filesystem as text: equal snapshots mean nothing changed. */
  snapshot(): string {
    return [...this.files].sort(([a], [b]) => a.localeCompare(b))
      .map(([file, e]) => `${file} ${e.kind} ${e.mode.toString(8)} ${e.owner}:${e.group} ${e.target ?? ''} ${e.content.toString('base64')}`)
      .join('\n');
  }

  connection(): Connection {
    return new MemoryConnection(this);
  }

  /** What the host answers to one command; says whether the command only reads. */
  async answer(command: string, options?: RunOptions): Promise<{ result: RunResult; probe: boolean }> {
    const scripted = this.commands.find((c) => (typeof c.match === 'string' ? c.match === command : c.match.test(command)));
    if (scripted) {
      const answer = typeof scripted.answer === 'function' ? await scripted.answer(command, this, options) : scripted.answer;
      return { result: toResult(answer), probe: scripted.probe ?? false };
    }
    if (command === FACTS_COMMAND) return { result: ok(this.factsOutput()), probe: true };
    if (command === DOCKER_INFO_COMMAND) {
      return {
        result: this.dockerInfo === undefined ? failed('sh: 1: docker: not found', 127) : ok(this.dockerInfo),
        probe: true,
      };
    }
    const words = simpleWords(command);
    const builtin = words && this.builtin(command, words);
    if (builtin) return builtin;
    throw new Error(`memory host ${this.name}: no answer scripted for: ${command}`);
  }

  private factsOutput(): string {
    const section = (name: string, text: string): string => `::swarmplay-facts::${name}\n${text}${text && !text.endsWith('\n') ? '\n' : ''}`;
    const addresses = Object.entries(this.addresses)
      .flatMap(([device, list], index) => list.map((ip) => `${index + 1}: ${device}    inet ${ip}/24 scope global ${device}`));
    const [defaultDevice] = Object.keys(this.addresses);
    return [
      section('hostname', this.read('/etc/hostname')?.trim() ?? this.name),
      section('os-release', this.read('/etc/os-release') ?? DEFAULT_OS_RELEASE),
      section('kernel', '6.1.0-memory'),
      section('arch', 'x86_64'),
      section('addresses', addresses.join('\n')),
      section('default-route', defaultDevice ? `default via 192.0.2.1 dev ${defaultDevice}` : ''),
      section('package-managers', this.packageManagers.join('\n')),
      // The same tools as the Ansible-named facts read them (ansible_pkg_mgr).
      section('pkg', this.packageManagers.map((tool) => path.posix.basename(tool)).join('\n')),
      section('docker-binaries', this.dockerInfo === undefined ? '' : '/usr/bin/dockerd\n/usr/bin/docker'),
      section('docker-info', this.dockerInfo ?? ''),
      section('end', ''),
    ].join('');
  }

  private builtin(command: string, words: string[]): { result: RunResult; probe: boolean } | undefined {
    const [program, ...rest] = words;
    const operands = rest.filter((w) => w !== '--');
    const flags = new Set(operands.filter((w) => /^-[a-zA-Z]+$/.test(w)).flatMap((w) => [...w.slice(1)]));
    const args = operands.filter((w) => !/^-[a-zA-Z]+$/.test(w));
    const missing = (file: string): RunResult => failed(`${program}: cannot access '${file}': No such file or directory`);
    const read = (result: RunResult) => ({ result, probe: true });
    const change = (result: RunResult) => ({ result, probe: false });
    switch (program) {
      case 'stat': {
        const file = args[args.length - 1] ?? '';
        if (command !== statCommand(file)) break;
        const entry = this.files.get(file);
        if (!entry) return read(failed(`stat: cannot statx '${file}': No such file or directory`));
        return read(ok(`${entry.mode.toString(8)} ${idOf(entry.owner)} ${idOf(entry.group)} ${entry.owner} ${entry.group} ${statType(entry)}\n`));
      }
      case 'test':
        if (flags.has('e') && args.length === 1) return read({ stdout: '', stderr: '', exitCode: this.files.has(args[0]!) ? 0 : 1 });
        break;
      case 'readlink': {
        const entry = this.files.get(args[0] ?? '');
        return read(entry?.kind === 'link' ? ok(`${entry.target}\n`) : failed('', 1));
      }
      case 'cat': {
        const text = this.read(args[0] ?? '');
        return read(text === undefined ? missing(args[0] ?? '') : ok(text));
      }
      case 'mkdir':
        for (const dir of args) this.mkdirp(dir);
        return change(ok());
      case 'touch':
        for (const file of args) if (!this.files.has(file)) this.write(file, '');
        return change(ok());
      case 'rm':
        for (const file of args) for (const key of [...this.files.keys()]) if (key === file || key.startsWith(`${file}/`)) this.files.delete(key);
        return change(ok());
      case 'chmod':
      case 'chown':
      case 'chgrp': {
        const [value, file] = args;
        const entry = this.files.get(file ?? '');
        if (!entry || value === undefined) return change(missing(file ?? ''));
        if (program === 'chmod') entry.mode = parseInt(value, 8);
        else if (program === 'chgrp') entry.group = value;
        else {
          const [owner, group] = value.split(':');
          entry.owner = owner!;
          if (group) entry.group = group;
        }
        return change(ok());
      }
      case 'ln': {
        const [target, link] = args;
        if (!flags.has('s') || target === undefined || link === undefined) break;
        this.files.set(link, { kind: 'link', content: Buffer.alloc(0), target, mode: 0o777, owner: 'root', group: 'root' });
        return change(ok());
      }
    }
    return undefined;
  }
}

class MemoryConnection implements Connection {
  readonly host: string;

  constructor(private readonly memory: MemoryHost) {
    this.host = memory.name;
  }

  async run(command: string, options?: RunOptions): Promise<RunResult> {
    const call: Call = { kind: 'run', host: this.host, command, options, probe: false };
    this.memory.calls.push(call);
    const { result, probe } = await this.memory.answer(command, options);
    call.probe = probe;
    return result;
  }

  async putFile(file: string, content: string | Buffer, options: PutFileOptions = {}): Promise<PutFileResult> {
    const text = Buffer.isBuffer(content) ? content.toString('utf8') : content;
    this.memory.calls.push({ kind: 'putFile', host: this.host, path: file, content: text, options });
    const parent = this.memory.files.get(path.posix.dirname(file));
    if (parent?.kind !== 'directory') throw new Error(`${this.host}: cannot write ${file}: No such file or directory`);
    const previous = this.memory.files.get(file);
    let backupPath: string | undefined;
    if (options.backup && previous) {
      backupPath = `${file}.backup~`;
      this.memory.files.set(backupPath, { ...previous });
    }
    this.memory.write(file, content, {
      ...(options.mode !== undefined && { mode: parseInt(options.mode, 8) }),
      ...(options.owner !== undefined && { owner: options.owner }),
      ...(options.group !== undefined && { group: options.group }),
    });
    return backupPath ? { backupPath } : {};
  }

  async getFile(file: string): Promise<Buffer | null> {
    this.memory.calls.push({ kind: 'getFile', host: this.host, path: file });
    const entry = this.memory.files.get(file);
    if (entry?.kind === 'directory') throw new Error(`${this.host}: cannot read ${file}: Is a directory`);
    return entry ? Buffer.from(entry.content) : null;
  }

  async close(): Promise<void> {}
}

/**
 * Several memory hosts, by inventory name, with one log of calls in the
 * order they happened. `open` is what a PlaybookRun takes to reach them.
 */
export class MemoryNetwork {
  readonly calls: Call[] = [];
  readonly hosts = new Map<string, MemoryHost>();
  /** Inventory names whose connection fails as an unreachable host's would. */
  readonly unreachable = new Set<string>();
  /** How often each host was connected to. */
  readonly opened = new Map<string, number>();

  /** Hosts that know their own name (/etc/hostname), with these files besides: what most runner tests start from. */
  static withHosts(names: string[], files: Record<string, string> = {}): MemoryNetwork {
    const network = new MemoryNetwork();
    for (const name of names) network.add(name, { files: { '/etc/hostname': `${name}\n`, ...files } });
    return network;
  }

  add(name: string, options: MemoryHostOptions = {}): MemoryHost {
    const host = new MemoryHost(name, this.calls, options);
    this.hosts.set(name, host);
    return host;
  }

  host(name: string): MemoryHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no memory host ${name}`);
    return host;
  }

  /** The calls that could change a host: runs that are not probes, and file writes. */
  effects(): Call[] {
    return this.calls.filter((c) => c.kind === 'putFile' || (c.kind === 'run' && !c.probe));
  }

  /** How many times facts were gathered on the host. */
  gatherings(name: string): number {
    return this.calls.filter((c) => c.host === name && c.kind === 'run' && c.command === FACTS_COMMAND).length;
  }

  snapshot(): string {
    return [...this.hosts.values()].map((h) => `[${h.name}]\n${h.snapshot()}`).join('\n');
  }

  readonly open = async (spec: ConnectionSpec): Promise<Connection> => {
    this.opened.set(spec.host, (this.opened.get(spec.host) ?? 0) + 1);
    if (this.unreachable.has(spec.host)) {
      throw new SwarmplayError('CONNECT_FAILED', `${spec.host}: connection refused (memory host marked unreachable)`);
    }
    return this.host(spec.host).connection();
  };
}
