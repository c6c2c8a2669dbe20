/**
 * `network_id` {name}: the ID of a docker network given by name or ID, or
 * null when the host has no such network. A service's spec stores network
 * IDs, so a wanted network name is compared through this.
 */
import { quoteArgs } from '../transport/shell-quote.js';
import { defineFact } from './types.js';

export const networkId = defineFact<{ name: string }, string | null>({
  name: 'network_id',
  command: ({ name }) => `${quoteArgs(['docker', 'network', 'inspect', name])} --format '{{.Id}}'`,
  parse(result) {
    const id = result.stdout.trim();
    return result.exitCode === 0 && id ? id : null;
  },
});
