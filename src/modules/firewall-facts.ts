/**
 * `firewall_facts`: sets the host variable `active_firewall` (ufw,
 * firewalld, iptables or none, see src/facts/active-firewall.ts), so that a
 * play opens the swarm's ports with whichever firewall the host runs:
 * `when: active_firewall == 'ufw'` on a ufw task, and so on
 * (playbooks/tasks/swarm-firewall.yaml). swarmplay's own module: Ansible
 * users read `ansible_facts.services` (service_facts) for the same choice.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { activeFirewall } from '../facts/active-firewall.js';

export const firewallFacts = defineModule({
  name: 'firewall_facts',
  schema: z.object({}).strict(),
  async plan(ctx): Promise<Plan> {
    const active = await ctx.fact(activeFirewall, {});
    return { steps: [], setFacts: { active_firewall: active }, result: { ansible_facts: { active_firewall: active } } };
  },
});
