/**
 * Reading the swarm from a manager of the inventory, for the commands that
 * show it (`swarmplay status`, `swarmplay ui`): which managers to ask, in
 * which order, one snapshot through an open connection, and each node's
 * certificate expiry read on the node itself.
 */
import { SwarmplayError } from '../errors.js';
import type { Inventory } from '../language/inventory.js';
import { clusterSnapshot, ClusterUnreadable, type ClusterSnapshot, type ClusterSnapshotArgs } from '../facts/cluster-snapshot.js';
import { FactError } from '../facts/types.js';
import { swarmNodeCertificate } from '../facts/swarm-node-certificate.js';
import type { Connection } from '../transport/types.js';
import type { HostConnections } from './host-connections.js';

/** The hosts of group managers in inventory order, or the one --manager named. */
export function managerCandidates(inventory: Inventory, inventoryPath: string, requested?: string): string[] {
  if (requested) {
    if (!inventory.hasHost(requested)) throw new SwarmplayError('BAD_OPTION', `--manager ${requested}: no such host in ${inventoryPath}`);
    return [requested];
  }
  const managers = inventory.hasGroup('managers') ? inventory.groupHosts('managers') : [];
  if (managers.length === 0) {
    throw new SwarmplayError('BAD_INVENTORY', `${inventoryPath} has no host in the group managers`, {
      hint: 'the swarm is read from a host of group managers; or pass --manager NAME',
    });
  }
  return managers;
}

/** The first candidate: the manager `swarmplay status` asks. */
export function pickManager(inventory: Inventory, inventoryPath: string, requested?: string): string {
  return managerCandidates(inventory, inventoryPath, requested)[0]!;
}

/** One snapshot through an open connection; SwarmplayError COMMAND_FAILED (with what to do) when the manager cannot answer. */
export async function readClusterSnapshot(conn: Connection, manager: string, args: ClusterSnapshotArgs = {}): Promise<ClusterSnapshot> {
  const result = await conn.run(clusterSnapshot.command(args), { timeoutMs: 60_000 });
  try {
    return clusterSnapshot.parse(result, args, manager);
  } catch (error) {
    if (!(error instanceof ClusterUnreadable)) throw error;
    throw new SwarmplayError('COMMAND_FAILED', error.message, {
      cause: error,
      hint: error.notAManager
        ? `${manager} is not a swarm manager: put a manager first in the group managers, or pass --manager NAME`
        : error.quorumLost
          ? 'the managers lost their quorum: bring enough managers back (or docker swarm init --force-new-cluster on one)'
          : 'is docker running there, and the swarm initialised (playbooks/bootstrap.yaml)?',
    });
  }
}

/** The inventory host that is this swarm node: same name, or its ansible_host is the node's address. */
export function inventoryHostOfNode(inventory: Inventory, hostname: string, addr: string): string | undefined {
  const hosts = inventory.hostNames();
  if (hosts.includes(hostname)) return hostname;
  return hosts.find((host) => inventory.hostVars(host).ansible_host === addr);
}

const FAILED_READING_MS = 10_000;

/** Per node hostname: its certificate's notAfter (ISO), or null when unknown (host unreachable, not in the inventory, no file). */
export type NodeCertificateExpiry = Record<string, string | null>;

/**
 * Each node's certificate expiry, one small read per host over its connection,
 * all hosts at once. A reading is kept for `maxAgeMs` (swarm renews a
 * certificate in days, not seconds), so `status --watch` and the web page's
 * frequent re-reads do not ask every host each time.
 */
export class NodeCertificateReader {
  private readonly readings = new Map<string, { at: number; expires: string | null }>();

  constructor(
    private readonly inventory: Inventory,
    private readonly connections: HostConnections,
    private readonly maxAgeMs = 60_000,
  ) {}

  async read(nodes: readonly { hostname: string; addr: string }[]): Promise<NodeCertificateExpiry> {
    const entries = await Promise.all(nodes.map(async (node) => [node.hostname, await this.readOne(node.hostname, node.addr)] as const));
    return Object.fromEntries(entries);
  }

  /** What is known without asking: the last readings, however old; nodes never read are left out. */
  known(nodes: readonly { hostname: string }[]): NodeCertificateExpiry {
    return Object.fromEntries(nodes.flatMap((node) => {
      const kept = this.readings.get(node.hostname);
      return kept ? [[node.hostname, kept.expires]] : [];
    }));
  }

  private async readOne(hostname: string, addr: string): Promise<string | null> {
    const kept = this.readings.get(hostname);
    // A failed reading is asked again sooner, but not at every re-read (a host gone would hold each one up).
    if (kept && Date.now() - kept.at < (kept.expires ? this.maxAgeMs : Math.min(this.maxAgeMs, FAILED_READING_MS))) return kept.expires;
    const host = inventoryHostOfNode(this.inventory, hostname, addr);
    let expires: string | null = null;
    if (host) {
      try {
        const conn = await this.connections.get(host);
        const certificate = swarmNodeCertificate.parse(await conn.run(swarmNodeCertificate.command({}), { timeoutMs: 10_000 }), {}, host);
        expires = certificate ? certificate.expires.toISOString() : null;
      } catch (error) {
        // Unreachable or unreadable: shown as unknown.
        if (!(error instanceof FactError)) await this.connections.drop(host);
      }
    }
    this.readings.set(hostname, { at: Date.now(), expires });
    return expires;
  }
}
