/**
 * `firewall_facts`: says which firewall the host runs (ufw, firewalld,
 * iptables or none, see src/facts/active-firewall.ts) in its result's
 * `active_firewall` (and sets the host variable of that name), so that a
 * play opens the swarm's ports with the right module: `register: firewall`,
 * then `when: firewall.active_firewall == 'ufw'` on the ufw task, and so on
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
    return { steps: [], setFacts: { active_firewall: active }, result: { active_firewall: active, ansible_facts: { active_firewall: active } } };
  },
});
