/**
 * A play's file reads of a host, taken together: when a task reads a file
 * (its content, its `stat`, or `test -e` for creates/removes) that is not
 * read yet, the paths that task and the next ones of the play will read
 * (copy/template/lineinfile/blockinfile destinations, file paths, creates)
 * are read in one round trip, and the tasks take their answers from here.
 * A no-change run then costs a few round trips per host instead of one or
 * two per task; a first run reads its files once, not before every write.
 *
 * What is kept is exactly what the single read would have printed (the same
 * stat format, the file's bytes), and only while nothing may have changed it:
 * any command step on any host drops every host's readings (a command can do
 * anything, to any host); an atomic write of a file drops only this host's
 * readings that may be that file (the same real folder and name, or inode)
 * and keeps the bytes it wrote. Symbolic links,
 * files over 1 MiB and reads that failed are never kept: those reads happen
 * live, as before. Tasks with become, another user, environment or
 * delegate_to read live too.
 */
import { randomBytes } from 'node:crypto';
import type { Step } from '../modules/types.js';
import type { Connection, RunResult } from '../transport/types.js';
import { quote } from '../transport/shell-quote.js';
import { statCommand } from '../modules/file-content.js';
import { testPathCommand } from '../modules/command.js';

/** A path a task will read: its stat and existence, and its bytes when `content`. */
export interface PredictedRead {
  path: string;
  content: boolean;
}

/** What every stat and test -e probe begins with (a path without quotes ends them). */
const STAT_PREFIX = statCommand('/').slice(0, -1);
const TEST_PREFIX = testPathCommand('/', undefined).slice(0, -1);
/** Larger files are read live, only when a task asks. */
const CONTENT_MAX_BYTES = 1024 * 1024;
/** At most this many paths in one read-ahead. */
const BATCH_MAX_PATHS = 64;

interface Reading {
  /** The file's bytes; null: no such file. */
  content?: Buffer | null;
  /** What statCommand(path) said: its output, or its error and exit status. */
  stat?: RunResult;
  /** test -e's verdict. */
  exists?: boolean;
  /** Real folder + name: two paths with the same place are one file. */
  place?: string;
  /** device:inode of an existing file (hard links). */
  inode?: string;
}

type ProbeKind = 'stat' | 'exists';

function parentAndName(path: string): { parent: string; name: string } {
  const slash = path.lastIndexOf('/');
  if (slash < 0) return { parent: '.', name: path };
  return { parent: slash === 0 ? '/' : path.slice(0, slash), name: path.slice(slash + 1) };
}

/** The run's readings, one HostReads per host. */
export class ReadAhead {
  private readonly hosts = new Map<string, HostReads>();

  forHost(host: string): HostReads {
    let reads = this.hosts.get(host);
    if (!reads) {
      reads = new HostReads(this, host);
      this.hosts.set(host, reads);
    }
    return reads;
  }

  /** Steps ran on `host` (also a failed task's): drop what they may have changed. */
  stepsRan(host: string, steps: readonly Step[], failed: boolean): void {
    if (steps.length === 0) return;
    const writes = steps.every((step) => step.kind === 'write' && !step.backup) && !failed
      ? steps.map((step) => step as Extract<Step, { kind: 'write' }>)
      : undefined;
    if (!writes) {
      for (const reads of this.hosts.values()) reads.clear();
      return;
    }
    // Hosts are separate machines: a write on one leaves the others' readings (a folder two hosts share and
    // both write in one play is the exception this does not see; a command step drops every host's readings).
    const reads = this.forHost(host);
    for (const write of writes) reads.wrote(write.path, Buffer.isBuffer(write.content) ? write.content : Buffer.from(write.content, 'utf8'));
  }
}

export class HostReads {
  private readings = new Map<string, Reading>();
  /**
   * Readings a step may have made stale since: never served as facts, only as
   * guesses for a plan whose steps then run behind a guard (step-batch.ts)
   * that tests, in the same script, that the host still says the same.
   */
  private hints = new Map<string, Reading>();
  /** Paths read ahead since the last drop: not asked for again. */
  private readonly requested = new Set<string>();
  /** Which probe command is which path's stat or test -e. */
  private readonly probes = new Map<string, { path: string; kind: ProbeKind }>();
  /** Bumped at every drop, so that a read-ahead in flight meanwhile is served but not kept. */
  private generation = 0;
  /** Paths forgotten in this generation, in order: a read-ahead in flight meanwhile keeps none of them. */
  private forgotten: string[] = [];
  /**
   * Set by the play runner before each task on this host: what it and the
   * next tasks will read; `wide`: all of them, else only up to the next task
   * that may run commands (which would drop the readings anyway).
   */
  upcoming: ((wide: boolean) => PredictedRead[]) | undefined;
  /** Whether a command step dropped the readings: from then on a read-ahead looks only as far as the next command. */
  private dropped = false;

  constructor(private readonly run: ReadAhead, private readonly host: string) {}

  /** Steps of a task ran on this host (also a failed task's). */
  stepsRan(steps: readonly Step[], failed: boolean): void {
    this.run.stepsRan(this.host, steps, failed);
  }

  /** The file's bytes (null: absent), or undefined: read it live. */
  async readFile(conn: Connection, path: string): Promise<Buffer | null | undefined> {
    const known = this.readings.get(path)?.content;
    if (known !== undefined) return known;
    return (await this.readAheadFor(conn, path, true))?.content;
  }

  /** A stat or test -e probe's answer, or undefined: run it live. */
  async probe(conn: Connection, command: string): Promise<RunResult | undefined> {
    const which = this.probeOf(command);
    if (!which) return undefined;
    let reading: Reading | undefined = this.readings.get(which.path);
    if (reading?.[which.kind] === undefined) reading = await this.readAheadFor(conn, which.path, false);
    return answer(reading, which.kind);
  }

  /** The file's bytes (null: absent) when known now, without a round trip. */
  knownFile(path: string): Buffer | null | undefined {
    return this.readings.get(path)?.content;
  }

  /** A stat or test -e probe's answer when known now, without a round trip. */
  knownProbe(command: string): RunResult | undefined {
    const which = this.probeOf(command);
    return which && answer(this.readings.get(which.path), which.kind);
  }

  /** A guess that the file is absent, and the shell test that holds while it is; only absence is guessed. */
  hintFile(path: string): { guard: string } | undefined {
    const hint = this.hints.get(path);
    if (hint?.content !== null) return undefined;
    return { guard: `! [ -e ${quote(path)} ]` };
  }

  /** A guessed answer of a stat or test -e probe, and the shell test that holds while the host answers the same. */
  hintProbe(command: string): { result: RunResult; guard: string } | undefined {
    const which = this.probeOf(command);
    const result = which && answer(this.hints.get(which.path), which.kind);
    if (!which || !result) return undefined;
    if (which.kind === 'exists') return { result, guard: `${result.exitCode === 0 ? '' : '! '}[ -e ${quote(which.path)} ]` };
    // The probe itself, its output (stdout, or stderr when it failed: stat prints only one) and status compared.
    const said = (result.exitCode === 0 ? result.stdout : result.stderr).replace(/\n+$/, '');
    return { result, guard: `g=$(${command} 2>&1); [ "$?" = ${Number(result.exitCode)} ] && [ "$g" = ${quote(said)} ]` };
  }

  /** Guesses a guard found wrong: not guessed again. */
  dropHints(): void {
    this.hints.clear();
  }

  private probeOf(command: string): { path: string; kind: ProbeKind } | undefined {
    if (!this.probes.has(command)) {
      // Only a stat or test -e can be answered here: other probes (docker inspect...) go live at once.
      if (!command.startsWith(STAT_PREFIX) && !command.startsWith(TEST_PREFIX)) return undefined;
      this.predicted();
    }
    return this.probes.get(command);
  }

  clear(): void {
    this.dropped = true;
    this.generation += 1;
    this.forgotten = [];
    // The newest reading of a path replaces its older guess whole: parts of two moments never mix.
    for (const [path, reading] of this.readings) this.hints.set(path, reading);
    this.readings.clear();
    this.requested.clear();
  }

  /** The same path written on another host: on a shared folder it would be this host's file too. */
  forget(path: string): void {
    this.forgotten.push(path);
    this.readings.delete(path);
    this.requested.delete(path);
  }

  /** This host's `path` now holds `content` (an atomic write: a new file, renamed over the old one). */
  wrote(path: string, content: Buffer): void {
    const before = this.readings.get(path);
    this.generation += 1;
    if (before?.place === undefined) {
      this.clear();
    } else {
      for (const [other, reading] of this.readings) {
        if (other === path) continue;
        const same = reading.place === undefined || reading.place === before.place || (before.inode !== undefined && reading.inode === before.inode);
        if (same) {
          this.hints.set(other, reading);
          this.readings.delete(other);
          this.requested.delete(other);
        }
      }
    }
    this.readings.set(path, { content, exists: true, ...(before?.place !== undefined && { place: before.place }) });
    this.hints.delete(path);
    this.requested.delete(path);
  }

  private predicted(): PredictedRead[] {
    // Wide also while this host has no guesses yet: another host's command may have dropped its readings
    // before it read anything, and what it reads now still serves as guesses later.
    const reads = this.upcoming?.(!this.dropped || this.hints.size === 0) ?? [];
    for (const read of reads) {
      this.probes.set(statCommand(read.path), { path: read.path, kind: 'stat' });
      this.probes.set(testPathCommand(read.path, undefined), { path: read.path, kind: 'exists' });
    }
    return reads;
  }

  /** Reads `path` and the paths predicted after it in one round trip; the reading of `path`, kept or not. */
  private async readAheadFor(conn: Connection, path: string, content: boolean): Promise<Reading | undefined> {
    if (!conn.runBytes || this.requested.has(path)) return undefined;
    const wanted = new Map<string, boolean>([[path, content]]);
    for (const read of this.predicted()) {
      if (wanted.size >= BATCH_MAX_PATHS) break;
      if (!this.requested.has(read.path)) wanted.set(read.path, (wanted.get(read.path) ?? false) || read.content);
    }
    // One path alone is cheaper read live (test -e is a shell builtin there).
    if (wanted.size === 1) return undefined;
    const generation = this.generation;
    const forgottenBefore = this.forgotten.length;
    const found = await readPaths(conn, [...wanted].map(([p, withContent]) => ({ path: p, content: withContent })));
    if (!found) return undefined;
    if (generation === this.generation) {
      const stale = new Set(this.forgotten.slice(forgottenBefore));
      for (const p of wanted.keys()) if (!stale.has(p)) this.requested.add(p);
      for (const [p, reading] of found) if (!stale.has(p)) this.readings.set(p, { ...this.readings.get(p), ...reading });
    } else {
      // A step (on any host) ran while it was read: not a fact any more, still a good guess. Under
      // many hosts this is the rule: another host's first command lands while this host reads.
      for (const [p, reading] of found) this.hints.set(p, reading);
    }
    return found.get(path);
  }
}

function answer(reading: Reading | undefined, kind: ProbeKind): RunResult | undefined {
  if (kind === 'stat') return reading?.stat;
  return reading?.exists === undefined ? undefined : { stdout: '', stderr: '', exitCode: reading.exists ? 0 : 1 };
}

/**
 * One remote script reading every path: stat (this host's own stat, the
 * format of statCommand with device:inode before it), test -e, the real
 * folder, and the bytes of regular files wanted. Each answer is framed by a
 * random token. Undefined when the script's output is not what it prints.
 */
async function readPaths(conn: Connection, reads: PredictedRead[]): Promise<Map<string, Reading> | undefined> {
  const token = `swarmplay-read-${randomBytes(12).toString('hex')}`;
  const lines: string[] = [];
  const record = (kind: string, body: string, status = '$?'): void => {
    lines.push(`printf '%s\\n' '${token} ${kind}'; ${body}; printf '\\n%s %s\\n' '${token}' ${status}`);
  };
  const parents = [...new Set(reads.map((read) => parentAndName(read.path).parent))];
  parents.forEach((parent, index) => record(`p${index}`, `(cd -P -- ${quote(parent)} 2>/dev/null && pwd -P)`));
  for (const read of reads) {
    const path = quote(read.path);
    record('s', `stat -c '%d:%i|%a %u %g %U %G %F' -- ${path} 2>&1`);
    record('e', `[ -e ${path} ]`);
    if (read.content) {
      // 101: a symbolic link, 102: not a regular file; both are read live if a task asks.
      record('c', `if [ -h ${path} ]; then s=101; elif [ -f ${path} ]; then head -c ${CONTENT_MAX_BYTES + 1} -- ${path} 2>/dev/null; s=$?; `
        + `elif [ -e ${path} ]; then s=102; else s=100; fi`, '$s');
    }
  }
  const result = await conn.runBytes!(lines.join('\n'), { displayCommand: `read ${reads.length} paths` });
  const answers = parseAnswers(result.stdout, token);
  if (!answers) return undefined;
  let at = 0;
  const next = (kind: string): { body: Buffer; status: number } | undefined => {
    const answer = answers[at++];
    return answer?.kind === kind ? answer : undefined;
  };
  const realParents: (string | undefined)[] = [];
  for (let index = 0; index < parents.length; index++) {
    const answer = next(`p${index}`);
    if (!answer) return undefined;
    realParents.push(answer.status === 0 ? answer.body.toString('utf8').replace(/\n$/, '') : undefined);
  }
  const found = new Map<string, Reading>();
  for (const read of reads) {
    const stat = next('s');
    const exists = next('e');
    const content = read.content ? next('c') : undefined;
    if (!stat || !exists || (read.content && !content)) return undefined;
    const { parent, name } = parentAndName(read.path);
    const realParent = realParents[parents.indexOf(parent)];
    const reading: Reading = { exists: exists.status === 0 };
    if (realParent !== undefined) reading.place = `${realParent.replace(/\/$/, '')}/${name}`;
    const statText = stat.body.toString('utf8');
    if (stat.status === 0) {
      const bar = statText.indexOf('|');
      if (bar < 0) return undefined;
      if (/ symbolic link\n?$/.test(statText)) continue; // a link's target may change under any write: read it live
      reading.inode = statText.slice(0, bar);
      reading.stat = { stdout: statText.slice(bar + 1), stderr: '', exitCode: 0 };
    } else {
      reading.stat = { stdout: '', stderr: statText, exitCode: stat.status };
    }
    if (content?.status === 100) reading.content = null;
    else if (content?.status === 0 && content.body.length <= CONTENT_MAX_BYTES) reading.content = content.body;
    else if (content?.status === 101) continue;
    found.set(read.path, reading);
  }
  return found;
}

/** Splits the script's output into its framed answers, in order. */
function parseAnswers(output: Buffer, token: string): { kind: string; body: Buffer; status: number }[] | undefined {
  const answers: { kind: string; body: Buffer; status: number }[] = [];
  const end = Buffer.from(`\n${token} `);
  let at = 0;
  while (at < output.length) {
    const headerEnd = output.indexOf(0x0a, at);
    if (headerEnd < 0) return undefined;
    const header = output.subarray(at, headerEnd).toString('utf8');
    if (!header.startsWith(`${token} `)) return undefined;
    const bodyEnd = output.indexOf(end, headerEnd);
    if (bodyEnd < 0) return undefined;
    const statusEnd = output.indexOf(0x0a, bodyEnd + end.length);
    if (statusEnd < 0) return undefined;
    answers.push({
      kind: header.slice(token.length + 1),
      body: output.subarray(headerEnd + 1, bodyEnd),
      status: Number(output.subarray(bodyEnd + end.length, statusEnd).toString('utf8')),
    });
    at = statusEnd + 1;
  }
  return answers;
}
