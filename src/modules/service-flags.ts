/**
 * The command lines of `docker service create` and `docker service update`
 * for docker_service: every setting asked for on create, and on update only
 * the flags for what differs from the service as docker shows it (nothing
 * when nothing does, so no task is restarted).
 */
import { quoteArgs } from '../transport/shell-quote.js';
import { sameImage, type PublishedPort, type ResourceAmounts, type RolloutConfig, type ServiceState } from '../facts/swarm-service.js';
import { referenceSpec } from '../facts/swarm-objects.js';
import { formatDuration } from './docker-units.js';
import { referenceFlags, type WantedReferences } from './service-references.js';
import type { DockerServiceArgs } from './docker-service.js';

type RolloutArgs = NonNullable<DockerServiceArgs['update_config']>;

/** What docker uses when a service was created without update/rollback settings. */
const DOCKER_ROLLOUT_DEFAULTS: RolloutConfig = {
  parallelism: 1, delayNs: 0, failureAction: 'pause', monitorNs: 5e9, maxFailureRatio: 0, order: 'stop-first',
};

export interface ServiceUpdate {
  /** `docker service update` flags (before the service name). */
  flags: string[];
  /** Human lines: what differs. */
  differences: string[];
  /** The change replaces tasks (template or ports), so swarm will report a rollout. */
  rollout: boolean;
  /** The arguments whose values differ (image, replicas, publish...). */
  changedArgs: (keyof DockerServiceArgs)[];
}

function normalizeConstraint(constraint: string): string {
  return constraint.replace(/\s*(==|!=)\s*/, '$1').trim();
}

function portKey(port: PublishedPort): string {
  return `${port.published}:${port.target}/${port.protocol}/${port.mode}`;
}

/** The long --publish syntax: exact for add and for remove. */
export function portSpec(port: PublishedPort): string {
  return `published=${port.published},target=${port.target},protocol=${port.protocol},mode=${port.mode}`;
}

function mapFlags(current: Record<string, string>, wanted: Record<string, string>, addFlag: string, removeFlag: string): string[] {
  const flags: string[] = [];
  for (const key of Object.keys(current)) if (!Object.hasOwn(wanted, key)) flags.push(removeFlag, key);
  for (const [key, value] of Object.entries(wanted)) if (current[key] !== value) flags.push(addFlag, `${key}=${value}`);
  return flags;
}

function envRecord(env: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const item of env) {
    const equals = item.indexOf('=');
    if (equals > 0) record[item.slice(0, equals)] = item.slice(equals + 1);
    else record[item] = '';
  }
  return record;
}

/** Nothing in common with any setting: every setting given gets its flag. */
const NO_ROLLOUT: RolloutConfig = { parallelism: NaN, delayNs: NaN, failureAction: '', monitorNs: NaN, maxFailureRatio: NaN, order: '' };

function rolloutFlags(prefix: 'update' | 'rollback', current: RolloutConfig | undefined, wanted: RolloutArgs | undefined): string[] {
  if (!wanted) return [];
  const now = current ?? DOCKER_ROLLOUT_DEFAULTS;
  const flags: string[] = [];
  if (wanted.parallelism != null && wanted.parallelism !== now.parallelism) flags.push(`--${prefix}-parallelism`, String(wanted.parallelism));
  if (wanted.delay != null && wanted.delay !== now.delayNs) flags.push(`--${prefix}-delay`, formatDuration(wanted.delay));
  if (wanted.failure_action != null && wanted.failure_action !== now.failureAction) flags.push(`--${prefix}-failure-action`, wanted.failure_action);
  if (wanted.monitor != null && wanted.monitor !== now.monitorNs) flags.push(`--${prefix}-monitor`, formatDuration(wanted.monitor));
  if (wanted.order != null && wanted.order !== now.order) flags.push(`--${prefix}-order`, wanted.order);
  if (wanted.max_failure_ratio != null && wanted.max_failure_ratio !== now.maxFailureRatio) flags.push(`--${prefix}-max-failure-ratio`, String(wanted.max_failure_ratio));
  return flags;
}

function cpusText(nanoCpus: number): string {
  return String(nanoCpus / 1e9);
}

function resourceFlags(kind: 'limit' | 'reserve', current: ResourceAmounts, wanted: { cpus?: number; memory?: number } | undefined): string[] {
  if (!wanted) return [];
  const flags: string[] = [];
  if (wanted.cpus !== undefined && wanted.cpus !== (current.nanoCpus ?? 0)) flags.push(`--${kind}-cpu`, cpusText(wanted.cpus));
  if (wanted.memory !== undefined && wanted.memory !== (current.memoryBytes ?? 0)) flags.push(`--${kind}-memory`, String(wanted.memory));
  return flags;
}

/**
 * The `docker service update` flags that bring `current` to what `args`
 * asks, and nothing for what already is. `networkIds` maps each wanted
 * network (name or ID) to its ID.
 */
export function serviceUpdate(
  current: ServiceState, args: DockerServiceArgs, networkIds: ReadonlyMap<string, string> = new Map(), references: WantedReferences = {},
): ServiceUpdate {
  const flags: string[] = [];
  const differences: string[] = [];
  const changedArgs: (keyof DockerServiceArgs)[] = [];
  let rollout = false;
  const note = (arg: keyof DockerServiceArgs, difference: string, newFlags: string[], replacesTasks: boolean) => {
    if (newFlags.length === 0) return;
    flags.push(...newFlags);
    differences.push(difference);
    changedArgs.push(arg);
    if (replacesTasks) rollout = true;
  };

  if (args.image !== undefined && !sameImage(current.image, args.image)) {
    note('image', `image ${current.image.split('@')[0]} -> ${args.image}`, ['--image', args.image], true);
  }
  if (args.replicas !== undefined && current.mode === 'replicated' && args.replicas !== current.replicas) {
    note('replicas', `replicas ${current.replicas} -> ${args.replicas}`, ['--replicas', String(args.replicas)], false);
  }
  if (args.constraints !== undefined) {
    const wanted = new Set(args.constraints.map(normalizeConstraint));
    const have = new Set(current.constraints.map(normalizeConstraint));
    const constraintFlags = [
      ...current.constraints.filter((c) => !wanted.has(normalizeConstraint(c))).flatMap((c) => ['--constraint-rm', c]),
      ...args.constraints.filter((c) => !have.has(normalizeConstraint(c))).flatMap((c) => ['--constraint-add', c]),
    ];
    note('constraints', `constraints [${current.constraints.join(', ')}] -> [${args.constraints.join(', ')}]`, constraintFlags, true);
  }
  if (args.placement_preferences !== undefined && args.placement_preferences.join('\n') !== current.preferences.join('\n')) {
    // Preferences are an ordered hierarchy: replace the whole list.
    note('placement_preferences',
      `placement preferences [${current.preferences.join(', ')}] -> [${args.placement_preferences.join(', ')}]`,
      [
        ...current.preferences.flatMap((p) => ['--placement-pref-rm', `spread=${p}`]),
        ...args.placement_preferences.flatMap((p) => ['--placement-pref-add', `spread=${p}`]),
      ],
      true,
    );
  }
  if (args.labels !== undefined) note('labels', 'service labels', mapFlags(current.labels, args.labels, '--label-add', '--label-rm'), false);
  if (args.container_labels !== undefined) {
    note('container_labels', 'container labels', mapFlags(current.containerLabels, args.container_labels, '--container-label-add', '--container-label-rm'), true);
  }
  if (args.env !== undefined) note('env', 'environment', mapFlags(envRecord(current.env), args.env, '--env-add', '--env-rm'), true);
  if (args.networks !== undefined) {
    const wantedIds = new Set(args.networks.map((network) => networkIds.get(network) ?? network));
    const networkFlags = [
      ...current.networkIds.filter((id) => !wantedIds.has(id)).flatMap((id) => ['--network-rm', id]),
      ...args.networks.filter((network) => !current.networkIds.includes(networkIds.get(network) ?? network)).flatMap((network) => ['--network-add', network]),
    ];
    note('networks', `networks -> [${args.networks.join(', ')}]`, networkFlags, true);
  }
  if (args.publish !== undefined) {
    const wanted = new Map(args.publish.map((port) => [portKey(port), port]));
    const have = new Map(current.publish.map((port) => [portKey(port), port]));
    const publishFlags = [
      ...[...have].filter(([key]) => !wanted.has(key)).flatMap(([, port]) => ['--publish-rm', portSpec(port)]),
      ...[...wanted].filter(([key]) => !have.has(key)).flatMap(([, port]) => ['--publish-add', portSpec(port)]),
    ];
    note('publish', `published ports [${current.publish.map(portKey).join(', ')}] -> [${args.publish.map(portKey).join(', ')}]`, publishFlags, true);
  }
  if (references.secrets) {
    note('secrets', `secrets [${current.secrets.map((r) => r.name).join(', ')}] -> [${references.secrets.map((r) => r.name).join(', ')}]`,
      referenceFlags('secret', current.secrets, references.secrets), true);
  }
  if (references.configs) {
    note('configs', `configs [${current.configs.map((r) => r.name).join(', ')}] -> [${references.configs.map((r) => r.name).join(', ')}]`,
      referenceFlags('config', current.configs, references.configs), true);
  }
  if (args.stop_grace_period !== undefined && args.stop_grace_period !== current.stopGracePeriodNs) {
    note('stop_grace_period', `stop grace period ${formatDuration(current.stopGracePeriodNs)} -> ${formatDuration(args.stop_grace_period)}`,
      ['--stop-grace-period', formatDuration(args.stop_grace_period)], true);
  }
  if (args.command !== undefined && args.command.join('\0') !== current.command.join('\0')) {
    note('command', `command ${JSON.stringify(current.command)} -> ${JSON.stringify(args.command)}`, ['--entrypoint', quoteArgs(args.command)], true);
  }
  if (args.args !== undefined && args.args.join('\0') !== current.args.join('\0')) {
    note('args', `args ${JSON.stringify(current.args)} -> ${JSON.stringify(args.args)}`, ['--args', quoteArgs(args.args)], true);
  }
  if (args.mounts !== undefined) {
    const wanted = new Map(args.mounts.map((mount) => [mount.target, mountSpec(mount)]));
    const have = new Map(current.mounts.map((mount) => [mount.target, mountSpec({ ...mount, readonly: mount.readOnly })]));
    const mountFlags = [
      ...[...have].filter(([target, spec]) => wanted.get(target) !== spec).flatMap(([target]) => ['--mount-rm', target]),
      ...[...wanted].filter(([target, spec]) => have.get(target) !== spec).flatMap(([, spec]) => ['--mount-add', spec]),
    ];
    note('mounts', `mounts [${[...have.values()].join(' ')}] -> [${[...wanted.values()].join(' ')}]`, mountFlags, true);
  }
  note('update_config', 'update settings', rolloutFlags('update', current.updateConfig, args.update_config), false);
  note('rollback_config', 'rollback settings', rolloutFlags('rollback', current.rollbackConfig, args.rollback_config), false);
  if (args.resources !== undefined) {
    note('resources', 'resources', [
      ...resourceFlags('limit', current.limits, args.resources.limits),
      ...resourceFlags('reserve', current.reservations, args.resources.reservations),
    ], true);
  }
  return { flags, differences, rollout, changedArgs };
}

/** The long --mount syntax. */
export function mountSpec(mount: { type: string; source: string; target: string; readonly: boolean }): string {
  return [`type=${mount.type}`, ...(mount.source ? [`source=${mount.source}`] : []), `target=${mount.target}`, ...(mount.readonly ? ['readonly'] : [])].join(',');
}

/** `docker service create` arguments (everything after `create`) for a new service. */
export function serviceCreateArgs(args: DockerServiceArgs, references: WantedReferences = {}): string[] {
  const words = ['--detach', '--name', args.name];
  if (args.mode === 'global') words.push('--mode', 'global');
  else words.push('--replicas', String(args.replicas ?? 1));
  for (const constraint of args.constraints ?? []) words.push('--constraint', constraint);
  for (const preference of args.placement_preferences ?? []) words.push('--placement-pref', `spread=${preference}`);
  for (const [key, value] of Object.entries(args.labels ?? {})) words.push('--label', `${key}=${value}`);
  for (const [key, value] of Object.entries(args.container_labels ?? {})) words.push('--container-label', `${key}=${value}`);
  for (const [key, value] of Object.entries(args.env ?? {})) words.push('--env', `${key}=${value}`);
  for (const network of args.networks ?? []) words.push('--network', network);
  for (const port of args.publish ?? []) words.push('--publish', portSpec(port));
  for (const reference of references.secrets ?? []) words.push('--secret', referenceSpec(reference));
  for (const reference of references.configs ?? []) words.push('--config', referenceSpec(reference));
  if (args.stop_grace_period !== undefined) words.push('--stop-grace-period', formatDuration(args.stop_grace_period));
  // Every setting given is stored in the spec, even one equal to docker's default: the CLI sends only the
  // settings it has flags for, and a reader of the stored spec (the Docker API without defaults, as
  // community.docker reads it) must find what the playbook asked.
  words.push(...rolloutFlags('update', NO_ROLLOUT, args.update_config));
  words.push(...rolloutFlags('rollback', NO_ROLLOUT, args.rollback_config));
  words.push(...resourceFlags('limit', {}, args.resources?.limits));
  words.push(...resourceFlags('reserve', {}, args.resources?.reservations));
  for (const mount of args.mounts ?? []) words.push('--mount', mountSpec(mount));
  if (args.command !== undefined) words.push('--entrypoint', quoteArgs(args.command));
  if (!args.resolve_image) words.push('--no-resolve-image');
  words.push(args.image!, ...(args.args ?? []));
  return words;
}
