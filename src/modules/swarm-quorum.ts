/**
 * Raft quorum arithmetic for taking a manager away (demote, remove, leave).
 * A swarm of N managers needs floor(N/2)+1 of them reachable to change
 * anything; losing the quorum freezes the whole swarm until someone runs
 * `docker swarm init --force-new-cluster` (playbooks/recover.yaml). docker
 * itself only warns (and `--force` skips even that), so the modules refuse
 * before running anything, and warn when the change leaves an even count:
 * 4 managers tolerate one loss, as 3 do, with one more node to lose.
 */
import type { NodeListEntry } from '../facts/swarm-nodes.js';

const REACHABLE = new Set(['Leader', 'Reachable']);

export interface QuorumJudgement {
  /** Set when taking the node away would cost the quorum: why, and what to do instead. */
  refusal?: string;
  /** Set when the change leaves an even, non-zero number of managers. */
  warning?: string;
}

function majority(count: number): number {
  return Math.floor(count / 2) + 1;
}

/**
 * What taking manager `nodeId` out of the managers' raft group does to the
 * quorum, from `docker node ls` (managerStatus). `what` names the action for
 * the messages ("demoting docker02"). Nothing to say when the node is not a
 * listed manager.
 */
export function judgeManagerLoss(nodes: readonly NodeListEntry[], nodeId: string, what: string): QuorumJudgement {
  const managers = nodes.filter((n) => n.managerStatus !== '');
  const leaving = managers.find((n) => n.id === nodeId);
  if (!leaving) return {};
  const reachable = managers.filter((n) => REACHABLE.has(n.managerStatus));
  const unreachable = managers.filter((n) => !REACHABLE.has(n.managerStatus)).map((n) => n.hostname);
  const remaining = managers.length - 1;
  if (remaining === 0) return {};
  const reachableAfter = reachable.length - (REACHABLE.has(leaving.managerStatus) ? 1 : 0);
  if (reachableAfter < majority(remaining)) {
    return {
      refusal: `${what} would leave ${reachableAfter} reachable of ${remaining} managers, below the quorum of ${majority(remaining)}, and the swarm could no longer be changed` +
        `${unreachable.length ? ` (unreachable now: ${unreachable.join(', ')})` : ''}: bring the unreachable managers back, or promote another node first; nothing was changed`,
    };
  }
  if (remaining % 2 === 0) {
    return {
      warning: `${what} leaves ${remaining} managers, an even number: they survive the loss of ${remaining - majority(remaining)}, no more than ${remaining - 1} would; prefer an odd number of managers`,
    };
  }
  return {};
}
