/**
 * `firewalld` (ansible.posix.firewalld): a service, port, source, interface
 * or rich rule enabled or disabled in a zone, as Ansible's module: each is
 * asked of firewall-cmd with --query-* (exit 0: there, 1: not), in the
 * runtime configuration, the permanent one, or both, and changed with
 * --add-... or --remove-... only where it differs. `permanent: false` (the
 * default) acts on the runtime only; `permanent: true` on the permanent
 * configuration, and on the runtime too with `immediate: true`. Needs
 * firewalld running (firewall-cmd exits 252 otherwise: said clearly).
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { booleanArg } from './argument-types.js';
import { quoteArgs } from '../transport/shell-quote.js';

const firewalldArgs = z
  .object({
    service: z.string().min(1).optional(),
    port: z.string().regex(/^\d+(-\d+)?\/(tcp|udp|sctp|dccp)$/, 'expected PORT/PROTOCOL like 2377/tcp or 6000-6010/udp').optional(),
    source: z.string().min(1).optional(),
    interface: z.string().min(1).optional(),
    rich_rule: z.string().min(1).optional(),
    masquerade: booleanArg.optional(),
    zone: z.string().min(1).optional(),
    permanent: booleanArg.default(false),
    immediate: booleanArg.default(false),
    state: z.enum(['enabled', 'disabled', 'present', 'absent']),
    offline: booleanArg.default(false),
  })
  .strict()
  .superRefine((args, refinement) => {
    const items = ['service', 'port', 'source', 'interface', 'rich_rule', 'masquerade'].filter((key) => args[key as keyof typeof args] !== undefined);
    if (items.length !== 1) {
      refinement.addIssue({
        code: z.ZodIssueCode.custom,
        message: items.length === 0
          ? 'one of service, port, source, interface, rich_rule or masquerade is required'
          : `parameters are mutually exclusive: ${items.join('|')}`,
      });
    }
    if ((args.state === 'present' || args.state === 'absent') && args.source === undefined && args.interface === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['state'], message: 'state present/absent is for zones (source, interface); use enabled/disabled' });
    }
  });

export type FirewalldArgs = z.infer<typeof firewalldArgs>;

/** firewall-cmd's option name and value for the item the task is about. */
function item(args: FirewalldArgs): { option: string; value?: string; label: string } {
  if (args.service !== undefined) return { option: 'service', value: args.service, label: `service ${args.service}` };
  if (args.port !== undefined) return { option: 'port', value: args.port, label: `port ${args.port}` };
  if (args.source !== undefined) return { option: 'source', value: args.source, label: `source ${args.source}` };
  if (args.interface !== undefined) return { option: 'interface', value: args.interface, label: `interface ${args.interface}` };
  if (args.rich_rule !== undefined) return { option: 'rich-rule', value: args.rich_rule, label: `rich rule ${args.rich_rule}` };
  return { option: 'masquerade', label: 'masquerade' };
}

export const NOT_RUNNING = 252;

export const firewalld = defineModule({
  name: 'firewalld',
  schema: firewalldArgs,
  async plan(ctx, args): Promise<Plan> {
    const { option, value, label } = item(args);
    const wanted = args.masquerade ?? (args.state === 'enabled' || args.state === 'present');
    const zone = args.zone !== undefined ? [`--zone=${args.zone}`] : [];
    const flag = (verb: string) => (value === undefined ? `--${verb}-${option}` : `--${verb}-${option}=${value}`);
    const scopes: { permanent: boolean }[] = [];
    if (args.permanent) scopes.push({ permanent: true });
    if (!args.permanent || args.immediate) scopes.push({ permanent: false });
    const steps: Step[] = [];
    const changes: string[] = [];
    for (const scope of scopes) {
      const base = ['firewall-cmd', ...(scope.permanent ? ['--permanent'] : []), ...zone];
      const query = await ctx.probe(quoteArgs([...base, flag('query')]));
      if (query.exitCode === 127) return { steps: [], failed: 'firewalld is not installed on the host (no firewall-cmd command)' };
      if (query.exitCode === NOT_RUNNING) return { steps: [], failed: 'firewalld is not running on the host (firewall-cmd exit 252): start it, or use the iptables module' };
      if (query.exitCode !== 0 && query.exitCode !== 1) {
        return { steps: [], failed: `firewall-cmd ${flag('query')} failed: ${(query.stderr || query.stdout).trim()}` };
      }
      const present = query.exitCode === 0;
      if (present === wanted) continue;
      const where = scope.permanent ? 'permanent' : 'runtime';
      changes.push(`${wanted ? 'Added' : 'Removed'} ${label} ${wanted ? 'to' : 'from'} zone ${args.zone ?? '(default)'} (${where})`);
      steps.push({ kind: 'command', description: `${wanted ? 'add' : 'remove'} ${label} (${where})`, command: quoteArgs([...base, flag(wanted ? 'add' : 'remove')]) });
    }
    const msg = changes.length ? `Changed ${changes.join(', ')}` : 'Permanent and Non-Permanent(immediate) operation';
    return { steps, result: { msg } };
  },
});
