/**
 * `stack_converged`: every service of a stack runs what `docker stack
 * deploy` just asked, or the task fails naming the service that cannot.
 *
 * The first poll reads the whole stack (stack_state) and compares each
 * service with what it was before the deploy: a service that did not exist
 * was created; one whose task template changed is being rolled out; one
 * whose template is the same (only its labels changed) has no task
 * replaced and counts at once. Each long-running service is then followed
 * by its own `service_converged` poller (replicated: running == desired
 * with the new spec; global: one task per eligible node; an automatic
 * rollback by swarm fails the wait with the service's name and swarm's
 * message). A one-shot service (restart condition none or on-failure) is
 * done when as many new tasks as it has replicas have completed; a new
 * task that failed fails the wait with its error.
 *
 * Progress is one line per poll naming each service not yet done
 * ("shop: web updating 1/3 running; migrate 0/1 completed"), shown by the
 * reporters as the wait's progress.
 */
import { z } from 'zod';
import { defineCondition, type ConditionPoller, type PollVerdict, type ProbeHost } from './types.js';
import { serviceConverged, type ServiceConvergedArgs } from './service-converged.js';
import { parseStackState, stackStateCommand, type StackService } from '../../facts/stack-state.js';
import { parseServicePs, servicePsCommand } from '../../facts/swarm-service.js';
import { taskErrors } from '../service-convergence.js';

const serviceBefore = z.object({
  name: z.string(),
  templateKey: z.string(),
  updateStatus: z.object({ state: z.string(), startedAt: z.string(), completedAt: z.string().optional(), message: z.string() }).strict().nullable(),
  /** One-shot services: the tasks that existed before the deploy (the new ones are the others). */
  taskIds: z.array(z.string()).default([]),
}).strict();

const stackConvergedArgs = z.object({
  stack: z.string().min(1),
  /** Full service names (stack_service) the compose files define. */
  services: z.array(z.object({ name: z.string(), oneShot: z.boolean() }).strict()),
  /** The stack's services as they were before the deploy. */
  before: z.array(serviceBefore).default([]),
  /** Passed on to each service's wait (see service_converged). */
  rolloutGraceMs: z.number().int().nonnegative().optional(),
}).strict();

export type StackConvergedArgs = z.input<typeof stackConvergedArgs>;
type Before = z.infer<typeof serviceBefore>;

/** What a converged stack hands to docker_stack's finish(). */
export interface StackConvergedResult {
  /** Service -> what converged ("3/3 running ...", "1/1 completed", "unchanged"). */
  services: Record<string, string>;
  /** Services whose tasks were replaced or created by the deploy. */
  rolledOut: string[];
  seconds: number;
}

interface Follower {
  name: string;
  short: string;
  poll(host: ProbeHost, elapsedMs: number): Promise<PollVerdict>;
  timeoutMessage?(timeoutMs: number, lastProgress: string): string;
}

const FAILED_STATES = new Set(['failed', 'rejected']);

/** A one-shot service: new tasks (not in `before`) completed, as many as its replicas. */
function oneShotFollower(service: StackService, short: string, before: Before | undefined): Follower {
  const known = new Set(before?.taskIds ?? []);
  const wanted = service.mode === 'replicated' ? service.replicas ?? 1 : undefined;
  return {
    name: service.name,
    short,
    async poll(host) {
      const answer = await host.probe(servicePsCommand(service.name), { timeoutMs: 60_000 });
      if (answer.exitCode !== 0) return { state: 'failed', message: `cannot list the tasks of ${service.name} on ${host.host}: ${answer.stderr.trim()}` };
      const fresh = parseServicePs(answer.stdout).filter((task) => !known.has(task.id));
      const failed = fresh.filter((task) => FAILED_STATES.has(task.state));
      if (failed.length > 0 && service.restartCondition === 'none') {
        return { state: 'failed', message: `one-shot service ${service.name} failed: ${taskErrors(failed).join('; ') || failed[0]!.currentState}` };
      }
      const completed = fresh.filter((task) => task.state === 'complete').length;
      const goal = wanted ?? Math.max(fresh.length, 1);
      if (completed >= goal && (wanted !== undefined || fresh.every((task) => task.state === 'complete'))) {
        return { state: 'done', result: { summary: `${completed}/${goal} completed` } };
      }
      const states = new Map<string, number>();
      for (const task of fresh.filter((t) => t.state !== 'complete')) states.set(task.state, (states.get(task.state) ?? 0) + 1);
      const detail = [...states].map(([state, count]) => `${count} ${state}`).join(', ');
      return { state: 'waiting', progress: `${short} ${completed}/${goal} completed${detail ? ` (${detail})` : ''}` };
    },
  };
}

function serviceFollower(service: StackService, short: string, before: Before | undefined, rolloutGraceMs: number | undefined): Follower {
  const args: ServiceConvergedArgs = {
    service: service.name,
    kind: before ? 'update' : 'create',
    statusBefore: before?.updateStatus ?? null,
    expectRollout: before !== undefined,
    image: service.image,
    ...(rolloutGraceMs !== undefined && { rolloutGraceMs }),
  };
  const poller = serviceConverged.start(serviceConverged.schema.parse(args));
  return {
    name: service.name,
    short,
    async poll(host, elapsedMs) {
      const verdict = await poller.poll(host, elapsedMs);
      return verdict.state === 'waiting' ? { state: 'waiting', progress: verdict.progress.replace(`${service.name}: `, `${short} `) } : verdict;
    },
    timeoutMessage: (timeoutMs, lastProgress) => poller.timeoutMessage?.(timeoutMs, lastProgress) ?? lastProgress,
  };
}

export const stackConverged = defineCondition({
  name: 'stack_converged',
  schema: stackConvergedArgs,
  start(args): ConditionPoller {
    let followers: Follower[] | undefined;
    const done: Record<string, string> = {};
    const rolledOut: string[] = [];
    const progress = new Map<string, string>();
    const short = (name: string) => name.startsWith(`${args.stack}_`) ? name.slice(args.stack.length + 1) : name;

    const start = async (host: ProbeHost): Promise<PollVerdict | undefined> => {
      const answer = await host.probe(stackStateCommand(args.stack), { timeoutMs: 60_000 });
      if (answer.exitCode !== 0) return { state: 'failed', message: `cannot read stack ${args.stack} on ${host.host}: ${answer.stderr.trim()}` };
      const now = new Map(parseStackState(answer.stdout).services.map((service) => [service.name, service]));
      const before = new Map(args.before.map((service) => [service.name, service]));
      followers = [];
      for (const wanted of args.services) {
        const service = now.get(wanted.name);
        if (!service) return { state: 'failed', message: `docker stack deploy did not make service ${wanted.name}` };
        const previous = before.get(wanted.name);
        if (previous && previous.templateKey === service.templateKey) {
          done[short(wanted.name)] = 'unchanged';
          continue;
        }
        rolledOut.push(short(wanted.name));
        followers.push(wanted.oneShot
          ? oneShotFollower(service, short(wanted.name), previous)
          : serviceFollower(service, short(wanted.name), previous, args.rolloutGraceMs));
      }
      return undefined;
    };

    return {
      async poll(host, elapsedMs) {
        if (!followers) {
          const failed = await start(host);
          if (failed) return failed;
        }
        for (const follower of [...followers!]) {
          const verdict = await follower.poll(host, elapsedMs);
          if (verdict.state === 'failed') return { state: 'failed', message: `stack ${args.stack}, service ${follower.short}: ${verdict.message}` };
          if (verdict.state === 'waiting') {
            progress.set(follower.short, verdict.progress);
            continue;
          }
          done[follower.short] = String(verdict.result?.summary ?? 'converged');
          progress.delete(follower.short);
          followers = followers!.filter((other) => other !== follower);
        }
        if (followers!.length === 0) {
          const result: StackConvergedResult = { services: done, rolledOut, seconds: Math.round(elapsedMs / 100) / 10 };
          return { state: 'done', result: { ...result } };
        }
        return { state: 'waiting', progress: `${args.stack}: ${[...progress.values()].join('; ')}` };
      },
      timeoutMessage(timeoutMs, lastProgress) {
        const waiting = followers ?? [];
        if (waiting.length === 0) return `stack ${args.stack} did not converge within ${Math.round(timeoutMs / 1000)} s: ${lastProgress}`;
        return waiting
          .map((follower) => `stack ${args.stack}, service ${follower.short}: ${follower.timeoutMessage?.(timeoutMs, progress.get(follower.short) ?? '') ?? progress.get(follower.short) ?? 'not converged'}`)
          .join('\n');
      },
    };
  },
});
