/**
 * The keywords a play, a task, a block, an include and a handler take, and
 * the check of a keyword's name: a misspelt one gets "did you mean", an
 * Ansible keyword swarmplay does not do says so instead of "unknown".
 */
import { didYouMean } from './suggest.js';
import type { Entry, SourceFile } from './yaml-source.js';

export const PLAY_KEYWORDS = [
  'name', 'hosts', 'vars', 'vars_files', 'gather_facts', 'serial', 'any_errors_fatal', 'max_fail_percentage',
  'strategy', 'become', 'tags', 'pre_tasks', 'tasks', 'post_tasks', 'handlers',
] as const;

/** Keywords every task, block and include may carry. */
const COMMON_TASK_KEYWORDS = ['name', 'when', 'tags', 'ignore_errors', 'no_log', 'run_once', 'delegate_to', 'become', 'vars', 'check_mode'] as const;
export const MODULE_TASK_KEYWORDS = [
  ...COMMON_TASK_KEYWORDS, 'args', 'loop', 'with_items', 'loop_control', 'register', 'notify', 'changed_when', 'failed_when',
  'until', 'retries', 'delay',
] as const;
export const BLOCK_KEYWORDS = [...COMMON_TASK_KEYWORDS, 'block', 'rescue', 'always'] as const;
export const INCLUDE_KEYWORDS = ['name', 'when', 'tags', 'vars', 'import_tasks', 'include_tasks'] as const;
export const HANDLER_KEYWORDS = [...MODULE_TASK_KEYWORDS, 'listen'] as const;
export const ALL_TASK_KEYWORDS = new Set<string>([...HANDLER_KEYWORDS, ...BLOCK_KEYWORDS, ...INCLUDE_KEYWORDS]);

/** Ansible keywords swarmplay knows but does not do: a clearer message than "unknown". */
export const UNSUPPORTED_ANSIBLE_KEYWORDS = new Set([
  'action', 'local_action', 'become_user', 'become_method', 'become_flags', 'environment', 'diff',
  'timeout', 'throttle', 'debugger', 'any_errors_fatal', 'connection', 'collections', 'module_defaults', 'port',
  'remote_user', 'with_dict', 'with_list', 'with_fileglob', 'with_together', 'with_nested', 'with_sequence',
  'with_subelements', 'include', 'include_role', 'import_role', 'import_playbook', 'roles', 'delegate_facts', 'poll', 'async',
  'vars_prompt', 'order', 'force_handlers', 'ignore_unreachable', 'fact_path', 'gather_subset', 'gather_timeout',
]);

export function checkKeyword(source: SourceFile, entry: Entry, known: readonly string[], where: string): void {
  if (known.includes(entry.key)) return;
  if (UNSUPPORTED_ANSIBLE_KEYWORDS.has(entry.key)) {
    throw source.error('UNKNOWN_KEYWORD', `'${entry.key}' is an Ansible ${where} keyword that swarmplay does not support`, entry.keyNode,
      `Keywords of a ${where}: ${[...known].sort().join(', ')}.`);
  }
  throw source.error('UNKNOWN_KEYWORD', `unknown ${where} keyword '${entry.key}'`, entry.keyNode,
    didYouMean(entry.key, known, { listPrefix: `Keywords of a ${where}: ` }));
}
