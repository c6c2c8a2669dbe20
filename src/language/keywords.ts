/**
 * The keywords a play, a task, a block, an include and a handler take, and
 * the check of a keyword's name: a misspelt one gets "did you mean", an
 * Ansible keyword swarmplay does not do says so, with the nearest way to
 * get the same effect, instead of "unknown".
 */
import { didYouMean } from './suggest.js';
import type { Entry, SourceFile } from './yaml-source.js';

/** Keywords of plays, blocks and tasks alike (Ansible's Base and Become, Conditional, Taggable...). */
const SHARED_KEYWORDS = [
  'name', 'become', 'become_user', 'become_method', 'become_flags', 'environment', 'vars', 'tags', 'no_log',
  'module_defaults', 'collections', 'any_errors_fatal', 'ignore_unreachable', 'throttle', 'check_mode',
  'ignore_errors', 'run_once', 'remote_user', 'connection', 'diff', 'debugger', 'timeout',
] as const;

export const PLAY_KEYWORDS = [
  ...SHARED_KEYWORDS.filter((k) => !['ignore_errors', 'run_once', 'throttle'].includes(k)),
  'hosts', 'vars_files', 'vars_prompt', 'gather_facts', 'gather_subset', 'gather_timeout', 'serial', 'max_fail_percentage',
  'strategy', 'roles', 'pre_tasks', 'tasks', 'post_tasks', 'handlers', 'force_handlers', 'order',
] as const;

/** The `with_<lookup>` loops (each is the lookup of that name over its terms). */
export const WITH_LOOPS = [
  'with_items', 'with_list', 'with_dict', 'with_fileglob', 'with_sequence', 'with_together', 'with_nested', 'with_subelements',
  'with_indexed_items', 'with_first_found', 'with_random_choice', 'with_flattened', 'with_file', 'with_env', 'with_lines', 'with_pipe',
] as const;

/** Keywords every task, block and include may carry. */
const COMMON_TASK_KEYWORDS = [...SHARED_KEYWORDS, 'when', 'delegate_to', 'delegate_facts'] as const;
export const MODULE_TASK_KEYWORDS = [
  ...COMMON_TASK_KEYWORDS, 'args', 'action', 'local_action', 'loop', ...WITH_LOOPS, 'loop_control', 'register', 'notify', 'changed_when', 'failed_when', 'until', 'retries', 'delay', 'async', 'poll',
] as const;
export const BLOCK_KEYWORDS = [...COMMON_TASK_KEYWORDS, 'block', 'rescue', 'always'] as const;
export const INCLUDE_KEYWORDS = [
  ...COMMON_TASK_KEYWORDS, 'args', 'loop', ...WITH_LOOPS, 'loop_control', 'register',
  'import_tasks', 'include_tasks', 'include', 'import_role', 'include_role', 'apply',
] as const;
/** What Ansible's include_tasks / include_role take (TaskInclude's VALID_INCLUDE_KEYWORDS): no become, no environment. */
export const DYNAMIC_INCLUDE_KEYWORDS = [
  'name', 'when', 'tags', 'vars', 'args', 'loop', ...WITH_LOOPS, 'loop_control', 'register', 'ignore_errors',
  'no_log', 'run_once', 'collections', 'debugger', 'timeout', 'apply', 'include_tasks', 'include', 'include_role',
] as const;
export const HANDLER_KEYWORDS = [...MODULE_TASK_KEYWORDS, 'listen'] as const;
export const ALL_TASK_KEYWORDS = new Set<string>([...HANDLER_KEYWORDS, ...BLOCK_KEYWORDS, ...INCLUDE_KEYWORDS]);

/** Ansible keywords swarmplay reads but does not act on, and what to write instead. */
export const UNSUPPORTED_ANSIBLE_KEYWORDS: ReadonlyMap<string, string> = new Map([
  ['action', "name the module as the task's key: 'command: uptime'"],
  ['local_action', "write the module as the task's key with 'delegate_to: localhost'"],
  ['debugger', 'remove it; run with -v to see each step a task takes'],
  ['diff', 'run with --diff'],
  ['timeout', "use the module's own timeout (wait_for: timeout, docker_service: wait_timeout)"],
  ['gather_timeout', 'remove it, or set the connect timeout with --timeout'],
  ['order', 'remove it: hosts run in inventory order'],
  ['force_handlers', "notified handlers of failed hosts do not run; use 'meta: flush_handlers' before a task that may fail"],
]);

/** A known keyword passes (unless swarmplay does not act on it); an unknown one gets "did you mean". */
export function checkKeyword(source: SourceFile, entry: Entry, known: readonly string[], where: string): void {
  if (known.includes(entry.key)) {
    rejectUnsupported(source, entry, where);
    return;
  }
  throw source.error('UNKNOWN_KEYWORD', `unknown ${where} keyword '${entry.key}'`, entry.keyNode,
    didYouMean(entry.key, known, { listPrefix: `Keywords of a ${where}: ` }));
}

/** A keyword swarmplay accepts in the grammar but does not act on: says so and what to write instead. */
export function rejectUnsupported(source: SourceFile, entry: Entry, where: string): void {
  const instead = UNSUPPORTED_ANSIBLE_KEYWORDS.get(entry.key);
  if (instead === undefined) return;
  throw source.error('UNKNOWN_KEYWORD', `'${entry.key}' is an Ansible ${where} keyword that swarmplay does not support`, entry.keyNode,
    `Instead, ${instead}.`);
}
