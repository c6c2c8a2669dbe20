/**
 * `community.docker.docker_swarm` (also `docker_swarm`): community.docker's
 * swarm module, under its argument names, on swarmplay's swarm modules:
 * - state present: swarm_init (advertise_addr, listen_addr, default_addr_pool,
 *   subnet_size, data_path_addr, data_path_port; rotate_worker_token and
 *   rotate_manager_token as rotate_tokens; force as force_new_cluster), then
 *   their swarm settings (autolock_managers, task_history_retention_limit,
 *   snapshot_interval, keep_old_snapshots, dispatcher_heartbeat_period,
 *   node_cert_expiry) by one `docker swarm update` of those that differ from
 *   what `docker info` shows (after an init: from docker's defaults);
 * - state join: swarm_join with join_token and the first of remote_addrs
 *   (the docker CLI joins through one manager);
 * - state absent: swarm_leave (force);
 * - state remove: swarm_node state absent for node_id, from a manager.
 * It returns theirs: `swarm_facts` (on a manager the swarm as docker shows it,
 * read again after a change, with `JoinTokens.Worker/Manager` and
 * `UnlockKey`, the key only when this task turned autolock on, as theirs;
 * after an init only those two) and `actions` in their words. The unlock key
 * is in the registered result only: every output masks SWMKEY-... as it
 * masks join tokens.
 *
 * Differences kept on purpose: a node already in another swarm fails on
 * `join` (theirs says "already part of a swarm" and reports ok); an update
 * keeps the settings it is not given (theirs sends a partial spec, which
 * resets every other setting: task history 0, Raft and dispatcher values
 * zeroed); `force` with `present` recovers a swarm that lost its quorum and
 * changes nothing on a healthy one (theirs runs --force-new-cluster on every
 * run, which drops every other manager). The settings the docker CLI cannot
 * set (the Raft ticks, log_entries_for_slow_followers, labels) and the
 * root CA ones (signing_ca_cert/key, ca_force_rotate: swarm_init's
 * ca_rotate rotates it) are refused by name.
 */
import { z } from 'zod';
import { changesHost, defineModule, type ModuleContext, type Plan, type Step, type StepOutcomes } from '../types.js';
import { booleanArg } from '../argument-types.js';
import { swarmInit } from '../swarm-init.js';
import { swarmJoin } from '../swarm-join.js';
import { swarmLeave } from '../swarm-leave.js';
import { swarmNode } from '../swarm-node.js';
import { dockerInfo } from '../../facts/docker-info.js';
import { asObject, parseJsonText } from '../../facts/docker-json.js';
import { quoteArgs } from '../../transport/shell-quote.js';
import { checkMapped, notTaken, readBack, readBackJson } from './collection-arguments.js';

const NAME = 'community.docker.docker_swarm';

/**
 * Their swarm settings that `docker swarm update` sets: where `docker info`
 * shows each (Swarm.Cluster.Spec), its flag, and docker's value for a new
 * swarm (what an init leaves). Durations are given in nanoseconds, as theirs.
 */
const SWARM_SETTINGS = {
  autolock_managers: { section: 'EncryptionConfig', key: 'AutoLockManagers', flag: '--autolock', unit: '', initial: false },
  task_history_retention_limit: { section: 'Orchestration', key: 'TaskHistoryRetentionLimit', flag: '--task-history-limit', unit: '', initial: 5 },
  snapshot_interval: { section: 'Raft', key: 'SnapshotInterval', flag: '--snapshot-interval', unit: '', initial: 10000 },
  keep_old_snapshots: { section: 'Raft', key: 'KeepOldSnapshots', flag: '--max-snapshots', unit: '', initial: 0 },
  dispatcher_heartbeat_period: { section: 'Dispatcher', key: 'HeartbeatPeriod', flag: '--dispatcher-heartbeat', unit: 'ns', initial: 5_000_000_000 },
  node_cert_expiry: { section: 'CAConfig', key: 'NodeCertExpiry', flag: '--cert-expiry', unit: 'ns', initial: 7_776_000_000_000_000 },
} as const;

type SettingName = keyof typeof SWARM_SETTINGS;
const SETTING_NAMES = Object.keys(SWARM_SETTINGS) as SettingName[];

const NO_CLI_FLAG = ['heartbeat_tick', 'election_tick', 'log_entries_for_slow_followers', 'labels'];
const ROOT_CA = ['signing_ca_cert', 'signing_ca_key', 'ca_force_rotate'];

const count = z.number().int().nonnegative().nullish();

const dockerSwarmArgs = z
  .object({
    state: z.enum(['present', 'join', 'absent', 'remove']).default('present'),
    advertise_addr: z.string().min(1).nullish(),
    listen_addr: z.string().min(1).nullish(),
    join_token: z.string().nullish(),
    remote_addrs: z.array(z.string().min(1)).nullish(),
    force: booleanArg.default(false),
    node_id: z.string().min(1).nullish(),
    rotate_worker_token: booleanArg.default(false),
    rotate_manager_token: booleanArg.default(false),
    default_addr_pool: z.array(z.string()).nullish(),
    subnet_size: z.number().int().nullish(),
    data_path_addr: z.string().min(1).nullish(),
    data_path_port: z.number().int().nullish(),
    autolock_managers: booleanArg.nullish(),
    task_history_retention_limit: count,
    snapshot_interval: z.number().int().positive().nullish(),
    keep_old_snapshots: count,
    dispatcher_heartbeat_period: z.number().int().positive().nullish(),
    node_cert_expiry: z.number().int().positive().nullish(),
    /** Docker names every swarm "default" and refuses any other name: that one is taken, and changes nothing. */
    name: z.literal('default', { errorMap: () => ({ message: 'must be "default": docker names every swarm so and refuses another name' }) }).nullish(),
    ...notTaken(NAME, NO_CLI_FLAG, 'the docker CLI has no flag to set it: docker swarm update and init cannot change it'),
    ...notTaken(NAME, ROOT_CA, "swarmplay's swarm_init ca_rotate: true replaces the root CA"),
  })
  .strict()
  .superRefine((args, refinement) => {
    const need = (key: keyof typeof args, when: string) => {
      if (args[key] == null) refinement.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `is required with ${when}` });
    };
    if (args.state === 'join') {
      // A token templated from a manager's swarm_facts is null in --check before the swarm exists: the
      // join step then says so on the host (swarm_join's joinStep) instead of failing the whole check.
      if (args.join_token === undefined) need('join_token', 'state join');
      need('remote_addrs', 'state join');
      if (args.remote_addrs?.length === 0) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['remote_addrs'], message: 'needs at least one manager address' });
    }
    if (args.state === 'remove') need('node_id', 'state remove');
    if (args.state === 'remove' && args.node_id == null) return;
    if (args.state !== 'join' || args.remote_addrs?.length) checkMapped(refinement, () => engineTask(args));
  });

type DockerSwarmArgs = z.infer<typeof dockerSwarmArgs>;

const rotateTokens = (args: DockerSwarmArgs) =>
  args.rotate_worker_token && args.rotate_manager_token ? 'both' : args.rotate_worker_token ? 'worker' : args.rotate_manager_token ? 'manager' : undefined;

/**
 * The swarm module this state runs on, with its arguments (their defaults
 * applied by its own schema). `inSwarm` false: their `force` with present on
 * a node in no swarm is a plain init, as theirs creates one there.
 */
function engineTask(args: DockerSwarmArgs, inSwarm = true) {
  const given = <T>(value: T | null | undefined) => value ?? undefined;
  switch (args.state) {
    case 'present':
      return {
        module: swarmInit,
        args: swarmInit.schema.parse({
          advertise_addr: given(args.advertise_addr), listen_addr: given(args.listen_addr), rotate_tokens: rotateTokens(args),
          default_addr_pool: given(args.default_addr_pool), subnet_size: given(args.subnet_size),
          data_path_addr: given(args.data_path_addr), data_path_port: given(args.data_path_port), force_new_cluster: args.force && inSwarm,
        }),
      };
    case 'join':
      return {
        module: swarmJoin,
        args: swarmJoin.schema.parse({
          manager_addr: args.remote_addrs![0], token: args.join_token ?? '', advertise_addr: given(args.advertise_addr), listen_addr: given(args.listen_addr),
          data_path_addr: given(args.data_path_addr),
        }),
      };
    case 'absent':
      return { module: swarmLeave, args: swarmLeave.schema.parse({ force: args.force }) };
    case 'remove':
      return { module: swarmNode, args: swarmNode.schema.parse({ node: args.node_id, state: 'absent', force: args.force }) };
  }
}

/** The swarm as a manager's `docker info` shows it (ID, Version, CreatedAt, Spec, TLSInfo, DefaultAddrPool...). */
const CLUSTER_PROBE = "docker info --format '{{json .Swarm.Cluster}}'";

async function clusterOf(ctx: ModuleContext): Promise<Record<string, unknown>> {
  const read = await ctx.probe(CLUSTER_PROBE);
  if (read.exitCode !== 0) return {};
  try {
    return asObject(parseJsonText(read.stdout, 'docker info'));
  } catch {
    return {};
  }
}

function joinTokens(values: Record<string, unknown>) {
  return { Worker: values.join_token_worker ?? null, Manager: values.join_token_manager ?? null };
}

/** The settings given whose value differs from the swarm's (undefined spec: a swarm this task creates, with docker's values). */
function settingsToChange(args: DockerSwarmArgs, spec: Record<string, unknown> | undefined): SettingName[] {
  return SETTING_NAMES.filter((name) => {
    const wanted = args[name];
    if (wanted === undefined || wanted === null) return false;
    const setting = SWARM_SETTINGS[name];
    const current = spec ? asObject(spec[setting.section])[setting.key] : setting.initial;
    // Docker leaves out a false autolock and (after some updates) zero values: absent reads as docker's zero.
    return wanted !== (current ?? (typeof wanted === 'boolean' ? false : 0));
  });
}

const UPDATE_STEP = 'update';
const UNLOCK_KEY_STEP = 'unlock_key';
const CLUSTER_STEP = 'cluster';

/**
 * One `docker swarm update` with the settings to change; with autolock
 * turned on, the unlock key read for the result (`--autolock=true` prints it
 * too: that output goes nowhere).
 */
function settingsSteps(args: DockerSwarmArgs, names: SettingName[]): Step[] {
  if (names.length === 0) return [];
  const flags = names.map((name) => {
    const setting = SWARM_SETTINGS[name];
    return `${setting.flag}=${String(args[name])}${setting.unit}`;
  });
  const steps: Step[] = [{
    kind: 'command',
    id: UPDATE_STEP,
    description: `docker swarm update ${flags.join(' ')}`,
    command: `${quoteArgs(['docker', 'swarm', 'update', ...flags])} >/dev/null`,
    timeoutMs: 60_000,
    failMessage: 'cannot update the swarm\'s settings',
  }];
  if (names.includes('autolock_managers') && args.autolock_managers === true) {
    steps.push({
      kind: 'command', id: UNLOCK_KEY_STEP, description: 'read the unlock key', command: 'docker swarm unlock-key -q', countsAsChange: false, okExitCodes: 'any',
    });
  }
  return steps;
}

function presentActions(plan: Plan): string[] {
  if (plan.steps.some((step) => step.id === 'init')) return ['New Swarm cluster created'];
  return plan.steps.some(changesHost) ? ['Swarm cluster updated'] : ['No modification'];
}

/** The unlock key the task's read printed (SWMKEY-...), or null: theirs returns it only when autolock was just turned on. */
function unlockKey(outcomes: StepOutcomes): string | null {
  const run = outcomes.byId(UNLOCK_KEY_STEP)?.run;
  const key = run?.exitCode === 0 ? run.stdout.trim() : '';
  return key || null;
}

async function planPresent(ctx: ModuleContext, args: DockerSwarmArgs): Promise<Plan> {
  const { swarm } = await ctx.fact(dockerInfo, {});
  if (swarm.state === 'locked') {
    // swarm_init unlocks from its own key file; theirs fails here too, the API being locked.
    return { steps: [], failed: `${ctx.host} is a locked swarm manager (autolock, after its daemon restarted): run docker swarm unlock on it with the swarm's unlock key first` };
  }
  const task = engineTask(args, swarm.state !== 'inactive');
  const plan = await (task.module.plan as (ctx: ModuleContext, args: unknown) => Promise<Plan>)(ctx, task.args);
  if (plan.failed || plan.planAgain) return plan;
  const initialising = plan.steps.some((step) => step.id === 'init');
  // A forced init (recovery) keeps the swarm and its settings: only a new swarm starts from docker's values.
  const cluster = swarm.state === 'inactive' ? undefined : await clusterOf(ctx);
  const settings = settingsSteps(args, settingsToChange(args, cluster && asObject(cluster.Spec)));
  const steps = [...plan.steps, ...settings];
  const changing = steps.some(changesHost);
  if (changing && !initialising) steps.push(readBack(CLUSTER_STEP, 'swarm', CLUSTER_PROBE));
  const swarmFacts = initialising
    ? { JoinTokens: { Worker: null, Manager: null }, UnlockKey: null }
    : { ...cluster, JoinTokens: joinTokens(plan.result ?? {}), UnlockKey: null };
  const msg = settings.length ? `${plan.msg ?? ''}${plan.msg ? '; ' : ''}${settings[0]!.description}` : plan.msg;
  return { ...plan, steps, msg, result: { swarm_facts: swarmFacts, actions: presentActions({ ...plan, steps }) } };
}

export const dockerSwarm = defineModule({
  name: NAME,
  schema: dockerSwarmArgs,
  secretArgs: ['join_token'],
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    if (args.state === 'present') return planPresent(ctx, args);
    const task = engineTask(args);
    const plan = await (task.module.plan as (ctx: ModuleContext, args: unknown) => Promise<Plan>)(ctx, task.args);
    if (plan.failed || plan.planAgain) return plan;
    const changing = plan.steps.some((step) => step.kind !== 'wait');
    switch (args.state) {
      case 'join':
        return { ...plan, result: { actions: [changing ? 'New node is added to swarm cluster' : 'This node is already part of a swarm.'] } };
      case 'absent':
        return { ...plan, result: { actions: [changing ? 'Node has left the swarm cluster' : 'This node is not part of a swarm.'] } };
      case 'remove':
        return { ...plan, result: { actions: changing ? ['Node is removed from swarm cluster.'] : [] } };
    }
  },
  finish(args, outcomes: StepOutcomes, plan) {
    const task = engineTask(args);
    const finished = (task.module.finish as ((args: unknown, outcomes: StepOutcomes, plan: Plan) => Record<string, unknown>) | undefined)?.(task.args, outcomes, plan) ?? {};
    if (args.state !== 'present' || outcomes.all.length === 0) return typeof finished.msg === 'string' ? { msg: finished.msg } : {};
    const before = asObject(plan.result?.swarm_facts);
    const tokens = { ...asObject(before.JoinTokens), ...Object.fromEntries(Object.entries(joinTokens(finished)).filter(([, token]) => token !== null)) };
    if (outcomes.byId('init') === undefined) {
      const after = readBackJson(outcomes, CLUSTER_STEP);
      return { swarm_facts: { ...(after === undefined ? before : asObject(after)), JoinTokens: tokens, UnlockKey: unlockKey(outcomes) } };
    }
    const clusterId = typeof finished.cluster_id === 'string' && finished.cluster_id ? finished.cluster_id : undefined;
    return {
      swarm_facts: { JoinTokens: tokens, UnlockKey: unlockKey(outcomes) },
      actions: [`New Swarm cluster created${clusterId ? `: ${clusterId}` : ''}`],
    };
  },
});
