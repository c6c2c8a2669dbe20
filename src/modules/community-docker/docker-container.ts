/**
 * `community.docker.docker_container` (also `docker_container`): the
 * arguments a registry or a one-off container needs, with the docker CLI:
 * name, image, state (started, stopped, present, absent), restart_policy,
 * published_ports, volumes, env, command, detach, cleanup, recreate, pull.
 *
 * Idempotent by `docker container inspect`: a container whose image,
 * command, published ports (host IP 0.0.0.0 unless given, as theirs),
 * volumes (mode rw unless given, as theirs), restart policy and env (the given
 * entries; the image adds its own) are as asked is left alone, started or
 * stopped as `state` says; one that differs is removed and created again,
 * as theirs does. `detach: false` runs the container in the foreground
 * every time (changed, as theirs) and returns its output in
 * `container.Output`; with `cleanup` it is removed afterwards (`--rm`).
 * Returns theirs: `container`, as `docker container inspect` gives it.
 * `pull: true` pulls before the comparison is made on the next run (the
 * comparison is by image name, not by the pulled image's ID).
 */
import { z } from 'zod';
import { defineModule, type CommandStep, type ModuleContext, type Plan, type Step, type StepOutcomes } from '../types.js';
import { booleanArg } from '../argument-types.js';
import { quoteArgs } from '../../transport/shell-quote.js';
import { containerInspect, type ContainerState } from '../../facts/container-inspect.js';
import { dockerObject, dockerObjectCommand } from '../../facts/docker-object.js';
import { parseReference } from '../docker-image.js';
import { notTaken, readBack, readBackJson } from './collection-arguments.js';

const NAME = 'community.docker.docker_container';

/** Their options beyond what a registry or a one-off container needs. */
const NOT_TAKEN = [
  'auto_remove', 'blkio_weight', 'capabilities', 'cap_drop', 'cgroupns_mode', 'cgroup_parent', 'comparisons', 'container_default_behavior',
  'command_handling', 'cpu_period', 'cpu_quota', 'cpus', 'cpuset_cpus', 'cpuset_mems', 'cpu_shares', 'default_host_ip', 'devices',
  'device_read_bps', 'device_write_bps', 'device_read_iops', 'device_write_iops', 'device_requests', 'dns_opts', 'dns_servers',
  'dns_search_domains', 'domainname', 'env_file', 'entrypoint', 'etc_hosts', 'exposed_ports', 'exposed', 'expose', 'force_kill', 'forcekill',
  'groups', 'healthcheck', 'hostname', 'ignore_image', 'image_comparison', 'image_label_mismatch', 'image_name_mismatch', 'init', 'interactive',
  'ipc_mode', 'keep_volumes', 'kill_signal', 'kernel_memory', 'labels', 'links', 'log_driver', 'log_options', 'log_opt', 'mac_address', 'memory',
  'memory_reservation', 'memory_swap', 'memory_swappiness', 'mounts', 'network_mode', 'userns_mode', 'networks', 'networks_cli_compatible',
  'oom_killer', 'oom_score_adj', 'output_logs', 'paused', 'pid_mode', 'pids_limit', 'platform', 'privileged', 'publish_all_ports',
  'purge_networks', 'read_only', 'removal_wait_timeout', 'restart', 'restart_retries', 'runtime', 'shm_size', 'security_opts', 'stop_signal',
  'stop_timeout', 'storage_opts', 'tmpfs', 'tty', 'ulimits', 'sysctls', 'user', 'uts', 'volume_driver', 'volumes_from', 'working_dir',
];

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/** "HOST_PORT:PORT[/proto]", "IP:HOST_PORT:PORT[/proto]" or "PORT" (any free host port). */
const portSpec = z.union([z.string(), z.number()]).transform(String).pipe(
  z.string().regex(/^(?:(?:\d{1,3}(?:\.\d{1,3}){3}:)?\d{0,5}:)?\d{1,5}(?:\/(?:tcp|udp|sctp))?$/, 'a published port is HOST_PORT:CONTAINER_PORT[/tcp|udp], optionally after an IP'),
);

const volumeSpec = z.string().regex(/^[^:]+:\/[^:]*(?::(?:ro|rw))?$/, 'a volume is SOURCE:/path/in/container[:ro|rw] (SOURCE a host path or a volume name)');

/** Shell-like words of a command given as text (their `command_handling: correct` splits it the same way). */
export function commandWords(command: string | string[]): string[] {
  if (Array.isArray(command)) return command;
  const words: string[] = [];
  for (const match of command.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) words.push(match[1]?.replace(/\\(.)/g, '$1') ?? match[2] ?? match[3]!);
  return words;
}

const dockerContainerArgs = z
  .object({
    name: z.string().regex(/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'not a container name'),
    image: z.string().min(1).nullish(),
    state: z.enum(['started', 'stopped', 'present', 'absent']).default('started'),
    restart_policy: z.enum(['no', 'on-failure', 'always', 'unless-stopped']).nullish(),
    published_ports: z.array(portSpec).nullish(),
    ports: z.array(portSpec).nullish(),
    volumes: z.array(volumeSpec).nullish(),
    env: z.record(scalar).nullish(),
    command: z.union([z.string(), z.array(scalar)]).nullish(),
    detach: booleanArg.default(true),
    cleanup: booleanArg.default(false),
    recreate: booleanArg.default(false),
    pull: booleanArg.default(false),
    ...notTaken(NAME, NOT_TAKEN),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.published_ports && args.ports) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['ports'], message: 'give published_ports once (ports is its alias)' });
    if (args.state !== 'absent' && !args.image) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['image'], message: `is required with state ${args.state} (swarmplay does not keep a container's image when it is left out)` });
    if (!args.detach && args.state !== 'started') refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['detach'], message: 'detach: false runs the container in the foreground: it needs state started' });
    if (args.cleanup && args.detach) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['cleanup'], message: 'cleanup removes the container after it ran in the foreground: it needs detach: false' });
  });

type DockerContainerArgs = z.infer<typeof dockerContainerArgs>;

/** Their published port spec as docker binds it: "IP:HOST_PORT" per container port, the IP 0.0.0.0 unless given (their default_host_ip). */
export function portBinding(spec: string): { key: string; binding: string; flag: string } {
  const [mapping, protocol = 'tcp'] = spec.split('/');
  const parts = mapping!.split(':');
  const containerPort = parts.at(-1)!;
  const hostPort = parts.length > 1 ? parts.at(-2)! : '';
  const ip = parts.length > 2 ? parts[0]! : '0.0.0.0';
  return { key: `${containerPort}/${protocol}`, binding: `${ip}:${hostPort}`, flag: `${ip}:${hostPort}:${containerPort}/${protocol}` };
}

/** Their volume spec with the mode they add when none is given ("/src:/dst" -> "/src:/dst:rw"). */
export function bindSpec(volume: string): string {
  return volume.split(':').length === 2 ? `${volume}:rw` : volume;
}

function normalImage(image: string): string {
  const ref = parseReference(image);
  return image.includes('@') ? image : `${ref.repository}:${ref.tag}`;
}

/** What differs between the container and the arguments; empty when it is as asked. */
export function containerDifferences(container: ContainerState, args: DockerContainerArgs): string[] {
  const differences: string[] = [];
  if (args.image && normalImage(container.image) !== normalImage(args.image)) differences.push(`image ${container.image} (wanted ${args.image})`);
  if (args.command != null) {
    const wanted = commandWords(args.command);
    if (wanted.join('\0') !== container.cmd.join('\0')) differences.push(`command ${JSON.stringify(container.cmd)} (wanted ${JSON.stringify(wanted)})`);
  }
  if (args.restart_policy != null && (container.restartPolicy || 'no') !== args.restart_policy) {
    differences.push(`restart policy ${container.restartPolicy || 'no'} (wanted ${args.restart_policy})`);
  }
  if (args.published_ports != null || args.ports != null) {
    const have = Object.entries(container.portBindings).flatMap(([key, bindings]) => bindings.map((binding) => `${key} ${binding}`)).sort();
    const want = (args.published_ports ?? args.ports ?? []).map(portBinding).map((port) => `${port.key} ${port.binding}`).sort();
    // A port given without a host port takes any free one: only its container side and IP are compared.
    const same = have.length === want.length && want.every((w, i) => (w.endsWith(':') ? have[i]!.startsWith(w) : have[i] === w));
    if (!same) differences.push(`published ports [${have.join(', ')}] (wanted [${want.join(', ')}])`);
  }
  if (args.volumes != null) {
    const want = args.volumes.map(bindSpec).sort();
    const have = [...container.bindSpecs].sort();
    if (want.join('\n') !== have.join('\n')) differences.push(`volumes [${have.join(', ')}] (wanted [${want.join(', ')}])`);
  }
  for (const [key, value] of Object.entries(args.env ?? {})) {
    if (!container.env.includes(`${key}=${value}`)) differences.push(`env ${key}`);
  }
  return differences;
}

/** The `docker run`/`docker create` options and what follows them, from the arguments. */
export function containerOptions(args: DockerContainerArgs): string[] {
  const words = ['--name', args.name.replace(/^\//, '')];
  if (args.restart_policy) words.push('--restart', args.restart_policy);
  for (const port of args.published_ports ?? args.ports ?? []) words.push('-p', portBinding(port).flag);
  for (const volume of args.volumes ?? []) words.push('-v', bindSpec(volume));
  for (const [key, value] of Object.entries(args.env ?? {})) words.push('-e', `${key}=${value}`);
  words.push(args.image!);
  if (args.command != null) words.push(...commandWords(args.command));
  return words;
}

function dockerStep(id: string, description: string, words: string[], host: string): CommandStep {
  return { kind: 'command', id, description, command: quoteArgs(['docker', ...words]), timeoutMs: 600_000, failMessage: `${description} failed on ${host}` };
}

export const dockerContainer = defineModule({
  name: NAME,
  schema: dockerContainerArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const name = args.name.replace(/^\//, '');
    const container = await ctx.fact(containerInspect, { name });
    const before = container ? await ctx.fact(dockerObject, { kind: 'container', name }) : null;
    const result: Record<string, unknown> = { container: before ?? {} };
    const remove = dockerStep('remove', `docker rm -f ${name}`, ['rm', '-f', name], ctx.host);
    if (args.state === 'absent') return { steps: container ? [remove] : [], result };

    const steps: Step[] = [];
    if (args.pull) steps.push({ ...dockerStep('pull', `docker pull ${args.image}`, ['pull', args.image!], ctx.host), countsAsChange: false });
    if (!args.detach) {
      // A one-off: run in the foreground each time, its output is the result.
      if (container) steps.push(remove);
      steps.push(dockerStep('run', `docker run ${name} (in the foreground)`, ['run', ...(args.cleanup ? ['--rm'] : []), ...containerOptions(args)], ctx.host));
      return { steps, result };
    }

    const differences = container ? containerDifferences(container, args) : [];
    const create = (running: boolean) => running
      ? dockerStep('create', `docker run -d ${name} (${args.image})`, ['run', '-d', ...containerOptions(args)], ctx.host)
      : dockerStep('create', `docker create ${name} (${args.image})`, ['create', ...containerOptions(args)], ctx.host);
    let msg: string | undefined;
    if (!container) {
      steps.push(create(args.state === 'started'));
    } else if (differences.length > 0 || args.recreate) {
      msg = differences.length ? `the container ${name} differs: ${differences.join('; ')}; it is created again` : `the container ${name} is created again (recreate)`;
      steps.push(remove, create(args.state === 'started'));
    } else if (args.state === 'started' && !container.running) {
      steps.push(dockerStep('start', `docker start ${name}`, ['start', name], ctx.host));
    } else if (args.state === 'stopped' && container.running) {
      steps.push(dockerStep('stop', `docker stop ${name}`, ['stop', name], ctx.host));
    }
    if (steps.some((step) => step.id !== 'pull')) steps.push(readBack('container', 'container', dockerObjectCommand('container', name)));
    return { steps, result, ...(msg && { msg }) };
  },
  finish(args, outcomes: StepOutcomes) {
    const run = outcomes.byId('run')?.run;
    if (run) return { container: { Output: run.stdout } };
    const after = readBackJson(outcomes, 'container');
    return after === undefined ? {} : { container: after };
  },
});
