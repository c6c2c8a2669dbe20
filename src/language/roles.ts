/**
 * Roles, read as Ansible reads them (ansible-core 2.14's playbook/role):
 *
 * - found by name in the roles path: `roles/` beside the playbook, then
 *   ANSIBLE_ROLES_PATH (or the configured roles_path, or Ansible's default
 *   ~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles), then the
 *   playbook's own folder; a name with a `/` is a path; `ns.collection.role`
 *   is looked up as ansible_collections/ns/collection/roles/role under the
 *   collections path (`collections/` beside the playbook, then
 *   ANSIBLE_COLLECTIONS_PATH, or ~/.ansible/collections and
 *   /usr/share/ansible/collections);
 * - its parts: tasks/, handlers/, defaults/, vars/ (main.yml, main.yaml or
 *   main, or the file named by tasks_from...), meta/main.yml dependencies,
 *   which run before the role, each once;
 * - a role applied again with the same parameters, when and tags is applied
 *   once (unless its meta says allow_duplicates);
 * - its variables: defaults lowest of all, vars/ above play vars, its
 *   parameters above set_fact (variables.ts puts them in their places).
 *
 * A broken role is bad input found before any host is contacted: a role not
 * found, a tasks/ folder without main.yml, a dependency cycle, a meta file
 * that is not what Ansible reads; each names file:line and what would be right.
 */
import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import { SwarmplayError } from '../errors.js';
import type { BlockTask, Handler, RawValue, RoleInstance, Task } from './playbook.js';
import { readVarsFile } from './vars-dirs.js';
import type { VaultAccess } from '../vault/vaulted-value.js';
import { containsTemplate } from './template-string.js';
import { closestName } from './suggest.js';
import { deref, describeNode, entriesOf, readSource, type Entry, type SourceFile } from './yaml-source.js';

export interface RoleSearchPath {
  /** Folders that hold roles, searched in order. */
  rolesPath: string[];
  /** Folders that hold ansible_collections/. */
  collectionsPath: string[];
  /** Vault passwords, for encrypted defaults/ and vars/ files. */
  vault?: VaultAccess;
}

/** The default search path for a playbook in `playbookDir` (configured: ansible.cfg's roles_path). */
export function roleSearchPath(playbookDir: string, configured: string[] = [], env: NodeJS.ProcessEnv = process.env): RoleSearchPath {
  const split = (value: string | undefined): string[] => (value ?? '').split(':').filter(Boolean).map(expandHome);
  const fromEnv = split(env.ANSIBLE_ROLES_PATH);
  const rolesPath = fromEnv.length ? fromEnv : configured.length ? configured.map(expandHome)
    : ['~/.ansible/roles', '/usr/share/ansible/roles', '/etc/ansible/roles'].map(expandHome);
  const collections = split(env.ANSIBLE_COLLECTIONS_PATH ?? env.ANSIBLE_COLLECTIONS_PATHS);
  return {
    rolesPath: [path.join(playbookDir, 'roles'), ...rolesPath.map((p) => path.resolve(playbookDir, p)), playbookDir],
    collectionsPath: [path.join(playbookDir, 'collections'),
      ...(collections.length ? collections : ['~/.ansible/collections', '/usr/share/ansible/collections'].map(expandHome))],
  };
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p;
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

/** The places a role name may be, in Ansible's order. */
export function roleCandidates(name: string, search: RoleSearchPath, baseDir: string): string[] {
  // Ansible joins every name, a path such as '../..' too, to each folder of the search path in turn
  // (roles/ beside the playbook first, the including role's folder before the playbook's), then tries it as written.
  const dirs = [...search.rolesPath];
  if (!dirs.includes(baseDir)) dirs.splice(Math.max(dirs.length - 1, 0), 0, baseDir);
  const out = dirs.map((dir) => path.resolve(dir, name));
  if (name.includes('/')) out.push(path.resolve(name));
  const parts = name.split('.');
  if (parts.length === 3) {
    const [ns, collection, role] = parts as [string, string, string];
    for (const dir of search.collectionsPath) {
      const root = path.basename(dir) === 'ansible_collections' ? dir : path.join(dir, 'ansible_collections');
      out.push(path.join(root, ns, collection, 'roles', role));
    }
  }
  return [...new Set(out)];
}

/** main.yml, main.yaml, main (or NAME.yml... for tasks_from: NAME) in a role's folder `part`. */
export async function findRoleFile(rolePath: string, part: string, name = 'main'): Promise<string | undefined> {
  const base = path.join(rolePath, part, name);
  const candidates = /\.(ya?ml|json)$/.test(name) ? [base] : [`${base}.yml`, `${base}.yaml`, `${base}.json`, base];
  for (const candidate of candidates) if (await isFile(candidate)) return candidate;
  return undefined;
}

/** How a role is asked for: a `roles:` entry, a meta dependency, import_role or include_role. */
export interface RoleRequest {
  name: string;
  /** Where it was written, for errors. */
  source: SourceFile;
  node: YamlNode | null;
  params: Record<string, RawValue>;
  /** `vars:` of a roles: entry or include_role. */
  vars: Record<string, RawValue>;
  /** when, tags and the other keywords, applied to every task of the role. */
  wrapper: Omit<BlockTask, 'kind' | 'block' | 'rescue' | 'always'>;
  tasksFrom?: string;
  varsFrom?: string;
  defaultsFrom?: string;
  handlersFrom?: string;
  public: boolean;
  /** include_role runs every time; roles: and dependencies once. */
  allowDuplicates?: boolean;
  /** A `when` above the request (on the include, a block or the including role) may skip it. */
  guarded?: boolean;
}

/** The parts of the loaders the role reader needs (task-loader.ts gives them). */
export interface RoleTaskReader {
  tasksFromFile(file: string, role: RoleInstance | undefined, handlers: boolean, chain: string[], guarded?: boolean): Promise<Task[]>;
}

/** What applying roles adds to a play: its roles (for play-wide variables) and their handlers. */
export class PlayRoles {
  private readonly applied = new Set<string>();
  private readonly handlersOf = new Set<string>();

  /**
   * `roles` and `handlers` are the play's own lists when an include_role is
   * applied while the play runs: its public role and its handlers join them.
   */
  constructor(readonly search: RoleSearchPath, readonly roles: RoleInstance[] = [], readonly handlers: Handler[] = []) {}

  /** True the first time this key is seen: a role with the same parameters is applied once. */
  firstTime(key: string): boolean {
    if (this.applied.has(key)) return false;
    this.applied.add(key);
    return true;
  }

  /** A role's handlers join the play once, however often it is applied. */
  addHandlers(key: string, handlers: Handler[]): void {
    if (this.handlersOf.has(key)) return;
    this.handlersOf.add(key);
    this.handlers.push(...handlers);
  }
}

const META_KEYS = ['dependencies', 'allow_duplicates', 'galaxy_info', 'collections', 'argument_specs'];

interface RoleMeta {
  dependencies: RoleRequest[];
  allowDuplicates: boolean;
}

/** Reads role requests from YAML: also used for meta dependencies. */
export type RoleRequestReader = (source: SourceFile, node: YamlNode | null, what: string) => RoleRequest;

/**
 * Applies one role request: finds the role, reads its parts, applies its
 * dependencies first, and returns the block of its tasks (empty when the
 * role was already applied with the same parameters).
 */
export async function applyRole(
  request: RoleRequest, play: PlayRoles, reader: RoleTaskReader, readRequest: RoleRequestReader,
  parents: RoleInstance[] = [], chain: string[] = [],
): Promise<BlockTask> {
  const { source, node } = request;
  if (containsTemplate(request.name)) {
    throw source.error('BAD_PLAYBOOK', `a role name cannot hold '{{ }}' here: roles are read before the play runs`, node,
      "Write the role's name literally, or use include_role with a 'when' per choice.");
  }
  const baseDir = parents.length ? path.dirname(parents[parents.length - 1]!.path) : path.dirname(source.file);
  const candidates = roleCandidates(request.name, play.search, baseDir);
  let rolePath: string | undefined;
  for (const candidate of candidates) if (await isDir(candidate)) { rolePath = candidate; break; }
  if (!rolePath) {
    throw source.error('FILE_NOT_FOUND', `the role '${request.name}' was not found`, node,
      `Looked in: ${candidates.join(', ')}. Put the role in roles/ beside the playbook, or add its folder to ANSIBLE_ROLES_PATH (or roles_path in ansible.cfg).`);
  }
  if (chain.includes(rolePath)) {
    const names = [...chain, rolePath].map((p) => path.basename(p)).join(' -> ');
    throw source.error('BAD_PLAYBOOK', `role dependency cycle: ${names}`, node,
      'A role must not depend on itself, directly or through its dependencies: remove one of these dependencies from meta/main.yml.');
  }
  const meta = await readMeta(rolePath, readRequest, play.search.vault);
  const key = JSON.stringify([rolePath, request.tasksFrom, request.params, request.vars, request.wrapper.when, request.wrapper.tags]);
  const blockOf = (tasks: Task[]): BlockTask => ({ ...request.wrapper, kind: 'block', block: tasks, rescue: [], always: [] });
  if (!(request.allowDuplicates ?? meta.allowDuplicates) && !play.firstTime(key)) return blockOf([]);

  const defaultsFile = await findRoleFile(rolePath, 'defaults', request.defaultsFrom);
  const varsFile = await findRoleFile(rolePath, 'vars', request.varsFrom);
  const role: RoleInstance = {
    name: roleDisplayName(request.name, rolePath),
    path: rolePath,
    defaults: defaultsFile ? await readVarsFile(defaultsFile, play.search.vault) : {},
    vars: { ...request.vars, ...(varsFile ? await readVarsFile(varsFile, play.search.vault) : {}) },
    params: request.params,
    parents,
    public: request.public,
  };
  for (const [part, asked] of [['defaults', request.defaultsFrom], ['vars', request.varsFrom]] as const) {
    if (asked && !(part === 'defaults' ? defaultsFile : varsFile)) {
      throw source.error('FILE_NOT_FOUND', `role '${role.name}' has no ${part}/${asked}`, node, `Files in ${path.join(rolePath, part)}: ${await listing(path.join(rolePath, part))}.`);
    }
  }
  if (request.public) play.roles.push(role);

  const tasks: Task[] = [];
  const guarded = Boolean(request.guarded) || request.wrapper.when.length > 0;
  for (const dependency of meta.dependencies) {
    tasks.push(await applyRole({ ...dependency, guarded: guarded || dependency.guarded }, play, reader, readRequest, [...parents, role], [...chain, rolePath]));
  }
  const tasksFile = await findRoleFile(rolePath, 'tasks', request.tasksFrom);
  if (tasksFile) {
    tasks.push(...(await reader.tasksFromFile(tasksFile, role, false, [source.file], guarded)));
  } else if (request.tasksFrom || (await isDir(path.join(rolePath, 'tasks'))) || !(await hasAnyPart(rolePath))) {
    const wanted = `tasks/${request.tasksFrom ?? 'main.yml'}`;
    throw source.error('FILE_NOT_FOUND', `role '${role.name}' has no ${wanted}`, node,
      `A role's tasks are in ${path.join(rolePath, 'tasks', 'main.yml')} (or main.yaml). Files in ${path.join(rolePath, 'tasks')}: ${await listing(path.join(rolePath, 'tasks'))}.`);
  }
  const handlersFile = await findRoleFile(rolePath, 'handlers', request.handlersFrom);
  if (handlersFile) {
    play.addHandlers(JSON.stringify([rolePath, request.handlersFrom, request.params]),
      (await reader.tasksFromFile(handlersFile, role, true, [source.file])) as Handler[]);
  }
  return blockOf(tasks);
}

/** `ns.collection.role` shows as the role's own name, as Ansible's output does. */
function roleDisplayName(name: string, rolePath: string): string {
  return name.includes('/') ? path.basename(rolePath) : name;
}

async function hasAnyPart(rolePath: string): Promise<boolean> {
  for (const part of ['tasks', 'handlers', 'defaults', 'vars', 'meta', 'templates', 'files']) if (await isDir(path.join(rolePath, part))) return true;
  return false;
}

async function listing(dir: string): Promise<string> {
  const names = await readdir(dir).catch(() => undefined);
  if (!names) return '(no such folder)';
  return names.length ? names.sort().join(', ') : '(none)';
}

async function readMeta(rolePath: string, readRequest: RoleRequestReader, vault: VaultAccess | undefined): Promise<RoleMeta> {
  const file = await findRoleFile(rolePath, 'meta');
  if (!file) return { dependencies: [], allowDuplicates: false };
  const source = await readSource(file, undefined, vault);
  const root = deref(source, source.doc.contents);
  if (root === null || (isScalar(root) && root.value === null)) return { dependencies: [], allowDuplicates: false };
  if (!isMap(root)) {
    throw source.error('BAD_PLAYBOOK', `a role's meta/main.yml must be a mapping, got ${describeNode(root)}`, root,
      "For example:\ndependencies:\n  - role: common\ngalaxy_info:\n  author: you");
  }
  const entries = entriesOf(source, root);
  for (const entry of entries) {
    if (!META_KEYS.includes(entry.key)) {
      const near = closestName(entry.key, META_KEYS);
      throw source.error('BAD_PLAYBOOK', `unknown key '${entry.key}' in a role's meta/main.yml`, entry.keyNode,
        `${near ? `Did you mean '${near}'? ` : ''}meta/main.yml takes: ${META_KEYS.join(', ')}.`);
    }
  }
  const deps = entries.find((e) => e.key === 'dependencies');
  const dependencies: RoleRequest[] = [];
  if (deps && !(deps.value === null || (isScalar(deps.value) && deps.value.value === null))) {
    if (!isSeq(deps.value)) {
      throw source.error('BAD_PLAYBOOK', `'dependencies' must be a list of roles, got ${describeNode(deps.value)}`, deps.value,
        "For example:\ndependencies:\n  - common\n  - role: docker\n    docker_version: '20.10'");
    }
    for (const item of deps.value.items) dependencies.push(readRequest(source, deref(source, item), 'dependency'));
  }
  const dup = entries.find((e) => e.key === 'allow_duplicates');
  const allowDuplicates = dup ? source.value(dup.value) === true || ['yes', 'true'].includes(String(source.value(dup.value)).toLowerCase()) : false;
  return { dependencies, allowDuplicates };
}



