/**
 * `swarmplay inventory --list` and `--graph`: the same output as
 * `ansible-inventory -i FILE --list` / `--graph` (ansible-core 2.14,
 * lib/ansible/cli/inventory.py), so scripts written for one read the other.
 */
import type { Inventory } from './inventory.js';

export interface InventoryListGroup {
  hosts?: string[];
  children?: string[];
}

/** `{_meta: {hostvars}, all: {children}, GROUP: {hosts, children}}`; empty keys and empty groups left out, as Ansible does. */
export type InventoryListJson = { _meta: { hostvars: Record<string, Record<string, unknown>> } } & Record<string, InventoryListGroup>;

export function inventoryListJson(inv: Inventory): InventoryListJson {
  const groups: Record<string, InventoryListGroup> = {};
  const seen = new Set<string>();
  const formatGroup = (name: string): void => {
    const entry: InventoryListGroup = {};
    // Ansible lists a group's direct hosts only, and no hosts at all for 'all'.
    const hosts = name === 'all' ? [] : inv.directHosts(name);
    const children = inv.childGroups(name);
    if (hosts.length > 0) entry.hosts = hosts;
    if (children.length > 0) entry.children = children;
    for (const child of children) {
      if (!seen.has(child)) {
        formatGroup(child);
        seen.add(child);
      }
    }
    if (entry.hosts || entry.children) groups[name] = entry;
  };
  formatGroup('all');
  const hostvars: Record<string, Record<string, unknown>> = {};
  for (const host of inv.hostNames()) {
    const vars = inv.hostVars(host);
    if (Object.keys(vars).length > 0) hostvars[host] = vars;
  }
  return { _meta: { hostvars }, ...groups } as InventoryListJson;
}

/** Ansible's `--list` text: keys sorted, four-space indent. */
export function inventoryListText(inv: Inventory): string {
  return JSON.stringify(sortKeys(inventoryListJson(inv)), null, 4);
}

function sortKeys(value: unknown): unknown {
  // An encrypted value shows as Ansible shows it ({"__ansible_vault": ...}).
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function' && !(value instanceof Date)) {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * The tree of groups and hosts from `group` (default all), as
 * `ansible-inventory --graph [GROUP]` draws it:
 *
 *   @all:
 *     |--@managers:
 *     |  |--docker01
 */
export function inventoryGraph(inv: Inventory, group = 'all'): string {
  const indent = (name: string, depth: number) => (depth > 0 ? '  |'.repeat(depth) + '--' + name : name);
  const lines: string[] = [];
  const walk = (name: string, depth: number): void => {
    lines.push(indent(`@${name}:`, depth));
    for (const child of inv.childGroups(name)) walk(child, depth + 1);
    if (name !== 'all') for (const host of inv.directHosts(name)) lines.push(indent(host, depth + 1));
  };
  if (inv.hasGroup(group)) walk(group, 0);
  return lines.join('\n');
}
