/**
 * `swarm_leave`: the host leaves its swarm, as the walkthrough's `docker swarm
 * leave` (and `docker swarm leave -f` on the last manager). Ok when the host
 * is in no swarm. A manager only leaves with `force: true`: docker refuses
 * otherwise, and the message here says why before anything runs. A node left
 * "pending" by a join that never completed is cleaned up the same way.
 * The node's entry on the managers stays (as Down) until swarm_node
 * `state: absent` removes it, as the walkthrough's `docker node rm`.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import { dockerInfo } from '../facts/docker-info.js';

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
    const force = args.force || swarm.state !== 'active';
    return {
      steps: [{
        kind: 'command',
        description: `docker swarm leave${force ? ' --force' : ''}`,
        command: quoteArgs(['docker', 'swarm', 'leave', ...(force ? ['--force'] : [])]),
        timeoutMs: 60_000,
      }],
      result: { node_id: swarm.nodeId, was_manager: swarm.isManager },
    };
  },
});
