/**
 * Executes a plan's steps on one host, in order: commands, atomic writes and
 * waits on named conditions. The only place where a module's plan touches a
 * host; check mode never reaches it. A failing step runs its compensation
 * steps, then the task fails with a message that says what was undone.
 */
import { commandFailure, commandSucceeded } from '../modules/command-outcome.js';
import { SwarmplayError } from '../errors.js';
import type { CommandStep, Step, StepOutcome, WaitStep } from '../modules/types.js';
import type { Connection, RunResult } from '../transport/types.js';
import { writeControllerFile } from '../transport/local-file.js';
import { batchable, runBatch } from './step-batch.js';

export interface StepEnv {
  host: string;
  /** Absent only for plans made of reconnecting waits (wait_for_connection on a host that is down). */
  conn?: Connection;
  /** A new connection in place of the current one. */
  reconnect?(): Promise<Connection>;
  /** Forgets the host's connection, so that the next task connects anew (after a reboot that did not come back in time). */
  forgetConnection?(): Promise<void>;
  /** The task's become, for steps that do not say. */
  become?: boolean;
  signal?: AbortSignal;
  /** Where a wait says what it sees meanwhile. */
  progress?(message: string): void;
  /** Said when a step starts (for -v). */
  started?(step: Step): void;
}

interface CompensationReport {
  ran: boolean;
  ok: boolean;
  detail: string[];
}

export interface ExecutionResult {
  outcomes: StepOutcome[];
  /** Set when a step failed: what failed, and what its compensation did. */
  failedMsg?: string;
  /** A guard failed: the host no longer says what the plan was made from, and no step ran. */
  stale?: boolean;
}


function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // The listener goes when the timer fires: a long wait's polls would otherwise pile one up each.
    const onAbort = () => { clearTimeout(timer); resolve(); };
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function connection(env: StepEnv): Connection {
  if (!env.conn) throw new SwarmplayError('INTERNAL', `${env.host}: a step needs the host's connection and there is none`);
  return env.conn;
}

async function runCommand(env: StepEnv, step: CommandStep): Promise<{ outcome: StepOutcome; failure?: string }> {
  const options = { stdin: step.stdin, become: step.become ?? env.become, timeoutMs: step.timeoutMs, displayCommand: step.display };
  let run: RunResult;
  try {
    run = await connection(env).run(step.command, options);
  } catch (error) {
    // A reboot that takes the connection with it has done what it was asked; a command that ends with an error has not.
    if (step.connectionMayDrop && error instanceof SwarmplayError && ['CONNECTION_LOST', 'TIMEOUT'].includes(error.code)) {
      return { outcome: { step, run: { stdout: '', stderr: error.message, exitCode: 0 } } };
    }
    throw error;
  }
  for (let attempt = 0; step.retry && !commandSucceeded(step, run) && attempt < step.retry.attempts; attempt++) {
    if (!new RegExp(step.retry.whileOutputMatches, 'i').test(`${run.stderr}${run.stdout}`)) break;
    await sleep(step.retry.delayMs, env.signal);
    run = await connection(env).run(step.command, options);
  }
  const outcome = { step, run };
  return commandSucceeded(step, run) ? { outcome } : { outcome, failure: commandFailure(step, run) };
}

async function wait(env: StepEnv, step: WaitStep): Promise<{ outcome: StepOutcome; failure?: string }> {
  // The conditions (with their zod schemas) are loaded by the first wait, not by every run.
  const { findCondition } = await import('../modules/conditions/index.js');
  const condition = findCondition(step.condition);
  if (!condition) throw new SwarmplayError('INTERNAL', `a plan waits on an unknown condition '${step.condition}'`);
  const poller = condition.start(condition.schema.parse(step.args));
  let conn = step.reconnect ? undefined : env.conn;
  const probeHost = {
    host: env.host,
    async probe(command: string, options?: Parameters<Connection['run']>[1]) {
      if (!step.reconnect) return connection(env).run(command, { become: env.become, ...options });
      if (!env.reconnect) throw new SwarmplayError('INTERNAL', `${env.host}: a wait needs to reconnect and cannot`);
      try {
        conn ??= await env.reconnect();
        return await conn.run(command, { become: env.become, ...options });
      } catch (error) {
        // Not up yet (refused, timed out, reset): the next poll opens a new connection.
        conn = undefined;
        const said = error instanceof Error ? error.message : String(error);
        return { stdout: '', stderr: said.split('\n')[0]!, exitCode: 255 };
      }
    },
  };
  // A reboot that did not come back in time leaves a connection from before it, or one to a host going down: as
  // Ansible resets its connection, the next task connects anew.
  const failed = async (failure: string) => {
    if (step.reconnect) await env.forgetConnection?.();
    return { outcome: { step }, failure };
  };
  const started = Date.now();
  let lastProgress = '';
  for (;;) {
    if (env.signal?.aborted) throw new SwarmplayError('INTERRUPTED', 'interrupted');
    const elapsed = Date.now() - started;
    const verdict = await poller.poll(probeHost, elapsed);
    if (verdict.state === 'done') return { outcome: { step, waited: verdict.result ?? {} } };
    if (verdict.state === 'failed') return failed(verdict.message);
    // A host on its way down may still answer on a connection made moments ago: the next poll opens a new one, as Ansible's reboot resets its connection.
    if (step.reconnect) conn = undefined;
    if (verdict.progress !== lastProgress) {
      lastProgress = verdict.progress;
      env.progress?.(verdict.progress);
    }
    // As Ansible's waits: no new poll starts once the time is up (a poll that began in time may end after it).
    const remaining = step.timeoutMs - (Date.now() - started);
    if (remaining > 0) await sleep(Math.min(step.intervalMs, remaining), env.signal);
    if (Date.now() - started >= step.timeoutMs) {
      const seconds = Math.round(step.timeoutMs / 1000);
      const message = poller.timeoutMessage?.(step.timeoutMs, lastProgress)
        ?? `${env.host}: ${step.waitingFor} did not happen within ${seconds} s${lastProgress ? ` (last seen: ${lastProgress})` : ''}`;
      return failed(message);
    }
  }
}

async function executeOne(env: StepEnv, step: Step): Promise<{ outcome: StepOutcome; failure?: string }> {
  env.started?.(step);
  if (step.kind === 'command') return runCommand(env, step);
  if (step.kind === 'wait') return wait(env, step);
  if (step.kind === 'controller_write') {
    await writeControllerFile(step.path, step.content, step.mode);
    return { outcome: { step } };
  }
  const written = await connection(env).putFile(step.path, step.content, {
    mode: step.mode, owner: step.owner, group: step.group, backup: step.backup, validate: step.validate, become: env.become,
  });
  return { outcome: { step, backupPath: written.backupPath } };
}

/** Runs a failed step's compensation, best effort: every step is tried; says how it went. */
async function compensate(env: StepEnv, step: Step): Promise<CompensationReport> {
  const compensation = step.onFailure;
  if (!compensation) return { ran: false, ok: true, detail: [] };
  const detail: string[] = [];
  let ok = true;
  for (const undo of compensation.steps) {
    try {
      const { outcome, failure } = await executeOne(env, undo);
      if (failure) {
        ok = false;
        detail.push(failure);
      } else if (outcome.run && undo.kind === 'command' && undo.okExitCodes === 'any' && outcome.run.stdout.trim()) {
        detail.push(outcome.run.stdout.trim());
      }
    } catch (error) {
      ok = false;
      detail.push(error instanceof Error ? error.message : String(error));
    }
  }
  return { ran: true, ok, detail };
}

/** One line per step, as `--check -v` and `-v` list them: the same words whether or not it runs. */
export function describeStep(step: Step): string {
  if (step.kind === 'command') return `run: ${step.display ?? step.command}`;
  if (step.kind === 'controller_write') return `fetch: ${step.source} -> ${step.path}`;
  if (step.kind === 'write') return `write: ${step.path}${step.mode ? ` (mode ${step.mode})` : ''}${step.validate ? ` (validated by ${step.validate})` : ''}`;
  return `wait: ${step.waitingFor} (up to ${Math.round(step.timeoutMs / 1000)} s)`;
}

/**
 * Executes the steps in order; stops at the first failure, after its compensation.
 * Several steps that can share one round trip go as one script (step-batch.ts);
 * with `guards` (shell tests of what the plan was made from) they always do,
 * and run only while every guard holds.
 */
export async function executeSteps(env: StepEnv, steps: readonly Step[], guards: readonly string[] = []): Promise<ExecutionResult> {
  if (guards.length > 0 || (steps.length > 1 && batchable(env.conn, steps, env.become))) return executeBatch(env, steps, guards);
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    if (env.signal?.aborted) throw new SwarmplayError('INTERRUPTED', 'interrupted');
    const { outcome, failure } = await executeOne(env, step);
    outcomes.push(outcome);
    if (failure === undefined) continue;
    if (env.signal?.aborted) throw new SwarmplayError('INTERRUPTED', 'interrupted');
    const report = await compensate(env, step);
    return { outcomes, failedMsg: failureWithCompensation(failure, step, report) };
  }
  return { outcomes };
}

/** The steps as one script: the same outcomes, failures and compensations as step by step. */
async function executeBatch(env: StepEnv, steps: readonly Step[], guards: readonly string[]): Promise<ExecutionResult> {
  const conn = env.conn;
  if (!batchable(conn, steps, env.become)) throw new SwarmplayError('INTERNAL', `${env.host}: guarded steps that cannot run as one script`);
  if (env.signal?.aborted) throw new SwarmplayError('INTERRUPTED', 'interrupted');
  let batch;
  try {
    batch = await runBatch(conn, env.host, steps, guards, env.become);
  } catch (error) {
    // Any of them may have run.
    for (const step of steps) env.started?.(step);
    throw error;
  }
  if (batch.stale) return { outcomes: [], stale: true };
  const outcomes: StepOutcome[] = [];
  for (const { step, run, backupPath, writeError } of batch.outcomes) {
    env.started?.(step);
    if (writeError) throw writeError;
    outcomes.push({ step, ...(run && { run }), ...(backupPath !== undefined && { backupPath }) });
    if (step.kind !== 'command' || !run || commandSucceeded(step, run)) continue;
    if (env.signal?.aborted) throw new SwarmplayError('INTERRUPTED', 'interrupted');
    const report = await compensate(env, step);
    return { outcomes, failedMsg: failureWithCompensation(commandFailure(step, run), step, report) };
  }
  return { outcomes };
}

function failureWithCompensation(failure: string, step: Step, report: CompensationReport): string {
  if (!report.ran || !step.onFailure) return failure;
  const said = report.ok ? step.onFailure.whenDone : step.onFailure.whenFailed;
  const notes = [...report.detail, ...(said ? [said] : [])];
  if (notes.length === 0) return failure;
  // Plain output shows a failure's first line: what a one-step undo says stays on it; a recovery's report goes below.
  if (step.onFailure.steps.length === 1 && notes.every((note) => !note.includes('\n')) && !failure.includes('\n')) return `${failure} (${notes.join('; ')})`;
  return `${failure}\n${notes.join('\n')}`;
}
