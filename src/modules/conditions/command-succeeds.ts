/**
 * `command_succeeds`: a read-only command exits 0 ("docker info" answers
 * after a restart).
 */
import { z } from 'zod';
import { defineCondition } from './types.js';

export const commandSucceeds = defineCondition({
  name: 'command_succeeds',
  schema: z.object({
    command: z.string().min(1),
    /** Per attempt. */
    timeoutMs: z.number().int().positive().default(30_000),
    /** What the task says when the wait times out, before the last thing seen; default the runner's. */
    timeoutMessage: z.string().min(1).optional(),
  }).strict(),
  start(args) {
    return {
      async poll(host) {
        const answer = await host.probe(args.command, { timeoutMs: args.timeoutMs });
        if (answer.exitCode === 0) return { state: 'done' };
        const said = (answer.stderr || answer.stdout).trim().split('\n').pop() ?? '';
        return { state: 'waiting', progress: `exit ${answer.exitCode}${said ? `: ${said}` : ''}` };
      },
      ...(args.timeoutMessage !== undefined && {
        timeoutMessage: (_timeoutMs: number, lastProgress: string) => `${args.timeoutMessage}${lastProgress ? ` (last seen: ${lastProgress})` : ''}`,
      }),
    };
  },
});
