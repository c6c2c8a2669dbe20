/**
 * Reading the swarm from a manager of the inventory, for the commands that
 * show it (`swarmplay status`, `swarmplay ui`): which managers to ask, in
 * which order, and one snapshot through an open connection.
 */
import { SwarmplayError } from '../errors.js';
import type { Inventory } from '../language/inventory.js';
import { clusterSnapshot, ClusterUnreadable, type ClusterSnapshot, type ClusterSnapshotArgs } from '../facts/cluster-snapshot.js';
import type { Connection } from '../transport/types.js';

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
