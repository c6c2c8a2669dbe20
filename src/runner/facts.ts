/**
 * Host facts: gathered in one round trip per host, cached for the run,
 * refreshed after a change on that host. The docker part is the output of
 * `docker info --format '{{json .}}'`, read by the one parser of it
 * (src/facts/docker-info.ts) that the `docker_info` fact uses too.
 */

import type { Connection } from '../transport/types.js';
import { SwarmplayError } from '../errors.js';
import type { DockerFacts, HostFacts, InterfaceAddress } from '../facts/host-facts.js';
import { factKey, type FactReader } from '../facts/types.js';
import { DOCKER_INFO_COMMAND, dockerInfo, parseDockerInfo, type DockerInfo } from '../facts/docker-info.js';
import { ANSIBLE_FACT_SECTIONS, parseAnsibleFacts } from '../facts/ansible-facts.js';

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
  `echo ${SECTION}docker-info; command -v docker >/dev/null 2>&1 && ${DOCKER_INFO_COMMAND} 2>/dev/null`,
  ...ANSIBLE_FACT_SECTIONS.map(([name, command]) => `echo ${SECTION}${name}; ${command}`),
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
  const ansible = parseAnsibleFacts(sections, osRelease, (sections.get('hostname') ?? '').trim());
  const facts: HostFacts = {
    hostname: (sections.get('hostname') ?? '').trim(),
    os: {
      id: osRelease.ID ?? '',
      versionId: osRelease.VERSION_ID ?? '',
      prettyName: osRelease.PRETTY_NAME ?? '',
      kernel: (sections.get('kernel') ?? '').trim(),
      arch: (sections.get('arch') ?? '').trim(),
    },
    // The modules read these three; Ansible's facts (one parser, ansible-facts.ts) give them, as ansible_* shows them.
    osFamily: String(ansible.os_family),
    pkgMgr: String(ansible.pkg_mgr),
    serviceMgr: String(ansible.service_mgr),
    interfaces,
    ...(defaultIpv4 ? { defaultIpv4 } : {}),
    docker: parseDocker(sections.get('docker-binaries') ?? '', sections.get('docker-info') ?? ''),
    ansible,
  };
  const info = readDockerInfo(sections.get('docker-info') ?? '');
  if (facts.docker.daemonRunning && info) gatheredDockerInfo.set(facts, info);
  return facts;
}

/**
 * The whole `docker info` the gathering read, for hosts whose daemon
 * answered: the fact cache keeps it as the host's docker_info reading, so
 * the modules that read docker_info next (docker_daemon, swarm_init,
 * swarm_join, swarm_node...) cost no second `docker info` round trip.
 */
const gatheredDockerInfo = new WeakMap<HostFacts, DockerInfo>();

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
 * reader sees the new state. A host is connected to only when a reading is
 * not cached: asking again without a change costs no round trip.
 */
export class FactCache {
  private readonly readings = new Map<string, Map<string, Promise<unknown>>>();
  /** Keys of readings any host's change can alter (FactReader scope cluster). */
  private readonly clusterKeys = new Set<string>();

  constructor(
    private readonly connect: (host: string) => Promise<Connection>,
    private readonly gather: (conn: Connection) => Promise<HostFacts> = gatherFacts,
  ) {}

  /** The host facts (ansible_*), gathered in one round trip. */
  get(host: string): Promise<HostFacts> {
    return this.remember(host, HOST_FACTS_KEY, async () => {
      const facts = await this.gather(await this.connect(host));
      const info = gatheredDockerInfo.get(facts);
      // Read in the same round trip, so as fresh as the facts: a change drops both.
      if (info) this.remember(host, factKey(dockerInfo.name, {}), async () => info);
      return facts;
    });
  }

  /** One named fact of the host, read with its own command and parser. */
  read<Args, Value>(host: string, reader: FactReader<Args, Value>, args: Args): Promise<Value> {
    const key = factKey(reader.name, args);
    if (reader.scope === 'cluster') this.clusterKeys.add(key);
    return this.remember(host, key, async () => {
      const conn = await this.connect(host);
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
    // A change on one host (a join) alters what the others read of the cluster.
    for (const readings of this.readings.values()) for (const key of this.clusterKeys) readings.delete(key);
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

/**
 * What docker says of itself, from the docker-binaries section (is it
 * installed) and the `docker info` JSON (is its daemon up, and in what swarm).
 */
function parseDocker(binaries: string, infoText: string): DockerFacts {
  const installed = binaries.split('\n').some((line) => line.trim() !== '');
  if (!installed) return { installed: false };
  const info = readDockerInfo(infoText);
  // No server version: the daemon is down (a newer client still prints JSON, with ServerErrors).
  if (!info || !info.serverVersion) return { installed: true, daemonRunning: false };
  const { swarm } = info;
  return {
    installed: true,
    daemonRunning: true,
    version: info.serverVersion,
    swarmState: swarm.state,
    ...(swarm.nodeId && { nodeId: swarm.nodeId }),
    isManager: swarm.isManager,
    ...(swarm.clusterId && { clusterId: swarm.clusterId }),
    insecureRegistries: [...new Set(info.insecureRegistries)].sort(),
  };
}

function readDockerInfo(text: string): DockerInfo | undefined {
  const line = text.split('\n').find((l) => l.trim().startsWith('{'));
  if (!line) return undefined;
  try {
    return parseDockerInfo(line);
  } catch {
    return undefined; // cut short or an old client: docker is installed, nothing more is known
  }
}
