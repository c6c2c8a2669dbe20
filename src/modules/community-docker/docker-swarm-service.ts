/**
 * `community.docker.docker_swarm_service` (also `docker_swarm_service`): a
 * swarm service under community.docker's arguments, on swarmplay's
 * docker_service, which creates it or updates only what differs and then
 * waits until the service runs the new spec (with the tasks' own errors
 * when it cannot). Their `publish` entries (published_port, target_port,
 * protocol, mode), `placement` (constraints, preferences), `limits` and
 * `reservations` map onto its arguments; `command` (text or words) is the
 * container's command replacing the image's entrypoint, `args` its arguments,
 * as theirs. Returns theirs: `swarm_service` (the service in their option
 * names), `changes` (the options that differed) and `rebuilt` (always false:
 * swarmplay updates in place, and refuses a change of mode rather than
 * removing and creating the service).
 *
 * Differences kept on purpose: a change waits for convergence (theirs returns
 * at once); resolve_image defaults to false as theirs (`--no-resolve-image`).
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type StepOutcomes } from '../types.js';
import { booleanArg, numberArg, portArg } from '../argument-types.js';
import { dockerService, type DockerServiceArgs } from '../docker-service.js';
import type { ServiceState } from '../../facts/swarm-service.js';
import { serviceInspect } from '../../facts/swarm-service.js';
import { commandWords } from './docker-container.js';
import { checkMapped, notTaken, refuseKeys } from './collection-arguments.js';

const NAME = 'community.docker.docker_swarm_service';

const NOT_TAKEN = [
  'configs', 'secrets', 'dns', 'dns_search', 'dns_options', 'endpoint_mode', 'env_files', 'force_update', 'groups', 'healthcheck', 'hostname',
  'hosts', 'init', 'logging', 'read_only', 'restart_config', 'stop_signal', 'tty', 'user', 'working_dir', 'cap_add', 'cap_drop',
];

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const publishEntry = z
  .object({
    published_port: portArg.nullish(),
    target_port: portArg,
    protocol: z.enum(['tcp', 'udp']).default('tcp'),
    mode: z.enum(['ingress', 'host']).nullish(),
  })
  .strict()
  .superRefine((entry, refinement) => {
    if (entry.published_port == null) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['published_port'], message: 'is required by swarmplay (a port docker picks would differ on every run)' });
    }
  });

const rollout = (failureActions: [string, ...string[]]) =>
  z.object({
    parallelism: numberArg.pipe(z.number().int()).nullish(),
    delay: z.union([z.string(), z.number()]).nullish(),
    failure_action: z.enum(failureActions).nullish(),
    monitor: z.union([z.string(), z.number()]).nullish(),
    max_failure_ratio: numberArg.nullish(),
    order: z.enum(['stop-first', 'start-first']).nullish(),
  }).strict();

const resources = z.object({ cpus: numberArg.nullish(), memory: z.union([z.string(), z.number()]).nullish() }).strict();

const mountEntry = z
  .object({
    source: z.string().nullish(),
    target: z.string().min(1),
    type: z.enum(['bind', 'volume', 'tmpfs', 'npipe']).default('bind'),
    readonly: booleanArg.nullish(),
    labels: z.unknown(), propagation: z.unknown(), no_copy: z.unknown(), driver_config: z.unknown(), tmpfs_size: z.unknown(), tmpfs_mode: z.unknown(),
  })
  .strict()
  .superRefine((mount, refinement) => {
    refuseKeys(mount, ['labels', 'propagation', 'no_copy', 'driver_config', 'tmpfs_size', 'tmpfs_mode'], 'mounts[]', NAME, refinement);
    if (mount.type === 'npipe') refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['type'], message: 'npipe is a Windows mount: swarmplay manages Linux hosts' });
  });

const networkEntry = z.union([
  z.string().min(1),
  z.object({ name: z.string().min(1), aliases: z.unknown(), options: z.unknown() }).strict()
    .superRefine((network, refinement) => refuseKeys(network, ['aliases', 'options'], 'networks[]', NAME, refinement))
    .transform((network) => network.name),
]);

const dockerSwarmServiceShape = z
  .object({
    name: z.string().min(1),
    image: z.string().min(1).nullish(),
    state: z.enum(['present', 'absent']).default('present'),
    replicas: z.number().int().default(-1),
    mode: z.enum(['replicated', 'global']).default('replicated'),
    publish: z.array(publishEntry).nullish(),
    env: z.union([z.record(scalar), z.array(z.string())]).nullish(),
    labels: z.record(scalar).nullish(),
    container_labels: z.record(scalar).nullish(),
    placement: z.object({
      constraints: z.array(z.string().min(1)).nullish(),
      preferences: z.array(z.object({ spread: z.string().min(1) }).strict()).nullish(),
      replicas_max_per_node: z.unknown(),
    }).strict().superRefine((placement, refinement) => refuseKeys(placement, ['replicas_max_per_node'], 'placement', NAME, refinement)).nullish(),
    networks: z.array(networkEntry).nullish(),
    update_config: rollout(['continue', 'pause', 'rollback']).nullish(),
    rollback_config: rollout(['continue', 'pause']).nullish(),
    command: z.union([z.string(), z.array(z.string())]).nullish(),
    args: z.array(scalar).nullish(),
    mounts: z.array(mountEntry).nullish(),
    resolve_image: booleanArg.default(false),
    stop_grace_period: z.union([z.string(), z.number()]).nullish(),
    limits: resources.nullish(),
    reservations: resources.nullish(),
    ...notTaken(NAME, NOT_TAKEN),
  })
  .strict();

type SwarmServiceArgs = z.infer<typeof dockerSwarmServiceShape>;

const dockerSwarmServiceArgs = dockerSwarmServiceShape.superRefine((args, refinement) => checkMapped(refinement, () => engineArgs(args)));

const defined = <T extends Record<string, unknown>>(record: T) =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined && value !== null)) as Partial<T>;

/** docker_service's arguments for theirs (docker_service's own schema applies its defaults and checks). */
function engineArgs(args: SwarmServiceArgs): DockerServiceArgs {
  const rolloutOf = (config: SwarmServiceArgs['update_config']) => (config ? defined(config) : undefined);
  const resourcesOf = (amounts: SwarmServiceArgs['limits']) => (amounts ? defined(amounts) : undefined);
  return dockerService.schema.parse(defined({
    name: args.name,
    state: args.state,
    image: args.image,
    mode: args.mode,
    replicas: args.mode === 'replicated' && args.replicas >= 0 ? args.replicas : undefined,
    publish: args.publish?.map((port) => ({ published: port.published_port, target: port.target_port, protocol: port.protocol, mode: port.mode ?? 'ingress' })),
    env: args.env,
    labels: args.labels,
    container_labels: args.container_labels,
    constraints: args.placement?.constraints,
    placement_preferences: args.placement?.preferences?.map((preference) => ({ spread: preference.spread })),
    networks: args.networks,
    update_config: rolloutOf(args.update_config),
    rollback_config: rolloutOf(args.rollback_config),
    command: args.command == null ? undefined : commandWords(args.command),
    args: args.args,
    mounts: args.mounts?.map((mount) => defined({ source: mount.source ?? '', target: mount.target, type: mount.type, readonly: mount.readonly ?? false })),
    resolve_image: args.resolve_image,
    stop_grace_period: args.stop_grace_period,
    resources: args.limits || args.reservations ? defined({ limits: resourcesOf(args.limits), reservations: resourcesOf(args.reservations) }) : undefined,
  }));
}

const NS = 1e9;

/** The service in their option names, as their swarm_service return value lists it. */
export function theirService(service: ServiceState): Record<string, unknown> {
  const rolloutOf = (config: ServiceState['updateConfig']) => config && {
    parallelism: config.parallelism, delay: config.delayNs / NS, failure_action: config.failureAction,
    monitor: config.monitorNs / NS, max_failure_ratio: config.maxFailureRatio, order: config.order,
  };
  return {
    image: service.image,
    mode: service.mode,
    replicas: service.replicas ?? null,
    publish: service.publish.map((port) => ({ published_port: port.published, target_port: port.target, protocol: port.protocol, mode: port.mode })),
    env: service.env,
    labels: service.labels,
    container_labels: service.containerLabels,
    constraints: service.constraints,
    placement_preferences: service.preferences.map((spread) => ({ spread })),
    networks: service.networkIds.map((id) => ({ id })),
    command: service.command.length ? service.command : null,
    args: service.args.length ? service.args : null,
    mounts: service.mounts.map((mount) => ({ source: mount.source, target: mount.target, type: mount.type, readonly: mount.readOnly })),
    update_config: rolloutOf(service.updateConfig) ?? null,
    rollback_config: rolloutOf(service.rollbackConfig) ?? null,
    stop_grace_period: service.stopGracePeriodNs / NS,
    limit_cpu: service.limits.nanoCpus ? service.limits.nanoCpus / NS : null,
    limit_memory: service.limits.memoryBytes ?? null,
    reserve_cpu: service.reservations.nanoCpus ? service.reservations.nanoCpus / NS : null,
    reserve_memory: service.reservations.memoryBytes ?? null,
  };
}

/** Their option for each docker_service argument that differed. */
const THEIR_OPTION: Record<string, string> = {
  constraints: 'placement', placement_preferences: 'placement', resources: 'limits/reservations',
};

export const dockerSwarmService = defineModule({
  name: NAME,
  schema: dockerSwarmServiceArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const plan = await dockerService.plan(ctx, engineArgs(args));
    if (plan.failed) return plan;
    if (args.state === 'absent') return { ...plan, result: { changes: [], rebuilt: false, swarm_service: null } };
    const service = await ctx.fact(serviceInspect, { name: args.name });
    const changed = (plan.result?.changed_arguments ?? []) as string[];
    const changes = service ? [...new Set(changed.map((arg) => THEIR_OPTION[arg] ?? arg))] : [];
    return { ...plan, result: { changes, rebuilt: false, swarm_service: service ? theirService(service) : null } };
  },
  finish(args, outcomes: StepOutcomes, plan) {
    const finished = dockerService.finish?.(engineArgs(args), outcomes, plan) ?? {};
    const converged = outcomes.byId('converge')?.waited?.service as ServiceState | undefined;
    return {
      ...(converged && { swarm_service: theirService(converged) }),
      ...(typeof finished.msg === 'string' && { msg: finished.msg }),
    };
  },
});
