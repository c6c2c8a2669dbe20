/**
 * `swarm_member_settled`: a swarm member that reads "pending" with a node ID
 * (reconnecting after a daemon restart; several managers restarting together
 * have no raft quorum for a few seconds) has reached its managers again, or
 * is no longer pending at all. swarm_init and swarm_join wait on it, then
 * plan again with fresh facts. Never a reason to make the node leave: it
 * holds swarm state that a leave would throw away.
 */
import { z } from 'zod';
import { defineCondition } from './types.js';
import { dockerInfo, isReconnectingMember, type SwarmInfo } from '../../facts/docker-info.js';

const SWARM_PORT = 2377;

export const swarmMemberSettled = defineCondition({
  name: 'swarm_member_settled',
  schema: z.object({
    /** Add how to drop the membership on purpose (swarm_join says it; swarm_init does not). */
    leaveHint: z.boolean().default(false),
  }).strict(),
  start(args) {
    let host = '';
    let last: SwarmInfo | undefined;
    return {
      async poll(probeHost) {
        host = probeHost.host;
        const answer = await probeHost.probe(dockerInfo.command({}));
        let swarm: SwarmInfo;
        try {
          ({ swarm } = dockerInfo.parse(answer, {}, probeHost.host));
        } catch (error) {
          // The daemon may still be starting: keep waiting, and say so.
          return { state: 'waiting', progress: error instanceof Error ? error.message : String(error) };
        }
        last = swarm;
        if (!isReconnectingMember(swarm)) return { state: 'done', result: { state: swarm.state } };
        return { state: 'waiting', progress: `pending, managers ${managers(swarm)}${swarm.error ? ` (${swarm.error})` : ''}` };
      },
      timeoutMessage(timeoutMs, lastProgress) {
        const seconds = Math.round(timeoutMs / 1000);
        if (!last) return `${host}: docker did not answer within ${seconds} s (${lastProgress}); is docker running?`;
        return `${host} is a member of a swarm (node ${last.nodeId}) that has not reached its managers (${managers(last)}) within ${seconds} s` +
          `${last.error ? ` (${last.error})` : ''}; ${host} was not changed: check that docker runs on those managers and that port ${SWARM_PORT}/tcp is open between the nodes, then run again` +
          (args.leaveHint ? ' (to drop that membership on purpose: swarm_leave with force: true)' : '');
      },
    };
  },
});

function managers(swarm: SwarmInfo): string {
  return swarm.remoteManagers.map((m) => m.addr).join(', ') || 'unknown managers';
}
