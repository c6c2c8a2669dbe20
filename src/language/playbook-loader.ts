/**
 * Reads a playbook file into the validated shape of playbook.ts, checking
 * everything that can be checked before any host is touched: YAML syntax,
 * play and task keywords, exactly one known module per task, each module's
 * arguments against its zod schema (values holding `{{ }}` are checked after
 * templating, at run time), and the syntax of every expression and template.
 *
 * Every error names file:line:column of the offending node, shows the
 * source around it and says what would be right. Positions come from the
 * `yaml` package's parse tree (parseDocument + LineCounter): values are read
 * from the nodes, never from a plain JS copy that has lost them.
 *
 * YAML is read as YAML 1.2 (the `yaml` package's default, which the modules'
 * argument types assume), with merge keys (`<<: *defaults`) enabled as in
 * Ansible. Keyword booleans accept Ansible's words (yes/no, on/off) because
 * YAML 1.2 reads them as strings.
 *
 * import_tasks and include_tasks are both expanded when the playbook loads
 * (include_tasks is dynamic in Ansible; here it is static, so its path cannot
 * hold `{{ }}`): the included tasks become a block carrying the include's
 * name, when, tags and vars, which is what Ansible's import does.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  LineCounter,
  parseDocument,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Document,
  type Node as YamlNode,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { z } from 'zod';
import { SwarmplayError, snippetAt, type ErrorCode, type SourceLocation } from '../errors.js';
import type { ModuleDefinition } from '../modules/types.js';
import type { BlockTask, Handler, ModuleTask, Play, Playbook, Task, Strategy } from './playbook.js';
import { checkExpressionSyntax, unwrapCondition } from './expressions.js';
import { closestName, didYouMean } from './suggest.js';
import { checkTemplateSyntax, containsTemplate } from './template-string.js';

/** The modules a playbook may use. The real one is src/modules/index.ts. */
export interface ModuleCatalog {
  find(name: string): ModuleDefinition | undefined;
  names(): string[];
}

export interface LoadPlaybookOptions {
  /** Defaults to the module registry of src/modules/index.ts. */
  modules?: ModuleCatalog;
}

const PLAY_KEYWORDS = [
  'name', 'hosts', 'vars', 'vars_files', 'gather_facts', 'serial', 'any_errors_fatal', 'max_fail_percentage',
  'strategy', 'become', 'tags', 'pre_tasks', 'tasks', 'post_tasks', 'handlers',
] as const;

/** Keywords every task, block and include may carry. */
const COMMON_TASK_KEYWORDS = ['name', 'when', 'tags', 'ignore_errors', 'no_log', 'run_once', 'delegate_to', 'become', 'vars', 'check_mode'] as const;
const MODULE_TASK_KEYWORDS = [
  ...COMMON_TASK_KEYWORDS, 'args', 'loop', 'with_items', 'loop_control', 'register', 'notify', 'changed_when', 'failed_when',
  'until', 'retries', 'delay',
] as const;
const BLOCK_KEYWORDS = [...COMMON_TASK_KEYWORDS, 'block', 'rescue', 'always'] as const;
const INCLUDE_KEYWORDS = ['name', 'when', 'tags', 'vars', 'import_tasks', 'include_tasks'] as const;
const HANDLER_KEYWORDS = [...MODULE_TASK_KEYWORDS, 'listen'] as const;
const ALL_TASK_KEYWORDS = new Set<string>([...HANDLER_KEYWORDS, ...BLOCK_KEYWORDS, ...INCLUDE_KEYWORDS]);

/** Ansible keywords swarmplay knows but does not do: a clearer message than "unknown". */
const UNSUPPORTED_ANSIBLE_KEYWORDS = new Set([
  'action', 'local_action', 'become_user', 'become_method', 'become_flags', 'environment', 'diff',
  'timeout', 'throttle', 'debugger', 'any_errors_fatal', 'connection', 'collections', 'module_defaults', 'port',
  'remote_user', 'with_dict', 'with_list', 'with_fileglob', 'with_together', 'with_nested', 'with_sequence',
  'with_subelements', 'include', 'include_role', 'import_role', 'import_playbook', 'roles', 'delegate_facts', 'poll', 'async',
  'vars_prompt', 'order', 'force_handlers', 'ignore_unreachable', 'fact_path', 'gather_subset', 'gather_timeout',
]);

const COLLECTION_PREFIXES = ['ansible.builtin.', 'ansible.legacy.', 'ansible.posix.', 'community.general.'];
const MAX_INCLUDE_DEPTH = 20;

// ---------------------------------------------------------------------------
// Source files and their errors

class SourceFile {
  readonly lineCounter = new LineCounter();
  readonly doc: Document.Parsed;

  constructor(readonly file: string, readonly text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, merge: true, prettyErrors: true, uniqueKeys: true });
  }

  locationOf(node: YamlNode | Pair | null | undefined): SourceLocation {
    const offset = rangeStart(node);
    const pos = this.lineCounter.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col };
  }

  error(code: ErrorCode, message: string, node: YamlNode | Pair | null | undefined, hint?: string): SwarmplayError {
    const location = this.locationOf(node);
    return new SwarmplayError(code, message, { location, hint, snippet: snippetAt(this.text, location.line, location.column) });
  }

  /** Adds this file's snippet to an error raised by the expression checks. */
  withSnippet(error: unknown, node: YamlNode | Pair | null | undefined): unknown {
    if (!(error instanceof SwarmplayError)) return error;
    const location = this.locationOf(node);
    return new SwarmplayError(error.code, error.message, {
      location, hint: error.hint, snippet: snippetAt(this.text, location.line, location.column), cause: error,
    });
  }

  /** The plain value of a node, aliases and merges resolved. */
  value(node: YamlNode | null | undefined): unknown {
    if (!node) return null;
    try {
      return node.toJS(this.doc, { maxAliasCount: 100 });
    } catch (error) {
      // The yaml package refuses alias expansions that grow without bound ("billion laughs").
      throw this.error('BAD_PLAYBOOK', `cannot read this value: ${(error as Error).message}`, node, 'Use fewer nested aliases (*name).');
    }
  }
}

function rangeStart(node: YamlNode | Pair | null | undefined): number {
  if (!node) return 0;
  if (isPair(node)) return rangeStart(node.key as YamlNode);
  return node.range?.[0] ?? 0;
}

/** A map's entries with merge keys expanded (explicit keys win), keys as strings. */
interface Entry {
  key: string;
  keyNode: YamlNode;
  value: YamlNode | null;
}

function deref(source: SourceFile, node: unknown): YamlNode | null {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return (node.resolve(source.doc) as YamlNode | undefined) ?? null;
  return node as YamlNode;
}

function entriesOf(source: SourceFile, map: YAMLMap): Entry[] {
  const explicit: Entry[] = [];
  const merged: Entry[] = [];
  for (const pair of map.items) {
    const keyNode = pair.key as YamlNode;
    const raw = isScalar(keyNode) ? keyNode.value : source.value(keyNode);
    // With merge keys on, the yaml package gives `<<` as a symbol.
    const isMerge = raw === '<<' || (typeof raw === 'symbol' && raw.description === '<<');
    const key = typeof raw === 'symbol' ? String(raw.description) : String(raw);
    const value = deref(source, pair.value);
    if (isMerge) {
      const sources = isSeq(value) ? value.items.map((item) => deref(source, item)) : [value];
      for (const from of sources) if (isMap(from)) merged.push(...entriesOf(source, from));
      continue;
    }
    explicit.push({ key, keyNode, value });
  }
  const seen = new Set(explicit.map((e) => e.key));
  return [...explicit, ...merged.filter((e) => !seen.has(e.key) && (seen.add(e.key), true))];
}

function describeNode(node: YamlNode | null): string {
  if (node === null || (isScalar(node) && node.value === null)) return 'nothing (null)';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
    if (typeof v === 'number') return `the number ${v}`;
    if (typeof v === 'boolean') return `the boolean ${v}`;
  }
  return 'something else';
}

// ---------------------------------------------------------------------------
// Reading files

async function readSource(file: string, referencedFrom?: { source: SourceFile; node: YamlNode | null }): Promise<SourceFile> {
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? `file not found: ${file}` : code === 'EISDIR' ? `${file} is a folder, not a file` : `cannot read ${file}: ${(error as Error).message}`;
    if (referencedFrom) {
      throw referencedFrom.source.error('FILE_NOT_FOUND', what, referencedFrom.node,
        `Paths are relative to the folder of ${path.basename(referencedFrom.source.file)} (${path.dirname(referencedFrom.source.file)}).`);
    }
    throw new SwarmplayError('FILE_NOT_FOUND', what, { location: { file, line: 1, column: 1 }, hint: 'Check the path; it is relative to the current folder.', cause: error });
  }
  if (buffer.subarray(0, 8192).includes(0)) {
    throw new SwarmplayError('BAD_PLAYBOOK', `${file} is not a text file (it holds NUL bytes)`, {
      location: { file, line: 1, column: 1 },
      hint: 'A playbook is a YAML text file: a list of plays.',
    });
  }
  const text = buffer.toString('utf8').replace(/^\uFEFF/, '');
  const source = new SourceFile(file, text);
  const problem = source.doc.errors[0];
  if (problem) {
    const offset = yamlErrorOffset(text, problem.code, problem.message, problem.pos[0]);
    const pos = source.lineCounter.linePos(offset);
    const firstLine = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const lineText = text.split('\n')[pos.line - 1] ?? '';
    throw new SwarmplayError('YAML_SYNTAX', `YAML syntax error: ${firstLine}`, {
      location: { file, line: pos.line, column: pos.col },
      snippet: snippetAt(text, pos.line, pos.col),
      hint: /^\s*\t/.test(lineText) ? 'YAML indentation uses spaces, never tabs.' : yamlHint(problem.code, problem.message),
    });
  }
  return source;
}

/**
 * Where to point for a YAML error. The parser reports an unclosed quote where
 * the file ends; the quote that opened it is what the author must fix. And a
 * position in leading blanks moves to the first character of its line.
 */
function yamlErrorOffset(text: string, code: string, message: string, reported: number): number {
  if (code === 'MISSING_CHAR' && /quote/i.test(message)) {
    const openers = [...text.slice(0, reported).matchAll(/(?:^|[:\-[{,])[ \t]*(["'])/gm)];
    const last = openers[openers.length - 1];
    if (last) return last.index! + last[0].length - 1;
  }
  const lineStart = text.lastIndexOf('\n', reported - 1) + 1;
  const lineEnd = text.indexOf('\n', lineStart);
  const line = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd);
  if (reported >= lineStart && /^\s*$/.test(text.slice(lineStart, reported + 1)) && line.trim() !== '') {
    return lineStart + line.search(/\S/);
  }
  return reported;
}

function yamlHint(code: string, message: string): string {
  if (/quote/i.test(message)) return 'This quoted string is never closed: add the closing quote.';
  if (/Sequence item without - indicator/.test(message)) return "Check the indentation: this line lines up with neither the task's keys nor a new '- ' item.";
  switch (code) {
    case 'BAD_DQ_ESCAPE': return 'Inside "double quotes" a backslash starts an escape; write \\\\ for a backslash, or use single quotes.';
    case 'DUPLICATE_KEY': return 'Each key may appear only once in a mapping.';
    case 'BAD_INDENT': case 'MISSING_CHAR_INDENT': return 'Check the indentation: items of one list or mapping line up in the same column, with spaces, not tabs.';
    case 'TAB_AS_INDENT': return 'YAML indentation uses spaces, never tabs.';
    case 'MULTIPLE_DOCS': return 'A playbook is one YAML document: remove the extra `---`.';
    default: return 'Check the YAML around this line: indentation, quotes, and `key: value` with a space after the colon.';
  }
}

// ---------------------------------------------------------------------------
// Default module catalog, loaded lazily so this file compiles and its tests run
// without the module registry.

async function defaultCatalog(): Promise<ModuleCatalog> {
  // A computed specifier: the registry may not exist yet while this file is built alone.
  const specifier = '../modules/index.js';
  const registry = (await import(specifier)) as { findModule(name: string): ModuleDefinition | undefined; moduleNames(): string[] };
  return { find: (name) => registry.findModule(name), names: () => registry.moduleNames() };
}

// ---------------------------------------------------------------------------
// Loader

export async function loadPlaybook(file: string, options: LoadPlaybookOptions = {}): Promise<Playbook> {
  const modules = options.modules ?? (await defaultCatalog());
  const absolute = path.resolve(file);
  const source = await readSource(absolute);
  const loader = new Loader(modules);
  const plays = await loader.playbook(source);
  return { file: absolute, dir: path.dirname(absolute), plays };
}

/** Loads and validates without running: what `swarmplay check` needs. Throws the first problem found. */
export const validatePlaybookStatically = loadPlaybook;

interface TaskContext {
  source: SourceFile;
  /** Files being included, outermost first, for the circular-include check. */
  chain: string[];
  /** Handlers may carry `listen`; tasks may not. */
  handlers: boolean;
}

class Loader {
  constructor(private readonly modules: ModuleCatalog) {}

  async playbook(source: SourceFile): Promise<Play[]> {
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
    for (const item of root.items) plays.push(await this.play(source, deref(source, item)));
    return plays;
  }

  private async play(source: SourceFile, node: YamlNode | null): Promise<Play> {
    if (!isMap(node)) {
      throw source.error('BAD_PLAYBOOK', `each play must be a mapping of play keywords, got ${describeNode(node)}`, node, 'A play looks like "- hosts: all" followed by "tasks:".');
    }
    const entries = entriesOf(source, node);
    for (const entry of entries) this.checkKeyword(source, entry, PLAY_KEYWORDS, 'play');
    const get = (key: string) => entries.find((e) => e.key === key);
    const hostsEntry = get('hosts');
    if (!hostsEntry) {
      throw source.error('BAD_PLAYBOOK', "this play has no 'hosts'", node, "Say which hosts it runs on: 'hosts: all', a group, or a pattern like 'managers:&docker01'.");
    }
    const hosts = this.hostPattern(source, hostsEntry);
    const ctx: TaskContext = { source, chain: [source.file], handlers: false };
    const play: Play = {
      name: get('name') ? this.string(source, get('name')!) : hosts,
      location: source.locationOf(node),
      hosts,
      vars: get('vars') ? this.vars(source, get('vars')!) : {},
      varsFiles: get('vars_files') ? this.stringList(source, get('vars_files')!, false) : [],
      gatherFacts: get('gather_facts') ? this.boolean(source, get('gather_facts')!) : true,
      serial: get('serial') ? this.serial(source, get('serial')!) : [],
      anyErrorsFatal: get('any_errors_fatal') ? this.boolean(source, get('any_errors_fatal')!) : false,
      maxFailPercentage: get('max_fail_percentage') ? this.percentage(source, get('max_fail_percentage')!) : undefined,
      strategy: get('strategy') ? this.strategy(source, get('strategy')!) : 'linear',
      become: get('become') ? this.boolean(source, get('become')!) : undefined,
      tags: get('tags') ? this.stringList(source, get('tags')!, true) : [],
      preTasks: get('pre_tasks') ? await this.taskList(get('pre_tasks')!, ctx) : [],
      tasks: get('tasks') ? await this.taskList(get('tasks')!, ctx) : [],
      postTasks: get('post_tasks') ? await this.taskList(get('post_tasks')!, ctx) : [],
      handlers: get('handlers') ? await this.handlerList(get('handlers')!, { ...ctx, handlers: true }) : [],
    };
    if (get('name')) this.templateCheck(source, play.name, get('name')!.value);
    return play;
  }

  // -- keywords ------------------------------------------------------------

  private checkKeyword(source: SourceFile, entry: Entry, known: readonly string[], where: string): void {
    if (known.includes(entry.key)) return;
    if (UNSUPPORTED_ANSIBLE_KEYWORDS.has(entry.key)) {
      throw source.error('UNKNOWN_KEYWORD', `'${entry.key}' is an Ansible ${where} keyword that swarmplay does not support`, entry.keyNode,
        `Keywords of a ${where}: ${[...known].sort().join(', ')}.`);
    }
    throw source.error('UNKNOWN_KEYWORD', `unknown ${where} keyword '${entry.key}'`, entry.keyNode,
      didYouMean(entry.key, known, { listPrefix: `Keywords of a ${where}: ` }));
  }

  // -- typed keyword values --------------------------------------------------

  private typeError(source: SourceFile, entry: Entry, expected: string, example?: string): SwarmplayError {
    return source.error('BAD_PLAYBOOK', `'${entry.key}' must be ${expected}, got ${describeNode(entry.value)}`, entry.value ?? entry.keyNode,
      example ? `For example: ${example}` : undefined);
  }

  private string(source: SourceFile, entry: Entry): string {
    const v = source.value(entry.value);
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
    throw this.typeError(source, entry, 'a non-empty string');
  }

  private hostPattern(source: SourceFile, entry: Entry): string {
    const v = source.value(entry.value);
    let pattern: string | undefined;
    if (typeof v === 'string' && v.trim() !== '') pattern = v.trim();
    else if (Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === 'string' && p.trim() !== '')) pattern = (v as string[]).join(':');
    if (pattern === undefined) throw this.typeError(source, entry, 'a host pattern (a string, or a list of strings)', "'hosts: all', 'hosts: managers', 'hosts: [docker01, docker02]'");
    this.templateCheck(source, pattern, entry.value);
    return pattern;
  }

  private boolean(source: SourceFile, entry: Entry): boolean {
    const v = source.value(entry.value);
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string') {
      const word = v.trim().toLowerCase();
      if (['yes', 'true', 'on', 'y'].includes(word)) return true;
      if (['no', 'false', 'off', 'n'].includes(word)) return false;
    }
    const hint = containsTemplate(v) ? ' (a template is not allowed here: the value must be known before the play runs)' : '';
    throw this.typeError(source, entry, `true or false${hint}`, `'${entry.key}: true'`);
  }

  private integer(source: SourceFile, entry: Entry, min: number): number {
    const v = source.value(entry.value);
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min) throw this.typeError(source, entry, `a whole number of at least ${min}`, `'${entry.key}: 3'`);
    return n;
  }

  private percentage(source: SourceFile, entry: Entry): number {
    const v = source.value(entry.value);
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?%?\s*$/.test(v) ? Number(v.trim().replace(/%$/, '')) : NaN;
    if (Number.isNaN(n) || n < 0 || n > 100) throw this.typeError(source, entry, 'a percentage from 0 to 100', `'${entry.key}: 30'`);
    return n;
  }

  private strategy(source: SourceFile, entry: Entry): Strategy {
    const v = source.value(entry.value);
    if (v === 'linear' || v === 'free') return v;
    const hint = typeof v === 'string' ? didYouMean(v, ['linear', 'free']) : '';
    throw source.error('BAD_PLAYBOOK', `'strategy' must be 'linear' or 'free', got ${describeNode(entry.value)}`, entry.value ?? entry.keyNode,
      `${hint ? `${hint} ` : ''}linear (the default) runs each task on every host before the next; free lets each host run ahead.`);
  }

  private serial(source: SourceFile, entry: Entry): (number | string)[] {
    const nodes = isSeq(entry.value) ? entry.value.items.map((i) => deref(source, i)) : [entry.value];
    if (nodes.length === 0) throw this.typeError(source, entry, 'a batch size, a percentage or a list of them', "'serial: 1', 'serial: \"30%\"', 'serial: [1, 5, \"50%\"]'");
    return nodes.map((node) => {
      const v = source.value(node);
      if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
      if (typeof v === 'string' && /^\s*\d+\s*$/.test(v) && Number(v) > 0) return Number(v);
      if (typeof v === 'string' && /^\s*\d+(\.\d+)?%\s*$/.test(v) && Number(v.trim().slice(0, -1)) > 0 && Number(v.trim().slice(0, -1)) <= 100) return v.trim();
      throw source.error('BAD_PLAYBOOK', `'serial' must be a positive whole number or a percentage like "30%", got ${describeNode(node)}`, node ?? entry.keyNode,
        "For example 'serial: 1', 'serial: \"30%\"', or a list of batch sizes 'serial: [1, 5, \"50%\"]'.");
    });
  }

  /** A string or a list of strings; tags may also be "a,b". */
  private stringList(source: SourceFile, entry: Entry, commaSeparated: boolean): string[] {
    const v = source.value(entry.value);
    const items = Array.isArray(v) ? v : [v];
    if (items.length === 0 && Array.isArray(v)) return [];
    const out: string[] = [];
    for (const item of items) {
      if (typeof item === 'number') { out.push(String(item)); continue; }
      if (typeof item !== 'string' || item.trim() === '') throw this.typeError(source, entry, 'a string or a list of strings', `'${entry.key}: [a, b]'`);
      out.push(...(commaSeparated ? item.split(',').map((s) => s.trim()).filter(Boolean) : [item]));
    }
    for (const item of out) this.templateCheck(source, item, entry.value);
    return out;
  }

  private vars(source: SourceFile, entry: Entry): Record<string, unknown> {
    if (!isMap(entry.value)) {
      if (entry.value === null || (isScalar(entry.value) && entry.value.value === null)) return {};
      throw this.typeError(source, entry, 'a mapping of variable names to values', "'vars: {port: 80}'");
    }
    const out: Record<string, unknown> = {};
    for (const v of entriesOf(source, entry.value)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.key)) {
        throw source.error('BAD_PLAYBOOK', `'${v.key}' is not a valid variable name`, v.keyNode, 'Variable names are letters, digits and underscores, not starting with a digit.');
      }
      const value = source.value(v.value);
      this.templateCheck(source, value, v.value ?? v.keyNode);
      out[v.key] = value;
    }
    return out;
  }

  /** `when`, changed_when, failed_when, until: a string, a boolean, or a list of them (all must hold). */
  private conditions(source: SourceFile, entry: Entry): string[] {
    const nodes = isSeq(entry.value) ? entry.value.items.map((i) => deref(source, i)) : [entry.value];
    return nodes.map((node) => {
      const v = source.value(node);
      if (typeof v === 'boolean') return v ? 'true' : 'false';
      if (typeof v === 'number') return String(v);
      if (typeof v !== 'string' || v.trim() === '') {
        throw source.error('BAD_PLAYBOOK', `'${entry.key}' must be an expression, a boolean, or a list of them, got ${describeNode(node)}`, node ?? entry.keyNode,
          `For example '${entry.key}: inventory_hostname in groups.managers' or '${entry.key}: [a is defined, b == 1]'.`);
      }
      const expr = unwrapCondition(v);
      if (expr.includes('{{') || expr.includes('}}') || expr.includes('{%')) {
        throw source.error('EXPRESSION_SYNTAX', `'${entry.key}' is already an expression: it does not take '{{ }}' inside`, node,
          `Write the bare expression, e.g. '${entry.key}: ${v.replace(/\{\{\s*|\s*\}\}/g, '')}'.`);
      }
      try {
        checkExpressionSyntax(expr, source.locationOf(node));
      } catch (error) {
        throw source.withSnippet(error, node);
      }
      return v;
    });
  }

  private templateCheck(source: SourceFile, value: unknown, node: YamlNode | Pair | null): void {
    try {
      checkTemplateSyntax(value, source.locationOf(node));
    } catch (error) {
      throw source.withSnippet(error, node);
    }
  }

  // -- tasks -----------------------------------------------------------------

  private async taskList(entry: Entry, ctx: TaskContext): Promise<Task[]> {
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

  private async handlerList(entry: Entry, ctx: TaskContext): Promise<Handler[]> {
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
    const name = nameEntry ? this.string(source, nameEntry) : undefined;
    if (nameEntry) this.templateCheck(source, name, nameEntry.value);
    const delegate = get('delegate_to');
    const delegateTo = delegate ? this.string(source, delegate) : undefined;
    if (delegate) this.templateCheck(source, delegateTo, delegate.value);
    return {
      name,
      location: source.locationOf(node),
      when: get('when') ? this.conditions(source, get('when')!) : [],
      tags: get('tags') ? this.stringList(source, get('tags')!, true) : [],
      ignoreErrors: get('ignore_errors') ? this.boolean(source, get('ignore_errors')!) : false,
      noLog: get('no_log') ? this.boolean(source, get('no_log')!) : false,
      runOnce: get('run_once') ? this.boolean(source, get('run_once')!) : false,
      delegateTo,
      become: get('become') ? this.boolean(source, get('become')!) : undefined,
      checkMode: get('check_mode') ? this.boolean(source, get('check_mode')!) : undefined,
      vars: get('vars') ? this.vars(source, get('vars')!) : {},
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
      this.checkKeyword(source, entry, BLOCK_KEYWORDS, 'block');
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
    for (const entry of entries) this.checkKeyword(source, entry, INCLUDE_KEYWORDS, 'import_tasks');
    const includes = entries.filter((e) => e.key === 'import_tasks' || e.key === 'include_tasks');
    if (includes.length > 1) {
      throw source.error('BAD_PLAYBOOK', 'a task can import only one file', includes[1]!.keyNode, 'Write one import_tasks per task.');
    }
    const entry = includes[0]!;
    const relative = source.value(entry.value);
    if (typeof relative !== 'string' || relative.trim() === '') {
      throw this.typeError(source, entry, 'the path of a task file', `'${entry.key}: tasks/docker.yaml'`);
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
        this.checkKeyword(source, entry, keywords, 'task');
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
    const args = this.moduleArgs(source, moduleEntry, module, get('args'));
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
      register: get('register') ? this.identifier(source, get('register')!) : undefined,
      notify: get('notify') ? this.stringList(source, get('notify')!, false) : [],
      loop: loopEntry ? this.loop(source, loopEntry) : undefined,
      loopVar: get('loop_control') ? this.loopControl(source, get('loop_control')!) : 'item',
      changedWhen: get('changed_when') ? this.conditions(source, get('changed_when')!) : undefined,
      failedWhen: get('failed_when') ? this.conditions(source, get('failed_when')!) : undefined,
      until: untilEntry ? this.conditions(source, untilEntry) : undefined,
      // Ansible's defaults once `until` is given.
      retries: get('retries') ? this.integer(source, get('retries')!, 0) : 3,
      delay: get('delay') ? this.integer(source, get('delay')!, 0) : 5,
    };
    if (ctx.handlers) {
      const handler: Handler = { ...task, listen: get('listen') ? this.stringList(source, get('listen')!, false) : [] };
      if (!handler.name && handler.listen.length === 0) {
        throw source.error('BAD_PLAYBOOK', "a handler needs a 'name' (or 'listen') so tasks can notify it", node, "Add 'name: restart docker' and 'notify: restart docker' in the task.");
      }
      return handler;
    }
    return task;
  }

  private identifier(source: SourceFile, entry: Entry): string {
    const v = source.value(entry.value);
    if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
      throw this.typeError(source, entry, 'a variable name (letters, digits, underscores)', `'${entry.key}: result'`);
    }
    return v;
  }

  private loop(source: SourceFile, entry: Entry): unknown {
    const v = source.value(entry.value);
    if (Array.isArray(v)) {
      this.templateCheck(source, v, entry.value);
      return v;
    }
    if (typeof v === 'string' && containsTemplate(v)) {
      this.templateCheck(source, v, entry.value);
      return v;
    }
    throw source.error('BAD_PLAYBOOK', `'${entry.key}' must be a list, or a '{{ }}' expression that gives one, got ${describeNode(entry.value)}`, entry.value ?? entry.keyNode,
      `For example '${entry.key}: [a, b]' or '${entry.key}: "{{ groups.workers }}"'.` + (typeof v === 'string' ? ` To loop over the variable '${v}', write "{{ ${v} }}".` : ''));
  }

  private loopControl(source: SourceFile, entry: Entry): string {
    if (!isMap(entry.value)) throw this.typeError(source, entry, 'a mapping', "'loop_control: {loop_var: node}'");
    let loopVar = 'item';
    for (const e of entriesOf(source, entry.value)) {
      // `label` only changes what Ansible prints; accepted so playbooks work unchanged.
      if (e.key === 'label') continue;
      if (e.key !== 'loop_var') {
        throw source.error('UNKNOWN_KEYWORD', `unknown loop_control keyword '${e.key}'`, e.keyNode, didYouMean(e.key, ['loop_var', 'label'], { otherwise: 'loop_control takes loop_var (and label).' }));
      }
      loopVar = this.identifier(source, e);
    }
    return loopVar;
  }

  // -- module arguments ------------------------------------------------------

  private moduleArgs(source: SourceFile, entry: Entry, module: ModuleDefinition, argsEntry: Entry | undefined): Record<string, unknown> {
    const written = source.value(entry.value);
    let args: Record<string, unknown>;
    /** Where each argument was written, for messages. */
    const argNodes = new Map<string, YamlNode>();
    let mapNodes: YAMLMap[] = [];
    if (written === null || written === undefined) {
      args = {};
    } else if (isMap(entry.value)) {
      args = written as Record<string, unknown>;
      mapNodes.push(entry.value);
    } else if (typeof written === 'string' || typeof written === 'number') {
      const text = String(written);
      if (module.freeFormArg) args = { [module.freeFormArg]: text };
      else args = this.keyValueArgs(source, entry, module, text);
    } else {
      throw source.error('BAD_ARGUMENT', `the arguments of '${module.name}' must be a mapping or free-form text, got ${describeNode(entry.value)}`, entry.value ?? entry.keyNode,
        `For example:\n${module.name}:\n  ${schemaKeys(module.schema).filter((k) => !k.startsWith('_')).slice(0, 2).map((k) => `${k}: ...`).join('\n  ')}`);
    }
    if (argsEntry) {
      if (!isMap(argsEntry.value)) throw this.typeError(source, argsEntry, 'a mapping of module arguments', "'args: {chdir: /srv}'");
      args = { ...args, ...(source.value(argsEntry.value) as Record<string, unknown>) };
      mapNodes = [argsEntry.value, ...mapNodes];
    }
    for (const map of mapNodes) for (const e of entriesOf(source, map)) if (!argNodes.has(e.key)) argNodes.set(e.key, e.keyNode);
    // Templates are checked for syntax here; their values are checked after templating, at run time.
    for (const [key, value] of Object.entries(args)) this.templateCheck(source, value, argNodes.get(key) ?? entry.value);
    this.validateArgs(source, entry, module, args, argNodes);
    return args;
  }

  /** Ansible's `file: path=/x state=directory`: words split on spaces outside quotes and `{{ }}`. */
  private keyValueArgs(source: SourceFile, entry: Entry, module: ModuleDefinition, text: string): Record<string, unknown> {
    const args: Record<string, unknown> = {};
    for (const word of splitKeyValueWords(text)) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(word);
      if (!match) {
        throw source.error('BAD_ARGUMENT', `'${module.name}' does not take free-form text: '${word}' is not key=value`, entry.value,
          `Write its arguments as key=value words or as a mapping, e.g. '${module.name}: {${schemaKeys(module.schema).filter((k) => !k.startsWith('_')).slice(0, 2).map((k) => `${k}: ...`).join(', ')}}'.`);
      }
      args[match[1]!] = unquoteWord(match[2]!);
    }
    return args;
  }

  private validateArgs(source: SourceFile, entry: Entry, module: ModuleDefinition, args: Record<string, unknown>, argNodes: Map<string, YamlNode>): void {
    const result = module.schema.safeParse(args);
    if (result.success) return;
    const known = schemaKeys(module.schema).filter((k) => !k.startsWith('_'));
    const nodeFor = (key: unknown) => (typeof key === 'string' && argNodes.get(key)) || entry.keyNode;
    // An unknown key first: it is often the misspelt required one ("dets" for "dest").
    const issues = [...(result.error as z.ZodError).issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
    for (const issue of issues) {
      // A value written with `{{ }}` has its type only after templating.
      if (issue.path.length > 0 && pathHoldsTemplate(args, issue.path)) continue;
      if (issue.code === 'unrecognized_keys') {
        const key = issue.keys[0]!;
        throw source.error('BAD_ARGUMENT', `unknown argument '${key}' for module '${module.name}'`, nodeFor(key),
          didYouMean(key, known, { listPrefix: `Arguments of ${module.name}: ` }));
      }
      const name = issue.path.map(String).join('.');
      const top = issue.path[0];
      if (issue.code === 'invalid_type' && issue.received === 'undefined' && issue.path.length === 1) {
        throw source.error('BAD_ARGUMENT', `missing required argument '${name}' for module '${module.name}' (${issue.expected} expected)`, entry.keyNode,
          `Add '${name}: ...' under '${entry.key}'.`);
      }
      const value = valueAt(args, issue.path);
      const expected = expectedOf(issue);
      const what = expected ? `must be ${expected}, got ${describeValue(value)}` : `${issue.message}${issue.path.length ? ` (got ${describeValue(value)})` : ''}`;
      const hint = !name
        ? `Arguments of ${module.name}: ${known.sort().join(', ')}.`
        : expected
          ? `'${name}' takes ${expected}. A value known only at run time can be written as "{{ expression }}".`
          : `Arguments of ${module.name}: ${known.sort().join(', ')}.`;
      throw source.error('BAD_ARGUMENT', name ? `argument '${name}' of module '${module.name}' ${what}` : `module '${module.name}': ${issue.message}`, nodeFor(top), hint);
    }
  }
}

// ---------------------------------------------------------------------------
// Helpers on module names, words and zod schemas

function moduleName(key: string): string {
  const prefix = COLLECTION_PREFIXES.find((p) => key.startsWith(p));
  return prefix ? key.slice(prefix.length) : key;
}

function splitKeyValueWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | null = null;
  let braces = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (text.startsWith('{{', i)) { braces++; current += '{{'; i++; continue; }
    if (braces > 0 && text.startsWith('}}', i)) { braces--; current += '}}'; i++; continue; }
    if (quote) { if (ch === quote) quote = null; current += ch; continue; }
    if (braces === 0 && (ch === '"' || ch === "'")) { quote = ch; current += ch; continue; }
    if (braces === 0 && /\s/.test(ch)) { if (current) words.push(current); current = ''; continue; }
    current += ch;
  }
  if (current) words.push(current);
  return words;
}

function unquoteWord(value: string): string {
  const m = /^(["'])([\s\S]*)\1$/.exec(value);
  return m ? m[2]! : value;
}

function schemaKeys(schema: z.ZodTypeAny): string[] {
  const def = (schema as { _def?: Record<string, unknown> })._def;
  if (!def) return [];
  if (typeof def.shape === 'function') return Object.keys((def.shape as () => Record<string, unknown>)());
  for (const inner of ['schema', 'innerType', 'in', 'left', 'right', 'type']) {
    if (def[inner] && typeof def[inner] === 'object' && inner !== 'right') {
      const keys = schemaKeys(def[inner] as z.ZodTypeAny);
      if (inner === 'left') return [...new Set([...keys, ...schemaKeys(def.right as z.ZodTypeAny)])];
      if (keys.length) return keys;
    }
  }
  const options = def.options;
  if (Array.isArray(options)) return [...new Set(options.flatMap((o) => schemaKeys(o as z.ZodTypeAny)))];
  if (options instanceof Map) return [...new Set([...options.values()].flatMap((o) => schemaKeys(o as z.ZodTypeAny)))];
  return [];
}

function valueAt(value: unknown, pathParts: readonly (string | number)[]): unknown {
  let current = value;
  for (const part of pathParts) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Object.hasOwn(current, part) ? (current as Record<string | number, unknown>)[part] : undefined;
  }
  return current;
}

function pathHoldsTemplate(args: Record<string, unknown>, pathParts: readonly (string | number)[]): boolean {
  for (let i = 1; i <= pathParts.length; i++) {
    const v = valueAt(args, pathParts.slice(0, i));
    if (containsTemplate(v)) return true;
  }
  return false;
}

function expectedOf(issue: z.ZodIssue): string | undefined {
  if (issue.code === 'invalid_type') return article(issue.expected);
  if (issue.code === 'invalid_enum_value') return `one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
  if (issue.code === 'invalid_literal') return JSON.stringify(issue.expected);
  if (issue.code === 'invalid_union') {
    const types = new Set<string>();
    for (const error of issue.unionErrors) {
      for (const inner of error.issues) {
        if (inner.code === 'invalid_type') types.add(inner.expected);
        if (inner.code === 'invalid_literal') types.add(JSON.stringify(inner.expected));
      }
    }
    return types.size ? [...types].map(article).join(' or ') : undefined;
  }
  return undefined;
}

function article(type: string): string {
  if (type === 'array') return 'a list';
  if (type === 'object') return 'a mapping';
  if (/^[aeiou]/.test(type)) return `an ${type}`;
  return /^[a-z]/.test(type) ? `a ${type}` : type;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return `the ${typeof value} ${String(value)}`;
}
