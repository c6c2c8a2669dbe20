/**
 * `dpkg_selections`: what dpkg is to do with a package (install, hold,
 * deinstall, purge), as Ansible's dpkg_selections: read with `dpkg
 * --get-selections NAME` ("not present" when dpkg has no record of it), set
 * with `dpkg --set-selections`. `hold` keeps apt from upgrading the package.
 * Result: before and after.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';

const dpkgSelectionsArgs = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/, 'a package name such as docker-ce (optionally name:arch)'),
    selection: z.enum(['install', 'hold', 'deinstall', 'purge']),
  })
  .strict();

/** The selection dpkg has for a package: the second field of its line, or "not present". */
export function currentSelection(output: string): string {
  const line = output.split('\n').find((text) => text.trim() !== '');
  return line?.trim().split(/\s+/)[1] ?? 'not present';
}

export const dpkgSelections = defineModule({
  name: 'dpkg_selections',
  schema: dpkgSelectionsArgs,
  async plan(ctx, args): Promise<Plan> {
    const read = await ctx.probe(quoteArgs(['dpkg', '--get-selections', args.name]));
    if (read.exitCode !== 0) return { steps: [], failed: `dpkg --get-selections ${args.name} failed (exit ${read.exitCode}): ${(read.stderr || read.stdout).trim()}` };
    const before = currentSelection(read.stdout);
    const result = { before, after: args.selection };
    if (before === args.selection) return { steps: [], result };
    return {
      diffs: [{ path: `dpkg selection of ${args.name}`, before: `${before}\n`, after: `${args.selection}\n` }],
      steps: [{
        kind: 'command',
        description: `select ${args.selection} for ${args.name} (was ${before})`,
        command: 'dpkg --set-selections',
        display: `dpkg --set-selections <<< '${args.name} ${args.selection}'`,
        stdin: `${args.name} ${args.selection}\n`,
      }],
      result,
    };
  },
});
