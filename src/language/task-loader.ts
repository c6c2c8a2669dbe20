/**
 * Tasks, blocks, includes and handlers, read from their YAML mappings. A
 * module task names exactly one known module (collection prefixes such as
 * `ansible.builtin.` dropped); an unknown key is a misspelt keyword when a
 * module is present, otherwise most likely a misspelt module.
 *
 * import_tasks and include_tasks are both expanded when the playbook loads
 * (include_tasks is dynamic in Ansible; here it is static, so its path cannot
 * hold `{{ }}`): the included tasks become a block carrying the include's
 * name, when, tags and vars, which is what Ansible's import does.
 */
import path from 'node:path';
import { isMap, isScalar, isSeq, type Node as YamlNode, type YAMLMap, type YAMLSeq } from 'yaml';
import { SwarmplayError, snippetAt } from '../errors.js';
import type { ModuleDefinition } from '../modules/types.js';
import type { BlockTask, Handler, ModuleTask, Task } from './playbook.js';
import type { ModuleCatalog } from './playbook-loader.js';
import {
  ALL_TASK_KEYWORDS, BLOCK_KEYWORDS, HANDLER_KEYWORDS, INCLUDE_KEYWORDS, MODULE_TASK_KEYWORDS, UNSUPPORTED_ANSIBLE_KEYWORDS, checkKeyword,
} from './keywords.js';
import {
  checkTemplates, readBoolean, readConditions, readIdentifier, readInteger, readLoop, readLoopControl, readString, readStringList, readVars, typeError,
} from './keyword-values.js';
import { readModuleArgs } from './module-arguments.js';
import { closestName, didYouMean } from './suggest.js';
import { containsTemplate } from './template-string.js';
import { deref, describeNode, entriesOf, readSource, type Entry, type SourceFile } from './yaml-source.js';

const COLLECTION_PREFIXES = ['ansible.builtin.', 'ansible.legacy.', 'ansible.posix.', 'community.general.'];
const MAX_INCLUDE_DEPTH = 20;

export interface TaskContext {
  source: SourceFile;
  /** Files being included, outermost first, for the circular-include check. */
  chain: string[];
  /** Handlers may carry `listen`; tasks may not. */
  handlers: boolean;
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
    const tasks = await this.taskList(entry, ctx);
    return tasks.map((task) => {
      if (task.kind !== 'module') {
        throw new SwarmplayError('BAD_PLAYBOOK', 'a handler must be a single module task, not a block or an import', {
          location: task.location, snippet: snippetAt(ctx.source.text, task.location.line, task.location.column),
          hint: 'Give the handler one module (e.g. systemd) and notify it by its name.',
        });
      }
      return task as Handler;
    });
  }

  private async task(node: YamlNode | null, ctx: TaskContext): Promise<Task> {
    const { source } = ctx;
    if (!isMap(node)) {
      throw source.error('BAD_PLAYBOOK', `each task must be a mapping (a module and its keywords), got ${describeNode(node)}`, node,
        "A task looks like '- name: make a folder' then 'file: {path: /srv/x, state: directory}'.");
    }
    const entries = entriesOf(source, node);
    const has = (key: string) => entries.some((e) => e.key === key);
    if (has('import_tasks') || has('include_tasks')) return this.include(node, entries, ctx);
    if (has('block')) return this.block(node, entries, ctx);
    return this.moduleTask(node, entries, ctx);
  }

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
      ignoreErrors: get('ignore_errors') ? readBoolean(source, get('ignore_errors')!) : false,
      noLog: get('no_log') ? readBoolean(source, get('no_log')!) : false,
      runOnce: get('run_once') ? readBoolean(source, get('run_once')!) : false,
      delegateTo,
      become: get('become') ? readBoolean(source, get('become')!) : undefined,
      checkMode: get('check_mode') ? readBoolean(source, get('check_mode')!) : undefined,
      vars: get('vars') ? readVars(source, get('vars')!) : {},
    };
  }

  private async block(node: YAMLMap, entries: Entry[], ctx: TaskContext): Promise<BlockTask> {
    const { source } = ctx;
    for (const entry of entries) {
      if (BLOCK_KEYWORDS.includes(entry.key as (typeof BLOCK_KEYWORDS)[number])) continue;
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
    const includes = entries.filter((e) => e.key === 'import_tasks' || e.key === 'include_tasks');
    if (includes.length > 1) {
      throw source.error('BAD_PLAYBOOK', 'a task can import only one file', includes[1]!.keyNode, 'Write one import_tasks per task.');
    }
    const entry = includes[0]!;
    const relative = source.value(entry.value);
    if (typeof relative !== 'string' || relative.trim() === '') {
      throw typeError(source, entry, 'the path of a task file', `'${entry.key}: tasks/docker.yaml'`);
    }
    if (containsTemplate(relative)) {
      throw source.error('BAD_PLAYBOOK', `the path of '${entry.key}' cannot hold '{{ }}': task files are read before the play runs`, entry.value,
        'Write the path literally, relative to this file.');
    }
    const file = path.resolve(path.dirname(source.file), relative);
    if (ctx.chain.includes(file)) {
      const cycle = [...ctx.chain, file].map((f) => path.relative(path.dirname(ctx.chain[0]!), f) || path.basename(f)).join(' -> ');
      throw source.error('BAD_PLAYBOOK', `circular ${entry.key}: ${cycle}`, entry.value, 'A task file must not import itself, directly or through others.');
    }
    if (ctx.chain.length > MAX_INCLUDE_DEPTH) {
      throw source.error('BAD_PLAYBOOK', `${entry.key} nested more than ${MAX_INCLUDE_DEPTH} files deep`, entry.value);
    }
    const included = await readSource(file, { source, node: entry.value });
    const root = deref(included, included.doc.contents);
    let block: Task[] = [];
    if (isSeq(root)) {
      block = await this.tasksOf(root, { ...ctx, source: included, chain: [...ctx.chain, file] });
    } else if (!(root === null || (isScalar(root) && root.value === null))) {
      throw included.error('BAD_PLAYBOOK', `a task file must be a list of tasks, got ${describeNode(root)}`, root,
        "Start each task with '- ', e.g. '- name: install docker' then 'command: ...'.");
    }
    const base = this.base(node, entries, source);
    return { ...base, name: base.name ?? `${entry.key}: ${relative}`, kind: 'block', block, rescue: [], always: [] };
  }

  private async moduleTask(node: YAMLMap, entries: Entry[], ctx: TaskContext): Promise<ModuleTask | Handler> {
    const { source } = ctx;
    const keywords = ctx.handlers ? HANDLER_KEYWORDS : MODULE_TASK_KEYWORDS;
    const moduleEntries: { entry: Entry; module: ModuleDefinition }[] = [];
    const unknown: Entry[] = [];
    for (const entry of entries) {
      if ((keywords as readonly string[]).includes(entry.key)) continue;
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
      const nearModule = closestName(moduleName(entry.key), this.modules.names());
      // With a module present, an unknown key is a misspelt keyword; without one, it is most likely the module.
      if (moduleEntries.length > 0 || (nearKeyword && !nearModule) || UNSUPPORTED_ANSIBLE_KEYWORDS.has(entry.key)) {
        checkKeyword(source, entry, keywords, 'task');
      }
      throw source.error('UNKNOWN_MODULE', `unknown module '${entry.key}'`, entry.keyNode,
        didYouMean(moduleName(entry.key), this.modules.names(), { listPrefix: 'Modules: ' }));
    }
    if (moduleEntries.length === 0) {
      throw source.error('BAD_PLAYBOOK', 'this task has no module: it does nothing', node,
        `Add one module with its arguments, e.g. 'command: uptime'. Modules: ${[...this.modules.names()].sort().join(', ')}.`);
    }
    const { entry: moduleEntry, module } = moduleEntries[0]!;
    const get = (key: string) => entries.find((e) => e.key === key);
    const args = readModuleArgs(source, moduleEntry, module, get('args'));
    const loopEntry = get('loop') ?? get('with_items');
    if (get('loop') && get('with_items')) {
      throw source.error('BAD_PLAYBOOK', "use either 'loop' or 'with_items', not both", get('with_items')!.keyNode, "Keep 'loop'.");
    }
    const untilEntry = get('until');
    const task: ModuleTask = {
      ...this.base(node, entries, source),
      kind: 'module',
      module: module.name,
      args,
      register: get('register') ? readIdentifier(source, get('register')!) : undefined,
      notify: get('notify') ? readStringList(source, get('notify')!, false) : [],
      loop: loopEntry ? readLoop(source, loopEntry) : undefined,
      loopVar: get('loop_control') ? readLoopControl(source, get('loop_control')!) : 'item',
      changedWhen: get('changed_when') ? readConditions(source, get('changed_when')!) : undefined,
      failedWhen: get('failed_when') ? readConditions(source, get('failed_when')!) : undefined,
      until: untilEntry ? readConditions(source, untilEntry) : undefined,
      // Ansible's defaults once `until` is given.
      retries: get('retries') ? readInteger(source, get('retries')!, 0) : 3,
      delay: get('delay') ? readInteger(source, get('delay')!, 0) : 5,
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

function moduleName(key: string): string {
  const prefix = COLLECTION_PREFIXES.find((p) => key.startsWith(p));
  return prefix ? key.slice(prefix.length) : key;
}
