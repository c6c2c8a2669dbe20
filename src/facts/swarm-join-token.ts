/**
 * `swarm_join_token`: the token a worker or a manager joins with, read on a
 * manager (`docker swarm join-token -q ROLE`). A secret: it goes into
 * swarm_init's registered result only, and the runner's redactor masks
 * SWMTKN-... in every output.
 */
import { quoteArgs } from '../transport/shell-quote.js';
import { defineFact, FactError } from './types.js';
import { outputTail } from '../transport/output-tail.js';

export type SwarmRole = 'worker' | 'manager';

export function joinTokenCommand(role: SwarmRole): string {
  return quoteArgs(['docker', 'swarm', 'join-token', '-q', role]);
}

export const swarmJoinToken = defineFact<{ role: SwarmRole }, string>({
  name: 'swarm_join_token',
  command: ({ role }) => joinTokenCommand(role),
  parse(result, { role }, host) {
    if (result.exitCode !== 0) throw new FactError(`cannot read the ${role} join token on ${host}: ${outputTail(result)}`);
    return result.stdout.trim();
  },
});
