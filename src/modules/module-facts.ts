/**
 * Facts a module returns (getent, package_facts, service_facts): Ansible puts
 * them under `ansible_facts` and, by their own names, among the host's
 * variables, so both `ansible_facts.packages` and `packages` read them.
 */
import type { Plan } from './types.js';

/** The plan of a module that only reads the host and returns these facts. */
export function factsPlan(facts: Record<string, unknown>, extra: Partial<Plan> = {}): Plan {
  // The runner merges ansible_facts into the facts of the host they are for.
  return { steps: [], ...extra, result: { ...extra.result, ansible_facts: facts }, setFacts: { ...facts, ansible_facts: facts } };
}
