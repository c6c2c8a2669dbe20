/**
 * `service`: a service's running state and start at boot, through the host's
 * service manager, as Ansible's service module:
 * - on systemd (ansible_service_mgr), or where `systemctl` answers (the lab's
 *   stand-in systemctl, which starts what the unit file says), the plan is the
 *   `systemd` module's own (src/modules/systemd.ts): one logic for both;
 * - otherwise the SysV scripts: `service NAME status` (exit 0: running) and
 *   start/stop/restart/reload through `service`; start at boot read from
 *   /etc/rc?.d links and set with update-rc.d (Debian) or chkconfig.
 * `use` picks one explicitly (systemd, sysvinit, service; auto by default).
 * `pattern` is honoured on SysV: a process matching it (pgrep -f) means running.
 * state reloaded on SysV reloads a running service and starts a stopped one.
 * Kept different on purpose: Ansible uses systemctl only when systemd is
 * PID 1; swarmplay also where a systemctl answers without it (the lab's
 * stand-in, which drives only docker and containerd: give `use: sysvinit`
 * for other services there).
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type Step } from './types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { booleanArg, numberArg } from './argument-types.js';
import { systemd } from './systemd.js';

const serviceArgs = z
  .object({
    name: z.string().min(1).regex(/^[^-/\s][^/\s]*$/, "a service name, without '/', spaces or a leading '-'"),
    state: z.enum(['started', 'stopped', 'restarted', 'reloaded']).optional(),
    enabled: booleanArg.optional(),
    sleep: numberArg.pipe(z.number().int()).optional(),
    pattern: z.string().min(1).optional(),
    runlevel: z.string().default('default'),
    arguments: z.string().default(''),
    args: z.string().optional(),
    use: z.string().default('auto'),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.state === undefined && args.enabled === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'one of the following is required: state, enabled' });
    }
  });

export type ServiceArgs = z.infer<typeof serviceArgs>;

/** Says whether systemctl can manage units here: systemd is PID 1, or a systemctl answers without complaining it is not. */
async function useSystemd(ctx: ModuleContext, args: ServiceArgs): Promise<boolean> {
  if (args.use === 'systemd') return true;
  if (args.use !== 'auto') return false;
  if ((await ctx.facts()).serviceMgr === 'systemd') return true;
  const answer = await ctx.probe(`command -v systemctl >/dev/null 2>&1 && systemctl is-active ${quote(args.name)} 2>&1`);
  if (answer.stdout.trim() === '' && answer.exitCode !== 0) return false;
  return !/not been booted with systemd|Failed to connect to bus|System has not been booted/i.test(answer.stdout);
}

function sysv(description: string, command: string): Step {
  return { kind: 'command', description, command };
}

async function planSysv(ctx: ModuleContext, args: ServiceArgs): Promise<Plan> {
  const { name } = args;
  const extra = (args.args ?? args.arguments).trim();
  const action = (verb: string) => `service ${quote(name)} ${verb}${extra ? ` ${extra.split(/\s+/).map(quote).join(' ')}` : ''}`;
  const steps: Step[] = [];
  const result: Record<string, unknown> = { name };
  if (args.state !== undefined) {
    const status = args.pattern !== undefined
      ? await ctx.probe(quoteArgs(['pgrep', '-f', args.pattern]))
      : await ctx.probe(`${action('status')} >/dev/null 2>&1`);
    const running = status.exitCode === 0;
    if (args.state === 'started' && !running) steps.push(sysv(`start ${name}`, action('start')));
    if (args.state === 'stopped' && running) steps.push(sysv(`stop ${name}`, action('stop')));
    if (args.state === 'restarted') steps.push(sysv(`restart ${name}`, action('restart')));
    if (args.state === 'reloaded') steps.push(running ? sysv(`reload ${name}`, action('reload')) : sysv(`start ${name}`, action('start')));
    result.state = args.state;
    result.status = { running };
  }
  if (args.enabled !== undefined) {
    const links = await ctx.probe(`ls /etc/rc[2345].d/ 2>/dev/null | grep -E ${quote(`^S[0-9]+${name.replace(/[.+]/g, '\\$&')}$`)}; command -v update-rc.d chkconfig 2>/dev/null; exit 0`);
    const lines = links.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
    const enabled = lines.some((line) => line.startsWith('S'));
    const tool = lines.some((line) => line.endsWith('/update-rc.d')) ? 'update-rc.d' : 'chkconfig';
    if (args.enabled !== enabled) {
      const command = tool === 'update-rc.d'
        ? `update-rc.d ${quote(name)} defaults >/dev/null && update-rc.d ${quote(name)} ${args.enabled ? 'enable' : 'disable'}`
        : quoteArgs(['chkconfig', name, args.enabled ? 'on' : 'off']);
      steps.push(sysv(`${args.enabled ? 'enable' : 'disable'} ${name} at boot`, command));
    }
    result.enabled = args.enabled;
  }
  return { steps, result };
}

export const service = defineModule({
  name: 'service',
  schema: serviceArgs,
  async plan(ctx, args): Promise<Plan> {
    if (await useSystemd(ctx, args)) {
      return systemd.plan(ctx, { name: args.name, state: args.state, enabled: args.enabled, daemon_reload: false, scope: 'system', no_block: false });
    }
    return planSysv(ctx, args);
  },
});
