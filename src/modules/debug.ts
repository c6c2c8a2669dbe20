/**
 * `debug`: prints a message (`msg`, already templated) or a variable's value
 * (`var`, an expression evaluated like `when:`), as Ansible's debug. An
 * undefined `var` prints "VARIABLE IS NOT DEFINED!" as Ansible does, instead
 * of failing. `verbosity` is accepted; the message is shown at every level.
 */
import { z } from 'zod';
import { defineModule } from './types.js';
import { SwarmplayError } from '../errors.js';
import { evaluateExpression, toDisplayJson } from '../language/expressions.js';
import { numberArg } from './argument-types.js';

const debugArgs = z
  .object({
    msg: z.unknown().optional(),
    var: z.string().min(1).optional(),
    verbosity: numberArg.default(0),
  })
  .strict()
  .refine((args) => args.msg === undefined || args.var === undefined, { message: 'give msg or var, not both' });

export const NOT_DEFINED = 'VARIABLE IS NOT DEFINED!';

function display(value: unknown): string {
  return typeof value === 'string' ? value : toDisplayJson(value);
}

export const debug = defineModule({
  name: 'debug',
  schema: debugArgs,
  controllerOnly: true,
  async plan(ctx, args) {
    if (args.var === undefined) {
      const msg = args.msg === undefined ? 'Hello world!' : args.msg;
      return { steps: [], msg: display(msg), result: { msg } };
    }
    let value: unknown;
    try {
      value = evaluateExpression(args.var, ctx.vars as Record<string, unknown>);
    } catch (error) {
      if (!(error instanceof SwarmplayError && error.code === 'UNDEFINED_VARIABLE')) throw error;
      value = NOT_DEFINED;
    }
    return { steps: [], msg: `${args.var}: ${display(value)}`, result: { [args.var]: value } };
  },
});
