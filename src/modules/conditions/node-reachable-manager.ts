/**
 * `node_reachable_manager`: a promoted node has joined the managers' raft
 * group (its manager status reads "reachable"). `docker node promote`
 * returns before that; until then the swarm has not really gained a manager,
 * and losing another one could cost the quorum. Read on a manager.
 */
import { z } from 'zod';
import { defineCondition } from './types.js';
import { nodeInspect } from '../../facts/swarm-nodes.js';

export const nodeReachableManager = defineCondition({
  name: 'node_reachable_manager',
  schema: z.object({ node_id: z.string().min(1) }).strict(),
  start(args) {
    let hostname = args.node_id;
    let reachability = '';
    return {
      async poll(host) {
        const answer = await host.probe(nodeInspect.command({ node: args.node_id }));
        let node;
        try {
          node = nodeInspect.parse(answer, { node: args.node_id }, host.host);
        } catch (error) {
          // A manager busy electing a leader answers with an error for a moment.
          return { state: 'waiting', progress: error instanceof Error ? error.message : String(error) };
        }
        if (!node) return { state: 'failed', message: `node ${hostname} (${args.node_id}) left the swarm while it was being promoted` };
        hostname = node.hostname || hostname;
        reachability = node.reachability ?? '';
        if (reachability === 'reachable') return { state: 'done', result: { reachability } };
        return { state: 'waiting', progress: `reachability: ${reachability || 'none'}` };
      },
      timeoutMessage(timeoutMs) {
        return `${hostname} was promoted but is not a reachable manager after ${Math.round(timeoutMs / 1000)} s (reachability: ${reachability || 'none'}): check that it reaches the other managers on port 2377`;
      },
    };
  },
});
