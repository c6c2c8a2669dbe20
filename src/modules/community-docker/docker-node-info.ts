/**
 * `community.docker.docker_node_info` (also `docker_node_info`): swarm nodes
 * as `docker node inspect` gives them, read on a manager, under their return
 * key `nodes`: the nodes named (hostname or ID), the host's own (`self`), or
 * all. Reads only.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan } from '../types.js';
import { booleanArg } from '../argument-types.js';
import { quoteArgs } from '../../transport/shell-quote.js';
import { notTaken } from './collection-arguments.js';
import { inspectAll } from './docker-listing.js';

const NAME = 'community.docker.docker_node_info';

const dockerNodeInfoArgs = z
  .object({
    name: z.union([z.string().min(1).transform((name) => [name]), z.array(z.string().min(1))]).nullish(),
    self: booleanArg.default(false),
    ...notTaken(NAME, []),
  })
  .strict();

export const dockerNodeInfo = defineModule({
  name: NAME,
  schema: dockerNodeInfoArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const list = args.self ? 'echo self' : args.name?.length ? `echo ${quoteArgs(args.name)}` : 'docker node ls -q';
    try {
      return { steps: [], result: { nodes: await inspectAll(ctx, list, 'docker node inspect') } };
    } catch (error) {
      return { steps: [], failed: `cannot read the swarm's nodes on ${ctx.host} (it must be a manager, and the nodes named must exist): ${(error as Error).message}` };
    }
  },
});
