/**
 * `assert`: checks that every condition in `that` holds, in the same
 * expression language as `when:`, as Ansible's assert. The first false one
 * fails the task with `fail_msg` (alias `msg`) and names the condition. An
 * undefined variable in a condition is an error, not a false.
 */
import { z } from 'zod';
import { defineModule } from './types.js';
import { evaluateCondition } from '../language/expressions.js';
import { booleanArg, stringListArg } from './argument-types.js';

const assertArgs = z
  .object({
    that: stringListArg,
    fail_msg: z.string().optional(),
    msg: z.string().optional(),
    success_msg: z.string().optional(),
    quiet: booleanArg.default(false),
  })
  .strict()
  .refine((args) => args.fail_msg === undefined || args.msg === undefined, { message: 'give fail_msg or msg (its alias), not both' });

export const assertModule = defineModule({
  name: 'assert',
  schema: assertArgs,
  controllerOnly: true,
  async plan(ctx, args) {
    for (const condition of args.that) {
      if (!evaluateCondition(condition, ctx.vars as Record<string, unknown>)) {
        const msg = args.fail_msg ?? args.msg ?? `Assertion failed: ${String(condition)}`;
        return { steps: [], failed: msg, result: { assertion: condition, evaluated_to: false, msg } };
      }
    }
    const msg = args.success_msg ?? 'All assertions passed';
    return { steps: [], result: { msg }, ...(!args.quiet && { msg }) };
  },
});
