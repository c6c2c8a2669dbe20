/**
 * `docker_service`: a swarm service as the walkthrough's `docker service create
 * --replicas 6 --name web -p 80 IMAGE`, `docker service scale web=9`,
 * `docker service update --image ...:2.0 --update-parallelism 2
 * --update-delay 1m web`, `--constraint node.hostname==docker03` and
 * `docker service update --rollback web`.
 *
 * plan() reads `docker service inspect` and asks docker for exactly what
 * differs: `docker service create` when the service is absent, otherwise one
 * `docker service update` with only the flags for what differs, and nothing
 * at all when nothing does (no task is restarted). An argument left out (or
 * null) is left as it is on the service: `replicas` unset never undoes a
 * manual `docker service scale`. A list or mapping given (constraints,
 * publish, env, labels, networks) is the whole set.
 *
 * Images: docker pins the digest it resolved (`repo:tag@sha256:...`); a
 * reference without digest matches that spec whatever the digest, so a tag
 * pushed again with new content is not rolled out (use a new tag).
 *
 * After a change the plan waits (`wait`, default true) until the service has
 * converged: a wait step on the `service_converged` condition
 * (conditions/service-converged.ts), whose progress ("newnginx: updating
 * 2/3 running ...") the runner shows meanwhile; a failure (a rejected image,
 * a paused update, an automatic rollback, a node that is down) fails the
 * task with the tasks' own errors. With `update_config.failure_action:
 * rollback` swarm puts the old tasks back by itself, which is what
 * playbooks/deploy.yaml sets. When the spec is already the one asked for
 * but swarm is still rolling it out (an earlier run stopped waiting), the
 * plan is that wait alone: ok, not changed, and done only once the service
 * really runs this spec.
 *
 * `rebalance: true` spreads a replicated service's tasks again after a node
 * came back (swarm never moves running tasks by itself): when the running
 * tasks are unevenly spread over the nodes that may run them
 * (service-balance.ts), `docker service update --force` replaces them one
 * batch at a time under the service's update settings, and the task waits
 * for convergence as for any update; an even spread changes nothing.
 *
 * `rollback: true` is `docker service update --rollback`: refused when
 * there is no previous spec; nothing to do when the last change already was
 * a rollback (so running it twice does not toggle back).
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type Step, type WaitStep } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg, numberArg, portArg } from './argument-types.js';
import {
  sameImage, serviceInspect, serviceTasks, type PublishedPort, type ResourceAmounts, type RolloutConfig, type ServiceState,
} from '../facts/swarm-service.js';
import { networkId } from '../facts/network-id.js';
import { allNodes } from '../facts/swarm-nodes.js';
import { judgeBalance } from './service-balance.js';
import { kernelIpvs } from '../facts/kernel-ipvs.js';
import { currentVersion, referenceSpec, swarmObjects } from '../facts/swarm-objects.js';
import type { ObjectReference } from '../facts/swarm-service.js';
import type { ConvergenceGoal } from './service-convergence.js';
import type { ConvergedResult, ServiceConvergedArgs } from './conditions/service-converged.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const accountIdArg = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'a numeric ID')]).transform(String);
/** A file mode: an octal string "0440", or a number whose digits are octal (YAML 1.2 reads 0440 as 440), as file's mode. */
const modeArg = z.union([
  z.number().int().min(0).transform(String),
  z.string(),
]).pipe(z.string().regex(/^0?[0-7]{3}$/, 'an octal mode such as 0440 (quote it)').transform((text) => parseInt(text, 8)));
const imageReference = z.string().min(1).regex(/^[a-zA-Z0-9][a-zA-Z0-9._:/@-]*$/, 'not an image reference');

/** Go-style durations as docker takes them ("10s", "1m30s", "500ms"), or a number of seconds. */
const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function parseDurationNs(value: string | number): number | undefined {
  if (typeof value === 'number') return value >= 0 ? Math.round(value * 1e9) : undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1e9);
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return Math.round(parts.reduce((sum, part) => sum + Number(part[1]) * DURATION_UNITS[part[2]!]!, 0));
}

/** A duration for a docker flag, in the largest unit that keeps it exact. */
export function formatDuration(ns: number): string {
  if (ns % 1e9 === 0) return `${ns / 1e9}s`;
  if (ns % 1e6 === 0) return `${ns / 1e6}ms`;
  return `${ns}ns`;
}

const durationArg = z.union([z.number(), z.string()]).transform((value, refinement) => {
  const ns = parseDurationNs(value);
  if (ns === undefined) {
    refinement.addIssue({ code: z.ZodIssueCode.custom, message: `expected a duration such as 10s, 1m30s or 500ms (or seconds as a number), got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ns;
});

/** docker's RAMInBytes: 1024-based units, "64M", "1g", "512mb", or plain bytes. */
export function parseMemoryBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp])?i?b?$/i.exec(value.trim());
  if (!match) return undefined;
  const power = match[2] ? 'kmgtp'.indexOf(match[2].toLowerCase()) + 1 : 0;
  return Math.round(Number(match[1]) * 1024 ** power);
}

const memoryArg = z.union([z.number(), z.string()]).transform((value, refinement) => {
  const bytes = parseMemoryBytes(value);
  if (bytes === undefined) {
    refinement.addIssue({ code: z.ZodIssueCode.custom, message: `expected a memory size such as 64M or 1G, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return bytes;
});

const cpusArg = numberArg.transform((cpus) => Math.round(cpus * 1e9));

const resourceAmountsArg = z.object({ cpus: cpusArg.optional(), memory: memoryArg.optional() }).strict();

const publishArg = z
  .object({
    published: portArg,
    target: portArg,
    protocol: z.enum(['tcp', 'udp', 'sctp']).default('tcp'),
    mode: z.enum(['ingress', 'host']).default('ingress'),
  })
  .strict();

const rolloutArg = (failureActions: [string, ...string[]]) =>
  z
    .object({
      parallelism: numberArg.pipe(z.number().int()).nullish(),
      delay: durationArg.nullish(),
      failure_action: z.enum(failureActions).nullish(),
      monitor: durationArg.nullish(),
      order: z.enum(['stop-first', 'start-first']).nullish(),
      max_failure_ratio: numberArg.pipe(z.number().max(1)).nullish(),
    })
    .strict();

/** null (a playbook's `default(none)`) means "leave it as it is", like leaving the argument out. */
function leaveAsIs<T extends z.ZodTypeAny>(schema: T) {
  return schema.nullish().transform((value) => (value ?? undefined) as z.infer<T> | undefined);
}

const preferenceArg = z.union([
  z.string().regex(/^spread=.+/, 'a preference is spread=DESCRIPTOR').transform((text) => text.slice('spread='.length)),
  z.object({ spread: z.string().min(1) }).strict().transform((preference) => preference.spread),
]);

const envArg = z.union([
  z.record(scalar),
  z.array(z.string().regex(/^[^=]+=/, 'an env list item is KEY=VALUE')).transform((items) =>
    Object.fromEntries(items.map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]))),
]);

const mountArg = z
  .object({
    source: z.string().default(''),
    target: z.string().regex(/^\//, 'an absolute path in the container'),
    type: z.enum(['bind', 'volume', 'tmpfs']).default('volume'),
    readonly: booleanArg.default(false),
  })
  .strict();

/**
 * A secret or config given to the tasks as a file. `source` is the name the
 * playbook gave docker_secret/docker_config (its current version is used)
 * or any object's own name; community.docker's secret_name/config_name and
 * filename are accepted too. target defaults to source (not to the versioned
 * name, so a new version keeps the path); uid, gid and mode to docker's
 * 0, 0 and 0444.
 */
const objectReferenceArg = (kind: 'secret' | 'config') => z.preprocess(
  (value) => {
    if (typeof value === 'string') return { source: value };
    if (value === null || typeof value !== 'object') return value;
    const { [`${kind}_name`]: communityName, filename, ...rest } = value as Record<string, unknown>;
    return { ...rest, ...(communityName !== undefined && { source: communityName }), ...(filename !== undefined && { target: filename }) };
  },
  z.object({
    source: z.string().min(1),
    target: z.string().min(1).optional(),
    uid: accountIdArg.default('0'),
    gid: accountIdArg.default('0'),
    mode: modeArg.default('0444'),
  }).strict(),
);

const SPEC_ARGUMENTS = [
  'command', 'args', 'mounts', 'image', 'replicas', 'mode', 'publish', 'constraints', 'placement_preferences', 'labels', 'container_labels', 'env',
  'networks', 'update_config', 'rollback_config', 'resources', 'stop_grace_period', 'secrets', 'configs',
] as const;

const dockerServiceArgs = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'not a service name'),
    state: z.enum(['present', 'absent']).default('present'),
    image: leaveAsIs(imageReference),
    replicas: leaveAsIs(numberArg.pipe(z.number().int())),
    mode: leaveAsIs(z.enum(['replicated', 'global'])),
    publish: leaveAsIs(z.array(publishArg)),
    constraints: leaveAsIs(z.array(z.string().min(1))),
    placement_preferences: leaveAsIs(z.array(preferenceArg)),
    labels: leaveAsIs(z.record(scalar)),
    container_labels: leaveAsIs(z.record(scalar)),
    env: leaveAsIs(envArg),
    networks: leaveAsIs(z.array(z.string().min(1))),
    secrets: leaveAsIs(z.array(objectReferenceArg('secret'))),
    configs: leaveAsIs(z.array(objectReferenceArg('config'))),
    update_config: leaveAsIs(rolloutArg(['pause', 'continue', 'rollback'])),
    rollback_config: leaveAsIs(rolloutArg(['pause', 'continue'])),
    resources: leaveAsIs(z.object({ limits: resourceAmountsArg.optional(), reservations: resourceAmountsArg.optional() }).strict()),
    /** Time a task gets to stop before it is killed; every stop-first update batch waits for it. */
    stop_grace_period: leaveAsIs(durationArg),
    /** The container's command, replacing the image's entrypoint (`--entrypoint`), as words. */
    command: leaveAsIs(z.array(z.string()).min(1)),
    /** The command's arguments (after the image in `docker service create`), as words. */
    args: leaveAsIs(z.array(z.string())),
    mounts: leaveAsIs(z.array(mountArg)),
    /** false: docker does not ask the registry for the image's digest (`--no-resolve-image`). */
    resolve_image: booleanArg.default(true),
    rollback: booleanArg.default(false),
    /** Replace the tasks (update --force) when they are unevenly spread over the nodes. */
    rebalance: booleanArg.default(false),
    wait: booleanArg.default(true),
    /** Seconds to wait for convergence. */
    timeout: numberArg.default(300),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.rollback) {
      const given = SPEC_ARGUMENTS.filter((key) => args[key] !== undefined);
      if (given.length) {
        refinement.addIssue({
          code: z.ZodIssueCode.custom,
          path: [given[0]!],
          message: `rollback: true returns the service to its previous spec and takes only name, wait and timeout (also given: ${given.join(', ')}); use a separate task`,
        });
      }
      if (args.state === 'absent') refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['rollback'], message: 'rollback: true with state absent makes no sense' });
      if (args.rebalance) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['rebalance'], message: 'rollback: true and rebalance: true are two changes: use a separate task for each' });
    }
    if (args.rebalance && args.state === 'absent') {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['rebalance'], message: 'rebalance: true with state absent makes no sense' });
    }
    if (args.mode === 'global' && args.replicas !== undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['replicas'], message: 'a global service runs one task per node: replicas is for mode replicated' });
    }
  });

export type DockerServiceArgs = z.infer<typeof dockerServiceArgs>;
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

/** The secrets and configs asked for, their sources resolved to object names (see resolveReferences). */
export interface WantedReferences {
  secrets?: Omit<ObjectReference, 'id'>[];
  configs?: Omit<ObjectReference, 'id'>[];
}

function referenceKey(reference: Omit<ObjectReference, 'id'>): string {
  return `${reference.name}|${reference.target}|${reference.uid}|${reference.gid}|${reference.mode}`;
}

/** --secret-rm/--secret-add (or --config-...) flags from the current references to the wanted ones. */
function referenceFlags(kind: 'secret' | 'config', current: readonly ObjectReference[], wanted: readonly Omit<ObjectReference, 'id'>[]): string[] {
  const wantedKeys = new Set(wanted.map(referenceKey));
  const currentKeys = new Set(current.map(referenceKey));
  // docker removes by name: a name that loses one reference loses all, and the wanted ones of it are added again.
  const removed = new Set(current.filter((reference) => !wantedKeys.has(referenceKey(reference))).map((reference) => reference.name));
  return [
    ...[...removed].flatMap((name) => [`--${kind}-rm`, name]),
    ...wanted.filter((reference) => !currentKeys.has(referenceKey(reference)) || removed.has(reference.name))
      .flatMap((reference) => [`--${kind}-add`, referenceSpec(reference)]),
  ];
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

export function ingressWarning(host: string, ports: readonly PublishedPort[]): string {
  const list = ports.map((port) => `${port.published}->${port.target}/${port.protocol}`).join(', ');
  return `WARNING: ${list} published in ingress mode, but the kernel of ${host} has no IP_VS: the swarm routing mesh cannot work, ` +
    'so these ports will not answer on any node. Publish with mode: host instead (the lab inventory sets lab_publish_mode: host).';
}

/** The wanted secrets and configs with each source resolved to the object to use now; the sources that do not exist. */
async function resolveReferences(ctx: ModuleContext, args: DockerServiceArgs): Promise<{ references: WantedReferences; missing: string[] }> {
  const references: WantedReferences = {};
  const missing: string[] = [];
  for (const kind of ['secret', 'config'] as const) {
    const wanted = kind === 'secret' ? args.secrets : args.configs;
    if (wanted === undefined) continue;
    const resolved: Omit<ObjectReference, 'id'>[] = [];
    for (const reference of wanted) {
      const name = currentVersion(await ctx.fact(swarmObjects, { kind, name: reference.source }), reference.source)?.name;
      if (name === undefined) missing.push(`${kind} ${reference.source}`);
      else resolved.push({ name, target: reference.target ?? reference.source, uid: reference.uid, gid: reference.gid, mode: reference.mode });
    }
    references[`${kind}s`] = resolved;
  }
  return { references, missing };
}

/** The IDs of the named networks, for comparing with the spec (which stores IDs). */
async function networkIdsOf(ctx: ModuleContext, networks: readonly string[]): Promise<{ ids: Map<string, string>; missing: string[] }> {
  const ids = new Map<string, string>();
  const missing: string[] = [];
  for (const network of networks) {
    const id = await ctx.fact(networkId, { name: network });
    if (id === null) missing.push(network);
    else ids.set(network, id);
  }
  return { ids, missing };
}

function describe(service: ServiceState) {
  return {
    service_id: service.id,
    image: service.image,
    mode: service.mode,
    ...(service.replicas !== undefined && { replicas: service.replicas }),
    published: service.publish,
    update_status: service.updateStatus?.state ?? null,
  };
}

/** How often the convergence wait reads the service (one round trip each). */
const CONVERGENCE_POLL_MS = 500;

/** The wait until the service runs what was asked of it (also after docker_secret/docker_config switched it). */
export function convergenceWait(args: { name: string; timeout: number }, goal: ConvergenceGoal, resumed = false, id = 'converge'): WaitStep {
  const conditionArgs: ServiceConvergedArgs = {
    service: args.name,
    kind: goal.kind,
    statusBefore: goal.statusBefore,
    expectRollout: goal.expectRollout,
    ...(goal.image !== undefined && { image: goal.image }),
    ...(resumed && { resumed }),
  };
  return {
    kind: 'wait',
    id,
    description: `wait until ${args.name} has converged`,
    condition: 'service_converged',
    args: { ...conditionArgs },
    intervalMs: CONVERGENCE_POLL_MS,
    timeoutMs: args.timeout * 1000,
    waitingFor: `${args.name} to converge`,
  };
}

/** The change, then (unless `wait: false`) the wait until the service runs it. */
function convergeChange(host: string, description: string, command: string, args: DockerServiceArgs, goal: ConvergenceGoal): Step[] {
  const change: Step = {
    kind: 'command',
    id: 'change',
    description,
    command,
    timeoutMs: 300_000,
    // Swarm rewrites the service (its UpdateStatus) while an earlier rollout finishes; the
    // client's read-modify-write then loses the race ("update out of sequence"): read again.
    retry: { whileOutputMatches: 'out of sequence', attempts: 3, delayMs: 500 },
    failMessage: `${description} failed on ${host}`,
  };
  return args.wait ? [change, convergenceWait(args, goal)] : [change];
}

export const dockerService = defineModule({
  name: 'docker_service',
  schema: dockerServiceArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const service = await ctx.fact(serviceInspect, { name: args.name });
    const result: Record<string, unknown> = { name: args.name, state: args.state };

    if (args.state === 'absent') {
      if (!service) return { steps: [], result };
      return { steps: [{ kind: 'command', description: `docker service rm ${args.name}`, command: quoteArgs(['docker', 'service', 'rm', args.name]) }], result };
    }

    if (args.rollback) {
      if (!service) return { steps: [], result, failed: `cannot roll back service ${args.name}: there is no such service on ${ctx.host}` };
      Object.assign(result, describe(service));
      const status = service.updateStatus?.state;
      if (status === 'rollback_completed') {
        return { steps: [], result, msg: `${args.name} was already rolled back (${service.updateStatus!.message}); it runs ${service.image.split('@')[0]}` };
      }
      if (!service.hasPreviousSpec) {
        return {
          steps: [],
          result,
          failed: `cannot roll back service ${args.name}: it has no previous spec (it was never updated, or swarm already rolled its last update back)`,
        };
      }
      return {
        steps: convergeChange(
          ctx.host,
          `docker service update --rollback ${args.name} (back to ${service.previousImage?.split('@')[0] ?? 'the previous spec'})`,
          quoteArgs(['docker', 'service', 'update', '--detach', '--rollback', args.name]),
          args,
          { kind: 'rollback', statusBefore: service.updateStatus, expectRollout: true, ...(service.previousImage && { image: service.previousImage }) },
        ),
        result,
      };
    }

    const ingressPorts = (args.publish ?? service?.publish ?? []).filter((port) => port.mode === 'ingress');
    let warning: string | undefined;
    if (ingressPorts.length > 0 && !(await ctx.fact(kernelIpvs, {}))) warning = ingressWarning(ctx.host, ingressPorts);

    let networkIds = new Map<string, string>();
    if (args.networks?.length) {
      const { ids, missing } = await networkIdsOf(ctx, args.networks);
      if (missing.length) return { steps: [], result, failed: `network ${missing.join(', ')} does not exist on ${ctx.host}: create it first (docker_network)` };
      networkIds = ids;
    }

    const { references, missing } = await resolveReferences(ctx, args);
    if (missing.length) return { steps: [], result, failed: `${missing.join(', ')} does not exist on ${ctx.host}: create it first (docker_secret, docker_config)` };

    if (!service) {
      if (!args.image) return { steps: [], result, failed: `service ${args.name} does not exist: give image to create it` };
      const words = serviceCreateArgs(args, references);
      return {
        steps: convergeChange(
          ctx.host,
          `docker service create --name ${args.name} ${args.mode === 'global' ? '--mode global' : `--replicas ${args.replicas ?? 1}`} ${args.image}`,
          quoteArgs(['docker', 'service', 'create', ...words]),
          args,
          { kind: 'create', statusBefore: null, expectRollout: false, image: args.image },
        ),
        result,
        ...(warning && { msg: warning }),
      };
    }

    Object.assign(result, describe(service));
    if (args.mode !== undefined && args.mode !== service.mode) {
      return { steps: [], result, failed: `service ${args.name} is ${service.mode} and docker cannot change a service's mode: remove it first (state: absent)` };
    }
    const update = serviceUpdate(service, args, networkIds, references);
    let balanceNote: string | undefined;
    if (args.rebalance) {
      if (service.mode === 'global') {
        balanceNote = `${args.name} is global, one task per node: nothing to rebalance`;
      } else {
        const balance = judgeBalance(await ctx.fact(allNodes, {}), service.constraints, await ctx.fact(serviceTasks, { name: args.name }));
        if (balance.balanced) {
          balanceNote = `${args.name}'s tasks are evenly spread (${balance.spread})`;
        } else {
          update.flags.push('--force');
          update.differences.push(`rebalance (running now: ${balance.spread})`);
          update.rollout = true;
        }
      }
    }
    if (update.flags.length === 0) {
      // The spec is already the one asked for, but swarm is still rolling it out (an earlier run
      // stopped waiting: a node was down, the run was interrupted): wait for that rollout, which
      // changes nothing, so the task is ok only once the service really runs this spec.
      if (service.updateStatus?.state === 'updating' && args.wait) {
        return {
          steps: [convergenceWait(args, { kind: 'update', statusBefore: null, expectRollout: true, image: service.image }, true)],
          result,
          ...(warning && { msg: warning }),
        };
      }
      const msg = warning ?? balanceNote;
      return { steps: [], result, ...(msg && { msg }) };
    }
    result.differences = update.differences;
    result.changed_arguments = update.changedArgs;
    return {
      steps: convergeChange(
        ctx.host,
        `docker service update ${update.flags.join(' ')} ${args.name}`,
        quoteArgs(['docker', 'service', 'update', '--detach', ...(args.resolve_image ? [] : ['--no-resolve-image']), ...update.flags, args.name]),
        args,
        { kind: 'update', statusBefore: service.updateStatus, expectRollout: update.rollout, image: args.image ?? service.image },
      ),
      result,
      msg: warning ?? `${args.name}: ${update.differences.join('; ')}`,
    };
  },
  finish(args, outcomes, plan) {
    const waited = outcomes.byId('converge')?.waited as ConvergedResult | undefined;
    const changed = outcomes.byId('change') !== undefined;
    if (!waited) return changed && !args.wait ? { converged: null } : {};
    if (!changed) {
      // The rollout an earlier run started: no change of ours, so no convergence record.
      return {
        ...describe(waited.service),
        ...(plan.msg === undefined && { msg: `${args.name}: the rollout already in progress finished: ${waited.summary}` }),
      };
    }
    return { converged: true, convergence: waited.summary, seconds: waited.seconds, tasks: waited.tasks, ...describe(waited.service) };
  },
});
