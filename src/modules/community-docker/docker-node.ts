/**
 * `community.docker.docker_node` (also `docker_node`): a node's role,
 * availability and labels, run on a manager, on swarmplay's swarm_node
 * (which also waits for a drain and guards the raft quorum when demoting).
 * `labels_state: replace` is swarm_node's `exact`; with no labels it removes
 * them all, and labels_to_remove is then ignored, as theirs says. Returns
 * theirs: `node`, the node as `docker node inspect` gives it, read after a change.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type StepOutcomes } from '../types.js';
import { swarmNode, type SwarmNodeArgs } from '../swarm-node.js';
import { dockerObject, dockerObjectCommand } from '../../facts/docker-object.js';
import { checkMapped, notTaken, readBack, readBackJson } from './collection-arguments.js';

const NAME = 'community.docker.docker_node';

const labelValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const dockerNodeShape = z
  .object({
    hostname: z.string().min(1),
    labels: z.record(labelValue).nullish(),
    labels_state: z.enum(['merge', 'replace']).default('merge'),
    labels_to_remove: z.array(z.string().min(1)).nullish(),
    availability: z.enum(['active', 'pause', 'drain']).nullish(),
    role: z.enum(['manager', 'worker']).nullish(),
    ...notTaken(NAME, []),
  })
  .strict();

type DockerNodeArgs = z.infer<typeof dockerNodeShape>;

const dockerNodeArgs = dockerNodeShape.superRefine((args, refinement) => checkMapped(refinement, () => engineArgs(args)));

function engineArgs(args: DockerNodeArgs): SwarmNodeArgs {
  const replace = args.labels_state === 'replace';
  return swarmNode.schema.parse({
    node: args.hostname,
    role: args.role ?? undefined,
    availability: args.availability ?? undefined,
    labels: replace ? (args.labels ?? {}) : (args.labels ?? undefined),
    labels_state: replace ? 'exact' : 'merge',
    labels_to_remove: args.labels_to_remove ?? undefined,
  });
}

export const dockerNode = defineModule({
  name: NAME,
  schema: dockerNodeArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const plan = await swarmNode.plan(ctx, engineArgs(args));
    if (plan.failed) return plan;
    const nodeId = String(plan.result?.node_id ?? args.hostname);
    const before = await ctx.fact(dockerObject, { kind: 'node', name: nodeId });
    const changes = plan.steps.some((step) => step.kind === 'command');
    return {
      ...plan,
      steps: changes ? [...plan.steps, readBack('node', 'node', dockerObjectCommand('node', nodeId))] : plan.steps,
      result: { node: before },
    };
  },
  finish(args, outcomes: StepOutcomes, plan) {
    const finished = swarmNode.finish?.(engineArgs(args), outcomes, plan) ?? {};
    const after = readBackJson(outcomes, 'node');
    return { ...(after !== undefined && { node: after }), ...(typeof finished.msg === 'string' && { msg: finished.msg }) };
  },
});

