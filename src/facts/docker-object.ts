/**
 * `docker_object` {kind, name}: one docker object exactly as `docker KIND
 * inspect NAME --format '{{json .}}'` prints it (node, network, container,
 * image, service), or null when there is none. The community.docker modules
 * return these objects as the Docker API gives them; the typed readers
 * (container_inspect, node_inspect...) stay the ones that decide anything.
 */
import { quoteArgs } from '../transport/shell-quote.js';
import { parseJsonText } from './docker-json.js';
import { defineFact, FactError } from './types.js';
import { outputTail } from '../transport/output-tail.js';

export type DockerObjectKind = 'node' | 'network' | 'container' | 'image' | 'service' | 'volume';

export function dockerObjectCommand(kind: DockerObjectKind, name: string): string {
  return `${quoteArgs(['docker', kind, 'inspect', name])} --format '{{json .}}'`;
}

export const dockerObject = defineFact<{ kind: DockerObjectKind; name: string }, Record<string, unknown> | null>({
  name: 'docker_object',
  command: ({ kind, name }) => dockerObjectCommand(kind, name),
  parse(result, { kind, name }, host) {
    if (result.exitCode !== 0) {
      if (/no such|not found/i.test(`${result.stdout}\n${result.stderr}`)) return null;
      throw new FactError(`cannot inspect ${kind} ${name} on ${host}: ${outputTail(result)}`);
    }
    return parseJsonText(result.stdout, `docker ${kind} inspect`) as Record<string, unknown>;
  },
  // A node or a service is the swarm's, changed from any manager.
  scope: 'cluster',
});
