/**
 * `docker_network`: a docker network as the walkthrough's `docker network create -d
 * overlay --subnet 192.168.22.0/24 --gateway 192.168.22.1 --attachable
 * my_net1` (run it on a swarm manager for an overlay network).
 *
 * Idempotent by `docker network inspect`. Docker cannot change a network
 * in place: a network that differs (subnet, gateway, driver, attachable,
 * labels) must be removed and created again. That is done only when nothing
 * uses it, and said in the task's message; while a service or a container
 * uses it the task fails and says which, never a silent recreate (its tasks
 * would lose their addresses). Arguments left out are left as they are.
 */
import { z } from 'zod';
import { defineModule, type Step, type ModuleContext, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import { outputTail } from '../transport/output-tail.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const ipv4 = /^(\d{1,3}\.){3}\d{1,3}$/;
const cidr = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;

function leaveAsIs<T extends z.ZodTypeAny>(schema: T) {
  return schema.nullish().transform((value) => (value ?? undefined) as z.infer<T> | undefined);
}

const dockerNetworkArgs = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'not a network name'),
    state: z.enum(['present', 'absent']).default('present'),
    driver: z.string().min(1).default('overlay'),
    subnet: leaveAsIs(z.string().regex(cidr, 'a subnet in CIDR form, e.g. 10.231.22.0/24')),
    gateway: leaveAsIs(z.string().regex(ipv4, 'an IPv4 address').or(z.string().regex(/^[0-9a-fA-F:]+$/, 'an IP address'))),
    attachable: leaveAsIs(booleanArg),
    /** local, global or swarm (a bridge network the swarm's services may use: `--scope swarm`). */
    scope: leaveAsIs(z.enum(['local', 'global', 'swarm'])),
    labels: leaveAsIs(z.record(scalar)),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.gateway && !args.subnet) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['gateway'], message: 'gateway needs subnet (docker takes a gateway only within a given subnet)' });
    if (args.gateway && args.subnet && ipv4.test(args.gateway) && !inSubnet(args.gateway, args.subnet)) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['gateway'], message: `gateway ${args.gateway} is not in subnet ${args.subnet}` });
    }
  });

export type DockerNetworkArgs = z.infer<typeof dockerNetworkArgs>;

function ipv4Number(address: string): number {
  return address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

/** Whether an IPv4 address lies in an IPv4 CIDR (IPv6: not checked, true). */
export function inSubnet(address: string, subnet: string): boolean {
  const [base, bits] = subnet.split('/');
  if (!base || !ipv4.test(base) || !ipv4.test(address)) return true;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4Number(address) / size) === Math.floor(ipv4Number(base) / size);
}

export interface NetworkState {
  id: string;
  name: string;
  driver: string;
  scope: string;
  attachable: boolean;
  ingress: boolean;
  /** IPAM.Config entries. */
  subnets: { subnet: string; gateway: string }[];
  labels: Record<string, string>;
  /** Names of the containers attached on this node. */
  containers: string[];
}

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const asString = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Parses `docker network inspect NAME` (the JSON array, or one object with --format '{{json .}}'). */
export function parseNetworkInspect(stdout: string): NetworkState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.trim());
  } catch {
    throw new Error(`cannot read the output of docker network inspect: expected JSON, got ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  const network = asObject(Array.isArray(parsed) ? parsed[0] : parsed);
  const ipam = asObject(network.IPAM);
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(asObject(network.Labels))) labels[key] = asString(value);
  return {
    id: asString(network.Id),
    name: asString(network.Name),
    driver: asString(network.Driver),
    scope: asString(network.Scope),
    attachable: network.Attachable === true,
    ingress: network.Ingress === true,
    subnets: (Array.isArray(ipam.Config) ? ipam.Config : []).map((entry) => ({
      subnet: asString(asObject(entry).Subnet),
      gateway: asString(asObject(entry).Gateway),
    })),
    labels,
    containers: Object.values(asObject(network.Containers)).map((container) => asString(asObject(container).Name)).filter(Boolean),
  };
}

/** What differs between the network and the arguments (arguments left out are not compared). */
export function networkDifferences(network: NetworkState, args: DockerNetworkArgs): { addressing: string[]; other: string[] } {
  const addressing: string[] = [];
  const other: string[] = [];
  const first = network.subnets[0];
  if (args.subnet !== undefined && (network.subnets.length !== 1 || first?.subnet !== args.subnet)) {
    addressing.push(`subnet ${network.subnets.map((s) => s.subnet).join(', ') || '(docker-assigned)'} -> ${args.subnet}`);
  }
  if (args.gateway !== undefined && first?.gateway !== args.gateway) {
    addressing.push(`gateway ${first?.gateway || '(docker-assigned)'} -> ${args.gateway}`);
  }
  if (network.driver !== args.driver) other.push(`driver ${network.driver} -> ${args.driver}`);
  if (args.attachable !== undefined && network.attachable !== args.attachable) other.push(`attachable ${network.attachable} -> ${args.attachable}`);
  if (args.scope !== undefined && network.scope !== args.scope) other.push(`scope ${network.scope} -> ${args.scope}`);
  if (args.labels !== undefined) {
    const same = Object.keys(args.labels).length === Object.keys(network.labels).length &&
      Object.entries(args.labels).every(([key, value]) => network.labels[key] === value);
    if (!same) other.push(`labels ${JSON.stringify(network.labels)} -> ${JSON.stringify(args.labels)}`);
  }
  return { addressing, other };
}

export function networkCreateCommand(args: DockerNetworkArgs): string {
  const words = ['docker', 'network', 'create', '--driver', args.driver];
  if (args.subnet) words.push('--subnet', args.subnet);
  if (args.gateway) words.push('--gateway', args.gateway);
  if (args.attachable) words.push('--attachable');
  if (args.scope) words.push('--scope', args.scope);
  for (const [key, value] of Object.entries(args.labels ?? {})) words.push('--label', `${key}=${value}`);
  words.push(args.name);
  return quoteArgs(words);
}

/**
 * Lists every service with the IDs of its networks: "NAME ID ID..." per
 * line. Not a swarm manager (a plain bridge network's host): no output.
 */
export const SERVICE_NETWORKS_PROBE =
  "ids=$(docker service ls -q 2>/dev/null) || exit 0; [ -z \"$ids\" ] && exit 0; " +
  "docker service inspect --format '{{.Spec.Name}}{{range .Spec.TaskTemplate.Networks}} {{.Target}}{{end}}' $ids";

/** Names of the services attached to the network (by ID or name), from SERVICE_NETWORKS_PROBE's output. */
export function servicesUsing(probeOutput: string, network: NetworkState): string[] {
  return probeOutput
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((words) => words.length > 1 && words.slice(1).some((target) => target === network.id || target === network.name))
    .map((words) => words[0]!);
}

export function networkCreateStep(args: DockerNetworkArgs): Step {
  return { kind: 'command', description: `docker network create --driver ${args.driver} ${args.name}`, command: networkCreateCommand(args) };
}

function describe(network: NetworkState) {
  return { network_id: network.id, driver: network.driver, subnets: network.subnets, attachable: network.attachable, labels: network.labels };
}

async function users(ctx: ModuleContext, network: NetworkState): Promise<string[]> {
  const answer = await ctx.probe(SERVICE_NETWORKS_PROBE);
  const services = answer.exitCode === 0 ? servicesUsing(answer.stdout, network) : [];
  return [...services.map((name) => `service ${name}`), ...network.containers.map((name) => `container ${name}`)];
}

export const dockerNetwork = defineModule({
  name: 'docker_network',
  schema: dockerNetworkArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const inspected = await ctx.probe(quoteArgs(['docker', 'network', 'inspect', args.name]));
    let network: NetworkState | null = null;
    if (inspected.exitCode === 0) network = parseNetworkInspect(inspected.stdout);
    else if (!/no such network|not found/i.test(`${inspected.stdout}\n${inspected.stderr}`)) {
      return { steps: [], failed: `cannot inspect network ${args.name} on ${ctx.host}: ${outputTail(inspected)}` };
    }
    const result: Record<string, unknown> = { name: args.name, state: args.state };
    const remove: Step = { kind: 'command', description: `docker network rm ${args.name}`, command: quoteArgs(['docker', 'network', 'rm', args.name]) };
    const create = networkCreateStep(args);

    if (args.state === 'absent') {
      if (!network) return { steps: [], result };
      const usedBy = await users(ctx, network);
      if (usedBy.length) return { steps: [], result, failed: `network ${args.name} is in use by ${usedBy.join(', ')}: remove those first` };
      return { steps: [remove], result };
    }

    if (!network) return { steps: [create], result };
    Object.assign(result, describe(network));
    if (network.ingress) return { steps: [], result, failed: `${args.name} is the swarm's ingress network: swarmplay does not manage it` };
    const { addressing, other } = networkDifferences(network, args);
    const differences = [...addressing, ...other];
    if (differences.length === 0) return { steps: [], result };

    const usedBy = await users(ctx, network);
    if (usedBy.length) {
      const use = `${usedBy.join(', ')} ${usedBy.length === 1 ? 'uses' : 'use'} it`;
      const why = addressing.length
        ? `its addresses cannot change while ${use} (docker cannot change a network in place, and recreating it would cut them off)`
        : `docker cannot change a network in place and ${use}`;
      return {
        steps: [],
        result,
        failed: `network ${args.name} differs (${differences.join('; ')}): ${why}. Remove those services or containers from the network first, or keep its settings`,
      };
    }
    return {
      steps: [remove, create],
      result,
      msg: `network ${args.name} is recreated (docker cannot change a network in place; nothing uses it): ${differences.join('; ')}`,
    };
  },
});
