/**
 * Reading a swarm service as docker reports it: `docker service inspect NAME
 * --format '{{json .}}'` (the Engine API's Service object) and `docker
 * service ps NAME --no-trunc --format '{{json .}}'` (one task per line).
 * The one parser of those outputs, shared by docker_service (what differs),
 * its `service_converged` wait, and `swarmplay status`. The fact reader
 * `service_inspect` is how a plan reads a service.
 * test/fixtures/docker-service holds real outputs of dockerd 20.10 (client
 * 28) these parsers were checked on.
 *
 * `--no-trunc` matters: without it `docker service ps` cuts task errors
 * ("No such image: ...") to a few characters.
 */
import { outputTail } from '../transport/output-tail.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { asArray, asNumber, asObject, asString, parseJsonText, type Json } from './docker-json.js';
import { defineFact, FactError } from './types.js';
import type { RunResult } from '../transport/types.js';


function stringRecord(value: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [key, entry] of Object.entries(asObject(value))) record[key] = asString(entry);
  return record;
}

export interface PublishedPort {
  published: number;
  target: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  mode: 'ingress' | 'host';
}

/** Update or rollback settings; durations in nanoseconds, as the API stores them. */
export interface RolloutConfig {
  parallelism: number;
  delayNs: number;
  failureAction: string;
  monitorNs: number;
  maxFailureRatio: number;
  order: string;
}

export interface ResourceAmounts {
  nanoCpus?: number;
  memoryBytes?: number;
}

export interface UpdateStatus {
  /** updating | paused | completed | rollback_started | rollback_paused | rollback_completed */
  state: string;
  startedAt: string;
  completedAt?: string;
  message: string;
}

/** A secret or config a service's tasks get as a file (ContainerSpec.Secrets / .Configs). */
export interface ObjectReference {
  /** The object's name (SecretName / ConfigName). */
  name: string;
  id: string;
  /** File.Name: the path in the container (relative ones under /run/secrets or /). */
  target: string;
  uid: string;
  gid: string;
  /** File.Mode, e.g. 0o444. */
  mode: number;
}

export interface ServiceState {
  id: string;
  name: string;
  /** As stored: the client usually pins the digest ("repo:tag@sha256:..."). */
  image: string;
  mode: 'replicated' | 'global';
  /** Replicated services only. */
  replicas?: number;
  labels: Record<string, string>;
  containerLabels: Record<string, string>;
  /** "KEY=VALUE" as stored. */
  env: string[];
  constraints: string[];
  /** Spread descriptors, e.g. "node.labels.zone". */
  preferences: string[];
  /** Network IDs the tasks attach to (the API stores IDs, not names). */
  networkIds: string[];
  publish: PublishedPort[];
  updateConfig?: RolloutConfig;
  rollbackConfig?: RolloutConfig;
  limits: ResourceAmounts;
  reservations: ResourceAmounts;
  secrets: ObjectReference[];
  configs: ObjectReference[];
  /** How long docker waits after the stop signal before killing a task's container (ns; docker's default 10 s). */
  stopGracePeriodNs: number;
  hasPreviousSpec: boolean;
  /** The image the previous spec ran, when there is one. */
  previousImage?: string;
  updateStatus: UpdateStatus | null;
  /** Ports the swarm actually set up (Endpoint.Ports). */
  endpointPorts: PublishedPort[];
  /** ContainerSpec.Command (the image's entrypoint replaced) and ContainerSpec.Args. */
  command: string[];
  args: string[];
  mounts: ServiceMount[];
}

export interface ServiceMount {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path or volume name; empty for tmpfs. */
  source: string;
  target: string;
  readOnly: boolean;
}

function parseMounts(value: unknown): ServiceMount[] {
  return asArray(value).map((entry) => {
    const mount = asObject(entry);
    const type = asString(mount.Type);
    return {
      type: (['bind', 'volume', 'tmpfs'].includes(type) ? type : 'volume') as ServiceMount['type'],
      source: asString(mount.Source),
      target: asString(mount.Target),
      readOnly: mount.ReadOnly === true,
    };
  });
}

function parsePorts(value: unknown): PublishedPort[] {
  return asArray(value).map((entry) => {
    const port = asObject(entry);
    const protocol = asString(port.Protocol) || 'tcp';
    return {
      published: asNumber(port.PublishedPort) ?? 0,
      target: asNumber(port.TargetPort) ?? 0,
      protocol: (['tcp', 'udp', 'sctp'].includes(protocol) ? protocol : 'tcp') as PublishedPort['protocol'],
      mode: asString(port.PublishMode) === 'host' ? 'host' : 'ingress',
    };
  });
}

function parseRolloutConfig(value: unknown): RolloutConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const config = asObject(value);
  return {
    parallelism: asNumber(config.Parallelism) ?? 1,
    delayNs: asNumber(config.Delay) ?? 0,
    failureAction: asString(config.FailureAction) || 'pause',
    monitorNs: asNumber(config.Monitor) ?? 0,
    maxFailureRatio: asNumber(config.MaxFailureRatio) ?? 0,
    order: asString(config.Order) || 'stop-first',
  };
}

function parseResources(value: unknown): ResourceAmounts {
  const amounts = asObject(value);
  const nanoCpus = asNumber(amounts.NanoCPUs);
  const memoryBytes = asNumber(amounts.MemoryBytes);
  return { ...(nanoCpus && { nanoCpus }), ...(memoryBytes && { memoryBytes }) };
}

function parseReferences(value: unknown, kind: 'Secret' | 'Config'): ObjectReference[] {
  return asArray(value).map((entry) => {
    const reference = asObject(entry);
    const file = asObject(reference.File);
    return {
      name: asString(reference[`${kind}Name`]),
      id: asString(reference[`${kind}ID`]),
      target: asString(file.Name),
      uid: asString(file.UID) || '0',
      gid: asString(file.GID) || '0',
      mode: asNumber(file.Mode) ?? 0o444,
    };
  });
}

/** Parses one Service object (from `docker service inspect --format '{{json .}}'` or one element of the array form). */
export function parseServiceObject(service: Json): ServiceState {
  const spec = asObject(service.Spec);
  const template = asObject(spec.TaskTemplate);
  const container = asObject(template.ContainerSpec);
  const placement = asObject(template.Placement);
  const mode = asObject(spec.Mode);
  const replicated = mode.Replicated === undefined ? undefined : asObject(mode.Replicated);
  const resources = asObject(template.Resources);
  const status = service.UpdateStatus === undefined || service.UpdateStatus === null ? null : asObject(service.UpdateStatus);
  const previous = service.PreviousSpec === undefined || service.PreviousSpec === null ? undefined : asObject(service.PreviousSpec);
  const replicas = replicated ? asNumber(replicated.Replicas) ?? 0 : undefined;
  return {
    id: asString(service.ID),
    name: asString(spec.Name),
    image: asString(container.Image),
    mode: mode.Global !== undefined ? 'global' : 'replicated',
    ...(replicas !== undefined && { replicas }),
    labels: stringRecord(spec.Labels),
    containerLabels: stringRecord(container.Labels),
    env: asArray(container.Env).map(asString),
    constraints: asArray(placement.Constraints).map(asString),
    preferences: asArray(placement.Preferences)
      .map((preference) => asString(asObject(asObject(preference).Spread).SpreadDescriptor))
      .filter(Boolean),
    networkIds: asArray(template.Networks).map((network) => asString(asObject(network).Target)),
    publish: parsePorts(asObject(spec.EndpointSpec).Ports),
    ...(spec.UpdateConfig !== undefined && { updateConfig: parseRolloutConfig(spec.UpdateConfig) }),
    ...(spec.RollbackConfig !== undefined && { rollbackConfig: parseRolloutConfig(spec.RollbackConfig) }),
    limits: parseResources(resources.Limits),
    reservations: parseResources(resources.Reservations),
    secrets: parseReferences(container.Secrets, 'Secret'),
    configs: parseReferences(container.Configs, 'Config'),
    stopGracePeriodNs: asNumber(container.StopGracePeriod) ?? 10e9,
    hasPreviousSpec: previous !== undefined,
    ...(previous && { previousImage: asString(asObject(asObject(previous.TaskTemplate).ContainerSpec).Image) }),
    updateStatus: status
      ? {
          state: asString(status.State),
          startedAt: asString(status.StartedAt),
          ...(asString(status.CompletedAt) && { completedAt: asString(status.CompletedAt) }),
          message: asString(status.Message),
        }
      : null,
    endpointPorts: parsePorts(asObject(service.Endpoint).Ports),
    command: asArray(container.Command).map(asString),
    args: asArray(container.Args).map(asString),
    mounts: parseMounts(container.Mounts),
  };
}


/** Parses `docker service inspect NAME` output: the JSON array (plain form) or one object (`--format '{{json .}}'`). */
export function parseServiceInspect(stdout: string): ServiceState {
  const parsed = parseJsonText(stdout, 'docker service inspect');
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (first === undefined) throw new Error('docker service inspect printed an empty list');
  return parseServiceObject(asObject(first));
}

export function serviceInspectCommand(name: string): string {
  return `${quoteArgs(['docker', 'service', 'inspect', name])} --format '{{json .}}'`;
}

/** `docker service inspect` failed because there is no such service (not because docker is down). */
export function isNoSuchService(output: string): boolean {
  return /no such service/i.test(output);
}


/**
 * `service_inspect` {name}: the service, or null when there is no such
 * service. Throws FactError when the host cannot say: not a manager (only
 * managers know services), no docker, anything else docker answered.
 */
export const serviceInspect = defineFact<{ name: string }, ServiceState | null>({
  name: 'service_inspect',
  command: ({ name }) => serviceInspectCommand(name),
  parse(result, { name }, host) {
    if (result.exitCode === 0) return parseServiceInspect(result.stdout);
    const output = `${result.stdout}\n${result.stderr}`;
    if (isNoSuchService(output)) return null;
    if (/not a swarm manager|swarm mode/i.test(output)) {
      throw new FactError(`docker_service must run on a swarm manager, and ${host} is not one (${outputTail(result)}); use delegate_to: a manager`);
    }
    if (result.exitCode === 127) throw new FactError(`docker is not installed on ${host}`);
    throw new FactError(`cannot inspect service ${name} on ${host}: ${outputTail(result)}`);
  },
});

/** One line of `docker service ps --format '{{json .}}'`. */
export interface TaskLine {
  id: string;
  /** "web.3" for a replicated service's slot 3; "web.<node id>" for a global one. */
  name: string;
  /** Replicated: the slot number; undefined for global tasks. */
  slot?: number;
  node: string;
  image: string;
  /** Lower case: running, shutdown, ready... */
  desiredState: string;
  /** The first word of CurrentState, lower case: running, pending, rejected, failed, shutdown... */
  state: string;
  /** "Running 3 seconds ago" as docker prints it. */
  currentState: string;
  /** The task's error without docker's surrounding quotes; "" when none. */
  error: string;
  /** "*:80->80/tcp" for host-mode published ports. */
  ports: string;
}

/** docker quotes task errors ("\"No such image: x\""): show the message itself. */
export function unquoteTaskError(error: string): string {
  const trimmed = error.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    try {
      return String(JSON.parse(trimmed));
    } catch {
      return trimmed.slice(1, -1);
    }
  }
  return trimmed;
}

export function parseTaskLine(line: string): TaskLine {
  const task = asObject(parseJsonText(line, 'docker service ps'));
  const name = asString(task.Name);
  const slotMatch = /\.(\d+)$/.exec(name);
  const currentState = asString(task.CurrentState);
  return {
    id: asString(task.ID),
    name,
    ...(slotMatch && { slot: Number(slotMatch[1]) }),
    node: asString(task.Node),
    image: asString(task.Image),
    desiredState: asString(task.DesiredState).toLowerCase(),
    state: (currentState.split(/\s+/)[0] ?? '').toLowerCase(),
    currentState,
    error: unquoteTaskError(asString(task.Error)),
    ports: asString(task.Ports),
  };
}

/** Parses `docker service ps --format '{{json .}}'`: one JSON object per line. */
export function parseServicePs(stdout: string): TaskLine[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('{'))
    .map(parseTaskLine);
}

export function servicePsCommand(name: string): string {
  return `${quoteArgs(['docker', 'service', 'ps', '--no-trunc', name])} --format '{{json .}}'`;
}

/** A service's tasks (`docker service ps`), read on a manager; empty when the service is gone. */
export const serviceTasks = defineFact<{ name: string }, TaskLine[]>({
  name: 'service_tasks',
  scope: 'cluster',
  command: ({ name }) => servicePsCommand(name),
  parse(result, { name }, host) {
    if (result.exitCode === 0) return parseServicePs(result.stdout);
    if (isNoSuchService(`${result.stdout}\n${result.stderr}`)) return [];
    throw new FactError(`cannot list the tasks of service ${name} on ${host}: ${outputTail(result)}`);
  },
});

/** "repo:tag@sha256:..." -> "repo:tag"; a name without tag gets ":latest", as docker reads it. */
export function imageWithoutDigest(image: string): string {
  const [name] = image.split('@');
  const withoutDigest = name ?? image;
  const lastSlash = withoutDigest.lastIndexOf('/');
  return withoutDigest.lastIndexOf(':') > lastSlash ? withoutDigest : `${withoutDigest}:latest`;
}

/**
 * Whether the stored image is the one asked for: a reference without digest
 * matches whatever digest the client pinned when it created the spec.
 */
export function sameImage(stored: string, wanted: string): boolean {
  if (wanted.includes('@')) return stored === wanted;
  return imageWithoutDigest(stored) === imageWithoutDigest(wanted);
}
