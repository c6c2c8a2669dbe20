/**
 * `async:` / `poll:` of a task: its plan's commands run as a background job
 * on the host (src/modules/async-job.ts: a POSIX sh runner, no Python).
 * poll > 0: the runner reads the job every `poll` seconds until it finished
 * or `async` seconds passed (Ansible's "async task did not complete within
 * the requested time"); poll 0: the job is started and the task returns its
 * ansible_job_id at once, for async_status to read later.
 */
import {
  finishedJobResult, jobRecord, newJobId, parseJob, readJobCommand, startJobCommand, timeoutMessage, unfinishedResult, jobFields,
} from '../modules/async-job.js';
import { changesHost, type CommandStep, type ModuleDefinition, type Plan } from '../modules/types.js';
import type { Connection } from '../transport/types.js';
import type { TaskResult } from './task-runner.js';

/** Ansible's default poll interval. */
export const DEFAULT_POLL_SECONDS = 15;

export interface AsyncRunEnv {
  host: string;
  module: ModuleDefinition;
  conn: Connection;
  become?: boolean;
  seconds: number;
  poll: number;
  signal?: AbortSignal;
  progress?(message: string): void;
}

function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

function failed(msg: string, result: Record<string, unknown> = {}): TaskResult {
  return { status: 'failed', msg, result: { ...result, changed: false, failed: true, msg } };
}

export async function runAsync(env: AsyncRunEnv, plan: Plan, args: unknown): Promise<TaskResult> {
  const { module, conn } = env;
  if (!plan.steps.every((step) => step.kind === 'command')) {
    return failed(`async runs a module whose work is commands (command, shell, apt...); ${module.name} writes files or waits on the host. Remove async and poll from this task.`);
  }
  const steps = plan.steps as CommandStep[];
  const jid = newJobId();
  const changes = steps.some(changesHost);
  const record = jobRecord(module, args as Record<string, unknown>, plan, env.seconds, changes);
  const started = await conn.run(startJobCommand(jid, steps, record), { become: env.become, displayCommand: `start async job ${jid}` });
  if (started.exitCode !== 0) return failed(`${env.host}: could not start the async job: ${(started.stderr || started.stdout).trim()}`);
  const folder = started.stdout.trim().split('\n').at(-1)!;
  if (env.poll === 0) return { status: 'changed', result: { ...jobFields(jid, folder, 0), changed: true, failed: 0 } };
  const begin = Date.now();
  for (;;) {
    await sleep(env.poll, env.signal);
    if (env.signal?.aborted) return failed('interrupted');
    const read = await conn.run(readJobCommand(jid), { become: env.become });
    const job = parseJob(read.stdout);
    if (job.state === 'finished') {
      const { result, failedMsg } = finishedJobResult(module, record, job.files, jid, folder);
      if (failedMsg) return { status: 'failed', msg: failedMsg, result };
      return { status: changes ? 'changed' : 'ok', result, msg: plan.msg };
    }
    // The job's watchdog ends it after `seconds`; the controller gives up one poll later in any case.
    const late = Date.now() - begin > (env.seconds + env.poll) * 1000;
    if (job.state === 'timedout' || job.state === 'missing' || late) {
      return failed(timeoutMessage(env.seconds), { async_result: unfinishedResult(jid, folder) });
    }
    env.progress?.(`async job ${jid}: started=1 finished=0`);
  }
}
