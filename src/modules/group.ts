/**
 * `group`: a group, as Ansible's group module on Linux: groupadd when
 * missing (`gid`, `system`, `non_unique`), groupmod when the gid differs,
 * groupdel for state absent. Read through getent (`group_entries` fact).
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg, numberArg } from './argument-types.js';
import { groupEntries } from '../facts/accounts.js';
import { accountName } from './user.js';

const groupArgs = z
  .object({
    name: accountName,
    state: z.enum(['present', 'absent']).default('present'),
    gid: numberArg.pipe(z.number().int()).optional(),
    system: booleanArg.default(false),
    local: booleanArg.default(false),
    non_unique: booleanArg.default(false),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.non_unique && args.gid === undefined) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['gid'], message: 'non_unique is True but all of the following are missing: gid' });
  });

export const group = defineModule({
  name: 'group',
  schema: groupArgs,
  async plan(ctx, args): Promise<Plan> {
    const { name } = args;
    const current = (await ctx.fact(groupEntries, { names: [name] })).find((entry) => entry.name === name);
    const result: Record<string, unknown> = { name, state: args.state, system: args.system };
    const step = (description: string, words: string[]) => ({ kind: 'command' as const, description, command: quoteArgs(words), failOutputLines: 3 });
    if (args.state === 'absent') {
      return { steps: current ? [step(`remove group ${name}`, ['groupdel', name])] : [], result };
    }
    if (!current) {
      const words = ['groupadd', ...(args.gid !== undefined ? ['-g', String(args.gid)] : []), ...(args.non_unique ? ['-o'] : []), ...(args.system ? ['-r'] : []), name];
      return { steps: [step(`add group ${name}`, words)], result: { ...result, ...(args.gid !== undefined && { gid: args.gid }) } };
    }
    if (args.gid !== undefined && args.gid !== current.gid) {
      const words = ['groupmod', '-g', String(args.gid), ...(args.non_unique ? ['-o'] : []), name];
      return { steps: [step(`change the gid of ${name} to ${args.gid}`, words)], result: { ...result, gid: args.gid } };
    }
    return { steps: [], result: { ...result, gid: current.gid } };
  },
});
