/**
 * Runs one play: batches (serial), fact gathering, the linear or free
 * strategy over pre_tasks, tasks, post_tasks with handler flushes, blocks
 * with rescue and always, run_once, delegate_to, any_errors_fatal and
 * max_fail_percentage.
 */
import pLimit from 'p-limit';
import { SwarmplayError } from '../errors.js';
import type { Play, Task, ModuleTask, BlockTask, Handler } from '../language/playbook.js';
import type { RunnerEvent, HostStatus } from './events.js';
import type { HostState } from './host-state.js';
import type { Recap } from './recap.js';
import type { Connection } from '../transport/types.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { FactReader } from '../facts/types.js';
import type { ModuleDefinition } from '../modules/types.js';
import { taskVars, type PlayScope } from './variables.js';
import { runTask, UnreachableError, NO_LOG_MESSAGE, type TaskResult } from './task-runner.js';
import { evaluateCondition, markRawData } from '../language/expressions.js';
import { renderValue } from '../language/template-string.js';

export interface TagFilter {
  tags: string[];
  skipTags: string[];
}

export interface PlayRunnerDeps {
  emit(event: RunnerEvent): void;
  /** Says a warning once per run, however many hosts and tasks raise it. */
  warnOnce(message: string): void;
  recap: Recap;
  findModule(name: string): ModuleDefinition | undefined;
  connect(host: string): Promise<Connection>;
  /** The host's facts through its fact cache: no round trip unless a change dropped them. */
  facts(host: string): Promise<HostFacts>;
  fact<Args, Value>(host: string, reader: FactReader<Args, Value>, args: Args): Promise<Value>;
  /** A new connection to the host in place of its current one (reboot, wait_for_connection). */
  reconnect?(host: string): Promise<Connection>;
  /** A task changed the host (or meta: clear_facts): its next fact reader reads it again. */
  invalidateFacts(host: string): void;
  addSecret(value: unknown): void;
  checkMode: boolean;
  diffMode: boolean;
  forks: number;
  tagFilter: TagFilter;
  /** Task name to start at (--start-at-task); cleared once reached. */
  startAt?: { name: string; reached: boolean };
  signal: AbortSignal;
}

/** How a task list inherits from the blocks around it. */
interface Scope {
  vars: Record<string, unknown>[];
  tags: string[];
  when: string[];
  become?: boolean;
  /** A failure here will be handled by a rescue section: not counted as failed. */
  rescuable: boolean;
  ignoreErrors: boolean;
  noLog: boolean;
  checkMode?: boolean;
}

const META_MODULE = 'meta';

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

function displayName(task: ModuleTask): string {
  return task.name ?? `${task.module}${typeof task.args._raw === 'string' ? ` ${task.args._raw}` : ''}`;
}

/** What may hold a no_log task's secret: its output and facts, not its bookkeeping (changed, rc, times). */
function noLogSecrets(outcome: TaskResult): unknown[] {
  const pick = (r: Record<string, unknown>): unknown[] => [r.stdout, r.stderr, r.stdout_lines, r.stderr_lines, r.msg, r.content];
  const items = Array.isArray(outcome.result.results) ? (outcome.result.results as Record<string, unknown>[]) : [];
  return [...pick(outcome.result), ...items.flatMap(pick), outcome.setFacts];
}

export class PlayRunner {
  private readonly limit: ReturnType<typeof pLimit>;
  /** meta: end_play was reached. */
  private endedPlay = false;
  /** The batch running now (max_fail_percentage counts its hosts). */
  private batch: HostState[] = [];

  constructor(
    private readonly play: Play,
    private readonly scope: PlayScope,
    private readonly deps: PlayRunnerDeps,
  ) {
    this.limit = pLimit(Math.max(1, deps.forks));
  }

  private get aborted(): boolean {
    return this.deps.signal.aborted;
  }

  /** Runs the play on one batch of hosts. Returns false when the play must stop (any_errors_fatal, max_fail_percentage). */
  async runBatch(batch: HostState[]): Promise<boolean> {
    const { play } = this;
    const base: Scope = {
      vars: [], tags: play.tags, when: [], become: play.become, rescuable: false, ignoreErrors: false, noLog: false,
    };
    this.batch = batch;
    if (play.gatherFacts) await this.gatherFacts(batch);
    const sections: Task[][] = [play.preTasks, play.tasks, play.postTasks];
    for (const section of sections) {
      if (this.aborted) return false;
      if (play.strategy === 'free') {
        await Promise.all(batch.filter((h) => h.active).map((h) => this.runList(section, [h], base)));
      } else {
        await this.runList(section, batch.filter((h) => h.active), base);
      }
      await this.flushHandlers(batch, base);
      if (this.shouldStop(batch)) return false;
    }
    return !this.shouldStop(batch);
  }

  private shouldStop(batch: HostState[]): boolean {
    if (this.aborted || this.endedPlay) return true;
    const failed = batch.filter((h) => !h.active).length;
    if (failed === 0) return false;
    if (this.play.anyErrorsFatal) return true;
    if (this.tooManyFailed(batch)) return true;
    return failed === batch.length;
  }

  /** max_fail_percentage is exceeded: checked after every task, as Ansible does, not only at the end of a section. */
  private tooManyFailed(batch: HostState[]): boolean {
    if (this.play.maxFailPercentage === undefined || batch.length === 0) return false;
    const failed = batch.filter((h) => !h.active).length;
    return (failed / batch.length) * 100 > this.play.maxFailPercentage;
  }

  private async gatherFacts(batch: HostState[]): Promise<void> {
    const hosts = batch.filter((h) => h.active);
    if (!hosts.length) return;
    this.deps.emit({ event: 'task_start', name: 'Gathering Facts', module: 'setup', location: '', hosts: hosts.map((h) => h.name) });
    await Promise.all(hosts.map((host) => this.limit(async () => {
      try {
        host.facts = await this.deps.facts(host.name);
        host.factsGathered = true;
        this.report(host, 'Gathering Facts', { status: 'ok', result: {} }, base());
      } catch (error) {
        this.markUnreachable(host, 'Gathering Facts', error);
      }
    })));
    function base(): Scope {
      return { vars: [], tags: [], when: [], rescuable: false, ignoreErrors: false, noLog: false };
    }
  }

  private markUnreachable(host: HostState, taskName: string, error: unknown): void {
    const cause = error instanceof UnreachableError ? error.reason : error;
    const msg = cause instanceof SwarmplayError ? cause.format() : String(cause instanceof Error ? cause.message : cause);
    host.unreachable = true;
    this.deps.recap.record(host.name, 'unreachable');
    this.deps.emit({ event: 'host_result', task: taskName, host: host.name, status: 'unreachable', msg });
  }

  /** Runs a task list on these hosts; returns the hosts that failed in it (and were not rescued). */
  private async runList(tasks: Task[], hosts: HostState[], scope: Scope): Promise<Set<HostState>> {
    const failed = new Set<HostState>();
    let active = hosts.filter((h) => h.active);
    for (const task of tasks) {
      if (this.aborted || this.endedPlay || active.length === 0) break;
      // Under strategy free, other hosts' failures count too; a failure a rescue section may still handle does not count yet.
      if (!scope.rescuable && this.tooManyFailed(this.batch)) break;
      const newlyFailed = task.kind === 'block'
        ? await this.runBlock(task, active, scope)
        : await this.runModuleTask(task, active, scope);
      for (const h of newlyFailed) failed.add(h);
      if (newlyFailed.size && this.play.anyErrorsFatal) {
        for (const h of active) failed.add(h);
      }
      active = active.filter((h) => !failed.has(h) && !h.unreachable);
    }
    return failed;
  }

  private childScope(scope: Scope, task: Task): Scope {
    return {
      vars: Object.keys(task.vars).length ? [...scope.vars, task.vars] : scope.vars,
      tags: [...scope.tags, ...task.tags],
      when: [...scope.when, ...task.when],
      become: task.become ?? scope.become,
      rescuable: scope.rescuable,
      ignoreErrors: scope.ignoreErrors || task.ignoreErrors,
      noLog: scope.noLog || task.noLog,
      checkMode: task.checkMode ?? scope.checkMode,
    };
  }

  private async runBlock(block: BlockTask, hosts: HostState[], scope: Scope): Promise<Set<HostState>> {
    const inner = this.childScope(scope, block);
    const blockFailed = await this.runList(block.block, hosts, { ...inner, rescuable: scope.rescuable || block.rescue.length > 0 });
    let stillFailed = blockFailed;
    const rescuable = [...blockFailed].filter((h) => !h.unreachable);
    if (block.rescue.length && rescuable.length) {
      for (const h of rescuable) {
        h.failed = false;
        this.deps.recap.rescued(h.name);
        this.deps.emit({ event: 'host_rescued', host: h.name });
      }
      stillFailed = await this.runList(block.rescue, rescuable, inner);
      for (const h of blockFailed) if (h.unreachable) stillFailed.add(h);
    }
    // always runs for every host that entered the block and can still be reached.
    const alwaysHosts = hosts.filter((h) => !h.unreachable);
    if (block.always.length && alwaysHosts.length) {
      const failedBefore = new Set(stillFailed);
      for (const h of alwaysHosts) h.failed = false;
      const alwaysFailed = await this.runList(block.always, alwaysHosts, inner);
      for (const h of failedBefore) h.failed = true;
      for (const h of alwaysFailed) stillFailed.add(h);
    }
    for (const h of stillFailed) h.failed = true;
    return stillFailed;
  }

  private selected(task: ModuleTask, scope: Scope): boolean {
    const startAt = this.deps.startAt;
    if (startAt && !startAt.reached) {
      if (task.name !== startAt.name) return false;
      startAt.reached = true;
    }
    return tagsSelect([...scope.tags, ...task.tags], this.deps.tagFilter);
  }

  private async runModuleTask(task: ModuleTask, hosts: HostState[], scope: Scope, handler = false): Promise<Set<HostState>> {
    const failed = new Set<HostState>();
    if (!handler && !this.selected(task, scope)) return failed;
    const name = displayName(task);
    if (task.module === META_MODULE) {
      await this.runMeta(task, hosts, scope);
      return failed;
    }
    const module = this.deps.findModule(task.module);
    if (!module) throw new SwarmplayError('UNKNOWN_MODULE', `unknown module '${task.module}'`, { location: task.location });
    // The task's own `when` is judged per loop item by the task runner; only the enclosing blocks' here.
    const taskScope = { ...this.childScope(scope, task), when: scope.when };
    const targets = task.runOnce ? hosts.slice(0, 1) : hosts;
    this.deps.emit({
      event: 'task_start', name, module: task.module, handler,
      location: `${task.location.file}:${task.location.line}`, hosts: targets.map((h) => h.name),
    });
    await Promise.all(targets.map((host) => this.limit(async () => {
      if (this.aborted) return;
      const outcome = await this.runOnHost(task, module, host, taskScope);
      if (!outcome) return;
      if (task.runOnce) {
        // run_once: one result, given to every host of the batch.
        for (const other of hosts) {
          if (other !== host && task.register) other.runtimeVars[task.register] = outcome.result;
          if (other !== host && outcome.setFacts) Object.assign(other.runtimeVars, outcome.setFacts);
        }
      }
      if (outcome.status === 'failed' && !taskScope.ignoreErrors) {
        host.failed = true;
        failed.add(host);
        if (task.runOnce) for (const other of hosts) { other.failed = true; failed.add(other); }
      }
      if (outcome.status === 'unreachable') failed.add(host);
    })));
    return failed;
  }

  /** Returns null when the host became unreachable (already reported). */
  private async runOnHost(task: ModuleTask, module: ModuleDefinition, host: HostState, scope: Scope): Promise<TaskResult | null> {
    const name = displayName(task);
    if (host.factsGathered) {
      // Cached unless a change (or clear_facts) dropped them: then gathered again here, once.
      try {
        host.facts = await this.deps.facts(host.name);
      } catch (error) {
        this.markUnreachable(host, name, error);
        return null;
      }
    }
    const vars = taskVars(host, this.scope, scope.vars);
    let delegateHost: string | undefined;
    let outcome: TaskResult;
    try {
      if (scope.when.length && !scope.when.every((c) => evaluateCondition(c, vars, task.location))) {
        outcome = { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } };
      } else {
        if (task.delegateTo) delegateHost = String(renderValue(task.delegateTo, vars, task.location));
        outcome = await runTask({
          module,
          task: { ...task, become: task.become ?? scope.become },
          host: host.name,
          vars,
          checkMode: scope.checkMode ?? this.deps.checkMode,
          diffMode: this.deps.diffMode,
          playbookDir: this.scope.playbookDir,
          connect: () => this.deps.connect(delegateHost ?? host.name),
          facts: () => this.deps.facts(delegateHost ?? host.name),
          fact: (reader, args) => this.deps.fact(delegateHost ?? host.name, reader, args),
          addSecret: (v) => this.deps.addSecret(v),
          signal: this.deps.signal,
          progress: (msg) => this.deps.emit({ event: 'task_progress', task: name, host: host.name, msg }),
          invalidateFacts: () => this.deps.invalidateFacts(delegateHost ?? host.name),
          ...(this.deps.reconnect && { reconnect: () => this.deps.reconnect!(delegateHost ?? host.name) }),
        });
      }
    } catch (error) {
      if (error instanceof UnreachableError) {
        this.markUnreachable(host, name, error);
        return null;
      }
      if (error instanceof SwarmplayError && error.code === 'INTERRUPTED') return null;
      const msg = error instanceof SwarmplayError ? error.format() : error instanceof Error ? error.message : String(error);
      outcome = { status: 'failed', msg, result: { failed: true, changed: false, msg } };
    }
    if (outcome.status === 'changed') {
      this.deps.invalidateFacts(delegateHost ?? host.name);
      for (const topic of task.notify) host.notified.add(topic);
    }
    if (outcome.setFacts && outcome.status !== 'failed') Object.assign(host.runtimeVars, outcome.setFacts);
    // Registered output is data: a `{{` in a command's stdout must never be templated.
    if (task.register) host.runtimeVars[task.register] = markRawData(outcome.result);
    // A no_log task's output stays hidden everywhere, also when a later task prints what it registered.
    if (scope.noLog) this.deps.addSecret(noLogSecrets(outcome));
    for (const warning of outcome.warnings ?? []) this.deps.warnOnce(warning);
    this.report(host, name, outcome, scope, delegateHost);
    return outcome;
  }

  private report(host: HostState, taskName: string, outcome: TaskResult, scope: Scope, delegatedTo?: string): void {
    const ignored = outcome.status === 'failed' && scope.ignoreErrors;
    const failure = ignored ? 'ignored' : scope.rescuable ? 'rescuable' : 'counted';
    this.deps.recap.record(host.name, outcome.status, failure, Boolean(outcome.result.changed));
    if (scope.noLog) {
      this.deps.emit({
        event: 'host_result', task: taskName, host: host.name, status: outcome.status, ignored: ignored || undefined,
        msg: outcome.status === 'failed' ? NO_LOG_MESSAGE : undefined, result: { censored: NO_LOG_MESSAGE }, delegatedTo,
      });
      return;
    }
    this.deps.emit({
      event: 'host_result', task: taskName, host: host.name, status: outcome.status as HostStatus,
      ignored: ignored || undefined, msg: outcome.msg, diffs: outcome.diffs, result: outcome.result, delegatedTo,
      steps: outcome.steps?.length ? outcome.steps : undefined,
    });
  }

  private async runMeta(task: ModuleTask, hosts: HostState[], scope: Scope): Promise<void> {
    const action = String(task.args._raw ?? task.args.action ?? '');
    if (action === 'flush_handlers') await this.flushHandlers(hosts, scope);
    else if (action === 'end_play') this.endedPlay = true;
    // Unlike Ansible, where ansible_* are then undefined, the next task gathers them again (there is no setup module to call).
    else if (action === 'clear_facts') for (const h of hosts) this.deps.invalidateFacts(h.name);
    else if (action !== 'noop') {
      throw new SwarmplayError('BAD_ARGUMENT', `meta: unknown action '${action}'`, {
        location: task.location, hint: 'use flush_handlers, end_play, clear_facts or noop',
      });
    }
  }

  private handlerMatches(handler: Handler, topic: string): boolean {
    return handler.name === topic || handler.listen.includes(topic);
  }

  /** Runs notified handlers once per host, in the order they are defined; handlers may notify later ones. */
  private async flushHandlers(hosts: HostState[], scope: Scope): Promise<void> {
    for (let pass = 0; pass < 10; pass++) {
      let ranAny = false;
      for (const handler of this.play.handlers) {
        if (this.aborted) return;
        const notifiedHosts = hosts.filter((h) => h.active && [...h.notified].some((t) => this.handlerMatches(handler, t)));
        if (!notifiedHosts.length) continue;
        for (const h of notifiedHosts) {
          for (const topic of [...h.notified]) if (this.handlerMatches(handler, topic)) h.notified.delete(topic);
        }
        ranAny = true;
        await this.runModuleTask(handler, notifiedHosts, scope, true);
      }
      if (!ranAny) return;
    }
  }
}
