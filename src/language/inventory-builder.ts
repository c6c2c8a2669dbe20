/**
 * The inventory being built, as ansible-core's InventoryData holds it
 * (2.14): every source (YAML or INI file, each file of a folder, each -i)
 * adds groups, hosts and variables to one builder in turn, and
 * reconcile() then puts every group under `all` and hosts of no group in
 * `ungrouped`. The format parsers say only where in their file a problem is.
 */
import type { SourceLocation } from '../errors.js';
import type { VarsRecord } from './vars-dirs.js';

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
  /** Where ansible_host was set in the inventory, to catch contradictions. */
  addressSetAt?: { value: unknown; location: SourceLocation };
}

/** How a parser reports a problem at its current place: throws. */
export type FailAt = (message: string, hint?: string) => never;

export class InventoryBuilder {
  readonly groups = new Map<string, GroupRecord>();
  readonly hosts = new Map<string, HostRecord>();
  readonly warnings: string[] = [];
  /** Told each variable value set (the loader marks values of an encrypted file as secrets). */
  onVarSet?: (value: unknown) => void;

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.link(this.groups.get('all')!, this.groups.get('ungrouped')!, () => {
      throw new Error('unreachable');
    });
  }

  addGroup(name: string, location?: SourceLocation): GroupRecord {
    let group = this.groups.get(name);
    if (!group) {
      group = { name, hosts: [], children: [], parents: [], vars: {}, priority: 1, depth: 0, location };
      this.groups.set(name, group);
    }
    return group;
  }

  link(parent: GroupRecord, child: GroupRecord, fail: FailAt): void {
    if (parent.children.includes(child.name)) return;
    if (child.name === 'all') fail(`the group 'all' cannot be a child of '${parent.name}'`, 'every group is already inside all');
    if (child === parent || this.isAncestor(child.name, parent)) {
      fail(
        `adding group '${child.name}' as a child of '${parent.name}' creates a loop (circular children)`,
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

  /** A group variable; ansible_group_priority sets the priority, as Group.set_variable does. */
  setGroupVar(group: GroupRecord, key: string, value: unknown, fail: FailAt): void {
    this.onVarSet?.(value);
    if (key === 'ansible_group_priority') {
      const priority = Number(value);
      if (!Number.isInteger(priority)) fail('ansible_group_priority must be an integer');
      group.priority = priority;
    } else {
      group.vars[key] = value;
    }
  }

  /** InventoryData.add_host: a new host takes the port given with its name. */
  addHost(name: string, group: GroupRecord, location: SourceLocation, port?: number): HostRecord {
    let host = this.hosts.get(name);
    if (!host) {
      host = { name, vars: {}, location, groups: new Set() };
      if (port !== undefined) host.vars['ansible_port'] = port;
      this.hosts.set(name, host);
    }
    if (!group.hosts.includes(name)) group.hosts.push(name);
    return host;
  }

  setHostVar(host: HostRecord, key: string, value: unknown, location: SourceLocation, fail: FailAt): void {
    this.onVarSet?.(value);
    if (key === 'ansible_host' || key === 'ansible_ssh_host') {
      const earlier = host.addressSetAt;
      if (earlier && earlier.value !== value) {
        const where = (l: SourceLocation) => `${l.file}:${l.line}:${l.column}`;
        fail(
          `host '${host.name}' has two different addresses: ${String(earlier.value)} at ${where(earlier.location)} and ${String(value)} at ${where(location)}`,
          'give a host its ansible_host in one place only',
        );
      }
      host.addressSetAt = { value, location };
    }
    host.vars[key] = value;
  }

  /** InventoryData.reconcile_inventory: everything under all, ungrouped filled, depths and host groups set. */
  reconcile(): void {
    const all = this.groups.get('all')!;
    const never: FailAt = (message) => {
      throw new Error(message);
    };
    for (const group of this.groups.values()) {
      if (group.name !== 'all' && group.parents.length === 0) this.link(all, group, never);
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
