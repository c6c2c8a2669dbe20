/**
 * `stack_removed`: nothing of a stack is left, neither services nor
 * networks. `docker stack rm` returns while swarm still shuts the tasks
 * down, and a stack network stays until the last of them is gone (about
 * five seconds on the lab); a deploy of the same stack meanwhile sees the
 * network, does not create it, and fails with "network ... not found" once
 * swarm removes it. Waiting here makes remove-then-deploy safe.
 */
import { z } from 'zod';
import { defineCondition, type ConditionPoller } from './types.js';
import { parseStackState, stackStateCommand } from '../../facts/stack-state.js';

const stackRemovedArgs = z.object({ stack: z.string().min(1) }).strict();

export const stackRemoved = defineCondition({
  name: 'stack_removed',
  schema: stackRemovedArgs,
  start({ stack }): ConditionPoller {
    return {
      async poll(host) {
        const answer = await host.probe(stackStateCommand(stack), { timeoutMs: 60_000 });
        if (answer.exitCode !== 0) return { state: 'failed', message: `cannot read stack ${stack} on ${host.host}: ${answer.stderr.trim()}` };
        const { services, networks } = parseStackState(answer.stdout);
        if (services.length === 0 && networks.length === 0) return { state: 'done' };
        const left = [
          ...(services.length ? [`${services.length} service${services.length > 1 ? 's' : ''} (${services.map((s) => s.name).join(', ')})`] : []),
          ...(networks.length ? [`${networks.length} network${networks.length > 1 ? 's' : ''}`] : []),
        ];
        return { state: 'waiting', progress: `${stack}: ${left.join(' and ')} still being removed` };
      },
    };
  },
});
