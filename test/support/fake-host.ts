/**
 * A fixture host for module tests: a ModuleContext backed by a map of files,
 * a table of probe answers and a facts object. Nothing is executed; every
 * probe is recorded so a test can assert what a module read. An unknown probe
 * throws, so a test notices a module reading something it did not expect.
 */
import path from 'node:path';
import type { ModuleContext, Plan, StepOutcome, StepOutcomes } from '../../src/modules/types.js';
import type { RunOptions, RunResult } from '../../src/transport/types.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { factKey } from '../../src/facts/types.js';
import { statCommand } from '../../src/modules/file-content.js';

export interface FakeStat {
  /** Octal string as stat %a prints it, e.g. "644". */
  mode?: string;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  /** stat %F: "regular file", "directory", "symbolic link". */
  type?: string;
}

export type ProbeAnswer = RunResult | string;

export interface FakeHostOptions {
  host?: string;
  /** Path -> content. Each file also answers statCommand(path) (mode 644, root:root unless `stats` says otherwise). */
  files?: Record<string, string | Buffer>;
  /** Path -> stat, for files' attributes and for directories and links. */
  stats?: Record<string, FakeStat>;
  /** Exact command -> answer (a string is stdout with exit 0), or a function (undefined: not handled). */
  probes?: Record<string, ProbeAnswer> | ((command: string, options?: RunOptions) => ProbeAnswer | undefined | Promise<ProbeAnswer | undefined>);
  facts?: Partial<HostFacts>;
  /**
   * Named facts' raw outputs, as captured from real hosts, keyed by
   * factKey(name, args) (`docker_info`, `node_inspect {"node":"abc"}`): the
   * fact's own parser reads them, so tests never copy a command string.
   */
  factOutputs?: Record<string, ProbeAnswer>;
  vars?: Record<string, unknown>;
  playbookDir?: string;
  /** Template path (as the module passes it) -> rendered text, or a renderer. */
  templates?: Record<string, string> | ((file: string) => string);
  /** Controller files a module reads as secrets (readSecretFile), by the path the module passes. */
  controllerFiles?: Record<string, string>;
}

export interface FakeHost extends ModuleContext {
  files: Map<string, Buffer>;
  stats: Map<string, FakeStat>;
  /** Every probe command, in order. */
  probed: string[];
  /** Every file read, in order. */
  read: string[];
  /** Every named fact read (its key), in order. */
  factsRead: string[];
  /** Every value the plan marked as a secret. */
  secrets: string[];
}

const DEFAULT_FACTS: HostFacts = {
  hostname: 'fake',
  os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1.0', arch: 'x86_64' },
  interfaces: [{ name: 'eth0', ipv4: ['192.0.2.10'] }],
  defaultIpv4: '192.0.2.10',
  docker: { installed: false },
};

function toResult(answer: ProbeAnswer): RunResult {
  return typeof answer === 'string' ? { stdout: answer, stderr: '', exitCode: 0 } : answer;
}

export function statLine(stat: FakeStat): string {
  const uid = stat.uid ?? (stat.owner === undefined || stat.owner === 'root' ? 0 : 1000);
  const gid = stat.gid ?? (stat.group === undefined || stat.group === 'root' ? 0 : 1000);
  return `${stat.mode ?? '644'} ${uid} ${gid} ${stat.owner ?? 'root'} ${stat.group ?? 'root'} ${stat.type ?? 'regular file'}\n`;
}

export function fakeHost(options: FakeHostOptions = {}): FakeHost {
  const files = new Map<string, Buffer>(
    Object.entries(options.files ?? {}).map(([file, content]) => [file, Buffer.isBuffer(content) ? content : Buffer.from(content)]),
  );
  const stats = new Map<string, FakeStat>(Object.entries(options.stats ?? {}));
  const probed: string[] = [];
  const read: string[] = [];
  const factsRead: string[] = [];
  const secrets: string[] = [];
  const host = options.host ?? 'fake01';

  const answerStat = (command: string): RunResult | undefined => {
    for (const file of new Set([...files.keys(), ...stats.keys()])) {
      if (command === statCommand(file)) return { stdout: statLine(stats.get(file) ?? {}), stderr: '', exitCode: 0 };
    }
    if (command.startsWith("stat -c '%a %u %g %U %G %F' -- ")) {
      return { stdout: '', stderr: 'stat: cannot statx: No such file or directory\n', exitCode: 1 };
    }
    return undefined;
  };

  return {
    host,
    vars: options.vars ?? {},
    playbookDir: options.playbookDir ?? '/playbooks',
    searchDirs: [options.playbookDir ?? '/playbooks'],
    files,
    stats,
    probed,
    read,
    factsRead,
    secrets,
    async readSecretFile(file) {
      const content = options.controllerFiles?.[file];
      if (content === undefined) return null;
      secrets.push(content);
      return { path: path.resolve(options.playbookDir ?? '/playbooks', file), content: Buffer.from(content) };
    },
    addSecret(value) {
      secrets.push(value);
    },
    onTerminal: (ask) => ask(),
    vaultEncrypt(plaintext) {
      // Not ansible-vault: a stand-in whose length alone tells a test what was encrypted.
      return `$ANSIBLE_VAULT;1.1;AES256\nfake-${plaintext.length}\n`;
    },
    async facts() {
      return { ...DEFAULT_FACTS, ...options.facts } as HostFacts;
    },
    async fact(reader, args) {
      const key = factKey(reader.name, args);
      factsRead.push(key);
      const answer = options.factOutputs?.[key];
      if (answer === undefined) throw new Error(`fake host: unexpected fact read: ${key}`);
      return reader.parse(toResult(answer), args, host);
    },
    async probe(command, runOptions) {
      probed.push(command);
      const { probes } = options;
      if (typeof probes === 'function') {
        const answer = await probes(command, runOptions);
        if (answer !== undefined) return toResult(answer);
      } else if (probes && Object.hasOwn(probes, command)) {
        return toResult(probes[command]!);
      }
      const stat = answerStat(command);
      if (stat) return stat;
      throw new Error(`fake host: unexpected probe: ${command}`);
    },
    async readFile(file) {
      read.push(file);
      return files.get(file) ?? null;
    },
    async renderTemplate(file) {
      const { templates } = options;
      if (typeof templates === 'function') return templates(file);
      const rendered = templates?.[file] ?? templates?.[path.basename(file)];
      if (rendered === undefined) throw new Error(`fake host: no template ${file}`);
      return rendered;
    },
  };
}

/**
 * Applies a plan's write changes to the fake host's files (and their mode and
 * owners), as the runner would, so a test can plan again and expect no change.
 * Command changes are not interpreted: a test asserts them itself.
 */
export function applyWrites(host: FakeHost, plan: Plan): void {
  for (const change of plan.steps) {
    if (change.kind !== 'write') continue;
    host.files.set(change.path, Buffer.isBuffer(change.content) ? change.content : Buffer.from(change.content));
    const previous = host.stats.get(change.path) ?? {};
    host.stats.set(change.path, {
      ...previous,
      ...(change.mode !== undefined && { mode: String(parseInt(change.mode, 8).toString(8)) }),
      ...(change.owner !== undefined && { owner: change.owner }),
      ...(change.group !== undefined && { group: change.group }),
    });
  }
}

/** Step outcomes as the runner passes them to finish(). */
export function stepOutcomes(all: StepOutcome[]): StepOutcomes {
  return { all, byId: (id) => all.find((o) => o.step.id === id) };
}
