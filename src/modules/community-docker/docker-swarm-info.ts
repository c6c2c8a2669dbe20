/**
 * `community.docker.docker_swarm_info` (also `docker_swarm_info`): the swarm
 * as the host sees it, under their return keys: can_talk_to_docker,
 * docker_swarm_active, docker_swarm_manager, swarm_facts (the swarm as a
 * manager's docker info gives it), swarm_unlock_key, and with `nodes`,
 * `services`, `tasks` their lists (their short form, or every object in
 * full with `verbose_output`). Reads only; their *_filters are refused by name.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan } from '../types.js';
import { booleanArg } from '../argument-types.js';
import { asArray, asObject, asString } from '../../facts/docker-json.js';
import { notTaken } from './collection-arguments.js';
import { dockerInfoJson, inspectAll, type Json } from './docker-listing.js';

const NAME = 'community.docker.docker_swarm_info';

const dockerSwarmInfoArgs = z
  .object({
    nodes: booleanArg.default(false),
    services: booleanArg.default(false),
    tasks: booleanArg.default(false),
    unlock_key: booleanArg.default(false),
    verbose_output: booleanArg.default(false),
    ...notTaken(NAME, ['nodes_filters', 'services_filters', 'tasks_filters'], 'filter the returned list with selectattr instead'),
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

const NODES = ['docker node ls -q', 'docker node inspect'] as const;
const SERVICES = ['docker service ls -q', 'docker service inspect'] as const;
const TASKS = ['s=$(docker service ls -q) || exit 1; [ -z "$s" ] || docker service ps -q $s', 'docker inspect --type task'] as const;

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
    if (args.unlock_key) {
      const key = await ctx.probe('docker swarm unlock-key -q');
      result.swarm_unlock_key = key.exitCode === 0 ? key.stdout.trim() || null : null;
    }
    const nodes = args.nodes || args.tasks ? await inspectAll(ctx, ...NODES) : [];
    if (args.nodes) result.nodes = args.verbose_output ? nodes : nodes.map(nodeSummary);
    if (args.services) {
      const services = await inspectAll(ctx, ...SERVICES);
      result.services = args.verbose_output ? services : services.map(serviceSummary);
    }
    if (args.tasks) {
      const names = new Map(nodes.map((node) => [asString(node.ID), asString(asObject(node.Description).Hostname)]));
      const tasks = await inspectAll(ctx, ...TASKS);
      result.tasks = args.verbose_output ? tasks : tasks.map((task) => taskSummary(task, names));
    }
    return { steps: [], result };
  },
});
