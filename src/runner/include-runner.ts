/**
 * include_tasks / include_role resolved per host at run time: the include's
 * own when and tags decide, per host; each host (and loop item) then runs the
 * tasks of the file or role its variables name, item by item, as Ansible's
 * linear strategy does. A literal include was loaded with the playbook; a
 * templated one is read here, when it runs.
 */
import path from 'node:path';
import { SwarmplayError } from '../errors.js';
import type { Play, Task, IncludeTask } from '../language/playbook.js';
import type { RoleRequest } from '../language/roles.js';
import { evaluateCondition } from '../language/expressions.js';
import { renderValue } from '../language/template-string.js';
import type { HostState } from './host-state.js';
import type { PlayScope } from './variables.js';
import type { TaskResult } from './task-runner.js';
import { loopItems } from './loop-items.js';
import type { PlayRunnerDeps } from './play-runner.js';
import { childScope, scopeVars, tagsSelect, type Scope } from './task-scope.js';

/** What an include reaches of the play that runs it. */
export interface IncludeEnv {
  /** The play: an include_role's handlers join its handlers. */
  play: Play;
  playScope: PlayScope;
  deps: Pick<PlayRunnerDeps, 'emit' | 'recap' | 'tagFilter' | 'loadTaskFile' | 'loadRole'>;
  /** The host still takes part in the play (not failed, not ended). */
  running(host: HostState): boolean;
  /** Runs the included tasks; returns the hosts that failed in them. */
  runList(tasks: Task[], hosts: HostState[], scope: Scope): Promise<Set<HostState>>;
  /** Records and emits a host's result; returns whether it is a failure ignore_errors ignores. */
  report(host: HostState, taskName: string, outcome: TaskResult, scope: Scope): boolean;
}

/** One run of the included tasks: a loop item and what it names, with the hosts that run it. */
interface IncludeRun {
  index: number;
  file: string;
  role?: RoleRequest;
  hosts: HostState[];
  /** Each host's loop variables. */
  perHost: Map<string, Record<string, unknown>>;
}

/** Runs an include on these hosts; returns the hosts that failed in it. */
export async function runInclude(task: IncludeTask, hosts: HostState[], scope: Scope, env: IncludeEnv): Promise<Set<HostState>> {
  const { deps } = env;
  const failed = new Set<HostState>();
  if (!tagsSelect([...scope.tags, ...task.tags], deps.tagFilter)) return failed;
  const name = task.role && task.action === 'include_tasks' ? `${task.role.name} : ${task.name}` : task.name!;
  deps.emit({ event: 'task_start', name, module: task.action, location: `${task.location.file}:${task.location.line}`, hosts: hosts.map((h) => h.name) });
  const own = childScope(scope, { ...task, tags: [], when: [] });
  /** The include failed on the host: the host fails unless ignore_errors holds for it. */
  const fail = (host: HostState, msg: string): void => {
    const ignored = env.report(host, name, { status: 'failed', msg, result: { failed: true, changed: false, msg } }, own);
    if (!ignored) { host.failed = true; failed.add(host); }
  };
  /** (item index, file or role) -> hosts, with each host's loop variables. */
  const runs = new Map<string, IncludeRun>();
  for (const host of hosts) {
    const vars = scopeVars(env.playScope, own, host, task.role);
    try {
      const conditions = [...scope.when, ...task.when];
      if (conditions.length && !conditions.every((c) => evaluateCondition(c, vars, task.location))) {
        env.report(host, name, { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } }, own);
        continue;
      }
      const items = task.loop === undefined ? [undefined] : loopItems(task, vars);
      items.forEach((item, index) => {
        const itemVars: Record<string, unknown> = task.loop === undefined ? {} : { [task.loopVar]: item, ...(task.indexVar ? { [task.indexVar]: index } : {}) };
        const render = (value: string | undefined) => (value === undefined ? undefined : String(renderValue(value, { ...vars, ...itemVars }, task.location)));
        const file = render(task.target)!;
        const role = task.roleRequest && {
          ...task.roleRequest, name: file, tasksFrom: render(task.roleRequest.tasksFrom), varsFrom: render(task.roleRequest.varsFrom),
          defaultsFrom: render(task.roleRequest.defaultsFrom), handlersFrom: render(task.roleRequest.handlersFrom),
        };
        const key = `${index}\0${file}\0${role ? JSON.stringify([role.tasksFrom, role.varsFrom, role.defaultsFrom, role.handlersFrom]) : ''}`;
        const run: IncludeRun = runs.get(key) ?? { index, file, role, hosts: [], perHost: new Map() };
        run.hosts.push(host);
        run.perHost.set(host.name, { ...(scope.perHost?.get(host.name) ?? {}), ...itemVars });
        runs.set(key, run);
      });
    } catch (error) {
      fail(host, error instanceof SwarmplayError ? error.format() : error instanceof Error ? error.message : String(error));
    }
  }
  if (runs.size && task.roleHandlers) {
    for (const handler of task.roleHandlers) {
      const at = env.play.handlers.indexOf(handler);
      if (at >= 0) env.play.handlers.splice(at, 1);
      env.play.handlers.push(handler);
    }
  }
  // Every file is read before any runs, as Ansible includes them all first: a host is "included" (ok, and counted once
  // per loop item for include_tasks, never for include_role) only once its file was read; one that cannot be read fails it.
  const loaded: { run: IncludeRun; tasks: Task[] }[] = [];
  const included = new Set<HostState>();
  for (const run of [...runs.values()].sort((a, b) => a.index - b.index)) {
    const runHosts = run.hosts.filter((h) => env.running(h) && !failed.has(h));
    if (!runHosts.length) continue;
    try {
      loaded.push({ run, tasks: task.loaded ?? (run.role ? await deps.loadRole(run.role) : await deps.loadTaskFile(path.resolve(task.baseDir, run.file), task.role)) });
    } catch (error) {
      const msg = error instanceof SwarmplayError ? error.format() : String(error);
      for (const host of runHosts) fail(host, msg);
      continue;
    }
    for (const host of runHosts) {
      if (task.action === 'include_tasks') deps.recap.record(host.name, 'ok');
      included.add(host);
    }
  }
  for (const host of hosts) {
    if (included.has(host) && !failed.has(host)) deps.emit({ event: 'host_result', task: name, host: host.name, status: 'ok', result: { changed: false, include: task.target } });
  }
  const apply = task.roleOptions?.apply as Task | undefined;
  for (const { run, tasks } of loaded) {
    const runHosts = run.hosts.filter((h) => env.running(h) && !failed.has(h));
    if (!runHosts.length) continue;
    const inner: Scope = { ...own, tags: scope.tags, when: [], perHost: run.perHost };
    const body = apply ? [{ ...apply, kind: 'block' as const, block: tasks, rescue: [], always: [] }] : tasks;
    for (const h of await env.runList(body, runHosts, inner)) failed.add(h);
  }
  return failed;
}
