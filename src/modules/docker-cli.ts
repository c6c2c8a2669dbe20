/**
 * Reading a host's Docker state through the docker CLI, shared by the swarm,
 * registry, image and daemon modules: the read-only probes (`docker node
 * inspect`) and parsers for their output, and address helpers. Container and
 * image inspect, TCP and HTTP tests are fact readers in src/facts/. The JSON shapes
 * are Docker Engine API objects; test/fixtures/docker holds real outputs of
 * dockerd 20.10 they were checked on.
 *
 * Why the CLI and not the Engine API socket: the transport only runs shell
 * commands, and the CLI's `--format '{{json .}}'` gives the API objects as is.
 */
import { asObject, asString, parseJsonText, type Json } from '../facts/docker-json.js';
import type { ModuleContext } from './types.js';
import type { RunResult } from '../transport/types.js';
import { quoteArgs } from '../transport/shell-quote.js';
export { DOCKER_INFO_COMMAND, parseDockerInfo, isReconnectingMember, type DockerInfo, type SwarmInfo, type RemoteManager } from '../facts/docker-info.js';

/** The last lines of a failed command's output, for a message. */
export function commandOutputTail(result: RunResult, lines = 3): string {
  return (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-lines).join('\n').trim();
}

function parseJson(stdout: string, what: string): Json {
  return asObject(parseJsonText(stdout, what));
}

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
}

/** Parses `docker node inspect NODE --format '{{json .}}'`. */
export function parseNodeInspect(stdout: string): SwarmNode {
  const node = parseJson(stdout, 'docker node inspect');
  const spec = asObject(node.Spec);
  const status = asObject(node.Status);
  const manager = node.ManagerStatus === undefined ? undefined : asObject(node.ManagerStatus);
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(asObject(spec.Labels))) labels[key] = asString(value);
  return {
    id: asString(node.ID),
    hostname: asString(asObject(node.Description).Hostname),
    role: spec.Role === 'manager' ? 'manager' : 'worker',
    availability: (['active', 'pause', 'drain'].includes(asString(spec.Availability)) ? spec.Availability : 'active') as SwarmNode['availability'],
    labels,
    status: asString(status.State),
    addr: asString(status.Addr),
    leader: manager?.Leader === true,
    ...(manager && { reachability: asString(manager.Reachability) }),
  };
}

/** One line of `docker node ls`, enough to pick the node a hostname means. */
export interface NodeListEntry {
  id: string;
  hostname: string;
  /** "Ready" | "Down" | "Unknown" */
  status: string;
}

export const NODE_LIST_COMMAND = "docker node ls --format '{{.ID}} {{.Hostname}} {{.Status}}'";

export function parseNodeList(stdout: string): NodeListEntry[] {
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((words) => words.length >= 3)
    .map(([id, hostname, status]) => ({ id: id!, hostname: hostname!, status: status! }));
}

export function nodeInspectCommand(node: string): string {
  return `${quoteArgs(['docker', 'node', 'inspect', node])} --format '{{json .}}'`;
}

/** A node by ID, or null when the swarm has no such node. */
export async function inspectNode(ctx: ModuleContext, node: string): Promise<SwarmNode | null> {
  const result = await ctx.probe(nodeInspectCommand(node));
  if (result.exitCode !== 0) {
    if (/no such node|not found/i.test(`${result.stdout}\n${result.stderr}`)) return null;
    throw new Error(`cannot inspect swarm node ${node} on ${ctx.host}: ${commandOutputTail(result)}`);
  }
  return parseNodeInspect(result.stdout);
}

/** Whether a string is an IPv4 or IPv6 literal. */
export function isIpAddress(value: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(value)) return value.split('.').every((part) => Number(part) <= 255);
  return /^[0-9a-fA-F:]+$/.test(value) && value.includes(':') && value.split(':').length <= 8;
}

/** "10.0.0.1" -> "10.0.0.1:2377"; keeps a port that is there; brackets IPv6. */
export function withDefaultPort(address: string, port: number): string {
  if (/^\[.*\]:\d+$/.test(address)) return address;
  if (isIpAddress(address) && address.includes(':')) return `[${address}]:${port}`;
  return /:\d+$/.test(address) ? address : `${address}:${port}`;
}

/** "10.0.0.1:2377" -> "10.0.0.1"; "[::1]:2377" -> "::1". */
export function hostOfAddress(address: string): string {
  const bracketed = /^\[(.*)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  if (isIpAddress(address)) return address;
  return address.replace(/:\d+$/, '');
}

/** "10.0.0.1:2377" -> 2377, or the default. */
export function portOfAddress(address: string, defaultPort: number): number {
  if (isIpAddress(address)) return defaultPort;
  const match = /:(\d+)$/.exec(address);
  return match ? Number(match[1]) : defaultPort;
}
