/**
 * `community.docker.docker_swarm` (also `docker_swarm`): community.docker's
 * swarm module, under its argument names, on swarmplay's swarm modules:
 * - state present: swarm_init (advertise_addr, listen_addr, default_addr_pool,
 *   subnet_size, rotate_worker_token/rotate_manager_token as rotate_tokens);
 * - state join: swarm_join with join_token and the first of remote_addrs
 *   (the docker CLI joins through one manager);
 * - state absent: swarm_leave (force);
 * - state remove: swarm_node state absent for node_id, from a manager.
 * It returns theirs: `swarm_facts` (on a manager the swarm as docker shows it,
 * with `JoinTokens.Worker/Manager` and `UnlockKey`; after an init only those
 * two, as theirs) and `actions` in their words.
 *
 * Differences kept on purpose: a node already in another swarm fails on
 * `join` (theirs says "already part of a swarm" and reports ok); the swarm
 * settings their `present` updates (raft, dispatcher, CA, autolock, labels)
 * and `force` with `present` (--force-new-cluster) are refused by name.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type StepOutcomes } from '../types.js';
import { booleanArg } from '../argument-types.js';
import { swarmInit } from '../swarm-init.js';
import { swarmJoin } from '../swarm-join.js';
import { swarmLeave } from '../swarm-leave.js';
import { swarmNode } from '../swarm-node.js';
import { asObject, parseJsonText } from '../../facts/docker-json.js';
import { checkMapped, notTaken } from './collection-arguments.js';

const NAME = 'community.docker.docker_swarm';

const SWARM_SETTINGS = [
  'data_path_addr', 'data_path_port', 'task_history_retention_limit', 'snapshot_interval', 'keep_old_snapshots',
  'log_entries_for_slow_followers', 'heartbeat_tick', 'election_tick', 'dispatcher_heartbeat_period', 'node_cert_expiry',
  'name', 'labels', 'signing_ca_cert', 'signing_ca_key', 'ca_force_rotate', 'autolock_managers',
];

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
    ...notTaken(NAME, SWARM_SETTINGS, 'swarm settings beyond init, join and token rotation are left to docker swarm update'),
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
    if (args.state === 'present' && args.force) {
      refinement.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['force'],
        message: 'with state present (docker swarm init --force-new-cluster, which drops every other manager) is not taken by swarmplay; recover a swarm that lost its quorum by hand',
      });
    }
    if (args.state !== 'join' || args.remote_addrs?.length) checkMapped(refinement, () => engineTask(args));
  });

type DockerSwarmArgs = z.infer<typeof dockerSwarmArgs>;

const rotateTokens = (args: DockerSwarmArgs) =>
  args.rotate_worker_token && args.rotate_manager_token ? 'both' : args.rotate_worker_token ? 'worker' : args.rotate_manager_token ? 'manager' : undefined;

/** The swarm module this state runs on, with its arguments (their defaults applied by its own schema). */
function engineTask(args: DockerSwarmArgs) {
  const given = <T>(value: T | null | undefined) => value ?? undefined;
  switch (args.state) {
    case 'present':
      return {
        module: swarmInit,
        args: swarmInit.schema.parse({
          advertise_addr: given(args.advertise_addr), listen_addr: given(args.listen_addr), rotate_tokens: rotateTokens(args),
          default_addr_pool: given(args.default_addr_pool), subnet_size: given(args.subnet_size),
        }),
      };
    case 'join':
      return {
        module: swarmJoin,
        args: swarmJoin.schema.parse({
          manager_addr: args.remote_addrs![0], token: args.join_token ?? '', advertise_addr: given(args.advertise_addr), listen_addr: given(args.listen_addr),
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

function presentActions(plan: Plan): string[] {
  if (plan.steps.some((step) => step.id === 'init')) return ['New Swarm cluster created'];
  return plan.steps.length ? ['Swarm cluster updated'] : ['No modification'];
}

export const dockerSwarm = defineModule({
  name: NAME,
  schema: dockerSwarmArgs,
  secretArgs: ['join_token'],
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const task = engineTask(args);
    const plan = await (task.module.plan as (ctx: ModuleContext, args: unknown) => Promise<Plan>)(ctx, task.args);
    if (plan.failed || plan.planAgain) return plan;
    const changing = plan.steps.some((step) => step.kind !== 'wait');
    switch (args.state) {
      case 'present': {
        const initialising = plan.steps.some((step) => step.id === 'init');
        const swarmFacts = initialising
          ? { JoinTokens: { Worker: null, Manager: null }, UnlockKey: null }
          : { ...(await clusterOf(ctx)), JoinTokens: joinTokens(plan.result ?? {}), UnlockKey: null };
        return { ...plan, result: { swarm_facts: swarmFacts, actions: presentActions(plan) } };
      }
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
    if (outcomes.byId('init') === undefined) return { swarm_facts: { ...before, JoinTokens: tokens } };
    const clusterId = typeof finished.cluster_id === 'string' && finished.cluster_id ? finished.cluster_id : undefined;
    return {
      swarm_facts: { JoinTokens: tokens, UnlockKey: null },
      actions: [`New Swarm cluster created${clusterId ? `: ${clusterId}` : ''}`],
    };
  },
});
