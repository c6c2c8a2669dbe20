/**
 * Host facts: gathered in one round trip per host, cached for the run,
 * refreshed after a change on that host. (Types here; the reader is filled
 * in by the facts implementation below the types.)
 */

import type { Connection } from '../transport/types.js';
import { SwarmplayError } from '../errors.js';
import type { DockerFacts, HostFacts, InterfaceAddress } from '../facts/host-facts.js';
import { factKey, type FactReader } from '../facts/types.js';

// ---------------------------------------------------------------------------
// The gatherer: one remote command prints every section, tolerant of missing
// tools (no `ip`, no docker, docker installed but its daemon down); the
// parsing happens here, in a pure function tested on fixture outputs.


const SECTION = '::swarmplay-facts::';

/** The one command that prints all facts, each section headed by `::swarmplay-facts::NAME`. */
export const FACTS_COMMAND = [
  `echo ${SECTION}hostname; uname -n`,
  `echo ${SECTION}os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null`,
  `echo ${SECTION}kernel; uname -r`,
  `echo ${SECTION}arch; uname -m`,
  `echo ${SECTION}addresses; ip -o -4 addr show 2>/dev/null`,
  `echo ${SECTION}default-route; ip -4 route show default 2>/dev/null`,
  `echo ${SECTION}docker-binaries; command -v dockerd 2>/dev/null; command -v docker 2>/dev/null`,
  // One `docker info` gives the server version, swarm state and registry settings; it fails when the daemon is down.
  `echo ${SECTION}docker-info; command -v docker >/dev/null 2>&1 && ` +
    `docker info --format '{"server":{{json .ServerVersion}},"swarm":{{json .Swarm}},"registry":{{json .RegistryConfig}}}' 2>/dev/null`,
  `echo ${SECTION}end`,
  'exit 0',
].join('\n');

/** Parses what FACTS_COMMAND printed. Pure: missing sections give empty or absent facts, never an exception. */
export function parseFacts(output: string): HostFacts {
  const sections = splitSections(output);
  const osRelease = parseOsRelease(sections.get('os-release') ?? '');
  const interfaces = parseAddresses(sections.get('addresses') ?? '');
  const defaultDevice = /\bdev\s+(\S+)/.exec(sections.get('default-route') ?? '')?.[1];
  const defaultSource = /\bsrc\s+(\S+)/.exec(sections.get('default-route') ?? '')?.[1];
  const defaultIpv4 = defaultSource ?? interfaces.find((i) => i.name === defaultDevice)?.ipv4[0];
  return {
    hostname: (sections.get('hostname') ?? '').trim(),
    os: {
      id: osRelease.ID ?? '',
      versionId: osRelease.VERSION_ID ?? '',
      prettyName: osRelease.PRETTY_NAME ?? '',
      kernel: (sections.get('kernel') ?? '').trim(),
      arch: (sections.get('arch') ?? '').trim(),
    },
    interfaces,
    ...(defaultIpv4 ? { defaultIpv4 } : {}),
    docker: parseDocker(sections.get('docker-binaries') ?? '', sections.get('docker-info') ?? ''),
  };
}

/** Reads all facts of a host in one round trip. */
export async function gatherFacts(conn: Connection): Promise<HostFacts> {
  const result = await conn.run(FACTS_COMMAND, { displayCommand: 'gather facts' });
  if (!result.stdout.includes(`${SECTION}end`)) {
    throw new SwarmplayError('COMMAND_FAILED',
      `${conn.host}: gathering facts failed (exit ${result.exitCode}): ${result.stderr.trim() || 'incomplete output'}`);
  }
  return parseFacts(result.stdout);
}

/**
 * Facts per host for the run: each reading (host facts, and every named fact
 * with its arguments) is read once, shared by concurrent readers, and all of
 * a host's readings are dropped after a change on that host, so the next
 * reader sees the new state.
 */
export class FactCache {
  private readonly readings = new Map<string, Map<string, Promise<unknown>>>();

  constructor(private readonly gather: (conn: Connection) => Promise<HostFacts> = gatherFacts) {}

  /** The host facts (ansible_*), gathered in one round trip. */
  get(host: string, conn: Connection): Promise<HostFacts> {
    return this.remember(host, HOST_FACTS_KEY, () => this.gather(conn));
  }

  /** One named fact of the host, read with its own command and parser. */
  read<Args, Value>(host: string, conn: Connection, reader: FactReader<Args, Value>, args: Args): Promise<Value> {
    return this.remember(host, factKey(reader.name, args), async () => {
      const result = await conn.run(reader.command(args), { displayCommand: `read ${reader.name}` });
      return reader.parse(result, args, host);
    });
  }

  /** Whether the host's facts are cached now (a reader after a change would read them again). */
  hasHostFacts(host: string): boolean {
    return this.readings.get(host)?.has(HOST_FACTS_KEY) ?? false;
  }

  invalidate(host: string): void {
    this.readings.delete(host);
  }

  private remember<Value>(host: string, key: string, read: () => Promise<Value>): Promise<Value> {
    let hostReadings = this.readings.get(host);
    if (!hostReadings) this.readings.set(host, (hostReadings = new Map()));
    const cached = hostReadings.get(key);
    if (cached) return cached as Promise<Value>;
    const reading = read();
    hostReadings.set(key, reading);
    // A failed reading is not kept: the next reader tries again.
    reading.catch(() => {
      if (this.readings.get(host)?.get(key) === reading) this.readings.get(host)?.delete(key);
    });
    return reading;
  }
}

/** Host facts' key among a host's readings (a name no fact reader can have). */
const HOST_FACTS_KEY = '(host facts)';

function splitSections(output: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  for (const line of output.split('\n')) {
    if (line.startsWith(SECTION)) {
      if (current !== undefined) sections.set(current, lines.join('\n'));
      current = line.slice(SECTION.length).trim();
      lines = [];
    } else if (current !== undefined) {
      lines.push(line);
    }
  }
  if (current !== undefined) sections.set(current, lines.join('\n'));
  return sections;
}

function parseOsRelease(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2]!;
    if (/^".*"$/.test(value)) value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    else if (/^'.*'$/.test(value)) value = value.slice(1, -1);
    values[match[1]!] = value;
  }
  return values;
}

/** `ip -o -4 addr show` lines: "2: eth0    inet 10.0.0.5/24 brd ... scope global eth0\ ...". */
function parseAddresses(text: string): InterfaceAddress[] {
  const byName = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^\d+:\s+(\S+?)(?:@\S+)?\s+inet\s+([0-9.]+)\/\d+/.exec(line.trim());
    if (!match) continue;
    const list = byName.get(match[1]!) ?? [];
    list.push(match[2]!);
    byName.set(match[1]!, list);
  }
  return [...byName].map(([name, ipv4]) => ({ name, ipv4 }));
}

interface DockerInfoJson {
  server?: string;
  swarm?: {
    NodeID?: string;
    LocalNodeState?: string;
    ControlAvailable?: boolean;
    Cluster?: { ID?: string } | null;
  } | null;
  registry?: {
    InsecureRegistryCIDRs?: string[] | null;
    IndexConfigs?: Record<string, { Name?: string; Secure?: boolean }> | null;
  } | null;
}

/** 127.0.0.0/8 is insecure in every dockerd; listing it would say nothing about the host's configuration. */
const IMPLICIT_INSECURE = '127.0.0.0/8';

function parseDocker(binaries: string, infoText: string): DockerFacts {
  const installed = binaries.split('\n').some((line) => line.trim() !== '');
  if (!installed) return { installed: false };
  let info: DockerInfoJson | undefined;
  try {
    const line = infoText.split('\n').find((l) => l.trim().startsWith('{'));
    info = line ? (JSON.parse(line) as DockerInfoJson) : undefined;
  } catch {
    info = undefined; // daemon down or an old client: docker is installed, nothing more is known
  }
  if (!info || !info.server) return { installed: true, daemonRunning: false };
  const facts: DockerFacts = { installed: true, daemonRunning: true, version: info.server };
  const swarm = info.swarm ?? undefined;
  if (swarm) {
    facts.swarmState = swarm.LocalNodeState || 'inactive';
    if (swarm.NodeID) facts.nodeId = swarm.NodeID;
    facts.isManager = swarm.ControlAvailable === true;
    if (swarm.Cluster?.ID) facts.clusterId = swarm.Cluster.ID;
  }
  const registry = info.registry ?? undefined;
  if (registry) {
    const insecure = new Set<string>();
    for (const cidr of registry.InsecureRegistryCIDRs ?? []) if (cidr !== IMPLICIT_INSECURE) insecure.add(cidr);
    for (const [name, config] of Object.entries(registry.IndexConfigs ?? {})) {
      if (config.Secure === false) insecure.add(config.Name ?? name);
    }
    facts.insecureRegistries = [...insecure].sort();
  }
  return facts;
}
