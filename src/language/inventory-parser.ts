/**
 * The YAML inventory read into groups and hosts, as ansible-core's yaml
 * inventory plugin and InventoryData.reconcile_inventory do (2.14): groups
 * with hosts, children and vars, host ranges expanded, every group under
 * `all`, hosts of no group in `ungrouped`. Where Ansible warns and guesses,
 * this is BAD_INVENTORY at the file:line:column (see inventory.ts).
 */
import { isAlias, isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { SwarmplayError, snippetAt, type SourceLocation } from '../errors.js';
import { expandHostRange } from './host-ranges.js';
import { parseAddress } from './host-patterns.js';
import { didYouMean } from './suggest.js';
import type { ParsedYaml, VarsRecord } from './vars-dirs.js';

export interface GroupRecord {
  name: string;
  /** Hosts listed directly in this group, in order of first listing. */
  hosts: string[];
  children: string[];
  parents: string[];
  vars: VarsRecord;
  priority: number;
  depth: number;
  location?: SourceLocation;
}

export interface HostRecord {
  name: string;
  vars: VarsRecord;
  /** Where the host is first listed. */
  location: SourceLocation;
  /** Every group the host is in, ancestors included, `all` included. */
  groups: Set<string>;
  /** Where ansible_host was set in the inventory file, to catch contradictions. */
  addressSetAt?: { value: unknown; location: SourceLocation };
}

const GROUP_SECTIONS = ['hosts', 'children', 'vars'] as const;

export const INI_HINT = 'this looks like an INI inventory; swarmplay reads the YAML format (ansible-inventory -i FILE --list -y converts it)';

export function looksLikeIni(source: string): boolean {
  return /^\s*\[[^\]]+\]\s*$/m.test(source);
}

export class InventoryParser {
  readonly groups = new Map<string, GroupRecord>();
  readonly hosts = new Map<string, HostRecord>();
  readonly warnings: string[] = [];

  constructor(private readonly yaml: ParsedYaml) {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.link(this.groups.get('all')!, this.groups.get('ungrouped')!);
  }

  at(node: Node | null | undefined): SourceLocation {
    const offset = node?.range?.[0] ?? 0;
    const pos = this.yaml.lines.linePos(offset);
    return { file: this.yaml.file, line: pos.line, column: pos.col };
  }

  fail(message: string, node: Node | null | undefined, hint?: string): never {
    const location = this.at(node);
    throw new SwarmplayError('BAD_INVENTORY', message, {
      location,
      snippet: snippetAt(this.yaml.source, location.line, location.column),
      hint,
    });
  }

  deref(node: unknown): Node | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return (node.resolve(this.yaml.doc) as Node | undefined) ?? null;
    return node as Node;
  }

  isNull(node: Node | null): boolean {
    return node === null || (isScalar(node) && node.value === null);
  }

  keyText(pair: Pair): string {
    const key = this.deref(pair.key);
    if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
      this.fail('a name here must be plain text', key);
    }
    return String(key.value);
  }

  toValue(node: Node | null): unknown {
    if (node === null) return null;
    return node.toJS(this.yaml.doc, { maxAliasCount: 1000 });
  }

  addGroup(name: string, node?: Node | null): GroupRecord {
    let group = this.groups.get(name);
    if (!group) {
      group = { name, hosts: [], children: [], parents: [], vars: {}, priority: 1, depth: 0, location: node ? this.at(node) : undefined };
      this.groups.set(name, group);
    }
    return group;
  }

  link(parent: GroupRecord, child: GroupRecord, node?: Node | null): void {
    if (parent.children.includes(child.name)) return;
    if (child.name === 'all') {
      this.fail(`the group 'all' cannot be a child of '${parent.name}'`, node, 'every group is already inside all');
    }
    if (child === parent || this.isAncestor(child.name, parent)) {
      this.fail(
        `adding group '${child.name}' as a child of '${parent.name}' creates a loop (circular children)`,
        node,
        `'${child.name}' already contains '${parent.name}'; a group cannot be inside itself`,
      );
    }
    parent.children.push(child.name);
    if (!child.parents.includes(parent.name)) child.parents.push(parent.name);
  }

  isAncestor(candidate: string, group: GroupRecord): boolean {
    const stack = [...group.parents];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const name = stack.pop()!;
      if (name === candidate) return true;
      if (seen.has(name)) continue;
      seen.add(name);
      stack.push(...this.groups.get(name)!.parents);
    }
    return false;
  }

  /** A section (hosts/children/vars) as pairs; a bare string `hosts: web1` means {web1: null}, as in Ansible. */
  sectionPairs(section: string, groupName: string, node: Node | null): Array<{ keyNode: Node; key: string; value: Node | null }> {
    if (this.isNull(node)) return [];
    if (isScalar(node) && typeof node.value === 'string') return [{ keyNode: node, key: node.value, value: null }];
    if (!isMap(node)) {
      const example =
        section === 'vars'
          ? `vars:\n  name: value`
          : section === 'hosts'
            ? `hosts:\n  docker01:\n  docker02:\n    ansible_host: 192.168.20.7`
            : `children:\n  managers:\n    hosts:\n      docker01:`;
      this.fail(
        `"${section}" of group '${groupName}' must be a mapping, not ${isSeq(node) ? 'a list' : 'a ' + typeof (node as { value?: unknown }).value}`,
        node,
        `write it as a mapping, e.g.\n${example}`,
      );
    }
    return (node as YAMLMap).items.map((pair) => ({
      keyNode: this.deref(pair.key)!,
      key: this.keyText(pair as Pair),
      value: this.deref(pair.value),
    }));
  }

  parseTop(): void {
    const root = this.deref(this.yaml.doc.contents);
    if (this.isNull(root)) {
      this.fail(`the inventory ${this.yaml.file} is empty`, root, 'start it with "all:" and list hosts under "hosts:"');
    }
    if (!isMap(root)) {
      this.fail(
        `the inventory must be a YAML mapping of groups (all:, managers:, ...)`,
        root,
        looksLikeIni(this.yaml.source) ? INI_HINT : 'start it with "all:" and list hosts under "hosts:"',
      );
    }
    for (const pair of (root as YAMLMap).items) {
      const name = this.keyText(pair as Pair);
      const keyNode = this.deref(pair.key);
      if (name === 'plugin') {
        this.fail('inventory plugins (a "plugin:" key) are not supported; write the hosts in the YAML inventory format', keyNode);
      }
      this.parseGroup(name, keyNode, this.deref(pair.value));
    }
  }

  parseGroup(name: string, keyNode: Node | null, node: Node | null): GroupRecord {
    if (!this.isNull(node) && !isMap(node)) {
      this.fail(
        `group '${name}' must be a mapping with hosts, children or vars`,
        node,
        isSeq(node) ? `list the hosts as a mapping:\n${name}:\n  hosts:\n    docker01:\n    docker02:` : undefined,
      );
    }
    const group = this.addGroup(name, keyNode);
    if (this.isNull(node)) return group;
    for (const pair of (node as YAMLMap).items) {
      const key = this.keyText(pair as Pair);
      const keyAt = this.deref(pair.key);
      const value = this.deref(pair.value);
      if (key === 'vars') {
        for (const v of this.sectionPairs('vars', name, value)) {
          if (v.key === 'ansible_group_priority') {
            const priority = Number(this.toValue(v.value));
            if (!Number.isInteger(priority)) this.fail('ansible_group_priority must be an integer', v.value ?? v.keyNode);
            group.priority = priority;
          } else {
            group.vars[v.key] = this.toValue(v.value);
          }
        }
      } else if (key === 'children') {
        for (const c of this.sectionPairs('children', name, value)) {
          const child = this.parseGroup(c.key, c.keyNode, c.value);
          this.link(group, child, c.keyNode);
        }
      } else if (key === 'hosts') {
        for (const h of this.sectionPairs('hosts', name, value)) this.parseHostEntry(group, h.key, h.keyNode, h.value);
      } else {
        this.fail(
          `unknown key '${key}' in group '${name}': a group holds only hosts, children and vars`,
          keyAt,
          didYouMean(key, GROUP_SECTIONS, {
            lowerCase: true,
            maxDistance: 2,
            otherwise: `to define a child group '${key}', put it under '${name}: children:'`,
          }),
        );
      }
    }
    return group;
  }

  parseHostEntry(group: GroupRecord, pattern: string, keyNode: Node, varsNode: Node | null): void {
    const address = parseAddress(pattern);
    const hostPattern = address ? address.host : pattern;
    let names: string[];
    try {
      names = expandHostRange(hostPattern);
    } catch (err) {
      this.fail(`bad host range '${pattern}': ${(err as Error).message}`, keyNode, 'a range looks like web[01:03] or db[a:c]');
    }
    if (!this.isNull(varsNode) && !isMap(varsNode)) {
      this.fail(
        `the variables of host '${pattern}' must be a mapping`,
        varsNode,
        `write them as "${pattern}:" followed by indented "name: value" lines, e.g.\n${pattern}:\n  ansible_host: 192.168.20.6`,
      );
    }
    const vars = this.isNull(varsNode)
      ? []
      : (varsNode as YAMLMap).items.map((pair) => ({
          key: this.keyText(pair as Pair),
          node: this.deref(pair.value),
          keyNode: this.deref(pair.key),
        }));
    for (const name of names) {
      let host = this.hosts.get(name);
      if (!host) {
        host = { name, vars: {}, location: this.at(keyNode), groups: new Set() };
        if (address?.port !== undefined) host.vars['ansible_port'] = address.port;
        this.hosts.set(name, host);
      }
      if (!group.hosts.includes(name)) group.hosts.push(name);
      for (const v of vars) {
        const value = this.toValue(v.node);
        if (v.key === 'ansible_host' || v.key === 'ansible_ssh_host') {
          const location = this.at(v.node ?? v.keyNode);
          const earlier = host.addressSetAt;
          if (earlier && earlier.value !== value) {
            const where = (l: SourceLocation) => `${l.file}:${l.line}:${l.column}`;
            this.fail(
              `host '${name}' has two different addresses: ${String(earlier.value)} at ${where(earlier.location)} and ${String(value)} at ${where(location)}`,
              v.node ?? v.keyNode,
              'give a host its ansible_host in one place only',
            );
          }
          host.addressSetAt = { value, location };
        }
        host.vars[v.key] = value;
      }
    }
  }

  /** InventoryData.reconcile_inventory: everything under all, ungrouped filled, depths and host groups set. */
  reconcile(): void {
    const all = this.groups.get('all')!;
    for (const group of this.groups.values()) {
      if (group.name !== 'all' && group.parents.length === 0) this.link(all, group);
    }
    const depthOf = (group: GroupRecord): number => {
      if (group.name === 'all') return 0;
      return Math.max(...group.parents.map((p) => depthOf(this.groups.get(p)!) + 1));
    };
    for (const group of this.groups.values()) group.depth = depthOf(group);

    for (const group of this.groups.values()) {
      for (const hostName of group.hosts) {
        const host = this.hosts.get(hostName)!;
        const stack = [group.name];
        while (stack.length > 0) {
          const name = stack.pop()!;
          if (host.groups.has(name)) continue;
          host.groups.add(name);
          stack.push(...this.groups.get(name)!.parents);
        }
      }
    }
    const ungrouped = this.groups.get('ungrouped')!;
    for (const host of this.hosts.values()) {
      const others = [...host.groups].filter((g) => g !== 'all' && g !== 'ungrouped');
      if (host.groups.has('ungrouped')) {
        if (others.length > 0) {
          ungrouped.hosts = ungrouped.hosts.filter((h) => h !== host.name);
          host.groups.delete('ungrouped');
        }
      } else if (others.length === 0) {
        ungrouped.hosts.push(host.name);
        host.groups.add('ungrouped');
        host.groups.add('all');
      }
    }
    for (const name of this.groups.keys()) {
      if (this.hosts.has(name)) this.warnings.push(`Found both group and host with same name: ${name}`);
    }
  }
}
