/**
 * Facts a module returns (getent, package_facts, service_facts): Ansible puts
 * them under `ansible_facts` and, by their own names, among the host's
 * variables, so both `ansible_facts.packages` and `packages` read them.
 */
import type { ModuleContext, Plan } from './types.js';

/** The plan of a module that only reads the host and returns these facts. */
export function factsPlan(ctx: ModuleContext, facts: Record<string, unknown>, extra: Partial<Plan> = {}): Plan {
  const current = ctx.vars.ansible_facts;
  const merged = { ...(current && typeof current === 'object' ? current as Record<string, unknown> : {}), ...facts };
  return { steps: [], ...extra, result: { ...extra.result, ansible_facts: facts }, setFacts: { ...facts, ansible_facts: merged } };
}
