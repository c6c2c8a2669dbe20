/**
 * `stack_state` {stack}: the services and networks of a swarm stack, found
 * by the label `docker stack deploy` puts on everything it makes
 * (com.docker.stack.namespace), in one round trip on a manager: each
 * service's `docker service inspect` object, a marker line, then the
 * stack's network IDs. What docker_stack compares with the compose file,
 * and what its waits poll until a deploy has converged or a removal is
 * complete.
 */
import { createHash } from 'node:crypto';
import { outputTail } from '../transport/output-tail.js';
import { quote } from '../transport/shell-quote.js';
import { asObject, asString, parseJsonText } from './docker-json.js';
import { parseServiceObject, type ServiceState } from './swarm-service.js';
import { defineFact, FactError } from './types.js';

/** The label docker stack deploy sets on the stack's services, networks, secrets and configs. */
export const STACK_NAMESPACE_LABEL = 'com.docker.stack.namespace';
/** Where docker_stack records which rendering of the compose files a service was deployed from. */
export const STACK_DIGEST_LABEL = 'swarmplay.stack.digest';

const NETWORKS_MARKER = '--swarmplay-stack-networks--';

export interface StackService extends ServiceState {
  /**
   * A digest of what swarm replaces tasks for (the task template and the
   * endpoint spec): equal before and after a deploy means no task of this
   * service was restarted.
   */
  templateKey: string;
  /** none | on-failure | any: "none" and "on-failure" make a one-shot service, whose tasks end as "complete". */
  restartCondition: string;
}

export interface StackState {
  services: StackService[];
  /** IDs of the stack's networks. */
  networks: string[];
}

export function stackStateCommand(stack: string): string {
  const filter = quote(`label=${STACK_NAMESPACE_LABEL}=${stack}`);
  // Not a pipe: sh has no pipefail, and a manager-only command failing must fail the reading.
  return `ids=$(docker service ls -q --filter ${filter}) && { [ -z "$ids" ] || docker service inspect --format '{{json .}}' $ids; }` +
    ` && echo ${NETWORKS_MARKER} && docker network ls -q --filter ${filter}`;
}

export function templateKey(service: Record<string, unknown>): string {
  const spec = asObject(service.Spec);
  return createHash('sha256').update(JSON.stringify([spec.TaskTemplate ?? null, spec.EndpointSpec ?? null])).digest('hex').slice(0, 16);
}

export function parseStackState(stdout: string): StackState {
  const at = stdout.indexOf(NETWORKS_MARKER);
  if (at < 0) throw new Error(`cannot read the stack: ${JSON.stringify(stdout.slice(0, 200))}`);
  const services = stdout.slice(0, at).split('\n').map((line) => line.trim()).filter((line) => line.startsWith('{')).map((line) => {
    const raw = asObject(parseJsonText(line, 'docker service inspect'));
    const restart = asObject(asObject(asObject(raw.Spec).TaskTemplate).RestartPolicy);
    return { ...parseServiceObject(raw), templateKey: templateKey(raw), restartCondition: asString(restart.Condition) || 'any' };
  });
  const networks = stdout.slice(at + NETWORKS_MARKER.length).split('\n').map((line) => line.trim()).filter(Boolean);
  return { services: services.sort((a, b) => a.name.localeCompare(b.name)), networks };
}

export const stackState = defineFact<{ stack: string }, StackState>({
  name: 'stack_state',
  scope: 'cluster',
  command: ({ stack }) => stackStateCommand(stack),
  parse(result, { stack }, host) {
    if (result.exitCode === 0) return parseStackState(result.stdout);
    const output = `${result.stdout}\n${result.stderr}`;
    if (/not a swarm manager|swarm mode/i.test(output)) {
      throw new FactError(`docker_stack must run on a swarm manager, and ${host} is not one (${outputTail(result)}); use delegate_to: a manager`);
    }
    if (result.exitCode === 127) throw new FactError(`docker is not installed on ${host}`);
    throw new FactError(`cannot read stack ${stack} on ${host}: ${outputTail(result)}`);
  },
});
