/**
 * `package`: installs or removes packages with the host's own package
 * manager, as Ansible's package module: `use: auto` reads ansible_pkg_mgr
 * (apt, dnf, yum) and the plan is that module's own, with the same name and
 * state. Other arguments go to that module as they are, as Ansible's
 * package passes them on (allow_downgrade to apt, enablerepo to dnf): at load
 * time each must be an argument of apt, dnf or yum; the module they reach
 * checks them when the host's manager is known.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { apt, packageListArg } from './apt.js';
import { dnf, yum } from './dnf.js';

const MANAGERS = { apt, dnf, yum } as const;

/** The argument names of a module's schema (its zod object, under refinements and transforms). */
function argumentNames(schema: z.ZodTypeAny): string[] {
  let current: z.ZodTypeAny | undefined = schema;
  while (current && !(current instanceof z.ZodObject)) {
    const def = current._def as { schema?: z.ZodTypeAny; innerType?: z.ZodTypeAny; in?: z.ZodTypeAny };
    current = def.schema ?? def.innerType ?? def.in;
  }
  return current ? Object.keys(current.shape) : [];
}

const FORWARDABLE = new Set([...argumentNames(apt.schema), ...argumentNames(dnf.schema)]);

const packageArgs = z
  .object({
    // The managers' arguments first, so that package's own below win: any of them may be given, the manager checks it.
    ...Object.fromEntries([...FORWARDABLE].map((key) => [key, z.unknown()])),
    name: packageListArg,
    state: z.enum(['present', 'absent', 'latest', 'installed', 'removed']),
    use: z.string().min(1).default('auto'),
  })
  .strict();

export const packageModule = defineModule({
  name: 'package',
  schema: packageArgs,
  async plan(ctx, args): Promise<Plan> {
    const { name, state: wanted, use, ...given } = args as Record<string, unknown> & typeof args;
    const forwarded = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
    const manager = use !== 'auto' ? use.replace(/^ansible\.(?:builtin|legacy)\./, '') : (await ctx.facts()).pkgMgr;
    if (manager !== 'apt' && manager !== 'dnf' && manager !== 'yum') {
      return { steps: [], failed: `Could not find a module for ${manager ?? 'unknown'}: package works with apt, dnf and yum (ansible_pkg_mgr is ${manager ?? 'unknown'})` };
    }
    const state = wanted === 'installed' ? 'present' : wanted === 'removed' ? 'absent' : wanted;
    const tool = MANAGERS[manager];
    const parsed = tool.schema.safeParse({ name, state, ...forwarded });
    if (!parsed.success) {
      return { steps: [], failed: `Unsupported parameters for ${manager}: ${parsed.error.issues.map((issue) => issue.message).join('; ')} (package passes its other arguments to ${manager})` };
    }
    return (tool.plan as (ctx: Parameters<typeof tool.plan>[0], args: unknown) => Promise<Plan>)(ctx, parsed.data);
  },
});
