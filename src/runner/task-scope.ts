/**
 * What a task inherits from the play and the blocks (and includes) around it:
 * variables, tags, conditions, become, error handling, login. The play's task
 * loop, its meta actions and its includes all read a task's scope the same way.
 */
import type { Task, RoleInstance, BecomeMethod, RawValue } from '../language/playbook.js';
import type { HostState } from './host-state.js';
import { taskVars, type PlayScope } from './variables.js';

export interface TagFilter {
  tags: string[];
  skipTags: string[];
}

/** How a task list inherits from the blocks around it. */
export interface Scope {
  vars: Record<string, unknown>[];
  tags: string[];
  when: string[];
  become?: boolean;
  /** A failure here will be handled by a rescue section: not counted as failed. */
  rescuable: boolean;
  /** true/false, or the innermost ignore_errors template with the role whose variables it may read. */
  ignoreErrors: boolean | { template: string; role?: RoleInstance };
  noLog: boolean;
  checkMode?: boolean;
  becomeUser?: string;
  becomeMethod?: BecomeMethod;
  becomeFlags?: string;
  /** environment: of the play and each block around, outermost first. */
  environment: RawValue[];
  moduleDefaults: Record<string, Record<string, RawValue>>[];
  anyErrorsFatal: boolean;
  ignoreUnreachable: boolean;
  /** throttle of the blocks around: the task's own, when smaller, wins. */
  throttle?: number;
  /** remote_user and connection: the task's, else the nearest block's, else the play's. */
  remoteUser?: string;
  connection?: string;
  /** Per-host variables of an include's loop item (loop var, index var). */
  perHost?: ReadonlyMap<string, Record<string, unknown>>;
}

/** Ansible's tag rules: `always` runs unless skipped by name, `never` only when asked for. */
export function tagsSelect(taskTags: string[], filter: TagFilter): boolean {
  const tags = new Set(taskTags);
  if (filter.skipTags.some((t) => tags.has(t) || (t === 'all' && !tags.has('always')))) return false;
  if (tags.has('always')) return true;
  if (filter.tags.length === 0 || filter.tags.includes('all')) return !tags.has('never');
  if (filter.tags.includes('tagged') && tags.size > 0) return !tags.has('never') || filter.tags.includes('never');
  if (filter.tags.includes('untagged') && tags.size === 0) return true;
  return filter.tags.some((t) => tags.has(t));
}

/** The scope of a task or block inside `scope`: its own keywords over the inherited ones. */
export function childScope(scope: Scope, task: Task): Scope {
  return {
    vars: Object.keys(task.vars).length ? [...scope.vars, task.vars] : scope.vars,
    tags: [...scope.tags, ...task.tags],
    when: [...scope.when, ...task.when],
    become: task.become ?? scope.become,
    rescuable: scope.rescuable,
    ignoreErrors: scope.ignoreErrors === true || task.ignoreErrors === true ? true
      : typeof task.ignoreErrors === 'string' ? { template: task.ignoreErrors, role: task.role } : scope.ignoreErrors,
    noLog: scope.noLog || task.noLog,
    checkMode: task.checkMode ?? scope.checkMode,
    becomeUser: task.becomeUser ?? scope.becomeUser,
    becomeMethod: task.becomeMethod ?? scope.becomeMethod,
    becomeFlags: task.becomeFlags ?? scope.becomeFlags,
    environment: task.environment === undefined ? scope.environment : [...scope.environment, task.environment],
    moduleDefaults: task.moduleDefaults ? [...scope.moduleDefaults, task.moduleDefaults] : scope.moduleDefaults,
    anyErrorsFatal: task.anyErrorsFatal ?? scope.anyErrorsFatal,
    ignoreUnreachable: task.ignoreUnreachable ?? scope.ignoreUnreachable,
    throttle: smallestLimit(task.throttle, scope.throttle),
    remoteUser: task.remoteUser ?? scope.remoteUser,
    connection: task.connection ?? scope.connection,
    perHost: scope.perHost,
  };
}

/** A host's variables for a task in this scope: the play's, then the blocks' and task's layers, then its loop item's. */
export function scopeVars(play: PlayScope, scope: Scope, host: HostState, role: RoleInstance | undefined): Record<string, unknown> {
  const perHost = scope.perHost?.get(host.name);
  return taskVars(host, play, perHost ? [...scope.vars, perHost] : scope.vars, role);
}

/** The tighter of two throttles (Ansible: a task's throttle cannot exceed its block's). */
function smallestLimit(...limits: (number | undefined)[]): number | undefined {
  const given = limits.filter((n): n is number => n !== undefined && n > 0);
  return given.length ? Math.min(...given) : undefined;
}
