/**
 * `getent`: one of the host's name-service databases (passwd, group, hosts,
 * services...) read with `getent`, as Ansible's getent: the records become the
 * fact `getent_<database>`, each keyed by its first field, the other fields
 * as a list (split at `:` for passwd, group, shadow and gshadow, else at
 * `split`, else at white space). A key that is not there fails the task,
 * unless `fail_key: false` (the key is then null). Never changes anything.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { booleanArg } from './argument-types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { factsPlan } from './module-facts.js';

const COLON_DATABASES = ['passwd', 'shadow', 'group', 'gshadow'];

const getentArgs = z
  .object({
    database: z.string().regex(/^[a-z0-9_]+$/, 'a database name such as passwd, group or hosts'),
    key: z.union([z.string(), z.number()]).transform(String).optional(),
    split: z.string().min(1).optional(),
    fail_key: booleanArg.default(true),
    service: z.string().min(1).optional(),
  })
  .strict();

/** Records by their first field, as Ansible's getent builds them (a repeated key becomes a list of records). */
export function parseGetent(output: string, split: string | undefined): Record<string, unknown> {
  const records: Record<string, unknown> = {};
  const seen = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (line === '') continue;
    const fields = split === undefined ? line.trim().split(/\s+/) : line.split(split);
    const [first, ...rest] = fields;
    const count = seen.get(first!) ?? 0;
    if (count === 0) records[first!] = rest;
    else if (count === 1) records[first!] = [records[first!], rest];
    else (records[first!] as unknown[]).push(rest);
    seen.set(first!, count + 1);
  }
  return records;
}

export const getent = defineModule({
  name: 'getent',
  schema: getentArgs,
  definesVariables: (args) => (typeof args.database === 'string' ? [`getent_${args.database}`] : []),
  async plan(ctx, args): Promise<Plan> {
    const words = ['getent', args.database, ...(args.key === undefined ? [] : [args.key]), ...(args.service === undefined ? [] : ['-s', args.service])];
    const run = await ctx.probe(quoteArgs(words));
    const fact = `getent_${args.database}`;
    if (run.exitCode === 0) {
      const split = args.split ?? (COLON_DATABASES.includes(args.database) ? ':' : undefined);
      return factsPlan({ [fact]: parseGetent(run.stdout, split) });
    }
    if (run.exitCode === 2 && !args.fail_key) {
      const msg = 'One or more supplied key could not be found in the database.';
      return factsPlan({ [fact]: { [args.key ?? '']: null } }, { msg, result: { msg } });
    }
    const reasons: Record<number, string> = {
      1: 'Missing arguments, or database unknown.',
      2: 'One or more supplied key could not be found in the database.',
      3: 'Enumeration not supported on this database.',
    };
    const said = reasons[run.exitCode] ?? `getent failed (exit ${run.exitCode}): ${(run.stderr || run.stdout).trim() || 'no output'}`;
    return { steps: [], failed: run.exitCode === 127 ? `getent is not installed on ${ctx.host} (it comes with libc-bin / glibc-common)` : said };
  },
});
