/**
 * `docker_service`: a swarm service as the walkthrough's `docker service create
 * --replicas 6 --name web -p 80 IMAGE`, `docker service scale web=9`,
 * `docker service update --image ...:2.0 --update-parallelism 2
 * --update-delay 1m web`, `--constraint node.hostname==docker03` and
 * `docker service update --rollback web`.
 *
 * plan() reads `docker service inspect` and asks docker for exactly what
 * differs: `docker service create` when the service is absent, otherwise one
 * `docker service update` with only the flags for what differs, and nothing
 * at all when nothing does (no task is restarted). An argument left out (or
 * null) is left as it is on the service: `replicas` unset never undoes a
 * manual `docker service scale`. A list or mapping given (constraints,
 * publish, env, labels, networks) is the whole set.
 *
 * Images: docker pins the digest it resolved (`repo:tag@sha256:...`); a
 * reference without digest matches that spec whatever the digest, so a tag
 * pushed again with new content is not rolled out (use a new tag).
 *
 * After a change the plan waits (`wait`, default true) until the service has
 * converged: a wait step on the `service_converged` condition
 * (conditions/service-converged.ts), whose progress ("newnginx: updating
 * 2/3 running ...") the runner shows meanwhile; a failure (a rejected image,
 * a paused update, an automatic rollback, a node that is down) fails the
 * task with the tasks' own errors. With `update_config.failure_action:
 * rollback` swarm puts the old tasks back by itself, which is what
 * playbooks/deploy.yaml sets. When the spec is already the one asked for
 * but swarm is still rolling it out (an earlier run stopped waiting), the
 * plan is that wait alone: ok, not changed, and done only once the service
 * really runs this spec.
 *
 * `rebalance: true` spreads a replicated service's tasks again after a node
 * came back (swarm never moves running tasks by itself): when the running
 * tasks are unevenly spread over the nodes that may run them
 * (service-balance.ts), `docker service update --force` replaces them one
 * batch at a time under the service's update settings, and the task waits
 * for convergence as for any update; an even spread changes nothing.
 *
 * `rollback: true` is `docker service update --rollback`: refused when
 * there is no previous spec; nothing to do when the last change already was
 * a rollback (so running it twice does not toggle back).
 *
 * This file holds the arguments and the plan; the command lines are built in
 * service-flags.ts, secrets and configs resolved in service-references.ts,
 * durations and sizes read in docker-units.ts, the change and wait steps
 * made in service-change-steps.ts.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type Step } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg, numberArg, portArg } from './argument-types.js';
import { serviceInspect, serviceTasks, type PublishedPort, type ServiceState } from '../facts/swarm-service.js';
import { networkId } from '../facts/network-id.js';
import { allNodes } from '../facts/swarm-nodes.js';
import { judgeBalance } from './service-balance.js';
import { kernelIpvs } from '../facts/kernel-ipvs.js';
import { durationArg, memoryArg } from './docker-units.js';
import { objectReferenceArg, resolveReferences } from './service-references.js';
import { serviceCreateArgs, serviceUpdate } from './service-flags.js';
import { convergenceWait, serviceChangeStep } from './service-change-steps.js';
import type { ConvergenceGoal } from './service-convergence.js';
import type { ConvergedResult } from './conditions/service-converged.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const imageReference = z.string().min(1).regex(/^[a-zA-Z0-9][a-zA-Z0-9._:/@-]*$/, 'not an image reference');

const cpusArg = numberArg.transform((cpus) => Math.round(cpus * 1e9));

const resourceAmountsArg = z.object({ cpus: cpusArg.optional(), memory: memoryArg.optional() }).strict();

const publishArg = z
  .object({
    published: portArg,
    target: portArg,
    protocol: z.enum(['tcp', 'udp', 'sctp']).default('tcp'),
    mode: z.enum(['ingress', 'host']).default('ingress'),
  })
  .strict();

const rolloutArg = (failureActions: [string, ...string[]]) =>
  z
    .object({
      parallelism: numberArg.pipe(z.number().int()).nullish(),
      delay: durationArg.nullish(),
      failure_action: z.enum(failureActions).nullish(),
      monitor: durationArg.nullish(),
      order: z.enum(['stop-first', 'start-first']).nullish(),
      max_failure_ratio: numberArg.pipe(z.number().max(1)).nullish(),
    })
    .strict();

/** null (a playbook's `default(none)`) means "leave it as it is", like leaving the argument out. */
function leaveAsIs<T extends z.ZodTypeAny>(schema: T) {
  return schema.nullish().transform((value) => (value ?? undefined) as z.infer<T> | undefined);
}

const preferenceArg = z.union([
  z.string().regex(/^spread=.+/, 'a preference is spread=DESCRIPTOR').transform((text) => text.slice('spread='.length)),
  z.object({ spread: z.string().min(1) }).strict().transform((preference) => preference.spread),
]);

const envArg = z.union([
  z.record(scalar),
  z.array(z.string().regex(/^[^=]+=/, 'an env list item is KEY=VALUE')).transform((items) =>
    Object.fromEntries(items.map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]))),
]);

const mountArg = z
  .object({
    source: z.string().default(''),
    target: z.string().regex(/^\//, 'an absolute path in the container'),
    type: z.enum(['bind', 'volume', 'tmpfs']).default('volume'),
    readonly: booleanArg.default(false),
  })
  .strict();

const SPEC_ARGUMENTS = [
  'command', 'args', 'mounts', 'image', 'replicas', 'mode', 'publish', 'constraints', 'placement_preferences', 'labels', 'container_labels', 'env',
  'networks', 'update_config', 'rollback_config', 'resources', 'stop_grace_period', 'secrets', 'configs',
] as const;

const dockerServiceArgs = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'not a service name'),
    state: z.enum(['present', 'absent']).default('present'),
    image: leaveAsIs(imageReference),
    replicas: leaveAsIs(numberArg.pipe(z.number().int())),
    mode: leaveAsIs(z.enum(['replicated', 'global'])),
    publish: leaveAsIs(z.array(publishArg)),
    constraints: leaveAsIs(z.array(z.string().min(1))),
    placement_preferences: leaveAsIs(z.array(preferenceArg)),
    labels: leaveAsIs(z.record(scalar)),
    container_labels: leaveAsIs(z.record(scalar)),
    env: leaveAsIs(envArg),
    networks: leaveAsIs(z.array(z.string().min(1))),
    secrets: leaveAsIs(z.array(objectReferenceArg('secret'))),
    configs: leaveAsIs(z.array(objectReferenceArg('config'))),
    update_config: leaveAsIs(rolloutArg(['pause', 'continue', 'rollback'])),
    rollback_config: leaveAsIs(rolloutArg(['pause', 'continue'])),
    resources: leaveAsIs(z.object({ limits: resourceAmountsArg.optional(), reservations: resourceAmountsArg.optional() }).strict()),
    /** Time a task gets to stop before it is killed; every stop-first update batch waits for it. */
    stop_grace_period: leaveAsIs(durationArg),
    /** The container's command, replacing the image's entrypoint (`--entrypoint`), as words. */
    command: leaveAsIs(z.array(z.string()).min(1)),
    /** The command's arguments (after the image in `docker service create`), as words. */
    args: leaveAsIs(z.array(z.string())),
    mounts: leaveAsIs(z.array(mountArg)),
    /** false: docker does not ask the registry for the image's digest (`--no-resolve-image`). */
    resolve_image: booleanArg.default(true),
    rollback: booleanArg.default(false),
    /** Replace the tasks (update --force) when they are unevenly spread over the nodes. */
    rebalance: booleanArg.default(false),
    wait: booleanArg.default(true),
    /** Seconds to wait for convergence. */
    timeout: numberArg.default(300),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.rollback) {
      const given = SPEC_ARGUMENTS.filter((key) => args[key] !== undefined);
      if (given.length) {
        refinement.addIssue({
          code: z.ZodIssueCode.custom,
          path: [given[0]!],
          message: `rollback: true returns the service to its previous spec and takes only name, wait and timeout (also given: ${given.join(', ')}); use a separate task`,
        });
      }
      if (args.state === 'absent') refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['rollback'], message: 'rollback: true with state absent makes no sense' });
      if (args.rebalance) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['rebalance'], message: 'rollback: true and rebalance: true are two changes: use a separate task for each' });
    }
    if (args.rebalance && args.state === 'absent') {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['rebalance'], message: 'rebalance: true with state absent makes no sense' });
    }
    if (args.mode === 'global' && args.replicas !== undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['replicas'], message: 'a global service runs one task per node: replicas is for mode replicated' });
    }
  });

export type DockerServiceArgs = z.infer<typeof dockerServiceArgs>;

export function ingressWarning(host: string, ports: readonly PublishedPort[]): string {
  const list = ports.map((port) => `${port.published}->${port.target}/${port.protocol}`).join(', ');
  return `WARNING: ${list} published in ingress mode, but the kernel of ${host} has no IP_VS: the swarm routing mesh cannot work, ` +
    'so these ports will not answer on any node. Publish with mode: host instead (the lab inventory sets lab_publish_mode: host).';
}

/** The IDs of the named networks, for comparing with the spec (which stores IDs). */
async function networkIdsOf(ctx: ModuleContext, networks: readonly string[]): Promise<{ ids: Map<string, string>; missing: string[] }> {
  const ids = new Map<string, string>();
  const missing: string[] = [];
  for (const network of networks) {
    const id = await ctx.fact(networkId, { name: network });
    if (id === null) missing.push(network);
    else ids.set(network, id);
  }
  return { ids, missing };
}

function describe(service: ServiceState) {
  return {
    service_id: service.id,
    image: service.image,
    mode: service.mode,
    ...(service.replicas !== undefined && { replicas: service.replicas }),
    published: service.publish,
    update_status: service.updateStatus?.state ?? null,
  };
}

/** The change, then (unless `wait: false`) the wait until the service runs it. */
function convergeChange(host: string, description: string, command: string, args: DockerServiceArgs, goal: ConvergenceGoal): Step[] {
  const change = serviceChangeStep({ id: 'change', description, command, failMessage: `${description} failed on ${host}` });
  return args.wait ? [change, convergenceWait(args, goal)] : [change];
}

export const dockerService = defineModule({
  name: 'docker_service',
  schema: dockerServiceArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const service = await ctx.fact(serviceInspect, { name: args.name });
    const result: Record<string, unknown> = { name: args.name, state: args.state };

    if (args.state === 'absent') {
      if (!service) return { steps: [], result };
      return { steps: [{ kind: 'command', description: `docker service rm ${args.name}`, command: quoteArgs(['docker', 'service', 'rm', args.name]) }], result };
    }

    if (args.rollback) {
      if (!service) return { steps: [], result, failed: `cannot roll back service ${args.name}: there is no such service on ${ctx.host}` };
      Object.assign(result, describe(service));
      const status = service.updateStatus?.state;
      if (status === 'rollback_completed') {
        return { steps: [], result, msg: `${args.name} was already rolled back (${service.updateStatus!.message}); it runs ${service.image.split('@')[0]}` };
      }
      if (!service.hasPreviousSpec) {
        return {
          steps: [],
          result,
          failed: `cannot roll back service ${args.name}: it has no previous spec (it was never updated, or swarm already rolled its last update back)`,
        };
      }
      return {
        steps: convergeChange(
          ctx.host,
          `docker service update --rollback ${args.name} (back to ${service.previousImage?.split('@')[0] ?? 'the previous spec'})`,
          quoteArgs(['docker', 'service', 'update', '--detach', '--rollback', args.name]),
          args,
          { kind: 'rollback', statusBefore: service.updateStatus, expectRollout: true, ...(service.previousImage && { image: service.previousImage }) },
        ),
        result,
      };
    }

    const ingressPorts = (args.publish ?? service?.publish ?? []).filter((port) => port.mode === 'ingress');
    let warning: string | undefined;
    if (ingressPorts.length > 0 && !(await ctx.fact(kernelIpvs, {}))) warning = ingressWarning(ctx.host, ingressPorts);

    let networkIds = new Map<string, string>();
    if (args.networks?.length) {
      const { ids, missing } = await networkIdsOf(ctx, args.networks);
      if (missing.length) return { steps: [], result, failed: `network ${missing.join(', ')} does not exist on ${ctx.host}: create it first (docker_network)` };
      networkIds = ids;
    }

    const { references, missing } = await resolveReferences(ctx, args);
    if (missing.length) return { steps: [], result, failed: `${missing.join(', ')} does not exist on ${ctx.host}: create it first (docker_secret, docker_config)` };

    if (!service) {
      if (!args.image) return { steps: [], result, failed: `service ${args.name} does not exist: give image to create it` };
      const words = serviceCreateArgs(args, references);
      return {
        steps: convergeChange(
          ctx.host,
          `docker service create --name ${args.name} ${args.mode === 'global' ? '--mode global' : `--replicas ${args.replicas ?? 1}`} ${args.image}`,
          quoteArgs(['docker', 'service', 'create', ...words]),
          args,
          { kind: 'create', statusBefore: null, expectRollout: false, image: args.image },
        ),
        result,
        ...(warning && { msg: warning }),
      };
    }

    Object.assign(result, describe(service));
    if (args.mode !== undefined && args.mode !== service.mode) {
      return { steps: [], result, failed: `service ${args.name} is ${service.mode} and docker cannot change a service's mode: remove it first (state: absent)` };
    }
    const update = serviceUpdate(service, args, networkIds, references);
    let balanceNote: string | undefined;
    if (args.rebalance) {
      if (service.mode === 'global') {
        balanceNote = `${args.name} is global, one task per node: nothing to rebalance`;
      } else {
        const balance = judgeBalance(await ctx.fact(allNodes, {}), service.constraints, await ctx.fact(serviceTasks, { name: args.name }));
        if (balance.balanced) {
          balanceNote = `${args.name}'s tasks are evenly spread (${balance.spread})`;
        } else {
          update.flags.push('--force');
          update.differences.push(`rebalance (running now: ${balance.spread})`);
          update.rollout = true;
        }
      }
    }
    if (update.flags.length === 0) {
      // The spec is already the one asked for, but swarm is still rolling it out (an earlier run
      // stopped waiting: a node was down, the run was interrupted): wait for that rollout, which
      // changes nothing, so the task is ok only once the service really runs this spec.
      if (service.updateStatus?.state === 'updating' && args.wait) {
        return {
          steps: [convergenceWait(args, { kind: 'update', statusBefore: null, expectRollout: true, image: service.image }, true)],
          result,
          ...(warning && { msg: warning }),
        };
      }
      const msg = warning ?? balanceNote;
      return { steps: [], result, ...(msg && { msg }) };
    }
    result.differences = update.differences;
    result.changed_arguments = update.changedArgs;
    return {
      steps: convergeChange(
        ctx.host,
        `docker service update ${update.flags.join(' ')} ${args.name}`,
        quoteArgs(['docker', 'service', 'update', '--detach', ...(args.resolve_image ? [] : ['--no-resolve-image']), ...update.flags, args.name]),
        args,
        { kind: 'update', statusBefore: service.updateStatus, expectRollout: update.rollout, image: args.image ?? service.image },
      ),
      result,
      msg: warning ?? `${args.name}: ${update.differences.join('; ')}`,
    };
  },
  finish(args, outcomes, plan) {
    const waited = outcomes.byId('converge')?.waited as ConvergedResult | undefined;
    const changed = outcomes.byId('change') !== undefined;
    if (!waited) return changed && !args.wait ? { converged: null } : {};
    if (!changed) {
      // The rollout an earlier run started: no change of ours, so no convergence record.
      return {
        ...describe(waited.service),
        ...(plan.msg === undefined && { msg: `${args.name}: the rollout already in progress finished: ${waited.summary}` }),
      };
    }
    return { converged: true, convergence: waited.summary, seconds: waited.seconds, tasks: waited.tasks, ...describe(waited.service) };
  },
});
