/**
 * `async_status`: reads a background job that an `async:` task with `poll: 0`
 * started (src/modules/async-job.ts), as Ansible's async_status: `finished:
 * 0` while it runs (with `until: job.finished` and retries to wait), then the
 * task's own result (rc, stdout, ...) with changed and failed as the task
 * would have reported them. `mode: cleanup` removes the job's folder.
 */
import { z } from 'zod';
import { defineModule, type ModuleDefinition, type Plan } from './types.js';
import { cleanupJobCommand, finishedJobResult, jobFields, parseJob, readJobCommand, timeoutMessage, unfinishedResult } from './async-job.js';

const asyncStatusArgs = z.object({
  jid: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a job id as an async task registered it (ansible_job_id)'),
  mode: z.enum(['status', 'cleanup']).default('status'),
}).strict();

/** The registry, loaded when a job's result is built (the registry imports this module). */
async function moduleNamed(name: string): Promise<ModuleDefinition | undefined> {
  const registry = await import('./index.js');
  return registry.loadModule(name);
}

export const asyncStatus = defineModule({
  name: 'async_status',
  schema: asyncStatusArgs,
  async plan(ctx, args): Promise<Plan> {
    const job = parseJob((await ctx.probe(readJobCommand(args.jid))).stdout);
    if (args.mode === 'cleanup') {
      if (job.state === 'missing') return { steps: [], result: { ansible_job_id: args.jid, erased: job.folder } };
      return {
        steps: [{ kind: 'command', description: `remove async job ${args.jid}`, command: cleanupJobCommand(args.jid), countsAsChange: false }],
        result: { ansible_job_id: args.jid, erased: job.folder },
      };
    }
    if (job.state === 'missing') {
      return { steps: [], failed: 'could not find job', result: { ...unfinishedResult(args.jid, job.folder), finished: 1 } };
    }
    if (job.state === 'running') return { steps: [], result: unfinishedResult(args.jid, job.folder) };
    if (job.state === 'timedout' || !job.record) {
      const seconds = job.record?.async ?? 0;
      return { steps: [], failed: timeoutMessage(seconds), result: { ...unfinishedResult(args.jid, job.folder), ...jobFields(args.jid, job.folder, 1) } };
    }
    const { result, failedMsg } = finishedJobResult(await moduleNamed(job.record.module), job.record, job.files, args.jid, job.folder);
    const { changed: _changed, failed: _failed, ...values } = result;
    return { steps: [], result: values, changedEarlier: job.record.changes, ...(failedMsg && { failed: failedMsg }) };
  },
});
