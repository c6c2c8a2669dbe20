/**
 * `community.docker.docker_swarm_info` (also `docker_swarm_info`): the swarm
 * as the host sees it, under their return keys: can_talk_to_docker,
 * docker_swarm_active, docker_swarm_manager, swarm_facts (the swarm as a
 * manager's docker info gives it), swarm_unlock_key, and with `nodes`,
 * `services`, `tasks` their lists (their short form, or every object in
 * full with `verbose_output`), selected by their *_filters as `docker node
 * ls`, `service ls` and `service ps` take them (`--filter NAME=VALUE`; a
 * task filter `service` names the services whose tasks are listed). Reads
 * only. A list of values is one filter each (theirs sends this module's
 * lists to docker as one string, which matches nothing).
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan } from '../types.js';
import { booleanArg } from '../argument-types.js';
import { asArray, asObject, asString } from '../../facts/docker-json.js';
import { notTaken } from './collection-arguments.js';
import { quoteArgs } from '../../transport/shell-quote.js';
import { dockerInfoJson, filterFlags, inspectAll, listFilters, type ListFilters, type Json } from './docker-listing.js';

const NAME = 'community.docker.docker_swarm_info';

const dockerSwarmInfoArgs = z
  .object({
    nodes: booleanArg.default(false),
    nodes_filters: listFilters,
    services: booleanArg.default(false),
    services_filters: listFilters,
    tasks: booleanArg.default(false),
    tasks_filters: listFilters,
    unlock_key: booleanArg.default(false),
    verbose_output: booleanArg.default(false),
    ...notTaken(NAME, []),
  })
  .strict();

export function nodeSummary(node: Json): Json {
  const description = asObject(node.Description);
  const manager = node.ManagerStatus == null ? undefined : asObject(node.ManagerStatus);
  return {
    ID: node.ID,
    Hostname: description.Hostname,
    Status: asObject(node.Status).State,
    Availability: asObject(node.Spec).Availability,
    ManagerStatus: manager ? (manager.Leader === true ? 'Leader' : manager.Reachability) : null,
    EngineVersion: asObject(description.Engine).EngineVersion,
  };
}

export function serviceSummary(service: Json): Json {
  const spec = asObject(service.Spec);
  const mode = asObject(spec.Mode);
  const replicated = mode.Replicated !== undefined;
  return {
    ID: service.ID,
    Name: spec.Name,
    Mode: replicated ? 'Replicated' : 'Global',
    Replicas: replicated ? asObject(mode.Replicated).Replicas : null,
    Image: asObject(asObject(spec.TaskTemplate).ContainerSpec).Image,
    Ports: asArray(asObject(spec.EndpointSpec).Ports),
  };
}

export function taskSummary(task: Json, nodeNames: ReadonlyMap<string, string>): Json {
  const status = asObject(task.Status);
  return {
    ID: task.ID,
    ServiceID: task.ServiceID,
    ContainerID: asObject(status.ContainerStatus).ContainerID ?? null,
    Image: asObject(asObject(task.Spec).ContainerSpec).Image,
    Node: nodeNames.get(asString(task.NodeID)) ?? null,
    DesiredState: task.DesiredState,
    CurrentState: status.State,
    Error: status.Err ?? null,
  };
}

/**
 * The tasks' IDs: `docker service ps` of every service, or of those a
 * `service` filter names (the CLI has no listing of all tasks; the API's
 * `service` filter is what picks the services here).
 */
function taskIds(filters: ListFilters): string {
  const { service, ...rest } = filters ?? {};
  const named = service === undefined ? [] : (Array.isArray(service) ? service : [service]).map(String);
  const services = named.length ? `s=${quoteArgs([named.join(' ')])}` : 's=$(docker service ls -q) || exit 1';
  return `${services}; [ -z "$s" ] || docker service ps -q${filterFlags(rest)} $s`;
}

export const dockerSwarmInfo = defineModule({
  name: NAME,
  schema: dockerSwarmInfoArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const info = await dockerInfoJson(ctx);
    if (!info) return { steps: [], failed: `the docker daemon on ${ctx.host} does not answer: is docker running?`, result: { can_talk_to_docker: false } };
    const swarm = asObject(info.Swarm);
    const active = swarm.LocalNodeState === 'active';
    const manager = active && swarm.ControlAvailable === true;
    const result: Record<string, unknown> = { can_talk_to_docker: true, docker_swarm_active: active, docker_swarm_manager: manager };
    if (!manager) {
      if (args.nodes || args.services || args.tasks || args.unlock_key) {
        return { steps: [], result, failed: `${ctx.host} is not a swarm manager: nodes, services, tasks and unlock_key can only be read on one` };
      }
      return { steps: [], result };
    }
    result.swarm_facts = swarm.Cluster ?? {};
    // The key is in the registered result only: every output masks SWMKEY-... .
    if (args.unlock_key) {
      const key = await ctx.probe('docker swarm unlock-key -q');
      result.swarm_unlock_key = key.exitCode === 0 ? key.stdout.trim() || null : null;
    }
    const nodeList = (filters: ListFilters) => inspectAll(ctx, `docker node ls -q${filterFlags(filters)}`, 'docker node inspect');
    const listedNodes = args.nodes ? await nodeList(args.nodes_filters) : undefined;
    if (listedNodes) result.nodes = args.verbose_output ? listedNodes : listedNodes.map(nodeSummary);
    if (args.services) {
      const services = await inspectAll(ctx, `docker service ls -q${filterFlags(args.services_filters)}`, 'docker service inspect');
      result.services = args.verbose_output ? services : services.map(serviceSummary);
    }
    if (args.tasks) {
      // Every node's name, whatever nodes_filters selected: a task names the node it runs on.
      const nodes = listedNodes && !args.nodes_filters ? listedNodes : await nodeList(undefined);
      const names = new Map(nodes.map((node) => [asString(node.ID), asString(asObject(node.Description).Hostname)]));
      const tasks = await inspectAll(ctx, taskIds(args.tasks_filters), 'docker inspect --type task');
      result.tasks = args.verbose_output ? tasks : tasks.map((task) => taskSummary(task, names));
    }
    return { steps: [], result };
  },
});
