/**
 * Runs one play: batches (serial), fact gathering, the linear or free
 * strategy over pre_tasks, tasks, post_tasks with handler flushes, blocks
 * with rescue and always, run_once, delegate_to, any_errors_fatal and
 * max_fail_percentage. Beside it: what a task inherits (task-scope.ts),
 * meta actions (meta-actions.ts) and run-time includes (include-runner.ts).
 */
import pLimit from 'p-limit';
import { SwarmplayError } from '../errors.js';
import type { Play, Task, ModuleTask, BlockTask, Handler, RoleInstance, Login } from '../language/playbook.js';
import type { RunnerEvent, HostStatus } from './events.js';
import type { HostState } from './host-state.js';
import type { Recap } from './recap.js';
import type { Connection } from '../transport/types.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { FactReader } from '../facts/types.js';
import type { InventoryChange, ModuleDefinition } from '../modules/types.js';
import { addHostFacts, taskVars, type PlayScope } from './variables.js';
import { runTask, UnreachableError, NO_LOG_MESSAGE, type TaskResult, type TaskRunEnv } from './task-runner.js';
import { moduleDefaultsFor } from './module-defaults.js';
import { evaluateCondition, markRawData } from '../language/expressions.js';
import { renderValue } from '../language/template-string.js';
import { toBool } from '../language/filters.js';
import { toText } from '../language/values.js';
import { shapesCommands, withTaskContext, type TaskCommandContext } from './task-connection.js';
import type { RoleRequest } from '../language/roles.js';
import type { VaultAccess } from '../vault/vaulted-value.js';
import type { ReadAhead, PredictedRead } from './read-ahead.js';
import { childScope, scopeVars, tagsSelect, type Scope, type TagFilter } from './task-scope.js';
import { META_MODULE, MetaEnds, runMetaAction, type MetaActionEnv } from './meta-actions.js';
import { runInclude, type IncludeEnv } from './include-runner.js';

export interface PlayRunnerDeps {
  emit(event: RunnerEvent): void;
  /** Says a warning once per run, however many hosts and tasks raise it. */
  warnOnce(message: string): void;
  recap: Recap;
  findModule(name: string): ModuleDefinition | undefined;
  /** `login`: the task's or block's remote_user and connection when they differ from the play's. */
  connect(host: string, login?: Login): Promise<Connection>;
  /** The host's facts through its fact cache: no round trip unless a change dropped them. */
  facts(host: string): Promise<HostFacts>;
  fact<Args, Value>(host: string, reader: FactReader<Args, Value>, args: Args): Promise<Value>;
  /** A new connection to the host in place of its current one (reboot, wait_for_connection). */
  reconnect?(host: string, login?: Login): Promise<Connection>;
  /** Drops the host's connections: the next task connects anew (a reboot's wait that failed). */
  forgetConnection?(host: string): Promise<void>;
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
  /** add_host, group_by: the run's inventory changes; later tasks and plays see it. */
  changeInventory(changes: InventoryChange[], location: ModuleTask['location']): void;
  /** meta: refresh_inventory: read the inventory sources again. */
  refreshInventory?(): Promise<void>;
  /** Reads a task file an include names at run time (a templated path); bad input throws. */
  loadTaskFile(file: string, role: RoleInstance | undefined): Promise<Task[]>;
  /** Reads a role an include_role names at run time (a templated name); its handlers and public variables join the play. */
  loadRole(request: RoleRequest): Promise<Task[]>;
  /** The run's vault passwords: encrypted controller files (include_vars, a module's vault files) and the files a module writes encrypted. */
  vault?: VaultAccess;
}

function displayName(task: ModuleTask): string {
  const name = task.name ?? `${task.module}${typeof task.args._raw === 'string' ? ` ${task.args._raw}` : ''}`;
  // Ansible's "role : task" for a role's tasks.
  return task.role ? `${task.role.name} : ${name}` : name;
}

/** The folders a task's relative files are searched in: its role's (then the roles it came through), then the playbook's. */
export function searchDirs(role: RoleInstance | undefined, playbookDir: string): string[] {
  if (!role) return [playbookDir];
  return [role.path, ...[...role.parents].reverse().map((r) => r.path), playbookDir];
}

/** What may hold a no_log task's secret: its output and facts, not its bookkeeping (changed, rc, times). */
function noLogSecrets(outcome: TaskResult): unknown[] {
  const pick = (r: Record<string, unknown>): unknown[] => [r.stdout, r.stderr, r.stdout_lines, r.stderr_lines, r.msg, r.content];
  const items = Array.isArray(outcome.result.results) ? (outcome.result.results as Record<string, unknown>[]) : [];
  return [...pick(outcome.result), ...items.flatMap(pick), outcome.setFacts];
}

export class PlayRunner {
  private readonly limit: ReturnType<typeof pLimit>;
  /** The batch running now (max_fail_percentage counts its hosts). */
  private batch: HostState[] = [];
  /** What meta actions ended in this batch: the play, the batch, hosts, roles. */
  private readonly ends = new MetaEnds();
  /** The play's file reads per host, read ahead together (see read-ahead.ts); made when a first task runs. */
  private reads?: ReadAhead;
  /** How many of the next tasks a read-ahead looks at. */
  private static readonly READ_AHEAD_TASKS = 40;

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
      becomeUser: play.becomeUser, becomeMethod: play.becomeMethod, becomeFlags: play.becomeFlags,
      environment: play.environment === undefined ? [] : [play.environment], moduleDefaults: play.moduleDefaults ? [play.moduleDefaults] : [],
      anyErrorsFatal: false, ignoreUnreachable: false, remoteUser: play.remoteUser, connection: play.connection,
    };
    this.batch = batch;
    if (play.gatherFacts) await this.gatherFacts(batch);
    const sections: Task[][] = [play.preTasks, play.tasks, play.postTasks];
    // An import_playbook's `when` is on every task, not on the handlers.
    const tasksScope: Scope = { ...base, when: play.importedWhen ?? [] };
    for (const section of sections) {
      if (this.aborted) return false;
      if (play.strategy === 'free') {
        await Promise.all(batch.filter((h) => this.running(h)).map((h) => this.runList(section, [h], tasksScope)));
      } else {
        await this.runList(section, batch.filter((h) => this.running(h)), tasksScope);
      }
      await this.flushHandlers(batch, base);
      if (this.shouldStop(batch)) return false;
      if (this.ends.batch) return true;
    }
    return !this.shouldStop(batch);
  }

  private running(host: HostState): boolean {
    return host.active && !this.ends.hosts.has(host);
  }

  private shouldStop(batch: HostState[]): boolean {
    if (this.aborted || this.ends.play) return true;
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
      if (!this.importGuardHolds(host, base())) return;
      try {
        host.facts = await this.deps.facts(host.name);
        host.factsGathered = true;
        this.report(host, 'Gathering Facts', { status: 'ok', result: {} }, base());
      } catch (error) {
        this.markUnreachable(host, 'Gathering Facts', error);
      }
    })));
    function base(): Scope {
      return { vars: [], tags: [], when: [], rescuable: false, ignoreErrors: false, noLog: false, environment: [], moduleDefaults: [], anyErrorsFatal: false, ignoreUnreachable: false };
    }
  }

  /** An import_playbook's `when` for one host: false skips its fact gathering; an error fails the host. */
  private importGuardHolds(host: HostState, scope: Scope): boolean {
    const guard = this.play.importedWhen ?? [];
    try {
      if (guard.every((c) => evaluateCondition(c, taskVars(host, this.scope, [], undefined), this.play.location))) return true;
      this.report(host, 'Gathering Facts', { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } }, scope);
    } catch (error) {
      const msg = error instanceof SwarmplayError ? error.format() : String(error);
      this.report(host, 'Gathering Facts', { status: 'failed', msg, result: { failed: true, changed: false, msg } }, scope);
      host.failed = true;
    }
    return false;
  }

  private markUnreachable(host: HostState, taskName: string, error: unknown): void {
    const cause = error instanceof UnreachableError ? error.reason : error;
    const msg = cause instanceof SwarmplayError ? cause.format() : String(cause instanceof Error ? cause.message : cause);
    host.unreachable = true;
    this.deps.recap.record(host.name, 'unreachable');
    this.deps.emit({ event: 'host_result', task: taskName, host: host.name, status: 'unreachable', msg });
  }

  /**
   * Made when a first task runs, not with the runner: read-ahead brings the file
   * modules' helpers (and zod with them), which a play without tasks never needs.
   */
  private async readAhead(): Promise<ReadAhead> {
    this.reads ??= new (await import('./read-ahead.js')).ReadAhead();
    return this.reads;
  }

  /** Runs a task list on these hosts; returns the hosts that failed in it (and were not rescued). */
  private async runList(tasks: Task[], hosts: HostState[], scope: Scope): Promise<Set<HostState>> {
    const failed = new Set<HostState>();
    if (tasks.length === 0) return failed;
    let active = hosts.filter((h) => this.running(h));
    const reads = await this.readAhead();
    for (const [index, task] of tasks.entries()) {
      if (this.aborted || this.ends.play || this.ends.batch || active.length === 0) break;
      for (const host of active) {
        // Worked out at most once per task, host and width, and only when a read is not known yet.
        const predicted = new Map<boolean, PredictedRead[]>();
        reads.forHost(host.name).upcoming = (wide) => {
          if (!predicted.has(wide)) predicted.set(wide, this.predictReads(host, tasks, index, scope, wide));
          return predicted.get(wide)!;
        };
      }
      // Under strategy free, other hosts' failures count too; a failure a rescue section may still handle does not count yet.
      if (!scope.rescuable && this.tooManyFailed(this.batch)) break;
      const taskHosts = task.role ? active.filter((h) => !this.ends.roleEnded(h, task.role!)) : active;
      if (taskHosts.length === 0) continue;
      const newlyFailed = task.kind === 'block'
        ? await this.runBlock(task, taskHosts, scope)
        : task.kind === 'include'
          ? await runInclude(task, taskHosts, scope, this.includeEnv())
          : await this.runModuleTask(task, taskHosts, scope);
      for (const h of newlyFailed) failed.add(h);
      if (newlyFailed.size && (this.play.anyErrorsFatal || scope.anyErrorsFatal || task.anyErrorsFatal)) {
        for (const h of active) failed.add(h);
      }
      active = active.filter((h) => !failed.has(h) && !h.unreachable && !this.ends.hosts.has(h));
    }
    return failed;
  }

  /**
   * The paths this task and the next module tasks of the list will read on
   * the host, from their arguments rendered with the host's variables now.
   * A task whose arguments cannot be rendered yet (a variable a later task
   * registers), that loops, delegates, becomes, or calls a lookup (which may
   * run something on the controller) is left out: its reads happen live.
   */
  private predictReads(host: HostState, tasks: Task[], from: number, scope: Scope, wide: boolean): PredictedRead[] {
    const reads: PredictedRead[] = [];
    for (const task of tasks.slice(from, from + PlayRunner.READ_AHEAD_TASKS)) {
      if (task.kind !== 'module') {
        if (wide) continue;
        break;
      }
      const module = this.deps.findModule(task.module);
      if (!wide && !module?.controllerOnly && !module?.changesByWrites && reads.length > 0) break;
      if (!module?.reads || task.loop !== undefined || task.delegateTo !== undefined) continue;
      const taskScope = childScope(scope, task);
      if (taskScope.become || taskScope.environment.length || (taskScope.becomeUser !== undefined && taskScope.becomeUser !== 'root')) continue;
      // Another login reads through its own connection: the play's reads would not serve it.
      if (this.loginOf(taskScope)) continue;
      if (/\b(lookup|query|q)\s*\(/.test(JSON.stringify(task.args))) continue;
      try {
        const vars = scopeVars(this.scope, taskScope, host, task.role);
        const defaults = moduleDefaultsFor(taskScope.moduleDefaults, task.module);
        const parsed = module.schema.safeParse(renderValue({ ...defaults, ...task.args }, vars, task.location));
        if (parsed.success) reads.push(...module.reads(parsed.data));
      } catch {
        // Not renderable yet: read live when the task runs.
      }
    }
    return reads;
  }

  private includeEnv(): IncludeEnv {
    return {
      play: this.play, playScope: this.scope, deps: this.deps,
      running: (h) => this.running(h),
      runList: (tasks, hosts, scope) => this.runList(tasks, hosts, scope),
      report: (host, taskName, outcome, scope) => this.report(host, taskName, outcome, scope),
    };
  }

  private metaActionEnv(): MetaActionEnv {
    return {
      ends: this.ends, playScope: this.scope, batch: this.batch, deps: this.deps,
      flushHandlers: (hosts, scope) => this.flushHandlers(hosts, scope),
    };
  }

  private async runBlock(block: BlockTask, hosts: HostState[], scope: Scope): Promise<Set<HostState>> {
    const inner = childScope(scope, block);
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
      await runMetaAction(task, hosts, scope, this.metaActionEnv());
      return failed;
    }
    const module = this.deps.findModule(task.module);
    if (!module) throw new SwarmplayError('UNKNOWN_MODULE', `unknown module '${task.module}'`, { location: task.location });
    // The task's own `when` is judged per loop item by the task runner; only the enclosing blocks' here.
    const taskScope = { ...childScope(scope, task), when: scope.when };
    // add_host runs once, for the first host, as Ansible's bypass_host_loop (its result is that host's only).
    const targets = task.runOnce || module.bypassHostLoop ? hosts.slice(0, 1) : hosts;
    this.deps.emit({
      event: 'task_start', name, module: task.module, handler,
      location: `${task.location.file}:${task.location.line}`, hosts: targets.map((h) => h.name),
    });
    const runOne = async (host: HostState): Promise<void> => {
      if (this.aborted) return;
      const ran = await this.runOnHost(task, module, host, taskScope);
      if (!ran) return;
      const { outcome } = ran;
      if (task.runOnce) {
        // run_once: one result, given to every host of the batch.
        for (const other of hosts) {
          if (other !== host && task.register) other.runtimeVars[task.register] = outcome.result;
          if (other !== host && outcome.setFacts) addHostFacts(other, outcome.setFacts);
        }
      }
      if (ran.failed) {
        host.failed = true;
        failed.add(host);
        if (task.runOnce) for (const other of hosts) { other.failed = true; failed.add(other); }
      }
      if (outcome.status === 'unreachable') failed.add(host);
    };
    // throttle (the task's or a block's around it): at most that many hosts at once for this task.
    const throttle = taskScope.throttle ? pLimit(taskScope.throttle) : undefined;
    await Promise.all(targets.map((host) => this.limit(() => (throttle ? throttle(() => runOne(host)) : runOne(host)))));
    return failed;
  }

  /**
   * Returns the outcome and whether it fails the host (failed, and ignore_errors
   * does not hold); null when the host became unreachable (already reported).
   */
  private async runOnHost(task: ModuleTask, module: ModuleDefinition, host: HostState, scope: Scope): Promise<{ outcome: TaskResult; failed: boolean } | null> {
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
    const vars = scopeVars(this.scope, scope, host, task.role);
    let delegateHost: string | undefined;
    let outcome: TaskResult;
    try {
      if (scope.when.length && !scope.when.every((c) => evaluateCondition(c, vars, task.location))) {
        outcome = { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } };
      } else {
        // delegate_to naming the loop variable is delegated item by item (forItem), as in Ansible.
        const perItem = task.loop !== undefined && task.delegateTo !== undefined && new RegExp(`\\b${task.loopVar}\\b`).test(task.delegateTo);
        if (task.delegateTo && !perItem) delegateHost = String(renderValue(task.delegateTo, vars, task.location));
        const become = task.become ?? scope.become;
        const commandContext = this.commandContext(scope, vars, task);
        const defaults = moduleDefaultsFor(scope.moduleDefaults, task.module);
        const reads = await this.readAhead();
        const login = this.loginOf(scope);
        /** The parts of the run that reach a host: the delegated one, else the task's own. */
        const reaching = (target: string | undefined): Partial<TaskRunEnv> & Pick<TaskRunEnv, 'connect' | 'facts' | 'fact'> => ({
          connect: async () => {
            const conn = await this.deps.connect(target ?? host.name, login);
            return shapesCommands(commandContext) ? withTaskContext(conn, commandContext, become) : conn;
          },
          facts: () => this.deps.facts(target ?? host.name),
          fact: (reader, args) => this.deps.fact(target ?? host.name, reader, args),
          invalidateFacts: () => this.deps.invalidateFacts(target ?? host.name),
          reads: reads.forHost(target ?? host.name),
          readsServe: target === undefined && !login && !become && !shapesCommands(commandContext),
          ...(this.deps.reconnect && { reconnect: () => this.deps.reconnect!(target ?? host.name, login) }),
          ...(this.deps.forgetConnection && { forgetConnection: () => this.deps.forgetConnection!(target ?? host.name) }),
        });
        outcome = await runTask({
          module,
          task: { ...task, become, args: Object.keys(defaults).length ? { ...defaults, ...task.args } : task.args },
          host: host.name,
          vars,
          checkMode: scope.checkMode ?? this.deps.checkMode,
          diffMode: this.deps.diffMode,
          playbookDir: this.scope.playbookDir,
          searchDirs: searchDirs(task.role, this.scope.playbookDir),
          ...reaching(delegateHost),
          ...(perItem && {
            forItem: (itemVars: Record<string, unknown>) => {
              const target = String(renderValue(task.delegateTo, itemVars, task.location));
              return { ...reaching(target), delegatedTo: target };
            },
          }),
          addSecret: (v) => this.deps.addSecret(v),
          signal: this.deps.signal,
          vault: this.deps.vault,
          progress: (msg) => this.deps.emit({ event: 'task_progress', task: name, host: host.name, msg }),
          onTerminal: async (ask) => {
            this.deps.emit({ event: 'prompt_waiting', task: name, host: host.name });
            try {
              return await ask();
            } finally {
              this.deps.emit({ event: 'prompt_answered', task: name, host: host.name });
            }
          },
        });
      }
    } catch (error) {
      if (error instanceof UnreachableError && scope.ignoreUnreachable) {
        // ignore_unreachable: counted ok and ignored, as Ansible counts it; the host stays in the play.
        const msg = error.reason.format();
        this.deps.recap.record(host.name, 'failed', 'ignored', false);
        this.deps.emit({ event: 'host_result', task: name, host: host.name, status: 'unreachable', ignored: true, msg });
        return { outcome: { status: 'ok', result: { unreachable: true, changed: false, msg } }, failed: false };
      }
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
      for (const topic of task.notify) for (const handler of this.handlersFor(topic)) host.notified.add(handler);
    }
    // delegate_facts: what the task sets belongs to the host it was delegated to.
    const factsHost = (delegated: string | undefined): HostState => (task.delegateFacts && delegated ? this.scope.hosts.get(delegated) ?? host : host);
    if (outcome.setFacts && outcome.status !== 'failed') addHostFacts(factsHost(delegateHost), outcome.setFacts);
    for (const { host: delegated, facts } of outcome.delegatedFacts ?? []) addHostFacts(factsHost(delegated), facts);
    if (outcome.inventory?.length && outcome.status !== 'failed') this.deps.changeInventory(outcome.inventory, task.location);
    // Registered output is data: a `{{` in a command's stdout must never be templated.
    if (task.register) host.runtimeVars[task.register] = markRawData(outcome.result);
    // A no_log task's output stays hidden everywhere, also when a later task prints what it registered.
    if (scope.noLog) this.deps.addSecret(noLogSecrets(outcome));
    for (const warning of outcome.warnings ?? []) this.deps.warnOnce(warning);
    const ignored = this.report(host, name, outcome, scope, delegateHost);
    return { outcome, failed: outcome.status === 'failed' && !ignored };
  }

  /** environment (every layer, templated and merged) and become_user as the task's commands need them. */
  private commandContext(scope: Scope, vars: Record<string, unknown>, task: ModuleTask): TaskCommandContext {
    const environment: Record<string, string> = {};
    for (const layer of scope.environment) {
      const rendered = renderValue(layer, vars, task.location);
      for (const mapping of Array.isArray(rendered) ? rendered : [rendered]) {
        if (mapping === null || mapping === undefined) continue;
        if (typeof mapping !== 'object') {
          throw new SwarmplayError('BAD_ARGUMENT', `environment must give a mapping of names to values, got ${typeof mapping}`, { location: task.location });
        }
        for (const [key, value] of Object.entries(mapping as Record<string, unknown>)) environment[key] = toText(value);
      }
    }
    // Variables win over keywords for become settings, as in Ansible.
    const pick = (name: string, keyword: string | undefined): string | undefined => {
      const value = typeof vars[name] === 'string' ? (vars[name] as string) : keyword;
      return value === undefined ? undefined : toText(renderValue(value, vars, task.location));
    };
    const becomeUser = pick('ansible_become_user', scope.becomeUser);
    const method = pick('ansible_become_method', scope.becomeMethod);
    if (method !== undefined && method !== 'sudo' && method !== 'su') {
      throw new SwarmplayError('BAD_ARGUMENT', `become_method '${method}' is not supported`, { location: task.location, hint: 'use sudo (the default) or su' });
    }
    return { environment, becomeUser, becomeMethod: method, becomeFlags: pick('ansible_become_flags', scope.becomeFlags) };
  }

  /** A task or block that logs in otherwise than the play (remote_user, connection): it gets a connection of its own. */
  private loginOf(scope: Scope): Login | undefined {
    return scope.remoteUser !== this.play.remoteUser || scope.connection !== this.play.connection
      ? { remoteUser: scope.remoteUser, connection: scope.connection } : undefined;
  }

  /** ignore_errors for this host: a template is rendered with the host's variables and read as Ansible's bool. */
  private ignoresErrors(scope: Scope, host: HostState): boolean {
    const ignore = scope.ignoreErrors;
    if (typeof ignore === 'boolean') return ignore;
    const vars = scopeVars(this.scope, scope, host, ignore.role);
    return toBool(renderValue(ignore.template, vars, this.play.location));
  }

  /** Records and emits a host's result; returns whether it is a failure ignore_errors ignores (its template rendered once, here). */
  private report(host: HostState, taskName: string, outcome: TaskResult, scope: Scope, delegatedTo?: string): boolean {
    const ignored = outcome.status === 'failed' && this.ignoresErrors(scope, host);
    const failure = ignored ? 'ignored' : scope.rescuable ? 'rescuable' : 'counted';
    this.deps.recap.record(host.name, outcome.status, failure, Boolean(outcome.result.changed));
    if (scope.noLog) {
      this.deps.emit({
        event: 'host_result', task: taskName, host: host.name, status: outcome.status, ignored: ignored || undefined,
        msg: outcome.status === 'failed' ? NO_LOG_MESSAGE : undefined, result: { censored: NO_LOG_MESSAGE }, delegatedTo,
      });
      return ignored;
    }
    this.deps.emit({
      event: 'host_result', task: taskName, host: host.name, status: outcome.status as HostStatus,
      ignored: ignored || undefined, msg: outcome.msg, diffs: outcome.diffs, result: outcome.result, delegatedTo,
      steps: outcome.steps?.length ? outcome.steps : undefined,
    });
    return ignored;
  }

  /**
   * The handlers a notification reaches, chosen when it is made, as Ansible
   * chooses them: every handler listening to the topic, and of the handlers
   * named so (also "role : name" for a role's), the last one loaded by then
   * (an include_role run since may have brought another of the same name).
   */
  private handlersFor(topic: string): Handler[] {
    const named = (h: Handler) => h.name === topic || (h.role !== undefined && `${h.role.name} : ${h.name}` === topic);
    const last = [...this.play.handlers].reverse().find(named);
    return [...this.play.handlers.filter((h) => h.listen.includes(topic)), ...(last ? [last] : [])];
  }

  /** Runs notified handlers once per host, in the order they are defined; handlers may notify later ones. */
  private async flushHandlers(hosts: HostState[], scope: Scope): Promise<void> {
    for (let pass = 0; pass < 10; pass++) {
      let ranAny = false;
      for (const handler of this.play.handlers) {
        if (this.aborted) return;
        const notifiedHosts = hosts.filter((h) => this.running(h) && h.notified.has(handler));
        if (!notifiedHosts.length) continue;
        for (const h of notifiedHosts) h.notified.delete(handler);
        ranAny = true;
        await this.runModuleTask(handler, notifiedHosts, scope, true);
      }
      if (!ranAny) return;
    }
  }
}

