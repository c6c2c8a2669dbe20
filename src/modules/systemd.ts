/**
 * `systemd`: a unit's running state and boot-time enablement, as Ansible's
 * systemd module (also found as `systemd_service`). Reads `systemctl
 * is-active` / `is-enabled`, then plans only what differs:
 * - state started/stopped: start or stop when it is not so already;
 * - state restarted: always a restart (always changed, as in Ansible);
 * - state reloaded: start when inactive, otherwise a restart. systemd's
 *   `reload` is not used because the lab's stand-in systemctl (no systemd
 *   runs there) knows only daemon-reload, start, stop, restart, status,
 *   is-active, enable and is-enabled;
 * - enabled true/false: enable/disable when needed (disable is not in the
 *   lab's stand-in);
 * - daemon_reload: `systemctl daemon-reload` first; it is a change, so it
 *   reports changed every time (Ansible hides it): put it in a handler
 *   notified by the task that changes the unit file.
 * `scope: user` adds `--user` (the units of the user the task runs as),
 * `global` adds `--global` (enable/disable for every user); `no_block` adds
 * `--no-block` to start/stop/restart. The unit name is quoted; a name starting with '-' is refused, since `--`
 * may not be understood by the lab's stand-in systemctl.
 */
import { z } from 'zod';
import { defineModule, type Step, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';

/** A unit name; never one starting with '-', which systemctl would read as an option. */
const unitName = z.string().min(1).regex(/^[^-]/, "a unit name cannot start with '-'");

const systemdArgs = z
  .object({
    name: unitName.optional(),
    service: unitName.optional(),
    unit: unitName.optional(),
    state: z.enum(['started', 'stopped', 'restarted', 'reloaded']).optional(),
    enabled: booleanArg.optional(),
    daemon_reload: booleanArg.default(false),
    // A user's own units (rootless docker): systemctl --user, run as the task's user (become_user).
    scope: z.enum(['system', 'user', 'global']).default('system'),
    no_block: booleanArg.default(false),
  })
  .strict()
  .superRefine((args, refinement) => {
    const names = [args.name, args.service, args.unit].filter((value) => value !== undefined).length;
    if (names > 1) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['name'], message: 'give name only once (service and unit are its aliases)' });
    if (names === 0 && (args.state !== undefined || args.enabled !== undefined)) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['name'], message: 'state and enabled need name' });
    }
    if (args.state === undefined && args.enabled === undefined && !args.daemon_reload) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'nothing to do: give name with state or enabled, or daemon_reload' });
    }
  })
  .transform(({ service, unit, ...args }) => ({ ...args, name: args.name ?? service ?? unit }));

export type SystemdArgs = z.infer<typeof systemdArgs>;

/** systemctl and the scope's option. */
function systemctlWords(scope: 'system' | 'user' | 'global'): string[] {
  return scope === 'system' ? ['systemctl'] : ['systemctl', `--${scope}`];
}

/** is-enabled answers that count as enabled for boot (Ansible's list). */
const ENABLED_STATES = new Set(['enabled', 'enabled-runtime', 'static', 'indirect', 'alias', 'generated']);

export const systemd = defineModule({
  name: 'systemd',
  schema: systemdArgs,
  async plan(ctx, args): Promise<Plan> {
    const steps: Step[] = [];
    const base = systemctlWords(args.scope);
    const noBlock = args.no_block ? ['--no-block'] : [];
    const systemctl = (description: string, verb: string, ...words: string[]): Step => ({
      kind: 'command', description, command: quoteArgs([...base, ...(['start', 'stop', 'restart'].includes(verb) ? noBlock : []), verb, ...words]),
    });
    if (args.daemon_reload) steps.push(systemctl('systemctl daemon-reload', 'daemon-reload'));
    const { name } = args;
    if (name === undefined) return { steps, result: {} };

    const result: Record<string, unknown> = { name };
    if (args.state !== undefined) {
      const active = (await ctx.probe(quoteArgs([...base, 'is-active', name]))).stdout.trim();
      result.status = { ActiveState: active };
      const running = active === 'active' || active === 'activating' || active === 'reloading';
      if (args.state === 'started' && !running) steps.push(systemctl(`start ${name}`, 'start', name));
      if (args.state === 'stopped' && running) steps.push(systemctl(`stop ${name}`, 'stop', name));
      if (args.state === 'restarted') steps.push(systemctl(`restart ${name}`, 'restart', name));
      if (args.state === 'reloaded') {
        steps.push(running ? systemctl(`restart ${name} (reload)`, 'restart', name) : systemctl(`start ${name}`, 'start', name));
      }
      result.state = args.state;
    }
    if (args.enabled !== undefined) {
      const probe = await ctx.probe(quoteArgs([...base, 'is-enabled', name]));
      const enabledState = probe.stdout.trim();
      if (args.enabled && !ENABLED_STATES.has(enabledState)) steps.push(systemctl(`enable ${name}`, 'enable', name));
      if (!args.enabled && enabledState === 'enabled') steps.push(systemctl(`disable ${name}`, 'disable', name));
      result.enabled = args.enabled;
    }
    return { steps, result };
  },
});
