/**
 * `hostname`: the host's name, now and at boot, as Ansible's hostname
 * module: the running name (`hostname`) and /etc/hostname. With `use:
 * systemd` (or auto on a host whose ansible_service_mgr is systemd)
 * `hostnamectl set-hostname` sets both; otherwise (Ansible's debian and
 * generic strategies) /etc/hostname is rewritten in place and `hostname
 * NAME` sets the running name. In place, not by rename: /etc/hostname is
 * often a bind mount (containers, the lab), which a rename cannot replace.
 * Returns ansible_facts with the new hostname, as Ansible does. /etc/hosts is
 * not touched (as in Ansible). Kept different on purpose: without systemd,
 * Ansible's debian strategy only writes /etc/hostname (the running name
 * changes at the next boot); swarmplay sets the running name too, since a
 * swarm node is named after it (tested beside ansible-playbook in
 * test/e2e/system-modules.test.ts).
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { quote } from '../transport/shell-quote.js';

const hostnameArgs = z
  .object({
    // RFC 1123 labels: letters, digits, '-' inside, dots between.
    name: z.string().min(1).max(253).regex(/^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/, 'a host name: letters, digits and "-" (not first or last), labels joined by "."'),
    use: z.enum(['alpine', 'debian', 'freebsd', 'generic', 'macos', 'macosx', 'darwin', 'openbsd', 'openrc', 'redhat', 'sles', 'solaris', 'systemd']).optional(),
  })
  .strict();

export const hostname = defineModule({
  name: 'hostname',
  schema: hostnameArgs,
  async plan(ctx, args): Promise<Plan> {
    const { name } = args;
    const short = name.split('.')[0]!;
    const result = {
      name,
      ansible_facts: { ansible_hostname: short, ansible_nodename: name, ansible_fqdn: name, ansible_domain: name.split('.').slice(1).join('.') },
    };
    const systemdWay = args.use === 'systemd' || (args.use === undefined && (await ctx.facts()).serviceMgr === 'systemd');
    const running = (await ctx.probe('hostname')).stdout.trim();
    const file = await ctx.readFile('/etc/hostname');
    const saved = file?.toString('utf8').trim() ?? '';
    const steps: Step[] = [];
    if (systemdWay) {
      if (running !== name || saved !== name) {
        steps.push({ kind: 'command', description: `set the hostname to ${name}`, command: `hostnamectl set-hostname ${quote(name)}` });
      }
    } else {
      if (saved !== name) {
        steps.push({ kind: 'command', description: `write ${name} to /etc/hostname`, command: `printf '%s\\n' ${quote(name)} > /etc/hostname` });
      }
      if (running !== name) steps.push({ kind: 'command', description: `set the running hostname to ${name}`, command: `hostname ${quote(name)}` });
    }
    const diffs = saved !== name ? [{ path: '/etc/hostname', before: file?.toString('utf8') ?? '', after: `${name}\n` }] : undefined;
    return { steps, result, ...(diffs && { diffs }) };
  },
});
