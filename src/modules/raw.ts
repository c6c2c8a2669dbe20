/**
 * `raw`: sends the command line to the host's shell as written, as Ansible's
 * raw does (no Python there either way: that is what raw is for in Ansible).
 * `executable` runs it as `EXECUTABLE -c TEXT`. Its effect cannot be
 * predicted, so check mode skips it and a run reports changed; a non-zero exit
 * fails the task. stdout and stderr come back as the host printed them
 * (Ansible's raw does not strip trailing newlines either).
 *
 * Kept different on purpose: Ansible's raw runs in a terminal, so the host's
 * stderr arrives inside stdout with \r\n line ends (and stderr holds ssh's
 * own notices); swarmplay runs it without one, stdout and stderr apart, as
 * command and shell do. Compared on a bare-lab host: same status and rc.
 */
import { z } from 'zod';
import { defineModule } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { finishCommandRun, planCommandRun } from './command.js';

const rawArgs = z
  .object({
    _raw: z.string().min(1, 'no command given: write it free form (raw: uptime)'),
    executable: z.string().min(1).optional(),
  })
  .strict();

export const raw = defineModule({
  name: 'raw',
  schema: rawArgs,
  freeFormArg: '_raw',
  async plan(ctx, args) {
    const text = args._raw;
    const plan = await planCommandRun(ctx, {
      commandLine: args.executable === undefined ? text : quoteArgs([args.executable, '-c', text]),
      reported: text,
      display: text,
      stdinAddNewline: false,
    });
    // Ansible's raw returns no cmd.
    return { ...plan, result: {} };
  },
  finish(args, outcomes) {
    const { cmd: _cmd, ...result } = finishCommandRun(args._raw, false, outcomes.all);
    return result;
  },
});
