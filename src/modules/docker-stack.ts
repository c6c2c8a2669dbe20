/**
 * `docker_stack` (also `community.docker.docker_stack`, with its argument
 * names): `docker stack deploy` of compose files, then a wait until every
 * service of the stack runs what was deployed; `state: absent` is `docker
 * stack rm`, then a wait until the stack's services and networks are gone.
 *
 * The compose files are made on the controller (compose-files.ts: `.j2`
 * rendered with the play's variables, `${VAR}` from a `.env` beside the
 * file and from `env:`), then written atomically on the host under
 * /var/lib/swarmplay/stacks/NAME/ (mode 0600: they may hold values from a
 * vault) and deployed from there.
 *
 * Differences from community.docker.docker_stack (3.4, read from its
 * source), each a choice: a `compose:` path names a file on the
 * controller, as `copy`'s `src:` does, not one already on the host; it
 * deploys every time and compares `docker service inspect` before and
 * after, so it cannot run in check mode (ours can) and returns before
 * anything runs (ours waits); its `absent_retries` runs `docker stack rm`
 * again until it says "Nothing found", ours always waits until the
 * services and networks are gone and runs `docker stack rm` again only
 * when it reported something it failed to remove. The result holds
 * `services`, `differences` and, after a deploy, what each service
 * converged to, instead of its rc/stdout/stack_spec_diff.
 *
 * Changed or not is decided before deploying, so `--check` is exact and an
 * unchanged stack is not touched (a `docker stack deploy` of the same file
 * replaces no task, but still rewrites every service and so overwrites the
 * previous spec `docker service rollback` would go back to). Each deploy
 * labels each service with a digest of its rendered definition (a service
 * label: no task restarts for it); the stack is as wanted when every
 * compose service exists with its digest, runs the image and replica
 * count the files say (a manual `docker service update --image` shows),
 * and, with `prune`, no other service is left in the stack.
 *
 * After a deploy the `stack_converged` wait follows each service that the
 * deploy created or whose tasks it replaces, and fails naming the service
 * (and swarm's message when swarm rolled the update back).
 */
import path from 'node:path';
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type Step, type WaitStep } from './types.js';
import { booleanArg } from './argument-types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { composeServices, digestOverlay, loadComposeFiles, serviceDigests, type ComposeService } from './compose-files.js';
import { STACK_DIGEST_LABEL, stackState, type StackService, type StackState } from '../facts/stack-state.js';
import { sameImage, serviceTasks } from '../facts/swarm-service.js';
import type { StackConvergedArgs, StackConvergedResult } from './conditions/stack-converged.js';
import { OUT_OF_SEQUENCE_RETRY } from './service-change-steps.js';

/** Where the rendered compose files are kept on the host, one folder per stack. */
export const STACKS_DIR = '/var/lib/swarmplay/stacks';

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const dockerStackArgs = z.object({
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'a stack name: letters, digits, "_", "." and "-"'),
  state: z.enum(['present', 'absent']).default('present'),
  /** Files on the controller, or compose documents written in the task; later ones override earlier ones. */
  compose: z.union([z.string(), z.record(z.unknown()), z.array(z.union([z.string().min(1), z.record(z.unknown())]))])
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .default([]),
  /** Values for `${VAR}` in the compose files, over a `.env` beside them. */
  env: z.record(scalar).default({}),
  prune: booleanArg.default(false),
  with_registry_auth: booleanArg.default(false),
  resolve_image: z.enum(['always', 'changed', 'never']).optional(),
  /** Wait until the stack's services converged (present) or everything is gone (absent). */
  wait: booleanArg.default(true),
  /** Seconds, for the wait. */
  timeout: z.number().int().positive().default(300),
  /** community.docker's: how many more times `docker stack rm` is run when it reports something it could not remove. */
  absent_retries: z.number().int().nonnegative().default(0),
  absent_retries_interval: z.number().int().positive().default(1),
}).strict().superRefine((args, refinement) => {
  if (args.state === 'present' && args.compose.length === 0) {
    refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['compose'], message: 'state: present needs compose: (a file on the controller or a compose mapping)' });
  }
});

export type DockerStackArgs = z.infer<typeof dockerStackArgs>;

const CONVERGENCE_POLL_MS = 500;

/** What differs between the compose files and the running stack; empty when nothing does. */
export function stackDifferences(
  stack: string, wanted: readonly ComposeService[], state: StackState, digests: ReadonlyMap<string, string>, prune: boolean,
): string[] {
  const differences: string[] = [];
  const running = new Map(state.services.map((service) => [service.name, service]));
  const created = wanted.filter((service) => !running.has(`${stack}_${service.name}`)).map((service) => service.name);
  if (created.length) differences.push(`create ${created.join(', ')}`);
  const changed: string[] = [];
  for (const service of wanted) {
    const current = running.get(`${stack}_${service.name}`);
    if (!current) continue;
    const drift = driftOf(service, current);
    if (drift) differences.push(`${service.name}: ${drift}`);
    else if (current.labels[STACK_DIGEST_LABEL] !== digests.get(service.name)) changed.push(service.name);
  }
  if (changed.length) differences.push(`definition changed: ${changed.join(', ')}`);
  if (prune) {
    const names = new Set(wanted.map((service) => `${stack}_${service.name}`));
    const extra = state.services.filter((service) => !names.has(service.name)).map((service) => shortName(stack, service.name));
    if (extra.length) differences.push(`remove ${extra.join(', ')} (prune)`);
  }
  return differences;
}

/** A change made to the service outside the compose files, that a deploy puts back. */
function driftOf(wanted: ComposeService, current: StackService): string | undefined {
  if (wanted.image !== undefined && !sameImage(current.image, wanted.image)) return `image ${current.image.split('@')[0]} -> ${wanted.image}`;
  if (wanted.mode !== current.mode) return `mode ${current.mode} -> ${wanted.mode}`;
  const replicas = wanted.mode === 'replicated' ? wanted.replicas ?? 1 : undefined;
  if (replicas !== undefined && current.replicas !== replicas) return `replicas ${current.replicas} -> ${replicas}`;
  return undefined;
}

function deployCommand(args: DockerStackArgs, files: readonly string[]): string {
  const words = ['docker', 'stack', 'deploy', ...files.flatMap((file) => ['-c', file])];
  if (args.prune) words.push('--prune');
  if (args.with_registry_auth) words.push('--with-registry-auth');
  if (args.resolve_image) words.push('--resolve-image', args.resolve_image);
  words.push(args.name);
  return quoteArgs(words);
}

/** "shop_web" -> "web", as the compose file names it. */
function shortName(stack: string, service: string): string {
  return service.startsWith(`${stack}_`) ? service.slice(stack.length + 1) : service;
}

function describeStack(stack: string, state: StackState) {
  return Object.fromEntries(state.services.map((service) => [shortName(stack, service.name), {
    image: service.image.split('@')[0],
    mode: service.mode,
    ...(service.replicas !== undefined && { replicas: service.replicas }),
    update_status: service.updateStatus?.state ?? null,
  }]));
}

async function planAbsent(ctx: ModuleContext, args: DockerStackArgs, state: StackState): Promise<Plan> {
  const result = { name: args.name, state: args.state };
  if (state.services.length === 0 && state.networks.length === 0) return { steps: [], result };
  const steps: Step[] = [{
    kind: 'command',
    description: `docker stack rm ${args.name}`,
    command: quoteArgs(['docker', 'stack', 'rm', args.name]),
    timeoutMs: 120_000,
    ...(args.absent_retries > 0 && {
      retry: { whileOutputMatches: 'Failed to remove', attempts: args.absent_retries + 1, delayMs: args.absent_retries_interval * 1000 },
    }),
    failMessage: `docker stack rm ${args.name} failed on ${ctx.host}`,
  }];
  if (args.wait) {
    steps.push({
      kind: 'wait',
      description: `wait until stack ${args.name}'s services and networks are gone`,
      condition: 'stack_removed',
      args: { stack: args.name },
      intervalMs: CONVERGENCE_POLL_MS,
      timeoutMs: args.timeout * 1000,
      waitingFor: `stack ${args.name}'s services and networks to be gone`,
    });
  }
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return { steps, result, msg: `remove stack ${args.name} (${count(state.services.length, 'service')}, ${count(state.networks.length, 'network')})` };
}

export const dockerStack = defineModule({
  name: 'docker_stack',
  schema: dockerStackArgs,
  async plan(ctx, args): Promise<Plan> {
    const state = await ctx.fact(stackState, { stack: args.name });
    if (args.state === 'absent') return planAbsent(ctx, args, state);

    const result: Record<string, unknown> = { name: args.name, state: args.state };
    const files = await loadComposeFiles(ctx, args.compose, args.env);
    if ('failed' in files) return { steps: [], result, failed: files.failed };
    const wanted = composeServices(files);
    if (wanted.length === 0) return { steps: [], result, failed: `the compose files of stack ${args.name} define no service (services:)` };
    const withoutImage = wanted.filter((service) => service.image === undefined);
    if (withoutImage.length) {
      return { steps: [], result, failed: `service ${withoutImage.map((s) => s.name).join(', ')} of stack ${args.name} has no image: (swarm does not build images)` };
    }

    const digests = serviceDigests(files, wanted);
    const differences = stackDifferences(args.name, wanted, state, digests, args.prune);
    result.services = describeStack(args.name, state);
    if (differences.length === 0) {
      const inProgress = state.services.filter((service) => service.updateStatus?.state === 'updating' || service.updateStatus?.state === 'rollback_started');
      if (inProgress.length && args.wait) {
        // Deployed already, but swarm is still rolling it out (an earlier run stopped waiting): wait, changing nothing.
        return { steps: [convergenceWait(args, wanted, state, new Map(), inProgress.map((service) => service.name))], result };
      }
      return { steps: [], result };
    }

    const folder = path.posix.join(STACKS_DIR, args.name);
    const paths = files.map((_, index) => path.posix.join(folder, `compose-${index + 1}.yaml`));
    const overlayPath = path.posix.join(folder, 'swarmplay-digest.yaml');
    const diffs = await Promise.all(files.map(async (file, index) => ({
      path: paths[index]!,
      before: (await ctx.readFile(paths[index]!))?.toString('utf8') ?? '',
      after: file.text,
    })));

    // One-shot services are done when new tasks complete: remember the tasks they have now.
    const oneShotTasks = new Map<string, string[]>();
    for (const service of wanted.filter((s) => s.oneShot)) {
      const full = `${args.name}_${service.name}`;
      if (state.services.some((s) => s.name === full)) oneShotTasks.set(full, (await ctx.fact(serviceTasks, { name: full })).map((task) => task.id));
    }

    const steps: Step[] = [
      { kind: 'command', description: `mkdir -p ${folder}`, command: quoteArgs(['mkdir', '-p', '-m', '0700', folder]) },
      ...files.map((file, index): Step => ({ kind: 'write', description: `write ${paths[index]} (from ${file.source})`, path: paths[index]!, content: file.text, mode: '0600' })),
      { kind: 'write', description: `write ${overlayPath} (the digest label)`, path: overlayPath, content: digestOverlay(files, digests, STACK_DIGEST_LABEL), mode: '0600' },
      {
        kind: 'command',
        id: 'deploy',
        description: `docker stack deploy ${args.name}`,
        command: deployCommand(args, [...paths, overlayPath]),
        timeoutMs: 300_000,
        retry: { ...OUT_OF_SEQUENCE_RETRY },
        failMessage: `docker stack deploy ${args.name} failed on ${ctx.host}`,
        failHints: [
          { whenOutputMatches: 'unsupported Compose file version', message: `docker on ${ctx.host} needs a version: line in the compose files of stack ${args.name} (Debian 12's docker 20.10 reads "3.8" and older)` },
          { whenOutputMatches: 'network .* not found', message: `stack ${args.name} was still being removed on ${ctx.host} (its network was going away): remove it with docker_stack state: absent, which waits until it is gone` },
        ],
      },
    ];
    if (args.wait) steps.push(convergenceWait(args, wanted, state, oneShotTasks));
    result.differences = differences;
    return { steps, result, diffs, msg: `stack ${args.name}: ${differences.join('; ')}` };
  },
  finish(args, outcomes) {
    const waited = outcomes.byId('converge')?.waited as StackConvergedResult | undefined;
    if (!waited) return {};
    return {
      converged: true,
      services: waited.services,
      rolled_out: waited.rolledOut,
      seconds: waited.seconds,
      msg: `stack ${args.name}: ${Object.entries(waited.services).map(([name, summary]) => `${name} ${summary}`).join('; ')}`,
    };
  },
});

function convergenceWait(
  args: DockerStackArgs,
  wanted: readonly ComposeService[],
  state: StackState,
  oneShotTasks: ReadonlyMap<string, string[]>,
  only?: readonly string[],
): WaitStep {
  const services = wanted
    .map((service) => ({ name: `${args.name}_${service.name}`, oneShot: service.oneShot }))
    .filter((service) => !only || only.includes(service.name));
  const conditionArgs: StackConvergedArgs = {
    stack: args.name,
    services,
    before: state.services
      // A rollout already in progress is followed as a change: the state before is unknown.
      .filter((service) => !only?.includes(service.name))
      .map((service) => ({
        name: service.name,
        templateKey: service.templateKey,
        updateStatus: service.updateStatus,
        taskIds: oneShotTasks.get(service.name) ?? [],
      })),
  };
  return {
    kind: 'wait',
    id: 'converge',
    description: `wait until stack ${args.name} has converged`,
    condition: 'stack_converged',
    args: { ...conditionArgs },
    intervalMs: CONVERGENCE_POLL_MS,
    timeoutMs: args.timeout * 1000,
    waitingFor: `stack ${args.name} to converge`,
  };
}
