/**
 * The inventory: Ansible's YAML and INI inventory formats read unchanged
 * (one file, a folder of them, several -i), so an Ansible user's inventory
 * works as it is. The model, the variable
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
 *  - inventory plugins (`plugin:`) and inventory scripts are refused with a
 *    clear message (INI files, folders, host lists and vault files are read);
 *  - an inline `!vault` value that cannot be decrypted stops the run before
 *    any host is contacted; Ansible fails only when a task uses it;
 *  - no implicit `localhost`: a pattern naming an undefined localhost
 *    matches nothing (with the usual warning);
 *  - where Ansible's own order is arbitrary (a group's hosts reached through
 *    grandchild groups: Python iterates a set there, so the order changes
 *    from run to run), swarmplay walks child groups in the order they are
 *    written, level by level. Where Ansible's order is fixed, it is the same.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { isMap } from 'yaml';
import { SwarmplayError, type SourceLocation } from '../errors.js';
import type { PatternSource } from './host-patterns.js';
import { parseAddress } from './host-patterns.js';
import { InventoryBuilder, type GroupRecord, type HostRecord } from './inventory-builder.js';
import { InventoryParser } from './inventory-parser.js';
import { loadEntityVars, parseAnsibleYaml, readSourceFile, type ParsedYaml, type VarsRecord } from './vars-dirs.js';
import { applyVaultAccess, cloneData, decryptFileText, revealStrings, type VaultAccess } from '../vault/vaulted-value.js';

export interface LoadInventoryOptions {
  /** The playbook's folder: its group_vars/ and host_vars/ win over the inventory's. */
  playbookDir?: string;
  /** Vault passwords, and whether inline !vault values are decrypted (a run) or kept (inventory --list). */
  vault?: VaultAccess;
}

interface FolderVars {
  inventoryDir: VarsRecord;
  playbookDir: VarsRecord;
}
export class Inventory implements PatternSource {
  /** Absolute path of the (first) inventory source. */
  readonly path: string;
  /** Every inventory source, in the order given (-i a -i b). */
  readonly sources: string[];
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
    sources?: string[];
    playbookDir?: string;
    groups: Map<string, GroupRecord>;
    hosts: Map<string, HostRecord>;
    groupFolderVars: Map<string, FolderVars>;
    hostFolderVars: Map<string, FolderVars>;
    warnings: string[];
  }) {
    this.path = init.path;
    this.sources = init.sources ?? [init.path];
    this.playbookDir = init.playbookDir;
    this.groups = init.groups;
    this.hosts = init.hosts;
    this.groupFolderVars = init.groupFolderVars;
    this.hostFolderVars = init.hostFolderVars;
    this.warnings = init.warnings;
  }

  /**
   * meta: refresh_inventory: this inventory takes a new reading of its sources
   * in place, so every holder sees it; what add_host and group_by added is
   * gone, as in Ansible.
   */
  refreshFrom(fresh: Inventory): void {
    const replace = <K, V>(mine: Map<K, V>, theirs: Map<K, V>) => { mine.clear(); for (const [k, v] of theirs) mine.set(k, v); };
    replace(this.groups, fresh.groups);
    replace(this.hosts, fresh.hosts);
    replace(this.groupFolderVars, fresh.groupFolderVars);
    replace(this.hostFolderVars, fresh.hostFolderVars);
    this.groupHostsCache.clear();
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
    return cloneData(merged);
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

  /**
   * add_host during a run: the host (new, or one the inventory has) joins the
   * groups (made under `all` when new) and takes the variables as host
   * variables, as Ansible's add_host; later plays and `groups` see it.
   */
  addHostAtRunTime(name: string, groups: readonly string[], vars: VarsRecord, location: SourceLocation): void {
    let host = this.hosts.get(name);
    if (!host) {
      host = { name, vars: {}, location, groups: new Set(['all']) };
      this.hosts.set(name, host);
    }
    Object.assign(host.vars, cloneData(vars));
    for (const group of groups) {
      const record = this.addGroupAtRunTime(group, []);
      if (!record.hosts.includes(name)) record.hosts.push(name);
    }
    this.placeHost(host);
  }

  /** group_by during a run: the group (made when new) under its parents (made under `all` when new). */
  addGroupAtRunTime(name: string, parents: readonly string[]): GroupRecord {
    let group = this.groups.get(name);
    if (!group) {
      group = { name, hosts: [], children: [], parents: [], vars: {}, priority: 1, depth: 1 };
      this.groups.set(name, group);
    }
    const wanted = parents.length || group.parents.length ? parents : ['all'];
    for (const parentName of wanted) {
      if (parentName === name || group.parents.includes(parentName)) continue;
      const parent = parentName === 'all' ? this.groups.get('all')! : this.addGroupAtRunTime(parentName, []);
      parent.children.push(name);
      group.parents.push(parentName);
      // A group that was directly under `all` now has a real parent: Ansible keeps the link to all as well.
    }
    group.depth = Math.max(...group.parents.map((p) => this.groups.get(p)!.depth + 1));
    for (const hostName of group.hosts) this.placeHost(this.hosts.get(hostName)!);
    this.groupHostsCache.clear();
    return group;
  }

  /** Adds a host to a group during a run (group_by). */
  addHostToGroupAtRunTime(hostName: string, groupName: string): void {
    const group = this.groups.get(groupName)!;
    if (!group.hosts.includes(hostName)) group.hosts.push(hostName);
    this.placeHost(this.requireHost(hostName));
  }

  /** The host's groups (ancestors included) and its place in `ungrouped`, after a change during a run. */
  private placeHost(host: HostRecord): void {
    host.groups = new Set(['all']);
    for (const group of this.groups.values()) {
      if (group.name === 'ungrouped' || !group.hosts.includes(host.name)) continue;
      const stack = [group.name];
      while (stack.length) {
        const name = stack.pop()!;
        if (host.groups.has(name)) continue;
        host.groups.add(name);
        stack.push(...this.groups.get(name)!.parents);
      }
    }
    const ungrouped = this.groups.get('ungrouped')!;
    const grouped = [...host.groups].some((g) => g !== 'all');
    ungrouped.hosts = ungrouped.hosts.filter((h) => h !== host.name);
    if (!grouped) {
      ungrouped.hosts.push(host.name);
      host.groups.add('ungrouped');
    }
    this.groupHostsCache.clear();
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

/** Files Ansible skips in an inventory folder (INVENTORY_IGNORE_EXTS, IGNORED_ALWAYS). */
const IGNORED_EXTENSIONS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];
const IGNORED_NAMES = /^(?:\..*|host_vars|group_vars|vars_plugins)$/;
const YAML_EXTENSIONS = ['.yml', '.yaml', '.json'];

async function kindOf(path: string): Promise<'dir' | 'file' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/**
 * One inventory file, YAML or INI, as Ansible's plugins pick: a .yml, .yaml,
 * .json or extension-less file that holds a YAML mapping is YAML; another
 * file, or one that looks like INI, is INI.
 */
async function parseInventoryFile(file: string, builder: InventoryBuilder, vault: VaultAccess | undefined): Promise<void> {
  const raw = await readSourceFile(file, 'inventory file');
  const { text: source, encrypted } = decryptFileText(raw, file, vault, 'inventory file');
  if (encrypted) builder.onVarSet = (value) => revealStrings(value, vault?.keyring);
  try {
    const ext = extname(file).toLowerCase();
    if (ext === '' || YAML_EXTENSIONS.includes(ext)) {
      let parsed: ParsedYaml | undefined;
      let yamlError: unknown;
      try {
        parsed = parseAnsibleYaml(file, source);
      } catch (error) {
        yamlError = error;
      }
      const ini = await import('./inventory-ini.js');
      const yamlLike = parsed ? isMap(parsed.doc.contents) : /^\s*[\w.-]+:\s*$/m.test(source);
      if (!ini.looksLikeIni(source) && (yamlLike || ext !== '')) {
        if (yamlError) throw yamlError;
        const parser = new InventoryParser(parsed!, builder);
        parser.parseTop();
        return;
      }
      ini.parseIniInventory(file, source, builder);
      return;
    }
    // INI code is loaded only for an INI inventory: most runs never need it.
    (await import('./inventory-ini.js')).parseIniInventory(file, source, builder);
  } finally {
    builder.onVarSet = undefined;
  }
}

/** A folder of inventories: every file in name order, subfolders too, skipping what Ansible skips. */
async function parseInventoryDir(dir: string, builder: InventoryBuilder, vault: VaultAccess | undefined): Promise<void> {
  for (const name of (await readdir(dir)).sort()) {
    if (IGNORED_NAMES.test(name) || IGNORED_EXTENSIONS.some((ext) => name.endsWith(ext))) continue;
    const full = join(dir, name);
    const kind = await kindOf(full);
    if (kind === 'dir') await parseInventoryDir(full, builder, vault);
    else if (kind === 'file') await parseInventoryFile(full, builder, vault);
  }
}

/** `-i host1,host2:2222,`: Ansible's host_list plugin. */
function parseHostList(list: string, builder: InventoryBuilder): void {
  const ungrouped = builder.groups.get('ungrouped')!;
  for (const entry of list.split(',').map((h) => h.trim()).filter(Boolean)) {
    const address = parseAddress(entry);
    const name = address ? address.host : entry;
    if (!builder.hosts.has(name)) builder.addHost(name, ungrouped, { file: '<-i host list>', line: 1, column: 1 }, address?.port);
  }
}

/**
 * Reads inventory sources (each a YAML or INI file, a folder of them, or a
 * comma-separated host list), in order, into one inventory, with the
 * group_vars/ and host_vars/ folders beside each source and beside
 * `options.playbookDir`.
 * Errors: FILE_NOT_FOUND, YAML_SYNTAX, BAD_INVENTORY, BAD_VAULT (with file:line:column).
 */
export async function loadInventory(paths: string | readonly string[], options: LoadInventoryOptions = {}): Promise<Inventory> {
  const sources = (typeof paths === 'string' ? [paths] : [...paths]).map((p) => (p.includes(',') && !p.includes('/') ? p : resolve(p)));
  if (sources.length === 0) throw new SwarmplayError('BAD_OPTION', 'no inventory given', { hint: 'pass -i FILE' });
  const builder = new InventoryBuilder();
  const varsDirs: string[] = [];
  for (const source of sources) {
    const kind = await kindOf(source);
    if (kind === undefined && source.includes(',')) {
      parseHostList(source, builder);
    } else if (kind === 'dir') {
      await parseInventoryDir(source, builder, options.vault);
      varsDirs.push(source);
    } else {
      await parseInventoryFile(source, builder, options.vault);
      varsDirs.push(dirname(source));
    }
  }
  builder.reconcile();
  for (const group of builder.groups.values()) applyVaultAccess(group.vars, options.vault, group.location ?? { file: sources[0]!, line: 1, column: 1 });
  for (const host of builder.hosts.values()) applyVaultAccess(host.vars, options.vault, host.location);

  const playbookDir = options.playbookDir === undefined ? undefined : resolve(options.playbookDir);
  const folderVars = async (kind: 'group_vars' | 'host_vars', name: string): Promise<FolderVars> => {
    const inventoryDir: VarsRecord = {};
    for (const dir of varsDirs) Object.assign(inventoryDir, (await loadEntityVars(dir, kind, name, options.vault)).vars);
    return {
      inventoryDir,
      playbookDir: playbookDir === undefined ? {} : (await loadEntityVars(playbookDir, kind, name, options.vault)).vars,
    };
  };
  const groupFolderVars = new Map<string, FolderVars>();
  for (const name of builder.groups.keys()) groupFolderVars.set(name, await folderVars('group_vars', name));
  const hostFolderVars = new Map<string, FolderVars>();
  for (const name of builder.hosts.keys()) hostFolderVars.set(name, await folderVars('host_vars', name));

  return new Inventory({
    path: sources[0]!,
    sources,
    playbookDir,
    groups: builder.groups,
    hosts: builder.hosts,
    groupFolderVars,
    hostFolderVars,
    warnings: builder.warnings,
  });
}
