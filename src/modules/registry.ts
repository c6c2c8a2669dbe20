/**
 * `docker_registry`: the private registry container, as the seed's `docker
 * run -d --name registry --restart always -p 5000:5000 registry`, plus what
 * the seed leaves for later: a host folder for the data (`-v
 * DATA:/var/lib/registry`) so images survive the container.
 *
 * Idempotent by `docker container inspect`: a running container with the
 * same image, port, restart policy and data folder is ok; a stopped one is
 * started; one that differs is replaced. A port another program holds is a
 * clear failure before anything runs (and, should `docker run` still fail on
 * it, the half-created container is removed). After a start the registry
 * must answer GET /v2/ (HTTP 200 or 401) on the host, tested over bash's
 * /dev/tcp; without bash on the host that check is skipped and msg says so.
 * The real proof, a push from one node and a pull on another, is the
 * playbook's (docker_image).
 */
import { z } from 'zod';
import { defineModule, type ApplyContext, type Step, type ModuleContext, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { portArg } from './argument-types.js';
import {
  commandOutputTail, httpHeadProbe, httpStatus, inspectContainer, tcpConnectProbe, type ContainerState,
} from './docker-cli.js';

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

/** The /v2/ check: a HEAD request answered 200 (open) or 401 (auth) means a registry listens. */
export function v2Probe(port: number): string {
  return httpHeadProbe('127.0.0.1', port, '/v2/');
}

async function waitForV2(host: ApplyContext, port: number, timeout: number): Promise<string> {
  const deadline = Date.now() + timeout * 1000;
  let last = '';
  for (;;) {
    const answer = await host.run(v2Probe(port));
    if (answer.exitCode === 127) return 'skipped: no bash on the host to test /v2/';
    const status = httpStatus(answer.stdout);
    if (status === 200 || status === 401) return `answers /v2/ (HTTP ${status})`;
    last = status ? `HTTP ${status}` : 'no answer';
    if (Date.now() > deadline) throw new Error(`the registry on ${host.host}:${port} does not answer /v2/ after ${timeout} s (${last}); see docker logs`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function runChange(args: RegistryArgs, replace: boolean): Step {
  const run = quoteArgs([
    'docker', 'run', '-d', '--name', args.name, '--restart', args.restart_policy,
    '-p', `${args.port}:5000`, '-v', `${args.data_dir}:${REGISTRY_DATA_IN_CONTAINER}`, args.image,
  ]);
  return {
    kind: 'apply',
    description: `${replace ? 'replace' : 'run'} the registry container ${args.name} on port ${args.port} (data in ${args.data_dir})`,
    async apply(host) {
      if (replace) await host.run(quoteArgs(['docker', 'rm', '-f', args.name]));
      const mkdir = await host.run(quoteArgs(['mkdir', '-p', '--', args.data_dir]));
      if (mkdir.exitCode !== 0) throw new Error(`cannot create ${args.data_dir} on ${host.host}: ${commandOutputTail(mkdir)}`);
      const started = await host.run(run, { timeoutMs: 300_000 });
      if (started.exitCode !== 0) {
        // docker run creates the container before binding the port: do not leave it behind.
        await host.run(quoteArgs(['docker', 'rm', '-f', args.name]));
        const output = commandOutputTail(started);
        const portTaken = /port is already allocated|address already in use/i.test(output);
        throw new Error(
          portTaken
            ? `port ${args.port} on ${host.host} is already in use: the registry cannot listen there (${output}); free the port or choose another`
            : `docker run of the registry failed on ${host.host}: ${output}`,
        );
      }
      return { v2: await waitForV2(host, args.port, args.timeout) };
    },
  };
}

export const dockerRegistry = defineModule({
  name: 'docker_registry',
  schema: registryArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const container = await inspectContainer(ctx, args.name);
    const result = { name: args.name, port: args.port, data_dir: args.data_dir, image: args.image };
    if (args.state === 'absent') {
      if (!container) return { steps: [], result };
      return { steps: [{ kind: 'command', description: `remove the container ${args.name}`, command: quoteArgs(['docker', 'rm', '-f', args.name]) }], result };
    }

    if (container && registryDifferences(container, args).length === 0) {
      if (container.running) {
        const answer = await ctx.probe(v2Probe(args.port));
        const status = httpStatus(answer.stdout);
        const v2 = answer.exitCode === 127 ? 'skipped: no bash on the host to test /v2/' : status ? `HTTP ${status}` : 'no answer';
        if (answer.exitCode !== 127 && status !== 200 && status !== 401) {
          return { steps: [], result: { ...result, v2 }, failed: `the registry container ${args.name} runs on ${ctx.host} but /v2/ on port ${args.port} gives ${v2}; see docker logs ${args.name}` };
        }
        return { steps: [], result: { ...result, v2 }, msg: `registry ${args.name} runs on port ${args.port}, ${v2}` };
      }
      return {
        steps: [{
          kind: 'apply',
          description: `start the stopped registry container ${args.name}`,
          async apply(host) {
            const started = await host.run(quoteArgs(['docker', 'start', args.name]));
            if (started.exitCode !== 0) throw new Error(`docker start ${args.name} failed on ${host.host}: ${commandOutputTail(started)}`);
            return { v2: await waitForV2(host, args.port, args.timeout) };
          },
        }],
        result,
      };
    }

    // Nothing of ours on the port may listen there: tell who does before running anything.
    const holdsPort = container?.running && (container.ports[REGISTRY_PORT_IN_CONTAINER] ?? []).includes(String(args.port));
    if (!holdsPort) {
      const listening = await ctx.probe(tcpConnectProbe('127.0.0.1', args.port));
      if (listening.exitCode === 0) {
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
      steps: [runChange(args, container !== null)],
      result,
      ...(container && { msg: `the container ${args.name} differs: ${differences.join('; ')}` }),
    };
  },
  finish(_args, outcomes) {
    return { ...outcomes.find((o) => o.applied)?.applied };
  },
});
