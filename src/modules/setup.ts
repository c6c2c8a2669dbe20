/**
 * `setup`: the host's facts as Ansible's setup module returns them, under
 * `ansible_facts` with their `ansible_` names, and set on the host (a play
 * with `gather_facts: false` gets them this way). `gather_subset` picks
 * Ansible's groups: min (distribution, platform, env, user, date_time,
 * service and package manager...), hardware (processor, memory), network
 * (interfaces, addresses), virtual (virtualization); `all` is every one,
 * `!name` leaves one out, and min is always kept unless `!min` is given with
 * `!all`. `filter` keeps only the facts whose `ansible_` name matches one of
 * its shell globs. The facts are read in the one round trip every gathering
 * takes (a subset saves nothing); facter and ohai are Ruby tools Ansible
 * calls when present: asked for, they add nothing here.
 */
import { z } from 'zod';
import { defineModule } from './types.js';
import { ansibleFactsOf } from '../facts/host-facts.js';
import { globToRegExp } from './find.js';

const SUBSETS = ['all', 'min', 'hardware', 'network', 'virtual', 'facter', 'ohai'] as const;
type Subset = 'min' | 'hardware' | 'network' | 'virtual';

const listOf = z.union([z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)), z.array(z.string())]);

const setupArgs = z.object({
  gather_subset: listOf.default(['all']).superRefine((items, refinement) => {
    for (const item of items) {
      if (!(SUBSETS as readonly string[]).includes(item.replace(/^!/, ''))) {
        refinement.addIssue({ code: z.ZodIssueCode.custom, message: `unknown subset '${item}': use ${SUBSETS.join(', ')}, each may start with !` });
      }
    }
  }),
  filter: listOf.default([]),
  gather_timeout: z.number().int().positive().optional(),
  fact_path: z.string().optional(),
}).strict();

/** The subsets a gather_subset list asks for, as Ansible's get_collector_names decides. */
export function chosenSubsets(asked: readonly string[]): Set<Subset> {
  const all: Subset[] = ['hardware', 'network', 'virtual'];
  const chosen = new Set<Subset>(['min']);
  const excluded = new Set<string>();
  for (const item of asked) {
    if (item.startsWith('!')) excluded.add(item.slice(1));
    else if (item === 'all') all.forEach((s) => chosen.add(s));
    else if (item !== 'facter' && item !== 'ohai') chosen.add(item as Subset);
  }
  if (excluded.has('all')) {
    for (const s of all) if (!asked.includes(s)) chosen.delete(s);
    if (excluded.has('min')) chosen.delete('min');
  }
  for (const s of excluded) if (s !== 'all' && s !== 'min') chosen.delete(s as Subset);
  return chosen;
}

/** The subset a fact belongs to (by its name without ansible_). */
function subsetOf(name: string, interfaces: ReadonlySet<string>): Subset {
  if (/^(interfaces|default_ipv[46]|all_ipv[46]_addresses|locally_reachable_ips)$/.test(name) || interfaces.has(name)) return 'network';
  if (/^(processor|memtotal_mb|memfree_mb|swaptotal_mb|swapfree_mb|memory_mb|mounts|devices)/.test(name)) return 'hardware';
  if (name.startsWith('virtualization_')) return 'virtual';
  return 'min';
}

export const setup = defineModule({
  name: 'setup',
  schema: setupArgs,
  async plan(ctx, args) {
    const facts = ansibleFactsOf(await ctx.facts());
    const interfaces = new Set((facts.interfaces as string[] | undefined ?? []).map((i) => i.replace(/[-:.]/g, '_')));
    const subsets = chosenSubsets(args.gather_subset);
    const filters = args.filter.map(globToRegExp);
    const picked: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(facts)) {
      if (!subsets.has(subsetOf(name, interfaces))) continue;
      if (filters.length && !filters.some((re) => re.test(`ansible_${name}`))) continue;
      picked[name] = value;
    }
    const prefixed = Object.fromEntries(Object.entries(picked).map(([k, v]) => [`ansible_${k}`, v]));
    // The runner merges ansible_facts into the facts of the host they are for (the delegated one under delegate_facts).
    const setFacts: Record<string, unknown> = { ...prefixed, ansible_facts: picked };
    return {
      steps: [],
      result: { ansible_facts: { ...prefixed, gather_subset: args.gather_subset, module_setup: true } },
      setFacts,
    };
  },
});
