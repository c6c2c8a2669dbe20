/**
 * A plan's steps in one round trip: one remote script runs the commands and
 * atomic writes in order, each exactly as it would run alone (a command under
 * its own `/bin/sh -c`, a write by the same atomic write script), and stops
 * at the first that fails, as the step executor does. Each step's output and
 * exit status come back framed by a random token, so the outcomes are the
 * ones the single round trips would have given.
 *
 * Guards make a plan made from guesses safe to run: the script first tests
 * that the host still says what the plan was made from (a file is absent, a
 * stat prints this); only then do the steps run, in the same script, so
 * nothing happens on the host between the test and the steps. When a guard
 * fails nothing runs and the caller plans again from live reads.
 *
 * What cannot go in a batch runs step by step as before: waits, retries,
 * timeouts, a step that may drop the connection, another become than the
 * task's, more than one step reading stdin.
 */
import { randomBytes } from 'node:crypto';
import type { Step } from '../modules/types.js';
import type { Connection, RunResult } from '../transport/types.js';
import { quote } from '../transport/shell-quote.js';
import { inlineText, writeOutcome, writeRequest, type RawRunResult } from '../transport/atomic-write.js';
import { SwarmplayError } from '../errors.js';

/** What one step of a batch gave back: a command's run, or a write's answer (or its error). */
export interface BatchedOutcome {
  step: Step;
  run?: RunResult;
  backupPath?: string;
  /** A write that failed: the error putFile would have thrown. */
  writeError?: SwarmplayError;
}

export type BatchResult = { stale: true } | { stale: false; outcomes: BatchedOutcome[] };

/** Whether these steps can run as one script over `conn` (with the task's `become`). */
export function batchable(conn: Connection | undefined, steps: readonly Step[], become: boolean | undefined): conn is Connection & Required<Pick<Connection, 'runBytes'>> {
  if (!conn?.runBytes || steps.length === 0) return false;
  let readersOfStdin = 0;
  for (const step of steps) {
    if (step.kind === 'write') {
      if (inlineText(step.content) === undefined) readersOfStdin += 1;
      continue;
    }
    if (step.kind !== 'command') return false;
    if (step.retry || step.connectionMayDrop || step.timeoutMs !== undefined) return false;
    if (step.become !== undefined && step.become !== become) return false;
    if (step.stdin !== undefined) readersOfStdin += 1;
  }
  return readersOfStdin <= 1;
}

/** The shell test that a step's exit status `$s` is a success. */
function successTest(step: Step): string | undefined {
  if (step.kind === 'write') return '[ "$s" = 0 ]';
  if (step.kind !== 'command' || step.okExitCodes === 'any') return undefined;
  return (step.okExitCodes ?? [0]).map((code) => `[ "$s" = ${Number(code)} ]`).join(' || ');
}

/**
 * Runs `steps` (batchable) in one round trip after `guards` (shell tests).
 * Stale: a guard failed and nothing ran. Otherwise the outcomes of the steps
 * that ran, in order; the last one failed when fewer than all ran.
 */
export async function runBatch(
  conn: Connection & Required<Pick<Connection, 'runBytes'>>, host: string, steps: readonly Step[], guards: readonly string[], become: boolean | undefined,
): Promise<BatchResult> {
  const token = `swarmplay-batch-${randomBytes(12).toString('hex')}`;
  const lines: string[] = [];
  if (guards.length) {
    lines.push(`if ${guards.map((guard) => `{ ${guard}; }`).join(' && ')}; then printf '%s\\n' '${token} ok'; else printf '%s\\n' '${token} stale'; exit 0; fi`);
  }
  let stdin: Buffer | undefined;
  steps.forEach((step, index) => {
    const last = index === steps.length - 1;
    let script: string;
    let readsStdin = false;
    if (step.kind === 'write') {
      const request = writeRequest(host, step.path, step.content, { mode: step.mode, owner: step.owner, group: step.group, backup: step.backup, become });
      script = request.script;
      readsStdin = request.stdin.length > 0;
      if (readsStdin) stdin = request.stdin;
    } else if (step.kind === 'command') {
      script = step.command;
      if (step.stdin !== undefined) {
        stdin = Buffer.from(step.stdin, 'utf8');
        readsStdin = true;
      }
    } else {
      throw new SwarmplayError('INTERNAL', `${host}: a ${step.kind} step cannot run in a batch`);
    }
    const redirect = readsStdin ? '' : ' </dev/null';
    if (last) {
      // The last step ends the script: its output and exit status are the request's own. A write's
      // script (ours, so it parses) runs in this shell itself: one `sh` fewer.
      lines.push(step.kind === 'write' ? script : `exec /bin/sh -c ${quote(script)}${redirect}`);
      return;
    }
    lines.push(`/bin/sh -c ${quote(script)}${redirect}`);
    lines.push(`s=$?; printf '\\n%s %s\\n' '${token}' "$s"; printf '\\n%s\\n' '${token}' >&2`);
    const success = successTest(step);
    if (success) lines.push(`if ! { ${success}; }; then exit 0; fi`);
  });
  const display = steps.map((step) => (step.kind === 'write' ? `write ${step.path}` : step.kind === 'command' ? step.display ?? step.command : step.kind)).join('; ');
  const raw = await conn.runBytes(lines.join('\n'), { stdin, become, displayCommand: display });
  return parseBatch(raw, token, steps, guards.length > 0, host);
}

/** Splits the script's output into each step's outcome. */
function parseBatch(raw: RawRunResult, token: string, steps: readonly Step[], guarded: boolean, host: string): BatchResult {
  let stdout = raw.stdout;
  if (guarded) {
    const verdict = Buffer.from(`${token} ok\n`);
    if (stdout.subarray(0, verdict.length).equals(verdict)) stdout = stdout.subarray(verdict.length);
    else if (stdout.toString('utf8').startsWith(`${token} stale\n`)) return { stale: true };
    else throw new SwarmplayError('COMMAND_FAILED', `${host}: the steps' script ended before its first test (exit ${raw.exitCode}): ${raw.stderr.toString('utf8').trim()}`);
  }
  let stderr = raw.stderr;
  const outEnd = Buffer.from(`\n${token} `);
  const errEnd = Buffer.from(`\n${token}\n`);
  const outcomes: BatchedOutcome[] = [];
  for (const [index, step] of steps.entries()) {
    const last = index === steps.length - 1;
    let result: RawRunResult;
    const outAt = last ? -1 : stdout.indexOf(outEnd);
    const statusEnd = outAt < 0 ? -1 : stdout.indexOf(0x0a, outAt + outEnd.length);
    const errAt = last ? -1 : stderr.indexOf(errEnd);
    if (outAt < 0 || statusEnd < 0 || errAt < 0) {
      // The last step, or one whose frame never came (the script was killed): the rest is its own.
      result = { stdout, stderr, exitCode: last || raw.exitCode !== 0 ? raw.exitCode : 255 };
      outcomes.push(outcomeOf(step, result, host));
      break;
    }
    result = {
      stdout: stdout.subarray(0, outAt),
      stderr: stderr.subarray(0, errAt),
      exitCode: Number(stdout.subarray(outAt + outEnd.length, statusEnd).toString('utf8')),
    };
    stdout = stdout.subarray(statusEnd + 1);
    stderr = stderr.subarray(errAt + errEnd.length);
    const outcome = outcomeOf(step, result, host);
    outcomes.push(outcome);
    const succeeded = outcome.writeError === undefined && (step.kind !== 'command' || step.okExitCodes === 'any' || (step.okExitCodes ?? [0]).includes(result.exitCode));
    if (!succeeded) break;
  }
  return { stale: false, outcomes };
}

function outcomeOf(step: Step, result: RawRunResult, host: string): BatchedOutcome {
  if (step.kind === 'write') {
    try {
      return { step, backupPath: writeOutcome(host, step.path, result).backupPath };
    } catch (error) {
      return { step, writeError: error as SwarmplayError };
    }
  }
  return { step, run: { stdout: result.stdout.toString('utf8'), stderr: result.stderr.toString('utf8'), exitCode: result.exitCode } };
}
