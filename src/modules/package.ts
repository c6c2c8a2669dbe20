/**
 * `package`: installs or removes packages with the host's own package
 * manager, as Ansible's package module: `use: auto` reads ansible_pkg_mgr
 * (apt, dnf, yum) and the plan is that module's own, with the same name and
 * state. Other arguments belong to the manager's module: use it directly.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { apt, packageListArg } from './apt.js';
import { dnf, yum } from './dnf.js';

const MANAGERS = { apt, dnf, yum } as const;

const packageArgs = z
  .object({
    name: packageListArg,
    state: z.enum(['present', 'absent', 'latest', 'installed', 'removed']),
    use: z.enum(['auto', 'apt', 'dnf', 'yum']).default('auto'),
  })
  .strict();

export const packageModule = defineModule({
  name: 'package',
  schema: packageArgs,
  async plan(ctx, args): Promise<Plan> {
    const manager = args.use !== 'auto' ? args.use : (await ctx.facts()).pkgMgr;
    if (manager !== 'apt' && manager !== 'dnf' && manager !== 'yum') {
      return { steps: [], failed: `Could not find a module for ${manager ?? 'unknown'}: package works with apt, dnf and yum (ansible_pkg_mgr is ${manager ?? 'unknown'})` };
    }
    const state = args.state === 'installed' ? 'present' : args.state === 'removed' ? 'absent' : args.state;
    if (manager === 'apt') return apt.plan(ctx, apt.schema.parse({ name: args.name, state }));
    const tool = MANAGERS[manager];
    return tool.plan(ctx, tool.schema.parse({ name: args.name, state }));
  },
});
