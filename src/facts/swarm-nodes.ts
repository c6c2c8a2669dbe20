/**
 * `node_inspect` and `node_list`: a swarm's nodes as a manager sees them
 * (`docker node inspect NODE --format '{{json .}}'`, `docker node ls`). The
 * one parser of each output: swarm_node, its promotion wait and `swarmplay
 * status` all read nodes here.
 */
import { asNumber, asObject, asString, parseJsonText } from './docker-json.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { defineFact, FactError } from './types.js';
import { outputTail } from '../transport/output-tail.js';

export interface SwarmNode {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  availability: 'active' | 'pause' | 'drain';
  labels: Record<string, string>;
  /** "ready" | "down" | "unknown" | "disconnected" */
  status: string;
  addr: string;
  leader: boolean;
  /** Managers only: "reachable" | "unreachable" | "unknown". */
  reachability?: string;
  /** The node's dockerd version as the swarm last heard it ("20.10.24+dfsg1"). */
  engineVersion: string;
  /** dockerd's own labels (daemon.json "labels"), not the node labels above. */
  engineLabels: Record<string, string>;
  nanoCpus: number;
  memoryBytes: number;
}

/** Parses `docker node inspect NODE --format '{{json .}}'`. */
export function parseNodeInspect(stdout: string): SwarmNode {
  const node = asObject(parseJsonText(stdout, 'docker node inspect'));
  const spec = asObject(node.Spec);
  const status = asObject(node.Status);
  // A worker has no ManagerStatus (absent, or null in a derived reading).
  const manager = node.ManagerStatus == null ? undefined : asObject(node.ManagerStatus);
  const description = asObject(node.Description);
  const engine = asObject(description.Engine);
  const resources = asObject(description.Resources);
  const stringRecord = (value: unknown): Record<string, string> =>
    Object.fromEntries(Object.entries(asObject(value)).map(([key, entry]) => [key, asString(entry)]));
  const labels = stringRecord(spec.Labels);
  // A manager may report Status.Addr 0.0.0.0 (it listens everywhere); its ManagerStatus.Addr says where others reach it.
  let addr = asString(status.Addr);
  if ((addr === '' || addr === '0.0.0.0') && manager) addr = asString(manager.Addr).replace(/:\d+$/, '');
  return {
    id: asString(node.ID),
    hostname: asString(description.Hostname),
    role: spec.Role === 'manager' ? 'manager' : 'worker',
    availability: (['active', 'pause', 'drain'].includes(asString(spec.Availability)) ? spec.Availability : 'active') as SwarmNode['availability'],
    labels,
    status: asString(status.State),
    addr,
    leader: manager?.Leader === true,
    ...(manager && { reachability: asString(manager.Reachability) }),
    engineVersion: asString(engine.EngineVersion),
    engineLabels: stringRecord(engine.Labels),
    nanoCpus: asNumber(resources.NanoCPUs) ?? 0,
    memoryBytes: asNumber(resources.MemoryBytes) ?? 0,
  };
}

export function nodeInspectCommand(node: string): string {
  return `${quoteArgs(['docker', 'node', 'inspect', node])} --format '{{json .}}'`;
}

/** A node by hostname or ID, or null when the swarm has no such node. Read on a manager. */
export const nodeInspect = defineFact<{ node: string }, SwarmNode | null>({
  name: 'node_inspect',
  scope: 'cluster',
  command: ({ node }) => nodeInspectCommand(node),
  parse(result, { node }, host) {
    if (result.exitCode === 0) return parseNodeInspect(result.stdout);
    if (/no such node|not found/i.test(`${result.stdout}\n${result.stderr}`)) return null;
    throw new FactError(`cannot inspect swarm node ${node} on ${host}: ${outputTail(result)}`);
  },
});

/** One line of `docker node ls`, enough to pick the node a hostname means. */
export interface NodeListEntry {
  id: string;
  hostname: string;
  /** "Ready" | "Down" | "Unknown" */
  status: string;
  /** Managers only: "Leader" | "Reachable" | "Unreachable"; '' for a worker. */
  managerStatus: string;
}

/** Tab-separated: a node that has just joined lists an empty hostname until its agent describes it. */
export const NODE_LIST_COMMAND = "docker node ls --format '{{.ID}}\\t{{.Hostname}}\\t{{.Status}}\\t{{.ManagerStatus}}'";

export function parseNodeList(stdout: string): NodeListEntry[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split('\t').map((field) => field.trim()))
    .filter((fields) => fields.length >= 3 && fields[0] !== '')
    .map(([id, hostname, status, managerStatus]) => ({ id: id!, hostname: hostname!, status: status!, managerStatus: managerStatus ?? '' }));
}

/** Every node of the swarm, read on a manager. */
export const nodeList = defineFact<Record<string, never>, NodeListEntry[]>({
  name: 'node_list',
  scope: 'cluster',
  command: () => NODE_LIST_COMMAND,
  parse(result, _args, host) {
    if (result.exitCode !== 0) throw new FactError(`cannot list the swarm's nodes on ${host}: ${outputTail(result)}`);
    return parseNodeList(result.stdout);
  },
});

export const ALL_NODES_COMMAND = "docker node inspect $(docker node ls -q) --format '{{json .}}'";

/** Every node with its role, availability and labels (one `docker node inspect` of all), read on a manager. */
export const allNodes = defineFact<Record<string, never>, SwarmNode[]>({
  name: 'all_nodes',
  scope: 'cluster',
  command: () => ALL_NODES_COMMAND,
  parse(result, _args, host) {
    if (result.exitCode !== 0) throw new FactError(`cannot inspect the swarm's nodes on ${host}: ${outputTail(result)}`);
    return result.stdout.split('\n').filter((line) => line.trim() !== '').map(parseNodeInspect);
  },
});
