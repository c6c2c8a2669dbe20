/**
 * Tasks, blocks, includes and handlers, read from their YAML mappings. A
 * module task names exactly one known module (collection prefixes such as
 * `ansible.builtin.` dropped); an unknown key is a misspelt keyword when a
 * module is present, otherwise most likely a misspelt module.
 *
 * import_tasks and import_role are expanded when the playbook loads: the
 * included tasks become a block carrying the import's keywords, which is what
 * Ansible's import does. include_tasks, include_role and the legacy `include`
 * stay includes, decided per host when they run, as in Ansible: their `when`
 * and `tags` are the include's own (`apply:` gives keywords to the tasks
 * inside), they may loop, and a path may hold `{{ }}`. A literal path is
 * still read and checked now, so a broken file stops the run before any host.
 */
import path from 'node:path';
import { isMap, isScalar, isSeq, type Node as YamlNode, type YAMLMap, type YAMLSeq } from 'yaml';
import { SwarmplayError } from '../errors.js';
import type { ModuleDefinition } from '../modules/types.js';
import type { BlockTask, Handler, IncludeTask, ModuleTask, RawValue, RoleInstance, Task } from './playbook.js';
import type { ModuleCatalog } from './playbook-loader.js';
import {
  ALL_TASK_KEYWORDS, BLOCK_KEYWORDS, DYNAMIC_INCLUDE_KEYWORDS, HANDLER_KEYWORDS, INCLUDE_KEYWORDS, MODULE_TASK_KEYWORDS, UNSUPPORTED_ANSIBLE_KEYWORDS, WITH_LOOPS,
  checkKeyword, rejectUnsupported,
} from './keywords.js';
import {
  checkTemplates, readBecomeMethod, readBoolean, readBooleanOrTemplate, readConditions, readConnection, readEnvironment, readIdentifier, readInteger, readIntegerOrTemplate, readLoop,
  readLoopControl,
  readModuleDefaults, readString, readStringList, readVars, typeError,
} from './keyword-values.js';
import { applyRole, type PlayRoles, type RoleRequest } from './roles.js';
import { readModuleArgs } from './module-arguments.js';
import { stat } from 'node:fs/promises';
import type { VaultAccess } from '../vault/vaulted-value.js';
import { closestName, didYouMean } from './suggest.js';
import { refuseModule } from '../modules/unsupported.js';
import { containsTemplate } from './template-string.js';
import { deref, describeNode, entriesOf, readSource, type Entry, type SourceFile } from './yaml-source.js';

const INCLUDE_ACTIONS = ['import_tasks', 'include_tasks', 'include', 'import_role', 'include_role'];
/** Keywords of a roles: entry or a dependency; every other key is a role parameter. */
const ROLE_ENTRY_KEYWORDS = new Set<string>([...BLOCK_KEYWORDS.filter((k) => !['block', 'rescue', 'always', 'name'].includes(k)), 'role']);
/** include_role / import_role arguments. */
const ROLE_INCLUDE_ARGS = ['name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'public', 'apply', 'allow_duplicates', 'rolespec_validate'];
const MAX_INCLUDE_DEPTH = 20;

export interface TaskContext {
  source: SourceFile;
  /** Files being included, outermost first, for the circular-include check. */
  chain: string[];
  /** Handlers may carry `listen`; tasks may not. */
  handlers: boolean;
  /** The role whose files these are. */
  role?: RoleInstance;
  /** The play's roles and their handlers (import_role and include_role add to them). */
  playRoles?: PlayRoles;
  /** Said once the playbook is loaded (the legacy `include`). */
  warnings?: string[];
  /** A `when` above these tasks (a block's, an include's, a role's) may skip them on every host. */
  guarded?: boolean;
}

export class TaskLoader {
  constructor(private readonly modules: ModuleCatalog) {}

  async taskList(entry: Entry, ctx: TaskContext): Promise<Task[]> {
    const { source } = ctx;
    if (entry.value === null || (isScalar(entry.value) && entry.value.value === null)) return [];
    if (!isSeq(entry.value)) {
      throw source.error('BAD_PLAYBOOK', `'${entry.key}' must be a list of tasks, got ${describeNode(entry.value)}`, entry.value,
        `Start each task with '- ', e.g.\n${entry.key}:\n  - name: say hello\n    debug: {msg: hello}`);
    }
    return this.tasksOf(entry.value, ctx);
  }

  private async tasksOf(seq: YAMLSeq, ctx: TaskContext): Promise<Task[]> {
    const tasks: Task[] = [];
    for (const item of seq.items) tasks.push(await this.task(deref(ctx.source, item), ctx));
    return tasks;
  }

  async handlerList(entry: Entry, ctx: TaskContext): Promise<Handler[]> {
    return this.asHandlers(await this.taskList(entry, ctx), ctx);
  }

  private asHandlers(tasks: Task[], ctx: TaskContext): Handler[] {
    return tasks.map((task) => {
      if (task.kind !== 'module') {
        throw new SwarmplayError('BAD_PLAYBOOK', 'a handler must be a single module task, not a block or an import', {
          location: task.location, snippet: ctx.source.snippet(task.location),
          hint: 'Give the handler one module (e.g. systemd) and notify it by its name.',
        });
      }
      return task as Handler;
    });
  }

  private async task(node: YamlNode | null, context: TaskContext): Promise<Task> {
    const { source } = context;
    if (!isMap(node)) {
      throw source.error('BAD_PLAYBOOK', `each task must be a mapping (a module and its keywords), got ${describeNode(node)}`, node,
        "A task looks like '- name: make a folder' then 'file: {path: /srv/x, state: directory}'.");
    }
    const entries = entriesOf(source, node);
    const has = (key: string) => entries.some((e) => e.key === key);
    const ctx = has('when') && !context.guarded ? { ...context, guarded: true } : context;
    const include = entries.find((e) => INCLUDE_ACTIONS.includes(moduleName(e.key)));
    if (include) {
      const action = moduleName(include.key);
      if (action === 'import_role' || action === 'include_role') return this.roleInclude(node, entries, include, ctx);
      if (action === 'import_tasks') return this.include(node, entries, ctx);
      return this.dynamicInclude(node, entries, include, ctx);
    }
    if (has('block')) return this.block(node, entries, ctx);
    return this.moduleTask(node, entries, ctx);
  }

  /** Reads a task file of a role (tasks/ or handlers/): every task in it belongs to the role. */
  async tasksFromFile(file: string, role: RoleInstance | undefined, handlers: boolean, chain: string[], guarded?: boolean, parent?: TaskContext): Promise<Task[]> {
    const source = await readSource(file, undefined, this.vault);
    const root = deref(source, source.doc.contents);
    if (root === null || (isScalar(root) && root.value === null)) return [];
    if (!isSeq(root)) {
      throw source.error('BAD_PLAYBOOK', `a task file must be a list of tasks, got ${describeNode(root)}`, root,
        "Start each task with '- ', e.g. '- name: install docker' then 'command: ...'.");
    }
    const ctx: TaskContext = {
      source, chain: [...chain, file], handlers, role, playRoles: parent?.playRoles ?? this.playRoles, warnings: parent?.warnings ?? this.warnings, guarded,
    };
    const tasks = await this.tasksOf(root, ctx);
    if (handlers) return this.asHandlers(tasks, ctx);
    return tasks;
  }

  /** Set by the playbook loader for each play: where roles go and what warnings to say. */
  playRoles?: PlayRoles;
  warnings?: string[];
  /** The run's vault passwords: a whole-file encrypted task file is decrypted as it is read. */
  vault?: VaultAccess;

  /** A `roles:` entry, a meta dependency: a name, or a mapping with role (or name), keywords and parameters. */
  readRoleRequest = (source: SourceFile, node: YamlNode | null, what: string): RoleRequest => {
    if (isScalar(node) && typeof node.value === 'string' && node.value.trim() !== '') {
      return { name: node.value.trim(), source, node, params: {}, vars: {}, wrapper: { location: source.locationOf(node), when: [], tags: [], ignoreErrors: false, noLog: false, runOnce: false, vars: {} }, public: true };
    }
    if (!isMap(node)) {
      throw source.error('BAD_PLAYBOOK', `each ${what} must be a role name or a mapping with 'role:', got ${describeNode(node)}`, node,
        "For example '- common' or '- role: docker' with its parameters below it.");
    }
    const entries = entriesOf(source, node);
    const nameEntry = entries.find((e) => e.key === 'role') ?? entries.find((e) => e.key === 'name');
    if (!nameEntry) {
      throw source.error('BAD_PLAYBOOK', `this ${what} does not say which role: it has no 'role:'`, node, "Add 'role: NAME' (the role's folder name).");
    }
    const name = readString(source, nameEntry);
    const keywordEntries = entries.filter((e) => e !== nameEntry && ROLE_ENTRY_KEYWORDS.has(e.key));
    for (const entry of keywordEntries) rejectUnsupported(source, entry, 'role');
    const params: Record<string, RawValue> = {};
    for (const entry of entries) {
      if (entry === nameEntry || ROLE_ENTRY_KEYWORDS.has(entry.key) || entry.key === 'name') continue;
      const value = source.value(entry.value);
      checkTemplates(source, value, entry.value);
      params[entry.key] = value;
    }
    const wrapper = this.base(node, keywordEntries, source);
    const vars = wrapper.vars;
    return { name, source, node: nameEntry.value, params, vars, wrapper: { ...wrapper, vars: {} }, public: true };
  };

  private base(node: YAMLMap, entries: Entry[], source: SourceFile): Omit<ModuleTask, 'kind' | 'module' | 'args' | 'notify' | 'loopVar' | 'retries' | 'delay'> {
    const get = (key: string) => entries.find((e) => e.key === key);
    const nameEntry = get('name');
    const name = nameEntry ? readString(source, nameEntry) : undefined;
    if (nameEntry) checkTemplates(source, name, nameEntry.value);
    const delegate = get('delegate_to');
    const delegateTo = delegate ? readString(source, delegate) : undefined;
    if (delegate) checkTemplates(source, delegateTo, delegate.value);
    return {
      name,
      location: source.locationOf(node),
      when: get('when') ? readConditions(source, get('when')!) : [],
      tags: get('tags') ? readStringList(source, get('tags')!, true) : [],
      ignoreErrors: get('ignore_errors') ? readBooleanOrTemplate(source, get('ignore_errors')!) : false,
      noLog: get('no_log') ? readBoolean(source, get('no_log')!) : false,
      runOnce: get('run_once') ? readBoolean(source, get('run_once')!) : false,
      delegateTo,
      become: get('become') ? readBoolean(source, get('become')!) : undefined,
      checkMode: get('check_mode') ? readBoolean(source, get('check_mode')!) : undefined,
      vars: get('vars') ? readVars(source, get('vars')!) : {},
      becomeUser: get('become_user') ? readString(source, get('become_user')!) : undefined,
      becomeMethod: get('become_method') ? readBecomeMethod(source, get('become_method')!) : undefined,
      becomeFlags: get('become_flags') ? readString(source, get('become_flags')!) : undefined,
      environment: get('environment') ? readEnvironment(source, get('environment')!) : undefined,
      anyErrorsFatal: get('any_errors_fatal') ? readBoolean(source, get('any_errors_fatal')!) : undefined,
      ignoreUnreachable: get('ignore_unreachable') ? readBoolean(source, get('ignore_unreachable')!) : undefined,
      throttle: get('throttle') ? readInteger(source, get('throttle')!, 0) || undefined : undefined,
      remoteUser: get('remote_user') ? readString(source, get('remote_user')!) : undefined,
      connection: get('connection') ? readConnection(source, get('connection')!) : undefined,
      moduleDefaults: get('module_defaults') ? readModuleDefaults(source, get('module_defaults')!) : undefined,
    };
  }

  private async block(node: YAMLMap, entries: Entry[], ctx: TaskContext): Promise<BlockTask> {
    const { source } = ctx;
    for (const entry of entries) {
      if (BLOCK_KEYWORDS.includes(entry.key as (typeof BLOCK_KEYWORDS)[number])) continue;
      await this.modules.prepare?.(moduleName(entry.key));
      if (this.modules.find(moduleName(entry.key)) || MODULE_TASK_KEYWORDS.includes(entry.key as (typeof MODULE_TASK_KEYWORDS)[number])) {
        throw source.error('BAD_PLAYBOOK', `a block cannot have '${entry.key}': it only groups tasks`, entry.keyNode,
          `Move '${entry.key}' into a task inside 'block:'. A block takes: ${[...BLOCK_KEYWORDS].sort().join(', ')}.`);
      }
      checkKeyword(source, entry, BLOCK_KEYWORDS, 'block');
    }
    const get = (key: string) => entries.find((e) => e.key === key);
    const section = async (key: string): Promise<Task[]> => (get(key) ? this.taskList(get(key)!, ctx) : []);
    const block = await section('block');
    if (block.length === 0) {
      throw source.error('BAD_PLAYBOOK', "'block' must hold at least one task", get('block')!.value ?? get('block')!.keyNode, 'Put the tasks to run as a list under block:.');
    }
    return { ...this.base(node, entries, source), kind: 'block', block, rescue: await section('rescue'), always: await section('always') };
  }

  private async include(node: YAMLMap, entries: Entry[], ctx: TaskContext): Promise<BlockTask> {
    const { source } = ctx;
    for (const entry of entries) checkKeyword(source, entry, INCLUDE_KEYWORDS, 'import_tasks');
    const includes = entries.filter((e) => INCLUDE_ACTIONS.includes(moduleName(e.key)));
    if (includes.length > 1) {
      throw source.error('BAD_PLAYBOOK', 'a task can import only one file', includes[1]!.keyNode, 'Write one import_tasks per task.');
    }
    for (const key of ['loop', ...WITH_LOOPS]) {
      const looping = entries.find((e) => e.key === key);
      if (looping) throw source.error('BAD_PLAYBOOK', `import_tasks cannot '${key}': it is read before the play runs`, looping.keyNode, 'Use include_tasks to loop over a task file.');
    }
    const entry = includes[0]!;
    const relative = includePath(source, entry);
    if (containsTemplate(relative)) {
      throw source.error('BAD_PLAYBOOK', `the path of '${entry.key}' cannot hold '{{ }}': task files are read before the play runs`, entry.value,
        'Write the path literally, relative to this file.');
    }
    const file = await this.resolveTaskFile(relative, ctx);
    const block = await this.readTaskFile(file, entry, ctx);
    const base = this.base(node, entries, source);
    return { ...base, role: ctx.role, name: base.name ?? `${entry.key}: ${relative}`, kind: 'block', block, rescue: [], always: [] };
  }

  /** A relative task file: beside the including file, then (in a role) in the role's tasks/ and the role itself. */
  private async resolveTaskFile(relative: string, ctx: TaskContext): Promise<string> {
    const candidates = [path.resolve(path.dirname(ctx.source.file), relative)];
    if (ctx.role) candidates.push(path.resolve(ctx.role.path, 'tasks', relative), path.resolve(ctx.role.path, relative));
    for (const candidate of candidates) if (await stat(candidate).then((s) => s.isFile(), () => false)) return candidate;
    return candidates[0]!;
  }

  private async readTaskFile(file: string, entry: Entry, ctx: TaskContext): Promise<Task[]> {
    const { source } = ctx;
    if (ctx.chain.includes(file)) {
      const cycle = [...ctx.chain, file].map((f) => path.relative(path.dirname(ctx.chain[0]!), f) || path.basename(f)).join(' -> ');
      throw source.error('BAD_PLAYBOOK', `circular ${entry.key}: ${cycle}`, entry.value, 'A task file must not import itself, directly or through others.');
    }
    if (ctx.chain.length > MAX_INCLUDE_DEPTH) {
      throw source.error('BAD_PLAYBOOK', `${entry.key} nested more than ${MAX_INCLUDE_DEPTH} files deep`, entry.value);
    }
    const included = await readSource(file, { source, node: entry.value }, this.vault);
    const root = deref(included, included.doc.contents);
    if (isSeq(root)) return this.tasksOf(root, { ...ctx, source: included, chain: [...ctx.chain, file] });
    if (!(root === null || (isScalar(root) && root.value === null))) {
      throw included.error('BAD_PLAYBOOK', `a task file must be a list of tasks, got ${describeNode(root)}`, root,
        "Start each task with '- ', e.g. '- name: install docker' then 'command: ...'.");
    }
    return [];
  }

  /** include_tasks and the legacy include: decided per host at run time; a literal file is read now. */
  private async dynamicInclude(node: YAMLMap, entries: Entry[], entry: Entry, ctx: TaskContext): Promise<IncludeTask> {
    const { source } = ctx;
    for (const e of entries) checkKeyword(source, moduleKeyed(e), DYNAMIC_INCLUDE_KEYWORDS, moduleName(entry.key));
    const action = moduleName(entry.key);
    if (action === 'include') {
      ctx.warnings?.push(`${source.file}:${source.locationOf(node).line}: 'include' is deprecated (as in Ansible 2.16): use include_tasks (or import_tasks)`);
    }
    const target = includePath(source, entry);
    const base = this.base(node, entries, source);
    const loop = this.loopOf(entries, source);
    const applyEntry = entries.find((e) => e.key === 'apply');
    const task: IncludeTask = {
      ...base, role: ctx.role, name: base.name ?? `${action}: ${target}`, kind: 'include', action: 'include_tasks', target,
      baseDir: path.dirname(source.file), ...loop,
    };
    if (applyEntry) task.roleOptions = { apply: this.applyKeywords(applyEntry, source) };
    if (!containsTemplate(target)) {
      task.loaded = await this.readTaskFile(await this.resolveTaskFile(target, ctx), entry, ctx);
    }
    return task;
  }

  /** `loop`, or one `with_<lookup>` whose terms (any value: a list, a string such as 'start=1 end=3') go to that lookup. */
  private loopOf(entries: Entry[], source: SourceFile): { loop?: RawValue; loopWith?: string; loopVar: string; indexVar?: string } {
    const get = (key: string) => entries.find((e) => e.key === key);
    const loops = entries.filter((e) => e.key === 'loop' || (WITH_LOOPS as readonly string[]).includes(e.key));
    if (loops.length > 1) {
      throw source.error('BAD_PLAYBOOK', `a task takes one loop, but this one has '${loops[0]!.key}' and '${loops[1]!.key}'`, loops[1]!.keyNode, 'Keep one of them.');
    }
    const control = get('loop_control') ? readLoopControl(source, get('loop_control')!) : { loopVar: 'item' };
    const loopEntry = loops[0];
    if (!loopEntry) return { loopVar: control.loopVar, indexVar: control.indexVar };
    if (loopEntry.key === 'loop') return { loop: readLoop(source, loopEntry), loopVar: control.loopVar, indexVar: control.indexVar };
    const terms = source.value(loopEntry.value);
    checkTemplates(source, terms, loopEntry.value);
    return { loop: terms ?? [], loopWith: loopEntry.key.slice('with_'.length), loopVar: control.loopVar, indexVar: control.indexVar };
  }

  /** `apply:` of include_tasks / include_role: keywords given to every task inside. */
  private applyKeywords(entry: Entry, source: SourceFile): Omit<BlockTask, 'kind' | 'block' | 'rescue' | 'always'> {
    if (!isMap(entry.value)) throw typeError(source, entry, 'a mapping of task keywords', "'apply: {tags: [docker], become: true}'");
    const entries = entriesOf(source, entry.value);
    for (const e of entries) checkKeyword(source, e, BLOCK_KEYWORDS.filter((k) => !['block', 'rescue', 'always'].includes(k)), 'apply');
    return this.base(entry.value, entries, source);
  }

  /** import_role (static: expanded now) and include_role (per host at run time; a literal name is read now). */
  private async roleInclude(node: YAMLMap, entries: Entry[], entry: Entry, ctx: TaskContext): Promise<Task> {
    const { source } = ctx;
    const action = moduleName(entry.key) as 'import_role' | 'include_role';
    for (const e of entries) checkKeyword(source, moduleKeyed(e), action === 'include_role' ? DYNAMIC_INCLUDE_KEYWORDS : INCLUDE_KEYWORDS, action);
    if (!ctx.playRoles) throw source.error('BAD_PLAYBOOK', `${action} cannot be used here`, entry.keyNode, "Use it in a play's tasks.");
    if (!isMap(entry.value)) throw typeError(source, entry, "a mapping with the role's name", `'${entry.key}: {name: docker}'`);
    const args = entriesOf(source, entry.value);
    const arg = (key: string) => args.find((e) => e.key === key);
    for (const a of args) {
      if (!ROLE_INCLUDE_ARGS.includes(a.key)) {
        throw source.error('BAD_ARGUMENT', `unknown ${action} argument '${a.key}'`, a.keyNode,
          didYouMean(a.key, ROLE_INCLUDE_ARGS, { listPrefix: `${action} takes: ` }) || `Role parameters go under 'vars:' of the task.`);
      }
    }
    if (!arg('name')) throw source.error('BAD_ARGUMENT', `${action} needs the role's 'name'`, entry.value, `'${entry.key}: {name: docker}'`);
    if (action === 'import_role' && arg('public')) {
      throw source.error('BAD_ARGUMENT', "import_role does not take 'public': its variables are always visible to the play", arg('public')!.keyNode, "Remove 'public', or use include_role.");
    }
    const name = readString(source, arg('name')!);
    const from = (key: string): string | undefined => (arg(key) ? readString(source, arg(key)!) : undefined);
    const base = this.base(node, entries, source);
    const isPublic = action === 'import_role' || (arg('public') ? readBoolean(source, arg('public')!) : false);
    const apply = arg('apply') ? this.applyKeywords(arg('apply')!, source) : undefined;
    const request: RoleRequest = {
      name, source, node: arg('name')!.value, params: base.vars, vars: {},
      wrapper: action === 'import_role' ? { ...base, vars: {} } : { ...(apply ?? { location: base.location, when: [], tags: [], ignoreErrors: false, noLog: false, runOnce: false }), vars: {} },
      tasksFrom: from('tasks_from'), varsFrom: from('vars_from'), defaultsFrom: from('defaults_from'), handlersFrom: from('handlers_from'),
      public: isPublic, allowDuplicates: true, guarded: ctx.guarded,
    };
    if (action === 'import_role') {
      if (containsTemplate(name)) {
        throw source.error('BAD_PLAYBOOK', "import_role's name cannot hold '{{ }}': it is read before the play runs", arg('name')!.value, 'Use include_role for a name chosen at run time.');
      }
      const block = await applyRole(request, ctx.playRoles, this, this.readRoleRequest);
      return { ...block, name: base.name ?? `import_role: ${name}`, vars: {} };
    }
    const task: IncludeTask = {
      ...base, vars: {}, role: ctx.role, name: base.name ?? `include_role : ${name}`, kind: 'include', action: 'include_role', target: name,
      baseDir: path.dirname(source.file), ...this.loopOf(entries, source), roleOptions: { public: isPublic },
    };
    const templated = [name, request.tasksFrom, request.varsFrom, request.defaultsFrom, request.handlersFrom].some((v) => v !== undefined && containsTemplate(v));
    // A literal role is read now (each loop item runs the same tasks); a templated one when the play runs, per host.
    if (templated) {
      task.roleRequest = request;
      return task;
    }
    // Its handlers join the play when the include runs, after those already there (the last loaded wins, as in Ansible).
    const before = ctx.playRoles.handlers.length;
    task.loaded = [await applyRole(request, ctx.playRoles, this, this.readRoleRequest)];
    task.roleHandlers = ctx.playRoles.handlers.splice(before);
    return task;
  }

  private async moduleTask(node: YAMLMap, entries: Entry[], ctx: TaskContext): Promise<ModuleTask | Handler> {
    const { source } = ctx;
    const keywords = ctx.handlers ? HANDLER_KEYWORDS : MODULE_TASK_KEYWORDS;
    // The registry, for names() even when the task names no module at all.
    await this.modules.prepare?.();
    const moduleEntries: { entry: Entry; module: ModuleDefinition }[] = [];
    const unknown: Entry[] = [];
    let refusal: { entry: Entry; message: string; hint: string } | undefined;
    for (const entry of entries) {
      if ((keywords as readonly string[]).includes(entry.key)) {
        rejectUnsupported(source, entry, 'task');
        continue;
      }
      await this.modules.prepare?.(moduleName(entry.key));
      const module = this.modules.find(moduleName(entry.key));
      if (module) moduleEntries.push({ entry, module });
      else unknown.push(entry);
    }
    if (moduleEntries.length > 1) {
      throw source.error('BAD_PLAYBOOK', `a task can use only one module, but this one has '${moduleEntries[0]!.entry.key}' and '${moduleEntries[1]!.entry.key}'`,
        moduleEntries[1]!.entry.keyNode, 'Split it into two tasks, one module each.');
    }
    for (const entry of unknown) {
      if (entry.key === 'listen' && !ctx.handlers) {
        throw source.error('UNKNOWN_KEYWORD', "'listen' is only for handlers", entry.keyNode, "Move this task under 'handlers:', or use 'notify' to trigger a handler.");
      }
      if (ALL_TASK_KEYWORDS.has(entry.key) && entry.key !== 'listen') {
        throw source.error('UNKNOWN_KEYWORD', `'${entry.key}' belongs to a block or import, not to a module task`, entry.keyNode,
          `Keywords of a task: ${[...keywords].sort().join(', ')}.`);
      }
      const nearKeyword = closestName(entry.key, [...keywords]);
      const nearModule = closestName(shortName(entry.key), this.modules.names());
      // With a module present, an unknown key is a misspelt keyword; without one, it is most likely the module.
      if (moduleEntries.length > 0 || (nearKeyword && !nearModule)) {
        checkKeyword(source, entry, keywords, 'task');
      }
      // The name without its collection may be a module ('community.general.copy' for 'copy'): loaded to be found.
      await this.modules.prepare?.(shortName(entry.key));
      const refused = refuseModule(entry.key, (short) => this.modules.find(short) !== undefined);
      // Such a task becomes a `fail` task for the hosts that run it.
      if (refused?.known) await this.modules.prepare?.('fail');
      if (refused && refused.known && (ctx.guarded || ctx.handlers) && unknown.length === 1 && moduleEntries.length === 0 && this.modules.find('fail')) {
        refusal = { entry, ...refused };
        break;
      }
      if (refused) throw source.error('UNKNOWN_MODULE', refused.message, entry.keyNode, refused.hint);
      const custom = await projectModule(entry.key, ctx);
      if (custom) {
        throw source.error('UNKNOWN_MODULE', `'${entry.key}' is this project's own Ansible module (${custom}): swarmplay runs no module code on the hosts`, entry.keyNode,
          'Do what it does with command or shell and read the output with register (from_json for JSON output), or use a swarmplay module that covers it: '
          + `${[...this.modules.names()].filter((n) => n.includes('info') || n.includes('facts')).sort().join(', ')}.`);
      }
      throw source.error('UNKNOWN_MODULE', `unknown module '${entry.key}'`, entry.keyNode,
        didYouMean(shortName(entry.key), this.modules.names(), { listPrefix: 'Modules: ' }));
    }
    if (refusal) {
      // An Ansible module swarmplay lacks, under a `when` that may skip it (zypper tasks of a role's SUSE branch) or in a handler:
      // Ansible decides per host whether the task runs, so the refusal waits for a host that runs it.
      const where = `${source.file}:${source.locationOf(refusal.entry.keyNode).line}`;
      ctx.warnings?.push(`${where}: ${refusal.message}: a host that runs this task fails it. ${refusal.hint}`);
      moduleEntries.push({ entry: refusal.entry, module: this.modules.find('fail')! });
    }
    if (moduleEntries.length === 0) {
      throw source.error('BAD_PLAYBOOK', 'this task has no module: it does nothing', node,
        `Add one module with its arguments, e.g. 'command: uptime'. Modules: ${[...this.modules.names()].sort().join(', ')}.`);
    }
    const { entry: moduleEntry, module } = moduleEntries[0]!;
    const get = (key: string) => entries.find((e) => e.key === key);
    const args = refusal ? { msg: `${source.file}:${source.locationOf(refusal.entry.keyNode).line}: ${refusal.message}. ${refusal.hint}` }
      : readModuleArgs(source, moduleEntry, module, get('args'));
    if (module.name === 'meta' && args._raw === 'end_role' && !ctx.role) {
      throw source.error('BAD_PLAYBOOK', "meta: end_role is only for a role's tasks", moduleEntry.value ?? moduleEntry.keyNode,
        "Outside a role, use 'meta: end_host' (this host) or 'meta: end_play' (every host).");
    }
    const untilEntry = get('until');
    const task: ModuleTask = {
      ...this.base(node, entries, source),
      kind: 'module',
      module: module.name,
      args,
      register: get('register') ? readIdentifier(source, get('register')!) : undefined,
      ...(module.definesVariables && { definesVariables: module.definesVariables(args) }),
      notify: get('notify') ? readStringList(source, get('notify')!, false) : [],
      ...this.loopOf(entries, source),
      changedWhen: get('changed_when') ? readConditions(source, get('changed_when')!) : undefined,
      failedWhen: get('failed_when') ? readConditions(source, get('failed_when')!) : undefined,
      until: untilEntry ? readConditions(source, untilEntry) : undefined,
      // Ansible's defaults once `until` is given.
      retries: get('retries') ? readIntegerOrTemplate(source, get('retries')!, 0) : 3,
      delay: get('delay') ? readIntegerOrTemplate(source, get('delay')!, 0) : 5,
      async: get('async') ? readInteger(source, get('async')!, 0) : undefined,
      poll: get('poll') ? readInteger(source, get('poll')!, 0) : undefined,
      delegateFacts: get('delegate_facts') ? readBoolean(source, get('delegate_facts')!) : undefined,
      role: ctx.role,
    };
    if (ctx.handlers) {
      const handler: Handler = { ...task, listen: get('listen') ? readStringList(source, get('listen')!, false) : [] };
      if (!handler.name && handler.listen.length === 0) {
        throw source.error('BAD_PLAYBOOK', "a handler needs a 'name' (or 'listen') so tasks can notify it", node, "Add 'name: restart docker' and 'notify: restart docker' in the task.");
      }
      return handler;
    }
    return task;
  }
}

/** A module file in library/ beside the playbook or in the role (Ansible's place for a project's own modules). */
async function projectModule(name: string, ctx: TaskContext): Promise<string | undefined> {
  const dirs = [path.dirname(ctx.source.file), ...(ctx.role ? [ctx.role.path] : [])];
  for (const dir of dirs) {
    for (const file of [name, `${name}.py`, `${name}.ps1`]) {
      const candidate = path.join(dir, 'library', file);
      if (await stat(candidate).then((s) => s.isFile(), () => false)) return candidate;
    }
  }
  return undefined;
}

/** An entry with a collection-prefixed action (ansible.builtin.include_tasks) checked under its short name. */
function moduleKeyed(entry: Entry): Entry {
  return { ...entry, key: moduleName(entry.key) };
}

function includePath(source: SourceFile, entry: Entry): string {
  let relative = source.value(entry.value);
  // `include_tasks: {file: x.yml}` is the long form.
  if (relative && typeof relative === 'object' && !Array.isArray(relative)) relative = (relative as Record<string, unknown>).file;
  if (typeof relative !== 'string' || relative.trim() === '') {
    throw typeError(source, entry, 'the path of a task file', `'${entry.key}: tasks/docker.yaml'`);
  }
  return relative.trim();
}

/** A module's name without its collection, for suggestions. */
function shortName(key: string): string {
  return key.replace(/^[a-z0-9_]+\.[a-z0-9_]+\./, '');
}

/** An action's name without `ansible.builtin.` / `ansible.legacy.` (include_tasks, import_role...). */
function moduleName(key: string): string {
  return key.replace(/^ansible\.(?:builtin|legacy)\./, '');
}
