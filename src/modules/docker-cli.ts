/**
 * Reading a host's Docker state through the docker CLI, shared by the swarm,
 * registry, image and daemon modules: the read-only probes (`docker info`,
 * `docker container inspect`, `docker image inspect`) and parsers for their
 * JSON. Swarm nodes are fact readers in src/facts/swarm-nodes.ts. The JSON shapes are Docker Engine API objects;
 * test/fixtures/docker holds real outputs of dockerd 20.10 they were checked on.
 *
 * Why the CLI and not the Engine API socket: the transport only runs shell
 * commands, and the CLI's `--format '{{json .}}'` gives the API objects as is.
 */
import { asObject, asString, parseJsonText, type Json } from '../facts/docker-json.js';
import type { ModuleContext } from './types.js';
import type { RunResult } from '../transport/types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
export { DOCKER_INFO_COMMAND, parseDockerInfo, isReconnectingMember, type DockerInfo, type SwarmInfo, type RemoteManager } from '../facts/docker-info.js';
export { tcpConnectProbe } from '../facts/tcp-connect.js';

/** The last lines of a failed command's output, for a message. */
export function commandOutputTail(result: RunResult, lines = 3): string {
  return (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-lines).join('\n').trim();
}

function parseJson(stdout: string, what: string): Json {
  return asObject(parseJsonText(stdout, what));
}

export interface ContainerState {
  id: string;
  image: string;
  running: boolean;
  status: string;
  restartPolicy: string;
  /** Container port ("5000/tcp") -> host ports. */
  ports: Record<string, string[]>;
  /** Host path -> container path, for bind mounts. */
  binds: Record<string, string>;
}

export function containerInspectCommand(name: string): string {
  return `${quoteArgs(['docker', 'container', 'inspect', name])} --format '{{json .}}'`;
}

export function parseContainerInspect(stdout: string): ContainerState {
  const container = parseJson(stdout, 'docker container inspect');
  const state = asObject(container.State);
  const hostConfig = asObject(container.HostConfig);
  const ports: Record<string, string[]> = {};
  for (const [port, bindings] of Object.entries(asObject(hostConfig.PortBindings))) {
    ports[port] = (Array.isArray(bindings) ? bindings : []).map((b) => asString(asObject(b).HostPort));
  }
  const binds: Record<string, string> = {};
  for (const mount of Array.isArray(container.Mounts) ? container.Mounts : []) {
    const m = asObject(mount);
    if (m.Type === 'bind') binds[asString(m.Source)] = asString(m.Destination);
  }
  return {
    id: asString(container.Id),
    image: asString(asObject(container.Config).Image),
    running: state.Running === true,
    status: asString(state.Status),
    restartPolicy: asString(asObject(hostConfig.RestartPolicy).Name),
    ports,
    binds,
  };
}

/** A container by name, or null when there is none. */
export async function inspectContainer(ctx: ModuleContext, name: string): Promise<ContainerState | null> {
  const result = await ctx.probe(containerInspectCommand(name));
  if (result.exitCode !== 0) {
    if (/no such (container|object)/i.test(`${result.stdout}\n${result.stderr}`)) return null;
    throw new Error(`cannot inspect container ${name} on ${ctx.host}: ${commandOutputTail(result)}`);
  }
  return parseContainerInspect(result.stdout);
}

export interface LocalImage {
  id: string;
  repoTags: string[];
  /** "repo@sha256:..." for each registry the image was pushed to or pulled from. */
  repoDigests: string[];
  labels: Record<string, string>;
}

export function imageInspectCommand(reference: string): string {
  return `${quoteArgs(['docker', 'image', 'inspect', reference])} --format '{{json .}}'`;
}

export function parseImageInspect(stdout: string): LocalImage {
  const image = parseJson(stdout, 'docker image inspect');
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(asObject(asObject(image.Config).Labels))) labels[key] = asString(value);
  const strings = (value: unknown) => (Array.isArray(value) ? value.map(asString) : []);
  return { id: asString(image.Id), repoTags: strings(image.RepoTags), repoDigests: strings(image.RepoDigests), labels };
}

/** An image by reference, or null when the host does not have it. */
export async function inspectImage(ctx: ModuleContext, reference: string): Promise<LocalImage | null> {
  const result = await ctx.probe(imageInspectCommand(reference));
  if (result.exitCode !== 0) {
    if (/no such (image|object)/i.test(`${result.stdout}\n${result.stderr}`)) return null;
    throw new Error(`cannot inspect image ${reference} on ${ctx.host}: ${commandOutputTail(result)}`);
  }
  return parseImageInspect(result.stdout);
}

/**
 * An HTTP/1.0 request over bash's /dev/tcp; prints the response head (status
 * line and headers). Exit 127 when bash or timeout is missing.
 */
export function httpHeadProbe(host: string, port: number, requestPath: string, headers: string[] = [], seconds = 5): string {
  const script =
    'exec 3<>"/dev/tcp/$1/$2" || exit 1\n' +
    'printf "HEAD %s HTTP/1.0\\r\\nHost: %s:%s\\r\\n" "$3" "$1" "$2" >&3\n' +
    'shift 3\nfor header in "$@"; do printf "%s\\r\\n" "$header" >&3; done\n' +
    'printf "\\r\\n" >&3\n' +
    'while IFS= read -r line <&3; do line=${line%$\'\\r\'}; [ -z "$line" ] && break; printf "%s\\n" "$line"; done';
  return `command -v bash >/dev/null && command -v timeout >/dev/null || exit 127\ntimeout ${seconds} bash -c ${quote(script)} probe ${quoteArgs([host, String(port), requestPath, ...headers])}`;
}

/** The status code of an HTTP response head, or undefined. */
export function httpStatus(head: string): number | undefined {
  const match = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head.trim());
  return match ? Number(match[1]) : undefined;
}

/** A header's value from an HTTP response head (case-insensitive name). */
export function httpHeader(head: string, name: string): string | undefined {
  for (const line of head.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name.toLowerCase()) return line.slice(colon + 1).trim();
  }
  return undefined;
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
