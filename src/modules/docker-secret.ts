/**
 * `docker_secret`: a swarm secret from a variable or a file (vault-encrypted
 * ones included), as `docker secret create NAME -` with the value on stdin;
 * also answers to community.docker.docker_secret, whose argument names it
 * shares (name, data, data_is_b64, data_src, labels, force,
 * rolling_versions, versions_to_keep, state). A changed value becomes a new
 * version `NAME_v<digest>`, the services using the old one are switched to
 * it in a rolling update, and unused versions are removed: see
 * swarm-object.ts. Run it on a manager. The value is never in any output.
 */
import { z } from 'zod';
import { defineModule } from './types.js';
import { checkObjectArgs, finishObject, OBJECT_ARGUMENTS, planObject } from './swarm-object.js';

const dockerSecretArgs = z.object(OBJECT_ARGUMENTS).strict().superRefine(checkObjectArgs);

export type DockerSecretArgs = z.infer<typeof dockerSecretArgs>;

export const dockerSecret = defineModule({
  name: 'docker_secret',
  schema: dockerSecretArgs,
  secretArgs: ['data'],
  plan: (ctx, args) => planObject(ctx, 'secret', args),
  finish: (_args, outcomes) => finishObject('secret', outcomes),
});
