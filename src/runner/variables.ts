/**
 * Builds the variables a task sees on one host, in Ansible's precedence
 * order (lowest first): role defaults (every role of the play, then the
 * task's own role's), inventory (group then host vars), facts, play vars,
 * vars_files, role vars (the play's roles, then the task's own role's),
 * block vars, task vars, set_fact/registered/include_vars, role parameters,
 * extra vars; then the magic variables, which nothing overrides.
 */
import path from 'node:path';
import type { RoleInstance } from '../language/playbook.js';
import { ansibleFactsOf, type HostFacts } from '../facts/host-facts.js';
import type { HostState } from './host-state.js';

/**
 * The ansible_version roles branch on (`ansible_version.full is version('2.12', '>=')`):
 * the ansible-core whose behaviour swarmplay follows.
 */
const ANSIBLE_VERSION = Object.freeze({ full: '2.16.0', major: 2, minor: 16, revision: 0, string: '2.16.0' });

export interface PlayScope {
  playVars: Record<string, unknown>;
  varsFilesVars: Record<string, unknown>;
  extraVars: Record<string, unknown>;
  groups: Record<string, string[]>;
  groupNamesOf(host: string): string[];
  /** Every host of the inventory the run knows, for hostvars. */
  hosts: ReadonlyMap<string, HostState>;
  playHosts: string[];
  playBatch: string[];
  checkMode: boolean;
  playbookDir: string;
  /** The inventory file that first named the host (absolute); null for a host add_host made, as in Ansible. */
  inventoryFileOf(host: string): string | null;
  /** The play's name, for ansible_play_name. */
  playName?: string;
  /** defaults/ and vars/ of the roles the play applies (roles:, import_role): visible to all its tasks. */
  playRoles?: RoleInstance[];
}

/** The role-dependent layers of one task's variables. */
export interface RoleLayers {
  defaults: Record<string, unknown>;
  vars: Record<string, unknown>;
  params: Record<string, unknown>;
}

const NO_ROLE: RoleLayers = { defaults: {}, vars: {}, params: {} };
const layersOf = new WeakMap<RoleInstance, RoleLayers>();

/** A role's layers as Ansible's get_default_vars/get_vars/get_role_params give them: the roles it came through first. */
export function roleLayers(role: RoleInstance | undefined): RoleLayers {
  if (!role) return NO_ROLE;
  let layers = layersOf.get(role);
  if (!layers) {
    const chain = [...role.parents, role];
    layers = {
      defaults: Object.assign({}, ...chain.map((r) => r.defaults)),
      vars: Object.assign({}, ...chain.map((r) => r.vars)),
      params: Object.assign({}, ...chain.map((r) => r.params)),
    };
    layersOf.set(role, layers);
  }
  return layers;
}

/** factVars of each facts reading: built once per gathering, not once per task. */
const factVarsOf = new WeakMap<HostFacts, Record<string, unknown>>();

/**
 * Facts under ansible_facts, and the ansible_* names playbooks use most.
 * `facts` is the host's latest reading from the fact cache: the play runner
 * takes it again before each task, so after a change these show the host as
 * it is now.
 */
export function factVars(facts: HostFacts | undefined): Record<string, unknown> {
  if (!facts) return {};
  let vars = factVarsOf.get(facts);
  if (!vars) factVarsOf.set(facts, (vars = buildFactVars(facts)));
  return vars;
}

function buildFactVars(facts: HostFacts): Record<string, unknown> {
  const ansibleFacts = ansibleFactsOf(facts);
  const flat: Record<string, unknown> = { ansible_facts: ansibleFacts };
  for (const [key, value] of Object.entries(ansibleFacts)) flat[`ansible_${key}`] = value;
  return flat;
}

/**
 * Adds facts a task set to `vars`: names as they are, and what they hold under
 * `ansible_facts` merged into the facts `vars` already has (or `base`), as
 * Ansible adds what setup or a *_facts module returns.
 */
export function addFacts(vars: Record<string, unknown>, facts: Record<string, unknown>, base?: unknown): void {
  const { ansible_facts: added, ...named } = facts;
  Object.assign(vars, named);
  if (added === null || typeof added !== 'object') return;
  const current = vars.ansible_facts ?? base;
  vars.ansible_facts = { ...(current !== null && typeof current === 'object' ? current : {}), ...added };
}

/** Gives a host the facts a task set for it. */
export function addHostFacts(host: HostState, facts: Record<string, unknown>): void {
  addFacts(host.runtimeVars, facts, factVars(host.facts).ansible_facts);
}

function hostLevelVars(host: HostState): Record<string, unknown> {
  return { ...host.inventoryVars, ...factVars(host.facts), ...host.runtimeVars };
}

/**
 * hostvars: each host's variables, built only when a task reads them (a
 * 50-host play would otherwise copy every host's variables for every task).
 */
function hostvarsView(scope: PlayScope): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [name, host] of scope.hosts) {
    let cached: Record<string, unknown> | undefined;
    Object.defineProperty(view, name, {
      enumerable: true,
      get: () => (cached ??= {
        ...hostLevelVars(host),
        ...scope.playVars,
        ...scope.varsFilesVars,
        ...host.runtimeVars,
        ...scope.extraVars,
        ...inventoryPlace(scope, name),
        inventory_hostname: name,
        group_names: scope.groupNamesOf(name),
      }),
    });
  }
  return view;
}

/** inventory_file and inventory_dir: host variables in Ansible, set where the inventory first names the host. */
function inventoryPlace(scope: PlayScope, host: string): { inventory_file: string | null; inventory_dir: string | null } {
  const file = scope.inventoryFileOf(host);
  return { inventory_file: file, inventory_dir: file === null ? null : path.dirname(file) };
}

export function taskVars(
  host: HostState,
  scope: PlayScope,
  blockAndTaskVars: Record<string, unknown>[],
  role?: RoleInstance,
): Record<string, unknown> {
  const own = roleLayers(role);
  const playRoles = scope.playRoles ?? [];
  const vars: Record<string, unknown> = {};
  for (const r of playRoles) Object.assign(vars, r.defaults);
  Object.assign(vars, own.defaults, host.inventoryVars, factVars(host.facts), scope.playVars, scope.varsFilesVars);
  for (const r of playRoles) Object.assign(vars, r.vars);
  Object.assign(vars, own.vars);
  for (const layer of blockAndTaskVars) Object.assign(vars, layer);
  Object.assign(vars, host.runtimeVars, own.params, scope.extraVars);
  // Ansible's magic variables of a role's task.
  if (role) Object.assign(vars, { role_name: role.name, role_path: role.path });
  // As Ansible's: a host that failed or is unreachable leaves ansible_play_hosts and ansible_play_batch; _all keeps it.
  const stillIn = (name: string): boolean => scope.hosts.get(name)?.active ?? true;
  const batch = scope.playBatch.filter(stillIn);
  Object.assign(vars, {
    ...inventoryPlace(scope, host.name),
    inventory_hostname: host.name,
    inventory_hostname_short: host.name.split('.')[0],
    group_names: scope.groupNamesOf(host.name),
    groups: scope.groups,
    hostvars: hostvarsView(scope),
    play_hosts: batch,
    ansible_play_hosts: scope.playHosts.filter(stillIn),
    ansible_play_batch: batch,
    ansible_play_hosts_all: scope.playHosts,
    ansible_check_mode: scope.checkMode,
    ansible_version: ANSIBLE_VERSION,
    playbook_dir: scope.playbookDir,
    ...(scope.playName !== undefined && { ansible_play_name: scope.playName }),
  });
  return vars;
}
