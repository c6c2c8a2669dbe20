/**
 * Reading a host's Docker state through the docker CLI, shared by the swarm,
 * registry, image and daemon modules: address helpers and the tail of a
 * failed command's output. The docker readers themselves (docker info,
 * node, container and image inspect, TCP and HTTP tests) are fact readers
 * in src/facts/.
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
