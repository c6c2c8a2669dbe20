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
import { isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import type { ModuleDefinition } from '../modules/types.js';
import type { Play, Playbook } from './playbook.js';
import { PLAY_KEYWORDS, checkKeyword } from './keywords.js';
import {
  checkTemplates, readBoolean, readHostPattern, readPercentage, readSerial, readStrategy, readString, readStringList, readVars,
} from './keyword-values.js';
import { TaskLoader, type TaskContext } from './task-loader.js';
import { deref, describeNode, entriesOf, readSource, type SourceFile } from './yaml-source.js';

/** The modules a playbook may use. The real one is src/modules/index.ts. */
export interface ModuleCatalog {
  find(name: string): ModuleDefinition | undefined;
  names(): string[];
}

export interface LoadPlaybookOptions {
  /** Defaults to the module registry of src/modules/index.ts. */
  modules?: ModuleCatalog;
}

/** The module registry, loaded when a playbook is, not when the command line starts. */
async function defaultCatalog(): Promise<ModuleCatalog> {
  const registry = await import('../modules/index.js');
  return { find: (name) => registry.findModule(name), names: () => registry.moduleNames() };
}

export async function loadPlaybook(file: string, options: LoadPlaybookOptions = {}): Promise<Playbook> {
  const modules = options.modules ?? (await defaultCatalog());
  const absolute = path.resolve(file);
  const source = await readSource(absolute);
  const plays = await readPlays(source, new TaskLoader(modules));
  return { file: absolute, dir: path.dirname(absolute), plays };
}

/** Loads and validates without running: what `swarmplay check` needs. Throws the first problem found. */
export const validatePlaybookStatically = loadPlaybook;

async function readPlays(source: SourceFile, tasks: TaskLoader): Promise<Play[]> {
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
  for (const item of root.items) plays.push(await readPlay(source, deref(source, item), tasks));
  return plays;
}

async function readPlay(source: SourceFile, node: YamlNode | null, tasks: TaskLoader): Promise<Play> {
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
  const ctx: TaskContext = { source, chain: [source.file], handlers: false };
  const play: Play = {
    name: get('name') ? readString(source, get('name')!) : hosts,
    location: source.locationOf(node),
    hosts,
    vars: get('vars') ? readVars(source, get('vars')!) : {},
    varsFiles: get('vars_files') ? readStringList(source, get('vars_files')!, false) : [],
    gatherFacts: get('gather_facts') ? readBoolean(source, get('gather_facts')!) : true,
    serial: get('serial') ? readSerial(source, get('serial')!) : [],
    anyErrorsFatal: get('any_errors_fatal') ? readBoolean(source, get('any_errors_fatal')!) : false,
    maxFailPercentage: get('max_fail_percentage') ? readPercentage(source, get('max_fail_percentage')!) : undefined,
    strategy: get('strategy') ? readStrategy(source, get('strategy')!) : 'linear',
    become: get('become') ? readBoolean(source, get('become')!) : undefined,
    tags: get('tags') ? readStringList(source, get('tags')!, true) : [],
    preTasks: get('pre_tasks') ? await tasks.taskList(get('pre_tasks')!, ctx) : [],
    tasks: get('tasks') ? await tasks.taskList(get('tasks')!, ctx) : [],
    postTasks: get('post_tasks') ? await tasks.taskList(get('post_tasks')!, ctx) : [],
    handlers: get('handlers') ? await tasks.handlerList(get('handlers')!, { ...ctx, handlers: true }) : [],
  };
  if (get('name')) checkTemplates(source, play.name, get('name')!.value);
  return play;
}
