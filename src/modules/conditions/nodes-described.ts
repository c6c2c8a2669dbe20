/**
 * `nodes_described`: nodes that have just joined carry their hostname. The
 * manager lists a joining node as soon as it has its certificate, and the
 * node's description (hostname, engine) only once its agent has registered:
 * until then no task can find it by name. Read on a manager.
 */
import { z } from 'zod';
import { defineCondition } from './types.js';
import { nodeList } from '../../facts/swarm-nodes.js';

export const nodesDescribed = defineCondition({
  name: 'nodes_described',
  schema: z.object({ node_ids: z.array(z.string().min(1)).min(1) }).strict(),
  start(args) {
    return {
      async poll(host) {
        const answer = await host.probe(nodeList.command({}));
        let nodes;
        try {
          nodes = nodeList.parse(answer, {}, host.host);
        } catch (error) {
          // A manager busy electing a leader answers with an error for a moment.
          return { state: 'waiting', progress: error instanceof Error ? error.message : String(error) };
        }
        const waiting = args.node_ids.filter((id) => nodes.some((n) => n.id === id && n.hostname === ''));
        if (waiting.length === 0) return { state: 'done' };
        return { state: 'waiting', progress: `not described yet: ${waiting.join(', ')}` };
      },
    };
  },
});
