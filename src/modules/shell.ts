/**
 * `shell`: runs a command line through a shell on the host, with pipes,
 * redirections and variables, as Ansible's shell module. The text is the
 * user's own shell code and goes to the host as written (a value templated
 * into it should use the `quote` filter, as in Ansible); everything swarmplay
 * adds around it (chdir, executable) is quoted. By default the line runs in
 * the host's /bin/sh; `executable: /bin/bash` runs it as `/bin/bash -c TEXT`.
 * Options may trail the free form as in Ansible (`... creates=/path`), values
 * without spaces only. Planning and result: see command.ts.
 */
import { z } from 'zod';
import { defineModule } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { WARN_IGNORED, finishCommandRun, planCommandRun, runArgumentsShape, runSettings } from './command.js';

const shellArgs = z
  .object({ ...runArgumentsShape, executable: z.string().min(1).optional() })
  .strict()
  .superRefine((args, refinement) => {
    const given = [args._raw, args.cmd].filter((value) => value !== undefined).length;
    if (given !== 1) {
      refinement.addIssue({
        code: z.ZodIssueCode.custom,
        message: given === 0 ? 'no command given: write it free form or as cmd' : 'give either the free form or cmd, not both',
      });
    }
  });

export type ShellArgs = z.infer<typeof shellArgs>;

type TrailingOptions = Partial<Record<'chdir' | 'creates' | 'removes' | 'executable', string>>;

/** Takes `key=value` options off the end of the free form. */
export function takeTrailingOptions(text: string): { text: string; options: TrailingOptions } {
  const options: TrailingOptions = {};
  let rest = text;
  for (;;) {
    const match = /\s+(chdir|creates|removes|executable)=(\S+)\s*$/.exec(rest);
    if (!match) break;
    options[match[1] as keyof TrailingOptions] ??= match[2]!;
    rest = rest.slice(0, match.index);
  }
  return { text: rest, options };
}

function scriptOf(args: ShellArgs): { text: string; options: TrailingOptions } {
  if (args.cmd !== undefined) return { text: args.cmd, options: {} };
  return takeTrailingOptions(args._raw!);
}

export const shell = defineModule({
  name: 'shell',
  schema: shellArgs,
  freeFormArg: '_raw',
  secretArgs: ['stdin'],
  async plan(ctx, args) {
    const { text, options } = scriptOf(args);
    if (text.trim() === '') return { steps: [], failed: 'no command given: the command line is empty' };
    const executable = args.executable ?? options.executable;
    const plan = await planCommandRun(ctx, {
      commandLine: executable === undefined ? text : quoteArgs([executable, '-c', text]),
      reported: text,
      display: text.replace(/\s*\n\s*/g, '; '),
      ...runSettings(args, options),
    });
    return args.warn === undefined ? plan : { ...plan, warnings: [WARN_IGNORED] };
  },
  finish(args, outcomes) {
    return finishCommandRun(scriptOf(args).text, args.strip_empty_ends, outcomes.all);
  },
});
