/**
 * `community.docker.docker_network`: a docker network under community.docker's
 * arguments, on swarmplay's docker_network (which refuses to recreate a
 * network something uses, and says which). Their defaults: driver `bridge`.
 * `ipam_config` takes one entry of subnet and gateway. Returns theirs:
 * `network`, as `docker network inspect` gives it, read after a change.
 *
 * The short name `docker_network` stays swarmplay's own module (overlay by
 * default, `subnet`/`gateway`): write this one with its full name.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type StepOutcomes } from '../types.js';
import { booleanArg } from '../argument-types.js';
import { dockerNetwork } from '../docker-network.js';
import { dockerObject, dockerObjectCommand } from '../../facts/docker-object.js';
import { checkMapped, notTaken, readBack, readBackJson, refuseKeys } from './collection-arguments.js';

const NAME = 'community.docker.docker_network';

const ipamEntry = z
  .object({ subnet: z.string().nullish(), gateway: z.string().nullish(), iprange: z.unknown(), aux_addresses: z.unknown() })
  .strict()
  .superRefine((entry, refinement) => refuseKeys(entry, ['iprange', 'aux_addresses'], 'ipam_config[]', NAME, refinement));

const dockerNetworkArgs = z
  .object({
    name: z.string().min(1).optional(),
    network_name: z.string().min(1).optional(),
    driver: z.string().min(1).default('bridge'),
    attachable: booleanArg.nullish(),
    scope: z.enum(['local', 'global', 'swarm']).nullish(),
    labels: z.record(z.union([z.string(), z.number(), z.boolean()]).transform(String)).nullish(),
    ipam_config: z.array(ipamEntry).max(1, 'swarmplay takes one ipam_config entry (one subnet)').nullish(),
    state: z.enum(['present', 'absent']).default('present'),
    ...notTaken(NAME, [
      'connected', 'containers', 'driver_options', 'force', 'appends', 'incremental', 'enable_ipv6', 'ipam_driver', 'ipam_driver_options', 'internal',
    ]),
  })
  .strict()
  .superRefine((args, refinement) => {
    if ((args.name === undefined) === (args.network_name === undefined)) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['name'], message: 'give name (or its alias network_name) once' });
    } else {
      checkMapped(refinement, () => engineArgs(args));
    }
  });

type DockerNetworkArgs = z.infer<typeof dockerNetworkArgs>;

function engineArgs(args: DockerNetworkArgs) {
  const ipam = args.ipam_config?.[0];
  return dockerNetwork.schema.parse({
    name: args.name ?? args.network_name,
    state: args.state,
    driver: args.driver,
    subnet: ipam?.subnet ?? undefined,
    gateway: ipam?.gateway ?? undefined,
    attachable: args.attachable ?? undefined,
    scope: args.scope ?? undefined,
    labels: args.labels ?? undefined,
  });
}

export const communityDockerNetwork = defineModule({
  name: NAME,
  schema: dockerNetworkArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const engine = engineArgs(args);
    const plan = await dockerNetwork.plan(ctx, engine);
    if (plan.failed || args.state === 'absent') return { ...plan, result: {} };
    const changes = plan.steps.length > 0;
    return {
      ...plan,
      steps: changes ? [...plan.steps, readBack('network', 'network', dockerObjectCommand('network', engine.name))] : plan.steps,
      result: { network: await ctx.fact(dockerObject, { kind: 'network', name: engine.name }) },
    };
  },
  finish(_args, outcomes: StepOutcomes) {
    const after = readBackJson(outcomes, 'network');
    return after === undefined ? {} : { network: after };
  },
});
