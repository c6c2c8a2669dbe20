/**
 * `timezone`: the host's time zone, as community.general.timezone on Linux.
 * With systemd (ansible_service_mgr) `timedatectl set-timezone`; otherwise
 * Debian's way: /etc/timezone holds the name and /etc/localtime links to
 * /usr/share/zoneinfo/NAME (both compared first, so a second run changes
 * nothing). A zone without a zoneinfo file fails before any change (install
 * tzdata). `hwclock` (local/UTC) is set with timedatectl set-local-rtc.
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';

const timezoneArgs = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/, 'a zone name such as Europe/Paris or Etc/UTC').optional(),
    hwclock: z.enum(['local', 'UTC']).optional(),
    rtc: z.enum(['local', 'UTC']).optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.name === undefined && args.hwclock === undefined && args.rtc === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'one of the following is required: hwclock, name' });
    }
  })
  .transform(({ rtc, ...args }) => ({ ...args, hwclock: args.hwclock ?? rtc }));

export const timezone = defineModule({
  name: 'timezone',
  schema: timezoneArgs,
  async plan(ctx, args): Promise<Plan> {
    const systemd = (await ctx.facts()).serviceMgr === 'systemd';
    const steps: Step[] = [];
    const result: Record<string, unknown> = {};
    if (systemd) {
      const shown = await ctx.probe("timedatectl show -p Timezone -p LocalRTC --value 2>/dev/null || true");
      const [zone, localRtc] = shown.stdout.split('\n').map((line) => line.trim());
      if (args.name !== undefined && zone !== args.name) steps.push({ kind: 'command', description: `set the time zone to ${args.name}`, command: quoteArgs(['timedatectl', 'set-timezone', args.name]), failOutputLines: 3 });
      if (args.hwclock !== undefined && (localRtc === 'yes') !== (args.hwclock === 'local')) {
        steps.push({ kind: 'command', description: `keep the hardware clock in ${args.hwclock} time`, command: quoteArgs(['timedatectl', 'set-local-rtc', args.hwclock === 'local' ? '1' : '0']) });
      }
      result.diff = { before: { name: zone }, after: { name: args.name ?? zone } };
      return { steps, result };
    }
    if (args.name === undefined) return { steps: [], failed: 'hwclock can only be set with timedatectl (systemd); this host has no systemd' };
    const zoneinfo = `/usr/share/zoneinfo/${args.name}`;
    const probe = await ctx.probe(`if [ -f ${quote(zoneinfo)} ]; then echo available; fi; readlink /etc/localtime; exit 0`);
    const [available, ...link] = probe.stdout.split('\n');
    if (available !== 'available') return { steps: [], failed: `given timezone "${args.name}" is not available (no ${zoneinfo}: install tzdata)` };
    const saved = (await ctx.readFile('/etc/timezone'))?.toString('utf8');
    const linked = link.join('').trim();
    const before = saved?.trim() ?? linked.replace(/^.*zoneinfo\//, '');
    if (saved === undefined || saved.trim() !== args.name) {
      steps.push({ kind: 'command', description: `write ${args.name} to /etc/timezone`, command: `printf '%s\\n' ${quote(args.name)} > /etc/timezone` });
    }
    if (linked !== zoneinfo) {
      steps.push({ kind: 'command', description: `link /etc/localtime to ${zoneinfo}`, command: quoteArgs(['ln', '-sfn', zoneinfo, '/etc/localtime']) });
    }
    return {
      steps,
      result: { diff: { before: { name: before }, after: { name: args.name } } },
      ...(steps.length && { diffs: [{ path: '/etc/timezone', before: saved ?? '', after: `${args.name}\n` }] }),
    };
  },
});
