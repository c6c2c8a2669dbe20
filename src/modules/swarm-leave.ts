/**
 * `swarm_leave`: the host leaves its swarm, as the walkthrough's `docker swarm
 * leave` (and `docker swarm leave -f` on the last manager). Ok when the host
 * is in no swarm. A manager only leaves with `force: true`: docker refuses
 * otherwise, and the message here says why before anything runs. A node left
 * "pending" by a join that never completed is cleaned up the same way.
 * The node's entry on the managers stays (as Down) until swarm_node
 * `state: absent` removes it, as the walkthrough's `docker node rm`.
 *
 * A manager's leave, forced or not, is refused when the remaining managers
 * would lose the raft quorum (docker's `--force` skips its own check), and
 * warned about when it leaves an even count (swarm-quorum.ts). The last
 * manager's leave ends the swarm and is allowed with force; so is a leave
 * when the swarm has no quorum left to lose (its managers cannot be listed).
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import { dockerInfo } from '../facts/docker-info.js';
import { nodeList } from '../facts/swarm-nodes.js';
import { FactError } from '../facts/types.js';
import { judgeManagerLoss } from './swarm-quorum.js';

const swarmLeaveArgs = z.object({ force: booleanArg.default(false) }).strict();

export type SwarmLeaveArgs = z.infer<typeof swarmLeaveArgs>;

export const swarmLeave = defineModule({
  name: 'swarm_leave',
  schema: swarmLeaveArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const { swarm } = await ctx.fact(dockerInfo, {});
    if (swarm.state === 'inactive') return { steps: [], msg: `${ctx.host} is in no swarm` };
    if (swarm.state === 'active' && swarm.isManager && !args.force) {
      return {
        steps: [],
        failed: `${ctx.host} is a swarm manager: demote it first (swarm_node role: worker, from another manager), or pass force: true (the last manager's leave ends the swarm)`,
      };
    }
    const warnings: string[] = [];
    if (swarm.state === 'active' && swarm.isManager) {
      let nodes;
      try {
        nodes = await ctx.fact(nodeList, {});
      } catch (error) {
        if (!(error instanceof FactError)) throw error;
        warnings.push(`cannot list the managers on ${ctx.host} to check the quorum (${error.message}); leaving anyway, as forced`);
      }
      if (nodes) {
        const quorum = judgeManagerLoss(nodes, swarm.nodeId, `${ctx.host} leaving the swarm`);
        if (quorum.refusal) return { steps: [], failed: quorum.refusal };
        if (quorum.warning) warnings.push(quorum.warning);
      }
    }
    const force = args.force || swarm.state !== 'active';
    return {
      steps: [{
        kind: 'command',
        description: `docker swarm leave${force ? ' --force' : ''}`,
        command: quoteArgs(['docker', 'swarm', 'leave', ...(force ? ['--force'] : [])]),
        timeoutMs: 60_000,
      }],
      result: { node_id: swarm.nodeId, was_manager: swarm.isManager },
      ...(warnings.length && { warnings }),
    };
  },
});
