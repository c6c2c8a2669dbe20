/**
 * `docker_registry`: the private registry container, as the walkthrough's `docker
 * run -d --name registry --restart always -p 5000:5000 registry`, plus what
 * the walkthrough leaves for later: a host folder for the data (`-v
 * DATA:/var/lib/registry`) so images survive the container.
 *
 * Idempotent by `docker container inspect`: a running container with the
 * same image, port, restart policy and data folder is ok; a stopped one is
 * started; one that differs is replaced. A port another program holds is a
 * clear failure before anything runs (and, should `docker run` still fail on
 * it, the half-created container is removed). After a start the registry
 * must answer GET /v2/ (HTTP 200 or 401) on the host, tested over bash's
 * /dev/tcp by a wait step (condition registry_answers); without bash on the
 * host that check is skipped and the result's v2 says so.
 * The real proof, a push from one node and a pull on another, is the
 * playbook's (docker_image).
 */
import { z } from 'zod';
import { defineModule, type Step, type ModuleContext, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { portArg } from './argument-types.js';
import { httpHead, tcpConnect } from '../facts/tcp-http.js';
import { containerInspect, type ContainerState } from '../facts/container-inspect.js';
import { v2Request, V2_SKIPPED } from './conditions/registry-answers.js';

const REGISTRY_PORT_IN_CONTAINER = '5000/tcp';
const REGISTRY_DATA_IN_CONTAINER = '/var/lib/registry';

const registryArgs = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'not a container name').default('registry'),
    image: z.string().min(1).default('registry'),
    port: portArg.default(5000),
    /** Host folder for the registry's data. */
    data_dir: z.string().regex(/^\//, 'an absolute path').default('/var/lib/registry'),
    restart_policy: z.enum(['always', 'unless-stopped', 'on-failure', 'no']).default('always'),
    state: z.enum(['started', 'absent']).default('started'),
    /** Seconds to wait for /v2/ to answer after a start. */
    timeout: z.number().int().positive().default(30),
  })
  .strict();

export type RegistryArgs = z.infer<typeof registryArgs>;

/** What differs between the container and the arguments; empty when it is as asked. */
export function registryDifferences(container: ContainerState, args: RegistryArgs): string[] {
  const differences: string[] = [];
  if (container.image !== args.image) differences.push(`image ${container.image} (wanted ${args.image})`);
  const ports = container.ports[REGISTRY_PORT_IN_CONTAINER] ?? [];
  if (ports.length !== 1 || ports[0] !== String(args.port)) differences.push(`port ${ports.join(',') || 'none'} (wanted ${args.port})`);
  if (container.restartPolicy !== args.restart_policy) differences.push(`restart ${container.restartPolicy || 'no'} (wanted ${args.restart_policy})`);
  if (container.binds[args.data_dir] !== REGISTRY_DATA_IN_CONTAINER) differences.push(`data folder not ${args.data_dir}`);
  return differences;
}

/** Waits until the registry answers /v2/; its outcome (id `v2`) says what was seen. */
function waitForV2(args: RegistryArgs): Step {
  return {
    kind: 'wait',
    id: 'v2',
    description: `wait until the registry answers /v2/ on port ${args.port}`,
    condition: 'registry_answers',
    args: { port: args.port },
    intervalMs: 500,
    timeoutMs: args.timeout * 1000,
    waitingFor: `the registry on port ${args.port} to answer /v2/`,
  };
}

/** (Re)creates the container: the old one removed first when `replace`, the data folder made, then docker run. */
function runSteps(host: string, args: RegistryArgs, replace: boolean): Step[] {
  const remove = quoteArgs(['docker', 'rm', '-f', args.name]);
  const steps: Step[] = [];
  if (replace) steps.push({ kind: 'command', description: `remove the differing container ${args.name}`, command: remove });
  steps.push(
    {
      kind: 'command',
      description: `create the data folder ${args.data_dir}`,
      command: quoteArgs(['mkdir', '-p', '--', args.data_dir]),
      failMessage: `cannot create ${args.data_dir} on ${host}`,
    },
    {
      kind: 'command',
      description: `run the registry container ${args.name} on port ${args.port} (data in ${args.data_dir})`,
      command: quoteArgs([
        'docker', 'run', '-d', '--name', args.name, '--restart', args.restart_policy,
        '-p', `${args.port}:5000`, '-v', `${args.data_dir}:${REGISTRY_DATA_IN_CONTAINER}`, args.image,
      ]),
      timeoutMs: 300_000,
      failMessage: `docker run of the registry failed on ${host}`,
      failHints: [{
        whenOutputMatches: 'port is already allocated|address already in use',
        message: `port ${args.port} on ${host} is already in use: the registry cannot listen there; free the port or choose another`,
      }],
      // docker run creates the container before binding the port: do not leave it behind.
      onFailure: { steps: [{ kind: 'command', description: `remove the half-made container ${args.name}`, command: remove }] },
    },
    waitForV2(args),
  );
  return steps;
}

export const dockerRegistry = defineModule({
  name: 'docker_registry',
  schema: registryArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const container = await ctx.fact(containerInspect, { name: args.name });
    const result = { name: args.name, port: args.port, data_dir: args.data_dir, image: args.image };
    if (args.state === 'absent') {
      if (!container) return { steps: [], result };
      return { steps: [{ kind: 'command', description: `remove the container ${args.name}`, command: quoteArgs(['docker', 'rm', '-f', args.name]) }], result };
    }

    if (container && registryDifferences(container, args).length === 0) {
      if (container.running) {
        const head = await ctx.fact(httpHead, v2Request(args.port));
        const status = head?.status;
        const v2 = !head ? V2_SKIPPED : status ? `HTTP ${status}` : 'no answer';
        if (head && status !== 200 && status !== 401) {
          return { steps: [], result: { ...result, v2 }, failed: `the registry container ${args.name} runs on ${ctx.host} but /v2/ on port ${args.port} gives ${v2}; see docker logs ${args.name}` };
        }
        return { steps: [], result: { ...result, v2 }, msg: `registry ${args.name} runs on port ${args.port}, ${v2}` };
      }
      return {
        steps: [
          {
            kind: 'command',
            description: `start the stopped registry container ${args.name}`,
            command: quoteArgs(['docker', 'start', args.name]),
            failMessage: `docker start ${args.name} failed on ${ctx.host}`,
          },
          waitForV2(args),
        ],
        result,
      };
    }

    // Nothing of ours on the port may listen there: tell who does before running anything.
    const holdsPort = container?.running && (container.ports[REGISTRY_PORT_IN_CONTAINER] ?? []).includes(String(args.port));
    if (!holdsPort) {
      if (await ctx.fact(tcpConnect, { host: '127.0.0.1', port: args.port }) === 'open') {
        const users = await ctx.probe(`docker ps --filter ${quoteArgs([`publish=${args.port}`])} --format '{{.Names}}'`);
        const names = users.stdout.trim().split('\n').filter(Boolean);
        return {
          steps: [],
          result,
          failed: `port ${args.port} on ${ctx.host} is already in use${names.length ? ` by container ${names.join(', ')}` : ' by another program'}: the registry cannot listen there; free it or choose another port`,
        };
      }
    }
    const differences = container ? registryDifferences(container, args) : [];
    return {
      steps: runSteps(ctx.host, args, container !== null),
      result,
      ...(container && { msg: `the container ${args.name} differs: ${differences.join('; ')}` }),
    };
  },
  finish(_args, outcomes) {
    const v2 = outcomes.byId('v2')?.waited?.v2;
    return v2 === undefined ? {} : { v2 };
  },
});
