/**
 * Runs one module task on one host: tags and `when` are already decided by
 * the caller; here come loop, argument templating and validation, the
 * module's plan, its execution (or, in check mode, only its report),
 * changed_when/failed_when, until/retries and register.
 */
import path from 'node:path';
import type { z } from 'zod';
import { SwarmplayError } from '../errors.js';
import type { ModuleTask } from '../language/playbook.js';
import { changesHost, type InventoryChange, type Step, type ModuleDefinition, type ModuleContext, type Plan, type FileDiff, type StepOutcome } from '../modules/types.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { FactReader } from '../facts/types.js';
import type { VaultAccess } from '../vault/vaulted-value.js';
import { describeStep, executeSteps } from './step-executor.js';
import { DEFAULT_POLL_SECONDS, runAsync } from './async-task.js';
import type { Connection, RunResult } from '../transport/types.js';
import { batchable } from './step-batch.js';
import type { HostStatus } from './events.js';
import { evaluateCondition, evaluateExpression } from '../language/expressions.js';
import { renderValue } from '../language/template-string.js';
import { renderTemplateFile } from '../language/template-file.js';
import { loopItems } from './loop-items.js';
import { addFacts } from './variables.js';
import type { HostReads } from './read-ahead.js';
import { readFile } from 'node:fs/promises';
import { decryptFileText } from '../vault/vaulted-value.js';

export const NO_LOG_MESSAGE = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

export interface TaskResult {
  status: HostStatus;
  /** Registered form, as Ansible returns it. */
  result: Record<string, unknown>;
  msg?: string;
  diffs?: FileDiff[];
  setFacts?: Record<string, unknown>;
  /** delegate_facts with delegate_to naming the loop variable: each item's facts, for the host that item was delegated to. */
  delegatedFacts?: Array<{ host: string; facts: Record<string, unknown> }>;
  /** add_host, group_by: changes of the run's inventory, applied by the play runner. */
  inventory?: InventoryChange[];
  warnings?: string[];
  /** The plan's steps as run (or, in check mode, as a real run would take them), for -v. */
  steps?: string[];
}

export interface TaskRunEnv {
  module: ModuleDefinition;
  task: ModuleTask;
  host: string;
  vars: Record<string, unknown>;
  checkMode: boolean;
  diffMode: boolean;
  playbookDir: string;
  /** Where relative files/ and templates/ are searched: the task's role folders, then the playbook's. */
  searchDirs?: string[];
  /** Opens (or reuses) the connection the task runs over; throws a SwarmplayError when unreachable. */
  connect(): Promise<Connection>;
  /** `delegate_to` naming the loop variable: the host-facing parts of the env for one item's variables. */
  forItem?(vars: Record<string, unknown>): Partial<TaskRunEnv> & { delegatedTo?: string };
  facts(): Promise<HostFacts>;
  /** A named fact through the host's fact cache. */
  fact<Args, Value>(reader: FactReader<Args, Value>, args: Args): Promise<Value>;
  /** Called for every secret value the task handles, before anything can print it. */
  addSecret(value: unknown): void;
  /** Set when the run is interrupted: stop between steps. */
  signal?: AbortSignal;
  /** What a wait sees meanwhile ("web: 2/3 running"), for the reporters. */
  progress?(message: string): void;
  /** Wraps a question asked on the controller's terminal, so that the live view stops drawing meanwhile. */
  onTerminal?<T>(ask: () => Promise<T>): Promise<T>;
  /** A new connection in place of the current one, for waits that outlive it (reboot). */
  reconnect?(): Promise<Connection>;
  /** Forgets the host's connection (a reboot's wait that failed): the next task connects anew. */
  forgetConnection?(): Promise<void>;
  /** Drops the host's cached facts (a plan that waited for the host to settle plans again). */
  invalidateFacts?(): void;
  /** The run's vault passwords, for encrypted controller files. */
  vault?: VaultAccess;
  /** The play's file reads of the host the steps run on: told what the steps did. */
  reads?: HostReads;
  /** Whether plan()'s reads may be answered from `reads` (not under become, another user, environment). */
  readsServe?: boolean;
}

function isUnreachableError(error: unknown): boolean {
  return error instanceof SwarmplayError &&
    ['CONNECT_FAILED', 'AUTH_FAILED', 'HOST_KEY_CHANGED', 'HOST_KEY_UNKNOWN'].includes(error.code);
}

/** The host could not be reached: the runner marks it unreachable rather than failed. */
export class UnreachableError extends Error {
  constructor(readonly reason: SwarmplayError) {
    super(reason.message);
  }
}

function describeError(error: unknown): string {
  if (error instanceof SwarmplayError) return error.format();
  if (error instanceof Error) return error.message;
  return String(error);
}

function validateArgs(module: ModuleDefinition, task: ModuleTask, raw: unknown): unknown {
  const parsed = module.schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = (parsed.error as z.ZodError).issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(arguments)'}: ${issue.message}`)
    .join('; ');
  throw new SwarmplayError('BAD_ARGUMENT', `${module.name}: invalid arguments after templating: ${issues}`, {
    location: task.location,
  });
}

function servesReads(env: TaskRunEnv, conn: Connection | undefined): boolean {
  return Boolean(env.reads && env.readsServe && !env.task.become && conn);
}

/**
 * `guards`: plan from guesses (read-ahead.ts's hints) where a read is not
 * known, and collect the shell tests that prove them; the steps then run
 * behind those tests in the same round trip (step-batch.ts).
 */
function moduleContext(env: TaskRunEnv, conn: Connection | undefined, guards?: string[]): ModuleContext {
  const serveReads = servesReads(env, conn);
  const needConn = (): Connection => {
    if (!conn) throw new SwarmplayError('INTERNAL', `module ${env.module.name} is controller-only but read the host`);
    return conn;
  };
  const guessProbe = (command: string): RunResult | undefined => {
    if (!guards) return undefined;
    const known = env.reads!.knownProbe(command);
    if (known) return known;
    const hint = env.reads!.hintProbe(command);
    if (hint) guards.push(hint.guard);
    return hint?.result;
  };
  const guessFile = (file: string): Buffer | null | undefined => {
    if (!guards) return undefined;
    const known = env.reads!.knownFile(file);
    if (known !== undefined) return known;
    const hint = env.reads!.hintFile(file);
    if (!hint) return undefined;
    guards.push(hint.guard);
    return null;
  };
  return {
    host: env.host,
    vars: env.vars,
    playbookDir: env.playbookDir,
    searchDirs: env.searchDirs ?? [env.playbookDir],
    facts: env.facts,
    fact: (reader, args) => env.fact(reader, args),
    probe: async (command, options) => {
      const served = serveReads && options === undefined ? guessProbe(command) ?? await env.reads!.probe(needConn(), command) : undefined;
      return served ?? needConn().run(command, { become: env.task.become, ...options });
    },
    readFile: async (file) => {
      let served = serveReads ? guessFile(file) : undefined;
      if (serveReads && served === undefined) served = await env.reads!.readFile(needConn(), file);
      return served !== undefined ? served : needConn().getFile(file, { become: env.task.become });
    },
    renderTemplate: (file, options) => renderTemplateFile(path.resolve(env.playbookDir, file), env.vars, options),
    signal: env.signal,
    onTerminal: (ask) => (env.onTerminal ? env.onTerminal(ask) : ask()),
    vault: env.vault,
    readSecretFile: (file) => readSecretFile(env, file),
    addSecret: (value) => env.addSecret(value),
    vaultEncrypt: (plaintext) => {
      if (!env.vault?.keyring) throw new SwarmplayError('BAD_VAULT', `${env.module.name} writes a vault-encrypted file and no vault password was given`, { hint: 'give it with --ask-vault-pass, --vault-password-file FILE or --vault-id LABEL@SOURCE' });
      return env.vault.keyring.encrypt(Buffer.from(plaintext, 'utf8'));
    },
  };
}

async function readSecretFile(env: TaskRunEnv, file: string): Promise<{ path: string; content: Buffer } | null> {
  // Imported here: copy's schema (and zod) is not loaded by a run that never reads a secret file.
  const { controllerFileCandidates, findControllerFile } = await import('../modules/copy.js');
  const found = await findControllerFile(controllerFileCandidates(env.searchDirs ?? [env.playbookDir], file, 'files'));
  if (!found) return null;
  const raw = await readFile(found.file);
  const { text, encrypted } = decryptFileText(raw.toString('utf8'), found.file, env.vault, 'file');
  const content = encrypted ? Buffer.from(text, 'utf8') : raw;
  env.addSecret(content.toString('utf8'));
  env.addSecret(content.toString('utf8').trim());
  return { path: found.file, content };
}

/** A plan may ask to be made again once the host has settled; never more often than this. */
const MAX_PLANS = 3;

/** One attempt: plan, then execute the steps or, in check mode, only report them. */
async function attempt(env: TaskRunEnv, args: unknown): Promise<TaskResult> {
  const { module } = env;
  let conn: Connection | undefined;
  if (!module.controllerOnly) {
    try {
      conn = await env.connect();
    } catch (error) {
      if (isUnreachableError(error)) throw new UnreachableError(error as SwarmplayError);
      throw error;
    }
  }
  const stepLines: string[] = [];
  let changedEarlier = false;
  // A first try from guesses, for a module that reads files, when its steps would run anyway: see planFromGuesses.
  let guess = !env.checkMode && !env.task.async && env.module.reads !== undefined && servesReads(env, conn);
  for (let round = 1; ; round++) {
    let planned = guess ? await planFromGuesses(env, conn, args, stepLines) : undefined;
    guess = false;
    if (!planned) {
      const plan = await module.plan(moduleContext(env, conn), args as never);
      planned = { plan, outcome: await runPlan(env, plan, conn, args, stepLines) as TaskResult };
    }
    const { plan, outcome } = planned;
    const withWarnings = plan.warnings?.length ? { ...outcome, warnings: plan.warnings } : outcome;
    if (!plan.planAgain || env.checkMode || outcome.status === 'failed') {
      // A change made before planning again (an unlock, autolock turned on) is the task's change.
      return changedEarlier && withWarnings.status === 'ok' ? { ...withWarnings, status: 'changed', result: { ...withWarnings.result, changed: true } } : withWarnings;
    }
    changedEarlier ||= outcome.status === 'changed';
    if (round === MAX_PLANS) {
      const msg = `${env.host} did not settle after ${MAX_PLANS} waits (${stepLines.join('; ')}); nothing else was done: run again once it has`;
      return { ...withWarnings, status: 'failed', msg, result: { ...withWarnings.result, failed: true, msg } };
    }
    // The host settled: its facts may have changed while the plan waited.
    env.invalidateFacts?.();
  }
}

/**
 * The plan made from guesses where a read is not known (a file read before a
 * command ran, absent then): when it has steps that can run as one script,
 * they run behind guards that test, in the same round trip, that the host
 * still says what the guesses said; so a first run's probe and the write it
 * decides cost one round trip. Undefined when the guesses were not used, not
 * enough (no steps to guard: an ok, a failure) or wrong: then the task plans
 * from live reads, as always.
 */
async function planFromGuesses(env: TaskRunEnv, conn: Connection | undefined, args: unknown, stepLines: string[]): Promise<{ plan: Plan; outcome: TaskResult } | undefined> {
  const guards: string[] = [];
  let plan: Plan;
  try {
    plan = await env.module.plan(moduleContext(env, conn, guards), args as never);
  } catch (error) {
    if (guards.length === 0) throw error;
    return undefined;
  }
  if (guards.length === 0) return { plan, outcome: await runPlan(env, plan, conn, args, stepLines) as TaskResult };
  if (plan.failed || plan.planAgain || !batchable(conn, plan.steps, env.task.become)) return undefined;
  const outcome = await runPlan(env, plan, conn, args, stepLines, guards);
  if (outcome !== 'stale') return { plan, outcome };
  env.reads?.dropHints();
  return undefined;
}

async function runPlan(env: TaskRunEnv, plan: Plan, conn: Connection | undefined, args: unknown, stepLines: string[], guards?: string[]): Promise<TaskResult | 'stale'> {
  const { module } = env;
  if (plan.failed) {
    return { status: 'failed', msg: plan.failed, steps: stepLines, result: { ...plan.result, changed: plan.changedEarlier === true, failed: true, msg: plan.failed } };
  }
  if (plan.skipped !== undefined) {
    return { status: 'skipped', msg: plan.skipped, steps: stepLines, result: { ...plan.result, changed: false, skipped: true, msg: plan.skipped } };
  }
  const wouldChange = plan.steps.some(changesHost) || plan.changedEarlier === true || Boolean(plan.inventory?.length);
  const diffs = env.diffMode && wouldChange ? plan.diffs : undefined;
  if (env.checkMode) {
    // The gate: in check mode no step of any kind reaches the host.
    stepLines.push(...plan.steps.map(describeStep));
    if (wouldChange && plan.unpredictable) {
      // Skipped as Ansible skips it, but -v still lists what a real run would execute.
      return { status: 'skipped', msg: 'skipped in check mode: its effect cannot be predicted (no creates/removes)', steps: stepLines, result: { changed: false, skipped: true } };
    }
    return { status: wouldChange ? 'changed' : 'ok', diffs, msg: plan.msg, steps: stepLines, result: { ...plan.result, changed: wouldChange, failed: false }, setFacts: plan.setFacts, inventory: plan.inventory };
  }
  if (env.task.async && plan.steps.length) {
    if (!conn) throw new SwarmplayError('INTERNAL', `module ${module.name} planned a step without a connection`);
    stepLines.push(...plan.steps.map(describeStep));
    const outcome = await runAsync({
      host: env.host, module, conn, become: env.task.become, seconds: env.task.async, poll: env.task.poll ?? DEFAULT_POLL_SECONDS,
      signal: env.signal, progress: env.progress,
    }, plan, args);
    return { ...outcome, steps: stepLines, diffs, setFacts: outcome.status === 'failed' ? undefined : plan.setFacts };
  }
  let outcomes: StepOutcome[] = [];
  let failedMsg: string | undefined;
  if (plan.steps.length) {
    const reconnecting = plan.steps.every((step) => step.kind === 'wait' && step.reconnect);
    if (!conn && !reconnecting) throw new SwarmplayError('INTERNAL', `module ${module.name} planned a step without a connection`);
    const started: Step[] = [];
    try {
      let stale: boolean | undefined;
      ({ outcomes, failedMsg, stale } = await executeSteps({
        host: env.host, conn, reconnect: env.reconnect, forgetConnection: env.forgetConnection, become: env.task.become, signal: env.signal,
        progress: env.progress, started: (step) => { started.push(step); stepLines.push(describeStep(step)); },
      }, plan.steps, guards));
      if (stale) return 'stale';
    } finally {
      // Compensation steps are not in `started`: a failure drops every reading anyway.
      env.reads?.stepsRan(started.filter((step) => step.kind !== 'wait' && step.kind !== 'controller_write'), failedMsg !== undefined || outcomes.length < started.length);
    }
  }
  const failedStep = failedMsg === undefined ? undefined : outcomes.at(-1)?.step;
  const changed = failedStep?.unchangedWhenFailing
    ? outcomes.slice(0, -1).some((o) => changesHost(o.step) && !o.step.unchangedWhenFailing)
    : wouldChange;
  const byId = new Map(outcomes.filter((o) => o.step.id).map((o) => [o.step.id!, o]));
  const finished = module.finish ? module.finish(args as never, { all: outcomes, byId: (id) => byId.get(id) }, plan) : {};
  if (!failedMsg && finished.failed === true) failedMsg = String(finished.msg ?? `${module.name} failed`);
  const result: Record<string, unknown> = { ...plan.result, ...finished, changed, failed: Boolean(failedMsg) };
  const backups = outcomes.map((o) => o.backupPath).filter(Boolean);
  if (backups.length) result.backup_file = backups[0];
  if (failedMsg) {
    result.msg = failedMsg;
    return { status: 'failed', msg: failedMsg, result, diffs, steps: stepLines };
  }
  // A message only the steps' outcomes can give ("the rollout already in progress finished: 3/3 running").
  const msg = plan.msg ?? (typeof finished.msg === 'string' ? finished.msg : undefined);
  // A plan that gives both keeps its result's own msg: debug registers its msg as data (a list stays a list), shows it as text.
  if (msg !== undefined) result.msg = plan.msg !== undefined && plan.result?.msg !== undefined ? plan.result.msg : msg;
  return { status: wouldChange ? 'changed' : 'ok', msg, result, diffs, steps: stepLines, setFacts: plan.setFacts, inventory: plan.inventory };
}

function applyConditions(env: TaskRunEnv, outcome: TaskResult): TaskResult {
  const { task } = env;
  if (outcome.status === 'skipped') return outcome;
  const vars = task.register ? { ...env.vars, [task.register]: outcome.result } : env.vars;
  let { status } = outcome;
  const result = { ...outcome.result };
  // Both are judged whatever the module said, changed_when first, as Ansible does.
  if (task.changedWhen) {
    const changed = task.changedWhen.every((cond) => evaluateCondition(cond, vars, task.location));
    // A failure stays a failure: changed_when only says whether it changed (failed_when may clear it below).
    if (status !== 'failed') status = changed ? 'changed' : 'ok';
    result.changed = changed;
  }
  if (task.failedWhen) {
    const failed = task.failedWhen.every((cond) => evaluateCondition(cond, vars, task.location));
    result.failed = failed;
    if (failed) {
      status = 'failed';
      result.msg ??= `failed_when condition met: ${task.failedWhen.join(' and ')}`;
    } else if (status === 'failed') {
      status = result.changed ? 'changed' : 'ok';
    }
  }
  const cleared = outcome.status === 'failed' && status !== 'failed';
  return { ...outcome, status, result, msg: status === 'failed' ? String(result.msg ?? outcome.msg ?? '') : cleared ? undefined : outcome.msg };
}

async function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

/** retries/delay as written, or rendered from their template for this host. */
function wholeNumber(value: number | string, keyword: string, env: TaskRunEnv): number {
  if (typeof value === 'number') return value;
  const rendered = renderValue(value, env.vars, env.task.location);
  const n = typeof rendered === 'number' ? rendered : Number(String(rendered).trim());
  if (!Number.isInteger(n) || n < 0) {
    throw new SwarmplayError('BAD_PLAYBOOK', `'${keyword}' must give a whole number of at least 0, got ${JSON.stringify(rendered)} from ${value}`,
      { location: env.task.location, hint: `For example '${keyword}: 3', or a variable that holds a number.` });
  }
  return n;
}

/** Runs the task for one set of variables (one loop item, or the task itself). */
async function runSingle(env: TaskRunEnv): Promise<TaskResult> {
  const { task, module } = env;
  if (task.when.length && !task.when.every((cond) => evaluateCondition(cond, env.vars, task.location))) {
    return { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } };
  }
  try {
    const args = validateArgs(module, task, renderValue(task.args, env.vars, task.location));
    for (const name of module.secretArgs ?? []) env.addSecret((args as Record<string, unknown>)[name]);
    const attempts = task.until ? Math.max(1, wholeNumber(task.retries, 'retries', env)) + 1 : 1;
    const delay = task.until ? wholeNumber(task.delay, 'delay', env) : 0;
    let outcome: TaskResult = { status: 'ok', result: {} };
    for (let n = 1; n <= attempts; n++) {
      outcome = applyConditions(env, await attempt(env, args));
      if (!task.until) break;
      const vars = task.register ? { ...env.vars, [task.register]: outcome.result } : env.vars;
      const done = outcome.status !== 'skipped' && task.until.every((cond) => evaluateCondition(cond, vars, task.location));
      outcome.result.attempts = n;
      if (done) break;
      if (n === attempts) {
        outcome = { ...outcome, status: 'failed', msg: `still not true after ${attempts} attempts: ${task.until.join(' and ')}` };
        outcome.result.failed = true;
        break;
      }
      await sleep(delay, env.signal);
      if (env.signal?.aborted) break;
    }
    // A failure after Ctrl-C is the interrupt's doing (a killed command, a closed connection), not the host's.
    if (env.signal?.aborted && outcome.status === 'failed') throw new SwarmplayError('INTERRUPTED', 'interrupted');
    return outcome;
  } catch (error) {
    if (error instanceof UnreachableError) throw error;
    if (error instanceof SwarmplayError && error.code === 'INTERRUPTED') throw error;
    if (env.signal?.aborted) throw new SwarmplayError('INTERRUPTED', 'interrupted', { cause: error });
    const msg = describeError(error);
    return { status: 'failed', msg, result: { changed: false, failed: true, msg } };
  }
}

/** Runs the task (each loop item in turn) and folds the results as Ansible does. */
export async function runTask(env: TaskRunEnv): Promise<TaskResult> {
  const { task } = env;
  if (task.loop === undefined) return runSingle(env);
  let items: unknown[];
  try {
    items = loopItems(task, env.vars);
  } catch (error) {
    const msg = describeError(error);
    return { status: 'failed', msg, result: { failed: true, changed: false, msg } };
  }
  const results: Record<string, unknown>[] = [];
  const diffs: FileDiff[] = [];
  let changed = false;
  let failedMsg: string | undefined;
  let allSkipped = items.length > 0;
  const setFacts: Record<string, unknown> = {};
  const delegatedFacts: NonNullable<TaskResult['delegatedFacts']> = [];
  const inventory: InventoryChange[] = [];
  const steps: string[] = [];
  for (const [index, item] of items.entries()) {
    // What set_fact set for an earlier item is seen by the next (`acc: "{{ acc | default([]) + [item] }}"`), as in Ansible.
    const itemVars = { ...env.vars };
    addFacts(itemVars, setFacts);
    Object.assign(itemVars, { [task.loopVar]: item, ...(task.indexVar ? { [task.indexVar]: index } : {}) });
    const reaching = env.forItem?.(itemVars);
    const outcome = await runSingle({ ...env, ...reaching, vars: itemVars });
    if (outcome.steps) steps.push(...outcome.steps);
    results.push({ ...outcome.result, [task.loopVar]: item });
    if (outcome.diffs) diffs.push(...outcome.diffs);
    // delegate_facts: the item's facts belong to the host it was delegated to, not to this host's next items.
    if (outcome.setFacts && task.delegateFacts && reaching?.delegatedTo !== undefined) delegatedFacts.push({ host: reaching.delegatedTo, facts: outcome.setFacts });
    else if (outcome.setFacts) addFacts(setFacts, outcome.setFacts);
    if (outcome.inventory && outcome.status !== 'failed') inventory.push(...outcome.inventory);
    if (outcome.status !== 'skipped') allSkipped = false;
    if (outcome.status === 'changed') changed = true;
    if (outcome.status === 'failed') failedMsg ??= `item ${JSON.stringify(item)}: ${outcome.msg}`;
  }
  const status: HostStatus = failedMsg ? 'failed' : allSkipped ? 'skipped' : changed ? 'changed' : 'ok';
  const result: Record<string, unknown> = { results, changed, failed: Boolean(failedMsg) };
  if (failedMsg) result.msg = 'One or more items failed';
  if (allSkipped) result.skipped = true;
  return { status, result, msg: failedMsg, diffs: diffs.length ? diffs : undefined, setFacts, delegatedFacts, steps, inventory };
}
