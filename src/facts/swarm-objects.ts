/**
 * Swarm secrets and configs as a manager reports them, never their content
 * (docker has no way to read a secret back; a config's Spec.Data is left
 * out of what is kept): `swarm_objects` {kind, name} lists the versions
 * docker_secret/docker_config made of one name (the label
 * swarmplay.name=NAME) and an object called exactly NAME; `all_services`
 * reads every service's spec, for who uses which object.
 */
import { outputTail } from '../transport/output-tail.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { asArray, asObject, asString, parseJsonText } from './docker-json.js';
import { defineFact, FactError } from './types.js';
import { parseServiceObject, type ObjectReference, type ServiceState } from './swarm-service.js';

export type SwarmObjectKind = 'secret' | 'config';

/** The label every version carries: the name the playbook gave. */
export const NAME_LABEL = 'swarmplay.name';
/** The label holding the version's short content digest (also the end of its name). */
export const DIGEST_LABEL = 'swarmplay.digest';

export interface SwarmObject {
  id: string;
  name: string;
  labels: Record<string, string>;
  createdAt: string;
}

/** Parses `docker secret|config inspect ID...` (a JSON array); Spec.Data is not kept. */
export function parseObjectInspect(stdout: string, kind: SwarmObjectKind): SwarmObject[] {
  if (stdout.trim() === '') return [];
  return asArray(parseJsonText(stdout, `docker ${kind} inspect`)).map((entry) => {
    const object = asObject(entry);
    const spec = asObject(object.Spec);
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(asObject(spec.Labels))) labels[key] = asString(value);
    return { id: asString(object.ID), name: asString(spec.Name), labels, createdAt: asString(object.CreatedAt) };
  });
}

export function swarmObjectsCommand(kind: SwarmObjectKind, name: string): string {
  const list = (filter: string) => `${quoteArgs(['docker', kind, 'ls', '-q', '--filter', filter])}`;
  // A name filter matches by prefix: the exact name is picked out when parsing.
  return `ids=$( { ${list(`label=${NAME_LABEL}=${name}`)} && ${list(`name=${name}`)}; } | sort -u) || exit 1; ` +
    `[ -z "$ids" ] || docker ${kind} inspect $ids`;
}

/**
 * `swarm_objects` {kind, name}: the versions of NAME (labelled with it) and an
 * object named exactly NAME, oldest first. Read on a manager.
 */
export const swarmObjects = defineFact<{ kind: SwarmObjectKind; name: string }, SwarmObject[]>({
  name: 'swarm_objects',
  scope: 'cluster',
  command: ({ kind, name }) => swarmObjectsCommand(kind, name),
  parse(result, { kind, name }, host) {
    if (result.exitCode !== 0) {
      if (/not a swarm manager|swarm mode/i.test(`${result.stdout}\n${result.stderr}`)) {
        throw new FactError(`docker_${kind} must run on a swarm manager, and ${host} is not one (${outputTail(result)}); use delegate_to: a manager`);
      }
      throw new FactError(`cannot list the ${kind}s of ${host}: ${outputTail(result)}`);
    }
    return parseObjectInspect(result.stdout, kind)
      .filter((object) => object.labels[NAME_LABEL] === name || object.name === name)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  },
});

export const ALL_SERVICES_COMMAND =
  "ids=$(docker service ls -q) || exit 1; [ -z \"$ids\" ] || docker service inspect --format '{{json .}}' $ids";

/** `all_services`: every service of the swarm (one `docker service inspect` for all). Read on a manager. */
export const allServices = defineFact<Record<string, never>, ServiceState[]>({
  name: 'all_services',
  scope: 'cluster',
  command: () => ALL_SERVICES_COMMAND,
  parse(result, _args, host) {
    if (result.exitCode !== 0) throw new FactError(`cannot list the services of ${host}: ${outputTail(result)}`);
    return result.stdout.split('\n').filter((line) => line.trim().startsWith('{'))
      .map((line) => parseServiceObject(asObject(parseJsonText(line, 'docker service inspect'))));
  },
});

/** The version of NAME a service should use now: NAME itself when it exists, else its newest version. */
export function currentVersion(objects: readonly SwarmObject[], name: string): SwarmObject | undefined {
  return objects.find((object) => object.name === name) ?? objects.filter((object) => object.labels[NAME_LABEL] === name).at(-1);
}

/** `source=NAME,target=...,uid=...,gid=...,mode=0444`, as --secret/--config take it. */
export function referenceSpec(reference: Omit<ObjectReference, 'id'>): string {
  return `source=${reference.name},target=${reference.target},uid=${reference.uid},gid=${reference.gid},mode=0${reference.mode.toString(8)}`;
}
