/**
 * Background jobs for `async:` tasks, without Python on the host. A job is a
 * folder `~/.swarmplay_async/<jid>` (mode 700, in the home of the user the
 * task runs as; Ansible's is ~/.ansible_async) holding:
 *
 *   task.json       what the job runs, for async_status: the module, its
 *                   arguments (secret ones left out) and each command step's
 *                   success rules and messages (never the commands)
 *   run.sh          the POSIX sh runner; N.sh / N.in, the Nth command and its
 *                   stdin, deleted once they ran
 *   start, end      timestamps; N.out, N.err, N.rc what each command gave
 *   finished        written last, when every command ran (or one failed)
 *   timedout        written by the runner's watchdog, which then kills the
 *                   job's process group after `async` seconds
 *
 * The steps run in order and stop at the first that fails, as the runner's
 * own execution does. Reading a job is one round trip (every file, base64).
 * Differences from Ansible kept on purpose: a job killed by its time limit
 * reads as finished and failed with the timeout message (Ansible's stays
 * "finished: 0" forever); a step's `retry` is not repeated in a job.
 */
import { randomInt } from 'node:crypto';
import { quote } from '../transport/shell-quote.js';
import type { RunResult } from '../transport/types.js';
import { commandFailure, commandSucceeded, type JudgedCommand } from './command-outcome.js';
import type { CommandStep, ModuleDefinition, Plan, StepOutcome } from './types.js';

export const ASYNC_DIR = '.swarmplay_async';

/** What task.json keeps of a job: enough for async_status to build the task's result. */
export interface JobRecord {
  module: string;
  args: Record<string, unknown>;
  steps: (JudgedCommand & { kind: 'command' })[];
  /** The plan would change the host (its result says changed). */
  changes: boolean;
  /** The plan's own result values (command's `cmd`). */
  result: Record<string, unknown>;
  async: number;
}

/** Ansible's job id shape: j<up to 12 digits>.<controller pid>. */
export function newJobId(): string {
  return `j${randomInt(0, 2 ** 40)}.${process.pid}`;
}

/** The runner the job's session runs: $1 the job folder, $2 the time limit in seconds. */
const RUNNER = `J=$1; T=$2
stamp() { date '+%Y-%m-%d %H:%M:%S.%6N'; }
stamp > "$J/start"
( trap 'kill $s 2>/dev/null; exit 0' TERM; sleep "$T" & s=$!; wait $s; echo "$T" > "$J/timedout"; rm -f "$J"/*.sh "$J"/*.in; kill -TERM 0 ) &
w=$!
i=0
while [ -f "$J/$i.sh" ]; do
  if [ -f "$J/$i.in" ]; then sh "$J/$i.sh" < "$J/$i.in" > "$J/$i.out" 2> "$J/$i.err"; else sh "$J/$i.sh" < /dev/null > "$J/$i.out" 2> "$J/$i.err"; fi
  rc=$?
  echo "$rc" > "$J/$i.rc"
  rm -f "$J/$i.sh" "$J/$i.in"
  ok=$(cat "$J/$i.ok")
  case " $ok " in *" $rc "*|" any ") ;; *) break ;; esac
  i=$((i + 1))
done
rm -f "$J"/*.sh "$J"/*.in
stamp > "$J/end"
kill -TERM $w 2>/dev/null
echo done > "$J/finished"
`;

/** The shell that makes the job's folder and starts it in its own session; prints the folder. */
export function startJobCommand(jid: string, steps: CommandStep[], record: JobRecord): string {
  const lines = [
    `D="$HOME/${ASYNC_DIR}"; J="$D/${jid}"`,
    // The folders are the user's only; the job's own commands keep the user's umask.
    'mkdir -p "$D" && chmod 700 "$D" && mkdir -m 700 "$J" || exit 1',
    `printf '%s' ${quote(JSON.stringify(record))} > "$J/task.json"`,
    `printf '%s' ${quote(RUNNER)} > "$J/run.sh"`,
  ];
  steps.forEach((step, i) => {
    lines.push(`printf '%s\\n' ${quote(step.command)} > "$J/${i}.sh"`);
    lines.push(`printf '%s' ${quote(step.okExitCodes === 'any' ? 'any' : (step.okExitCodes ?? [0]).join(' '))} > "$J/${i}.ok"`);
    if (step.stdin !== undefined) lines.push(`printf '%s' ${quote(step.stdin)} > "$J/${i}.in"`);
  });
  lines.push(
    'if command -v setsid >/dev/null 2>&1; then setsid sh "$J/run.sh" "$J" ' + record.async + ' < /dev/null > /dev/null 2>&1 &',
    'else nohup sh "$J/run.sh" "$J" ' + record.async + ' < /dev/null > /dev/null 2>&1 & fi',
    'echo "$J"',
  );
  return lines.join('\n');
}

/** One round trip: every file of the job but its scripts, as "name base64"; "missing" when there is no such job. */
export function readJobCommand(jid: string): string {
  return [
    `J="$HOME/${ASYNC_DIR}/${jid}"`,
    'if [ ! -d "$J" ]; then echo "missing $J"; exit 0; fi',
    'echo "folder $J"',
    'cd "$J" || exit 1',
    'for f in *; do case "$f" in *.sh|*.in) continue ;; esac; [ -f "$f" ] && printf "%s %s\\n" "$f" "$(base64 < "$f" | tr -d "\\n")"; done',
  ].join('\n');
}

export function cleanupJobCommand(jid: string): string {
  return `rm -rf -- "$HOME/${ASYNC_DIR}/${jid}"`;
}

export type JobState =
  | { state: 'missing'; folder: string }
  | { state: 'running'; folder: string }
  | { state: 'timedout'; folder: string; record?: JobRecord }
  | { state: 'finished'; folder: string; record?: JobRecord; files: Map<string, string> };

export function parseJob(output: string): JobState {
  const files = new Map<string, string>();
  let folder = '';
  for (const line of output.split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'missing') return { state: 'missing', folder: value };
    if (key === 'folder') folder = value;
    else files.set(key, Buffer.from(value, 'base64').toString('utf8'));
  }
  const recordText = files.get('task.json');
  const record = recordText ? (JSON.parse(recordText) as JobRecord) : undefined;
  if (files.has('timedout')) return { state: 'timedout', folder, record };
  if (files.has('finished')) return { state: 'finished', folder, record, files };
  return { state: 'running', folder };
}

/** The fields Ansible adds to an async job's result. */
export function jobFields(jid: string, folder: string, finished: 0 | 1): Record<string, unknown> {
  return { ansible_job_id: jid, results_file: folder, started: 1, finished };
}

/** Ansible's message for a job that ran out of time. */
export function timeoutMessage(seconds: number): string {
  return `async task did not complete within the requested time - ${seconds}s`;
}

/** A running (or timed-out) job's result, as Ansible's async_status gives it. */
export function unfinishedResult(jid: string, folder: string): Record<string, unknown> {
  return { ...jobFields(jid, folder, 0), stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] };
}

/** The outcomes of the commands a finished job ran, and the first failure. */
export function jobOutcomes(steps: JobRecord['steps'], files: Map<string, string>): { outcomes: StepOutcome[]; failedMsg?: string } {
  const outcomes: StepOutcome[] = [];
  for (const [i, step] of steps.entries()) {
    const rc = files.get(`${i}.rc`);
    if (rc === undefined) break;
    const run: RunResult = { stdout: files.get(`${i}.out`) ?? '', stderr: files.get(`${i}.err`) ?? '', exitCode: Number(rc.trim()) };
    outcomes.push({ step: { ...step, command: '' }, run });
    if (!commandSucceeded(step, run)) return { outcomes, failedMsg: commandFailure(step, run) };
  }
  return { outcomes };
}

/** The job's record, made from the plan the task's module returned. */
export function jobRecord(module: ModuleDefinition, args: Record<string, unknown>, plan: Plan, seconds: number, changes: boolean): JobRecord {
  const secrets = new Set(module.secretArgs ?? []);
  return {
    module: module.name,
    args: Object.fromEntries(Object.entries(args).filter(([key]) => !secrets.has(key))),
    steps: (plan.steps as CommandStep[]).map((s) => ({
      kind: 'command', description: s.description, okExitCodes: s.okExitCodes, failMessage: s.failMessage, failHints: s.failHints, failOutputLines: s.failOutputLines,
    })),
    changes,
    result: plan.result ?? {},
    async: seconds,
  };
}

/** A finished job's result: the module's own (from what its commands gave) with the job's fields. */
export function finishedJobResult(
  module: ModuleDefinition | undefined, record: JobRecord, files: Map<string, string>, jid: string, folder: string,
): { result: Record<string, unknown>; failedMsg?: string } {
  const { outcomes, failedMsg } = jobOutcomes(record.steps, files);
  const finished = module?.finish ? module.finish(record.args as never, { all: outcomes, byId: () => undefined }, { steps: [] }) : {};
  const stamp = (name: string) => files.get(name)?.trim();
  const result: Record<string, unknown> = {
    ...record.result, ...finished, changed: record.changes, failed: Boolean(failedMsg), ...jobFields(jid, folder, 1),
    ...(stamp('start') && { start: stamp('start') }), ...(stamp('end') && { end: stamp('end') }),
  };
  if (failedMsg) result.msg = failedMsg;
  return { result, failedMsg };
}
