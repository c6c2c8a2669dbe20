/**
 * The inventory: Ansible's YAML inventory format read unchanged, so an
 * Ansible user's hosts.yaml works as it is. The model, the variable
 * precedence and every ordering follow ansible-core 2.14 (the yaml inventory
 * plugin, InventoryData.reconcile_inventory, Group/Host, VariableManager), and
 * test/language/inventory.test.ts compares the result with ansible-inventory
 * and ansible on the same fixtures.
 *
 * Variable precedence of hostVars(host), lowest first (Ansible's documented
 * order, VARIABLE_PRECEDENCE default):
 *   1. the inventory file's `all` vars
 *   2. the inventory file's other group vars, the host's groups sorted by
 *      (depth, ansible_group_priority, name): parent before child, then
 *      lower priority first, then alphabetical; the later one wins
 *   3. group_vars/all beside the inventory
 *   4. group_vars/all beside the playbook
 *   5. group_vars/GROUP beside the inventory, groups in the order of 2
 *   6. group_vars/GROUP beside the playbook, same order
 *   7. the inventory file's host vars
 *   8. host_vars/HOST beside the inventory
 *   9. host_vars/HOST beside the playbook
 * (Ansible's quirk kept: a playbook group_vars/parent beats an inventory
 * group_vars/child, because 6 comes after 5 as a whole.) Merging replaces
 * top-level keys. Extra vars (-e) and play vars are the runner's business.
 *
 * Deliberate differences from Ansible, each an error where Ansible only warns
 * or silently guesses:
 *  - an unknown key under a group (`host:`, `var:`) is BAD_INVENTORY with a
 *    "did you mean" hint; Ansible warns and skips the key;
 *  - a group whose value is not a mapping (`managers: [docker01]`), and host
 *    vars that are not a mapping, are BAD_INVENTORY; Ansible skips or crashes;
 *  - a duplicate key in one mapping is YAML_SYNTAX; PyYAML keeps the last one
 *    (so a second `children:` silently replaces the first);
 *  - one host given two different ansible_host values in two places of the
 *    inventory file is BAD_INVENTORY naming both; Ansible keeps the last;
 *  - an empty inventory file is BAD_INVENTORY; Ansible goes on with no hosts;
 *  - INI inventories, inventory plugins (`plugin:`), directories of
 *    inventories and ansible-vault files are refused with a clear message;
 *  - no implicit `localhost`: a pattern naming an undefined localhost
 *    matches nothing (with the usual warning);
 *  - where Ansible's own order is arbitrary (a group's hosts reached through
 *    grandchild groups: Python iterates a set there, so the order changes
 *    from run to run), swarmplay walks child groups in the order they are
 *    written, level by level. Where Ansible's order is fixed, it is the same.
 */
import { dirname, resolve } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { SwarmplayError, snippetAt, type SourceLocation } from '../errors.js';
import { parseAddress, type PatternSource } from './host-patterns.js';
import { loadEntityVars, parseAnsibleYaml, readSourceFile, type ParsedYaml, type VarsRecord } from './vars-dirs.js';
import { didYouMean } from './suggest.js';

export interface LoadInventoryOptions {
  /** The playbook's folder: its group_vars/ and host_vars/ win over the inventory's. */
  playbookDir?: string;
}

interface GroupRecord {
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

interface HostRecord {
  name: string;
  vars: VarsRecord;
  /** Where the host is first listed. */
  location: SourceLocation;
  /** Every group the host is in, ancestors included, `all` included. */
  groups: Set<string>;
  /** Where ansible_host was set in the inventory file, to catch contradictions. */
  addressSetAt?: { value: unknown; location: SourceLocation };
}

interface FolderVars {
  inventoryDir: VarsRecord;
  playbookDir: VarsRecord;
}

const GROUP_SECTIONS = ['hosts', 'children', 'vars'] as const;

export class Inventory implements PatternSource {
  /** Absolute path of the inventory file. */
  readonly path: string;
  readonly playbookDir?: string;
  /** Things worth telling the user that do not stop the run. */
  readonly warnings: string[];

  private readonly groups: Map<string, GroupRecord>;
  private readonly hosts: Map<string, HostRecord>;
  private readonly groupFolderVars: Map<string, FolderVars>;
  private readonly hostFolderVars: Map<string, FolderVars>;
  private readonly groupHostsCache = new Map<string, string[]>();

  /** Use loadInventory(); this is public for tests and for loaders of other formats. */
  constructor(init: {
    path: string;
    playbookDir?: string;
    groups: Map<string, GroupRecord>;
    hosts: Map<string, HostRecord>;
    groupFolderVars: Map<string, FolderVars>;
    hostFolderVars: Map<string, FolderVars>;
    warnings: string[];
  }) {
    this.path = init.path;
    this.playbookDir = init.playbookDir;
    this.groups = init.groups;
    this.hosts = init.hosts;
    this.groupFolderVars = init.groupFolderVars;
    this.hostFolderVars = init.hostFolderVars;
    this.warnings = init.warnings;
  }

  /** Every host, in the order `hosts: all` runs them (Ansible's order for the group all). */
  hostNames(): string[] {
    return this.groupHosts('all');
  }

  /** Every group, all and ungrouped first, then in the order they are first written. */
  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  hasHost(name: string): boolean {
    return this.hosts.has(name);
  }

  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }

  /** The magic variable group_names: the host's groups, ancestors included, without all, sorted. */
  groupsOf(host: string): string[] {
    return [...this.requireHost(host).groups].filter((g) => g !== 'all').sort(compareNames);
  }

  /** The magic variable groups: every group (all and ungrouped included) with all its hosts. */
  groupsMap(): Record<string, string[]> {
    const map: Record<string, string[]> = {};
    for (const name of this.groups.keys()) map[name] = this.groupHosts(name);
    return map;
  }

  /**
   * The hosts of a group and of all its descendant groups, de-duplicated:
   * the group's own hosts, then its children's, then its grandchildren's...
   * Empty for an unknown group.
   */
  groupHosts(group: string): string[] {
    const cached = this.groupHostsCache.get(group);
    if (cached) return [...cached];
    const start = this.groups.get(group);
    if (!start) return [];
    const ordered: GroupRecord[] = [start];
    const seen = new Set<string>([start.name]);
    let level: GroupRecord[] = [start];
    while (level.length > 0) {
      const next: GroupRecord[] = [];
      for (const g of level) {
        for (const childName of g.children) {
          if (seen.has(childName)) continue;
          seen.add(childName);
          const child = this.groups.get(childName)!;
          ordered.push(child);
          next.push(child);
        }
      }
      level = next;
    }
    const hosts = [...new Set(ordered.flatMap((g) => g.hosts))];
    this.groupHostsCache.set(group, hosts);
    return [...hosts];
  }

  /** The hosts written directly under the group (not those of its children). */
  directHosts(group: string): string[] {
    return [...(this.groups.get(group)?.hosts ?? [])];
  }

  /** The group's child groups in written order. */
  childGroups(group: string): string[] {
    return [...(this.groups.get(group)?.children ?? [])];
  }

  /**
   * All inventory-level variables of the host, merged in Ansible's precedence
   * (see the file comment). A fresh copy: callers may change it.
   */
  hostVars(host: string): VarsRecord {
    const record = this.requireHost(host);
    const sortedGroups = [...record.groups]
      .filter((g) => g !== 'all')
      .map((g) => this.groups.get(g)!)
      .sort(compareGroupsForVars);
    const merged: VarsRecord = {};
    const layer = (vars: VarsRecord | undefined) => Object.assign(merged, vars ?? {});
    layer(this.groups.get('all')!.vars);
    for (const g of sortedGroups) layer(g.vars);
    layer(this.groupFolderVars.get('all')?.inventoryDir);
    layer(this.groupFolderVars.get('all')?.playbookDir);
    for (const g of sortedGroups) layer(this.groupFolderVars.get(g.name)?.inventoryDir);
    for (const g of sortedGroups) layer(this.groupFolderVars.get(g.name)?.playbookDir);
    layer(record.vars);
    layer(this.hostFolderVars.get(host)?.inventoryDir);
    layer(this.hostFolderVars.get(host)?.playbookDir);
    return structuredClone(merged);
  }

  /** Where the host is first listed in the inventory file. */
  hostLocation(host: string): SourceLocation | undefined {
    return this.hosts.get(host)?.location;
  }

  /** PatternSource: hosts in the order they were first written. */
  hostsInDefinitionOrder(): string[] {
    return [...this.hosts.keys()];
  }

  /** PatternSource: groups in the order they were first written. */
  groupsInDefinitionOrder(): string[] {
    return [...this.groups.keys()];
  }

  private requireHost(host: string): HostRecord {
    const record = this.hosts.get(host);
    if (!record) throw new SwarmplayError('INTERNAL', `host '${host}' is not in the inventory ${this.path}`);
    return record;
  }
}

/** Python's default string order (code points; the same as < for these names). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Ansible's sort_groups: (depth, priority, name). */
function compareGroupsForVars(a: GroupRecord, b: GroupRecord): number {
  return a.depth - b.depth || a.priority - b.priority || compareNames(a.name, b.name);
}

// --- host ranges ----------------------------------------------------------------

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Ansible's expand_hostname_range: `web[01:03]` -> web01 web02 web03,
 * `db[a:c]`, a step `[1:9:2]`, several ranges in one name. Throws a plain
 * Error with Ansible's wording; the caller adds the location.
 */
export function expandHostRange(pattern: string): string[] {
  if (!pattern.includes('[')) return [pattern];
  const open = pattern.indexOf('[');
  const close = pattern.indexOf(']', open);
  if (close < 0) throw new Error(`unclosed '[' in host range '${pattern}'`);
  const head = pattern.slice(0, open);
  const range = pattern.slice(open + 1, close);
  const tail = pattern.slice(close + 1);
  const bounds = range.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new Error('host range must be begin:end or begin:end:step');
  const begin = bounds[0] || '0';
  const end = bounds[1]!;
  const step = bounds.length === 3 ? Number(bounds[2]) : 1;
  if (!end) throw new Error('host range must specify end value');
  if (!Number.isInteger(step) || step <= 0) throw new Error(`host range step must be a positive integer, not '${bounds[2]}'`);
  let width = 0;
  if (begin[0] === '0' && begin.length > 1) {
    if (begin.length !== end.length) throw new Error('host range must specify equal-length begin and end formats');
    width = begin.length;
  }
  const sequence: string[] = [];
  const letterBegin = begin.length === 1 ? ASCII_LETTERS.indexOf(begin) : -1;
  const letterEnd = end.length === 1 ? ASCII_LETTERS.indexOf(end) : -1;
  if (letterBegin >= 0 && letterEnd >= 0) {
    if (letterBegin > letterEnd) throw new Error('host range must have begin <= end');
    for (let i = letterBegin; i <= letterEnd; i += step) sequence.push(ASCII_LETTERS[i]!);
  } else {
    if (!/^[0-9]+$/.test(begin) || !/^[0-9]+$/.test(end)) {
      throw new Error(`host range '[${range}]' must be numbers (01:10) or single letters (a:f)`);
    }
    for (let i = Number(begin); i <= Number(end); i += step) sequence.push(String(i).padStart(width, '0'));
  }
  return sequence.flatMap((item) => expandHostRange(head + item + tail));
}

// --- parsing ---------------------------------------------------------------------

const INI_HINT = 'this looks like an INI inventory; swarmplay reads the YAML format (ansible-inventory -i FILE --list -y converts it)';

function looksLikeIni(source: string): boolean {
  return /^\s*\[[^\]]+\]\s*$/m.test(source);
}

class InventoryParser {
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

/**
 * Reads an inventory file in Ansible's YAML format, with the group_vars/ and
 * host_vars/ folders beside it and beside `options.playbookDir`.
 * Errors: FILE_NOT_FOUND, YAML_SYNTAX, BAD_INVENTORY (with file:line:column).
 */
export async function loadInventory(path: string, options: LoadInventoryOptions = {}): Promise<Inventory> {
  const file = resolve(path);
  const source = await readSourceFile(file, 'inventory file');
  if (source.startsWith('$ANSIBLE_VAULT')) {
    throw new SwarmplayError('BAD_INVENTORY', `${file} is encrypted with ansible-vault, which swarmplay does not read`);
  }
  let parsed: ParsedYaml;
  try {
    parsed = parseAnsibleYaml(file, source);
  } catch (err) {
    if (err instanceof SwarmplayError && looksLikeIni(source)) {
      throw new SwarmplayError('BAD_INVENTORY', `${file} is not a YAML inventory`, {
        location: err.location,
        snippet: err.snippet,
        hint: INI_HINT,
      });
    }
    throw err;
  }
  const parser = new InventoryParser(parsed);
  parser.parseTop();
  parser.reconcile();

  const inventoryDir = dirname(file);
  const playbookDir = options.playbookDir === undefined ? undefined : resolve(options.playbookDir);
  const folderVars = async (kind: 'group_vars' | 'host_vars', name: string): Promise<FolderVars> => ({
    inventoryDir: (await loadEntityVars(inventoryDir, kind, name)).vars,
    playbookDir: playbookDir === undefined ? {} : (await loadEntityVars(playbookDir, kind, name)).vars,
  });
  const groupFolderVars = new Map<string, FolderVars>();
  for (const name of parser.groups.keys()) groupFolderVars.set(name, await folderVars('group_vars', name));
  const hostFolderVars = new Map<string, FolderVars>();
  for (const name of parser.hosts.keys()) hostFolderVars.set(name, await folderVars('host_vars', name));

  return new Inventory({
    path: file,
    playbookDir,
    groups: parser.groups,
    hosts: parser.hosts,
    groupFolderVars,
    hostFolderVars,
    warnings: parser.warnings,
  });
}
