/**
 * Reads a playbook file into the validated shape of playbook.ts, checking
 * everything that can be checked before any host is touched: YAML syntax,
 * play and task keywords, exactly one known module per task, each module's
 * arguments against its zod schema (values holding `{{ }}` are checked after
 * templating, at run time), and the syntax of every expression and template.
 *
 * Every error names file:line:column of the offending node, shows the
 * source around it and says what would be right.
 *
 * This file reads the plays; the rest is one job a file:
 *   yaml-source.ts      the YAML file and where each node was written
 *   keywords.ts         which keywords plays, tasks, blocks and handlers take
 *   keyword-values.ts   the typed value of each keyword (serial, when, ...)
 *   task-loader.ts      tasks, blocks, handlers, import_tasks/include_tasks
 *   module-arguments.ts a task's module arguments against the module's schema
 */
import path from 'node:path';
import { isMap, isScalar, isSeq, type Node as YamlNode, type YAMLMap } from 'yaml';
import type { ModuleDefinition } from '../modules/types.js';
import type { Play, Playbook, Task, VarsPrompt } from './playbook.js';
import { PlayRoles, applyRole, roleSearchPath, type RoleSearchPath } from './roles.js';
import { containsTemplate } from './template-string.js';
import type { VaultAccess } from '../vault/vaulted-value.js';
import { PLAY_KEYWORDS, checkKeyword } from './keywords.js';
import {
  checkTemplates, readBecomeMethod, readBoolean, readConditions, readConnection, readEnvironment, readHostPattern, readModuleDefaults, readPercentage, readSerial, readStrategy,
  readString, readStringList, readVars, typeError,
} from './keyword-values.js';
import { TaskLoader, type TaskContext } from './task-loader.js';
import { deref, describeNode, entriesOf, readSource, type Entry, type SourceFile } from './yaml-source.js';

/** The modules a playbook may use. The real one is src/modules/index.ts. */
export interface ModuleCatalog {
  find(name: string): ModuleDefinition | undefined;
  names(): string[];
  /** Called (and awaited) before a task is read, and with each name it may use as its module before find() is asked for it. */
  prepare?(name?: string): Promise<void>;
}

export interface LoadPlaybookOptions {
  /** Defaults to the module registry of src/modules/index.ts. */
  modules?: ModuleCatalog;
  /** roles_path from the configuration (ANSIBLE_ROLES_PATH wins over it, as in Ansible). */
  rolesPath?: string[];
  /** Vault passwords, for encrypted role defaults and vars. */
  vault?: VaultAccess;
}

const MAX_PLAYBOOK_IMPORTS = 20;

/**
 * The module registry (src/modules/index.ts), imported when the first task is
 * read, and each module when a task first names it: a play without tasks,
 * `--version` or `--help` loads none, a run only the modules its tasks use.
 */
class ModuleRegistry implements ModuleCatalog {
  private registry?: typeof import('../modules/index.js');

  async prepare(name?: string): Promise<void> {
    this.registry ??= await import('../modules/index.js');
    if (name !== undefined) await this.registry.loadModule(name);
  }

  find(name: string): ModuleDefinition | undefined {
    return this.loaded().findModule(name);
  }

  names(): string[] {
    return this.loaded().moduleNames();
  }

  private loaded(): typeof import('../modules/index.js') {
    // Every task passes the loader, which prepares its names first: a task never finds the registry missing.
    if (!this.registry) throw new Error('the module registry was asked for a module before prepare()');
    return this.registry;
  }
}

/** The one registry of a process: the loader loads it, the runner finds the tasks' modules in it. */
export const MODULE_REGISTRY: ModuleCatalog = new ModuleRegistry();

export async function loadPlaybook(file: string, options: LoadPlaybookOptions = {}): Promise<Playbook> {
  const modules = options.modules ?? MODULE_REGISTRY;
  const absolute = path.resolve(file);
  const source = await readSource(absolute, undefined, options.vault);
  const warnings: string[] = [];
  const loader = new TaskLoader(modules);
  loader.warnings = warnings;
  loader.vault = options.vault;
  const search = { ...roleSearchPath(path.dirname(absolute), options.rolesPath), vault: options.vault };
  const plays = await readPlays(source, loader, search, [absolute]);
  return { file: absolute, dir: path.dirname(absolute), plays, warnings };
}

/** Loads and validates without running: what `swarmplay check` needs. Throws the first problem found. */
export const validatePlaybookStatically = loadPlaybook;

async function readPlays(source: SourceFile, tasks: TaskLoader, search: RoleSearchPath, chain: string[]): Promise<Play[]> {
  const root = deref(source, source.doc.contents);
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    throw source.error('BAD_PLAYBOOK', 'the playbook is empty', null, 'A playbook is a YAML list of plays, e.g.\n- hosts: all\n  tasks:\n    - debug: {msg: hello}');
  }
  if (!isSeq(root)) {
    throw source.error('BAD_PLAYBOOK', `a playbook must be a list of plays, but this file holds ${describeNode(root)}`, root,
      isMap(root) ? "Start the play with '- ' to make it an item of a list: '- hosts: all'." : 'Write a list of plays: "- hosts: all".');
  }
  if (root.items.length === 0) throw source.error('BAD_PLAYBOOK', 'the playbook is an empty list: it has no plays', root, 'Add a play: "- hosts: all".');
  const plays: Play[] = [];
  for (const item of root.items) {
    const node = deref(source, item);
    const imported = isMap(node) ? entriesOf(source, node).find((e) => ['import_playbook', 'include'].includes(e.key.replace(/^ansible\.builtin\./, ''))) : undefined;
    if (imported && isMap(node)) plays.push(...(await importPlaybook(source, node, imported, tasks, search, chain)));
    else plays.push(await readPlay(source, node, tasks, search));
  }
  return plays;
}

const IMPORT_PLAYBOOK_KEYWORDS = ['import_playbook', 'ansible.builtin.import_playbook', 'include', 'name', 'vars', 'tags', 'when'];

/**
 * `- import_playbook: other.yml`: its plays in place, with the import's vars
 * and tags. Its `when` guards each play's fact gathering and every task of
 * pre_tasks, roles, tasks and post_tasks (not handlers), as Ansible's does.
 */
async function importPlaybook(
  source: SourceFile, node: YAMLMap, entry: Entry, tasks: TaskLoader, search: RoleSearchPath, chain: string[],
): Promise<Play[]> {
  const entries = entriesOf(source, node);
  for (const e of entries) checkKeyword(source, e, IMPORT_PLAYBOOK_KEYWORDS, 'import_playbook');
  if (entry.key === 'include') tasks.warnings?.push(`${source.file}:${source.locationOf(node).line}: 'include' of a playbook is deprecated: use import_playbook`);
  const relative = readString(source, entry);
  if (containsTemplate(relative)) {
    throw source.error('BAD_PLAYBOOK', "the path of import_playbook cannot hold '{{ }}': playbooks are read before they run", entry.value, 'Write the path literally, relative to this file.');
  }
  const file = path.resolve(path.dirname(source.file), relative);
  if (chain.includes(file) || chain.length > MAX_PLAYBOOK_IMPORTS) {
    throw source.error('BAD_PLAYBOOK', `circular import_playbook: ${[...chain, file].map((f) => path.basename(f)).join(' -> ')}`, entry.value, 'A playbook must not import itself, directly or through others.');
  }
  const imported = await readSource(file, { source, node: entry.value }, tasks.vault);
  const plays = await readPlays(imported, tasks, search, [...chain, file]);
  const get = (key: string) => entries.find((e) => e.key === key);
  const vars = get('vars') ? readVars(source, get('vars')!) : {};
  const tags = get('tags') ? readStringList(source, get('tags')!, true) : [];
  const when = get('when') ? readConditions(source, get('when')!) : [];
  return plays.map((play) => ({
    ...play, vars: { ...play.vars, ...vars }, tags: [...tags, ...play.tags],
    ...(when.length && { importedWhen: [...when, ...(play.importedWhen ?? [])] }),
  }));
}

async function readPlay(source: SourceFile, node: YamlNode | null, tasks: TaskLoader, search: RoleSearchPath): Promise<Play> {
  if (!isMap(node)) {
    throw source.error('BAD_PLAYBOOK', `each play must be a mapping of play keywords, got ${describeNode(node)}`, node, 'A play looks like "- hosts: all" followed by "tasks:".');
  }
  const entries = entriesOf(source, node);
  for (const entry of entries) checkKeyword(source, entry, PLAY_KEYWORDS, 'play');
  const get = (key: string) => entries.find((e) => e.key === key);
  const hostsEntry = get('hosts');
  if (!hostsEntry) {
    throw source.error('BAD_PLAYBOOK', "this play has no 'hosts'", node, "Say which hosts it runs on: 'hosts: all', a group, or a pattern like 'managers:&docker01'.");
  }
  const hosts = readHostPattern(source, hostsEntry);
  const playRoles = new PlayRoles(search);
  tasks.playRoles = playRoles;
  const ctx: TaskContext = { source, chain: [source.file], handlers: false, playRoles, warnings: tasks.warnings };
  const preTasks = get('pre_tasks') ? await tasks.taskList(get('pre_tasks')!, ctx) : [];
  // roles: run after pre_tasks and before tasks, in the same section as tasks (handlers flush after both).
  const roleBlocks: Task[] = [];
  const rolesEntry = get('roles');
  if (rolesEntry && !(rolesEntry.value === null || (isScalar(rolesEntry.value) && rolesEntry.value.value === null))) {
    if (!isSeq(rolesEntry.value)) {
      throw source.error('BAD_PLAYBOOK', `'roles' must be a list of roles, got ${describeNode(rolesEntry.value)}`, rolesEntry.value,
        "For example:\nroles:\n  - common\n  - role: docker\n    docker_port: 2375");
    }
    for (const item of rolesEntry.value.items) {
      const request = tasks.readRoleRequest(source, deref(source, item), 'role');
      roleBlocks.push(await applyRole(request, playRoles, tasks, tasks.readRoleRequest));
    }
  }
  const playTasks = get('tasks') ? await tasks.taskList(get('tasks')!, ctx) : [];
  const postTasks = get('post_tasks') ? await tasks.taskList(get('post_tasks')!, ctx) : [];
  const playHandlers = get('handlers') ? await tasks.handlerList(get('handlers')!, { ...ctx, handlers: true }) : [];
  const play: Play = {
    name: get('name') ? readString(source, get('name')!) : hosts,
    location: source.locationOf(node),
    hosts,
    vars: get('vars') ? readVars(source, get('vars')!) : {},
    varsFiles: get('vars_files') ? readVarsFilesList(source, get('vars_files')!) : [],
    gatherFacts: get('gather_facts') ? readBoolean(source, get('gather_facts')!) : true,
    serial: get('serial') ? readSerial(source, get('serial')!) : [],
    anyErrorsFatal: get('any_errors_fatal') ? readBoolean(source, get('any_errors_fatal')!) : false,
    maxFailPercentage: get('max_fail_percentage') ? readPercentage(source, get('max_fail_percentage')!) : undefined,
    strategy: get('strategy') ? readStrategy(source, get('strategy')!) : 'linear',
    become: get('become') ? readBoolean(source, get('become')!) : undefined,
    remoteUser: get('remote_user') ? readString(source, get('remote_user')!) : undefined,
    connection: get('connection') ? readConnection(source, get('connection')!) : undefined,
    becomeUser: get('become_user') ? readString(source, get('become_user')!) : undefined,
    becomeMethod: get('become_method') ? readBecomeMethod(source, get('become_method')!) : undefined,
    becomeFlags: get('become_flags') ? readString(source, get('become_flags')!) : undefined,
    environment: get('environment') ? readEnvironment(source, get('environment')!) : undefined,
    moduleDefaults: get('module_defaults') ? readModuleDefaults(source, get('module_defaults')!) : undefined,
    varsPrompt: get('vars_prompt') ? readVarsPrompt(source, get('vars_prompt')!) : [],
    roles: playRoles.roles,
    tags: get('tags') ? readStringList(source, get('tags')!, true) : [],
    preTasks,
    tasks: [...roleBlocks, ...playTasks],
    postTasks,
    // Role handlers first, then the play's, as Ansible orders them.
    handlers: [...playRoles.handlers, ...playHandlers],
  };
  if (get('name')) checkTemplates(source, play.name, get('name')!.value);
  return play;
}

/** vars_files: each entry a path, or a list of paths of which the first that exists is read. */
function readVarsFilesList(source: SourceFile, entry: Entry): (string | string[])[] {
  const v = source.value(entry.value);
  const items = Array.isArray(v) ? v : [v];
  return items.map((item) => {
    const ok = (x: unknown): x is string => typeof x === 'string' && x.trim() !== '';
    if (ok(item)) return item;
    if (Array.isArray(item) && item.length > 0 && item.every(ok)) return item;
    throw typeError(source, entry, 'a list of file paths (an entry may be a list of candidates: the first found is read)', "'vars_files: [vars/common.yml, [\"vars/{{ env }}.yml\", vars/default.yml]]'");
  }).map((item) => { checkTemplates(source, item, entry.value); return item; });
}

const VARS_PROMPT_KEYS = ['name', 'prompt', 'private', 'default', 'confirm', 'encrypt', 'salt_size', 'salt', 'unsafe'];

function readVarsPrompt(source: SourceFile, entry: Entry): VarsPrompt[] {
  if (!isSeq(entry.value)) throw typeError(source, entry, 'a list of prompts', "'vars_prompt: [{name: admin_password, prompt: Password?, private: true}]'");
  return entry.value.items.map((item) => {
    const node = deref(source, item);
    if (!isMap(node)) throw source.error('BAD_PLAYBOOK', `each vars_prompt entry must be a mapping, got ${describeNode(node)}`, node, "For example '- name: admin_password' with 'prompt: Password?'.");
    const entries = entriesOf(source, node);
    for (const e of entries) checkKeyword(source, e, VARS_PROMPT_KEYS, 'vars_prompt');
    const get = (key: string) => entries.find((e) => e.key === key);
    if (!get('name')) throw source.error('BAD_PLAYBOOK', "this vars_prompt entry has no 'name'", node, "Add 'name: the_variable'.");
    const name = readString(source, get('name')!);
    for (const key of ['encrypt', 'salt_size', 'salt']) {
      if (get(key)) throw source.error('UNKNOWN_KEYWORD', `vars_prompt's '${key}' is not supported by swarmplay`, get(key)!.keyNode, "Hash the value in a task instead, e.g. with 'password_hash' in a set_fact.");
    }
    return {
      name,
      prompt: get('prompt') ? readString(source, get('prompt')!) : name,
      private: get('private') ? readBoolean(source, get('private')!) : true,
      default: get('default') ? source.value(get('default')!.value) : undefined,
      confirm: get('confirm') ? readBoolean(source, get('confirm')!) : false,
      location: source.locationOf(node),
    };
  });
}
