/**
 * `docker_config`: a swarm config from a variable or a file (vault-encrypted
 * ones included), as `docker config create NAME -`; also answers to
 * community.docker.docker_config and shares its argument names (name, data,
 * data_is_b64, data_src, labels, force, rolling_versions, versions_to_keep,
 * state; its template_driver is not supported: render the value with the
 * template lookup or a Jinja expression instead). Versions, switching the
 * services that use it and pruning as for docker_secret (swarm-object.ts).
 * A config is not secret to docker, but its value is kept out of every
 * output all the same: configs often hold credentials too.
 */
import { z } from 'zod';
import { defineModule } from './types.js';
import { checkObjectArgs, finishObject, OBJECT_ARGUMENTS, planObject } from './swarm-object.js';

const dockerConfigArgs = z.object(OBJECT_ARGUMENTS).strict().superRefine(checkObjectArgs);

export type DockerConfigArgs = z.infer<typeof dockerConfigArgs>;

export const dockerConfig = defineModule({
  name: 'docker_config',
  schema: dockerConfigArgs,
  secretArgs: ['data'],
  plan: (ctx, args) => planObject(ctx, 'config', args),
  finish: (_args, outcomes) => finishObject('config', outcomes),
});
