/**
 * `service_converged`: a swarm service runs what docker_service just asked
 * of it: every task of the current spec running (as many as the service
 * wants), the rollout swarm started for the change finished, or the reason
 * it cannot (the tasks' own errors, a paused update, an automatic rollback,
 * a node that is down). Each poll is one round trip (`docker service
 * inspect` + `docker service ps`, see service-convergence.ts), judged by
 * judgeConvergence; what one snapshot cannot tell is kept here across polls:
 *
 * - task errors seen while the change ran (an automatic rollback replaces
 *   the failed tasks, and their errors with them) and the reason swarm gave
 *   when it started rolling back ("rollback completed" says nothing of why);
 * - since when the new tasks have all been running: as `docker service
 *   update --detach=false` does, tasks that kept running for the service's
 *   monitor period count as converged, without waiting for swarm's final
 *   update delay;
 * - since when tasks have been pending without a node: after
 *   `blockedGraceMs` the wait asks which nodes are down, and fails naming
 *   the node (a host-mode port held on every other node blocks the rollout
 *   until that node is back) instead of at the timeout;
 * - after swarm rolled the update back, the failure waits (at most a
 *   minute, within the timeout) until the previous tasks run again, so the
 *   task fails with the service whole and says so.
 *
 * Time is the `elapsedMs` the runner passes to each poll: tests script the
 * snapshots and the clock, nothing here sleeps.
 */
import { z } from 'zod';
import { defineCondition, type ConditionPoller, type PollVerdict, type ProbeHost } from './types.js';
import {
  activeTasks, failureMessage, judgeConvergence, ownRollout, parseSnapshot, rememberErrors, snapshotCommand, unplacedTasks,
  type ConvergenceGoal, type Verdict,
} from '../service-convergence.js';
import type { ServiceState, TaskLine } from '../../facts/swarm-service.js';

export const NODE_STATUS_COMMAND = "docker node ls --format '{{.Hostname}} {{.Status}}'";

/** How often, at most, a blocked rollout asks which nodes are down. */
const NODE_CHECK_EVERY_MS = 5000;
/** How long, at most, a failed update waits for its rolled-back tasks to run again. */
const SETTLE_MS = 60_000;

const updateStatusArg = z.object({
  state: z.string(),
  startedAt: z.string(),
  completedAt: z.string().optional(),
  message: z.string(),
}).strict();

const serviceConvergedArgs = z.object({
  service: z.string().min(1),
  /** What was just done to the service (see ConvergenceGoal). */
  kind: z.enum(['create', 'update', 'rollback']),
  statusBefore: updateStatusArg.nullable().default(null),
  expectRollout: z.boolean(),
  image: z.string().optional(),
  /**
   * The wait is for a rollout an earlier run started and did not see to
   * its end (no change now): failures say so.
   */
  resumed: z.boolean().default(false),
  /**
   * When swarm reports no rollout for a change that was expected to make
   * one (a placement change every task already satisfies), the tasks as they
   * are count after this long; a global service with no task at all after
   * this long has no node that matches its placement.
   */
  rolloutGraceMs: z.number().int().nonnegative().default(3000),
  /** Tasks pending without a node for this long make the wait ask which nodes are down. */
  blockedGraceMs: z.number().int().nonnegative().default(10_000),
}).strict();

export type ServiceConvergedArgs = z.input<typeof serviceConvergedArgs>;

/** What a converged wait hands to docker_service's finish(). */
export interface ConvergedResult {
  summary: string;
  seconds: number;
  tasks: { name: string; node: string; state: string }[];
  service: ServiceState;
}

/** Nodes of the swarm that are not Ready ("docker03 is down"); empty when docker cannot say. */
export async function nodesNotReady(host: ProbeHost): Promise<string[]> {
  const answer = await host.probe(NODE_STATUS_COMMAND, { timeoutMs: 30_000 });
  if (answer.exitCode !== 0) return [];
  return answer.stdout.trim().split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([hostname, status]) => hostname && status && status !== 'Ready')
    .map(([hostname, status]) => `${hostname} is ${status!.toLowerCase()}`);
}

function seconds(elapsedMs: number): number {
  return Math.round(elapsedMs / 100) / 10;
}

function converged(summary: string, elapsedMs: number, service: ServiceState, tasks: readonly TaskLine[]): PollVerdict {
  const result: ConvergedResult = {
    summary,
    seconds: seconds(elapsedMs),
    tasks: activeTasks(service, tasks).map((task) => ({ name: task.name, node: task.node, state: task.state })),
    service,
  };
  return { state: 'done', result: { ...result } };
}

export const serviceConverged = defineCondition({
  name: 'service_converged',
  schema: serviceConvergedArgs,
  start(args): ConditionPoller {
    const name = args.service;
    const goal: ConvergenceGoal = {
      kind: args.kind,
      statusBefore: args.statusBefore,
      expectRollout: args.expectRollout,
      ...(args.image !== undefined && { image: args.image }),
    };
    const seenErrors = new Map<string, string>();
    let rollbackReason = '';
    let effectiveGoal = goal;
    let steadySince: number | undefined;
    let unplacedSince: number | undefined;
    let nextNodeCheck = 0;
    let last: Extract<Verdict, { outcome: 'waiting' }> | undefined;
    /** Set once swarm rolled the update back: the failure, told once the previous tasks run again. */
    let settling: { reason: string; errors: string[]; until: number; progress: string } | undefined;

    const fail = (message: string): PollVerdict => ({
      state: 'failed',
      message: args.resumed ? `${name} was already being rolled out to this spec and did not converge: ${message}` : message,
    });
    const seen = () => [...seenErrors.values()];

    /** The tasks after a rollback: the old spec running everywhere again ends the wait (failed all the same). */
    const settle = (service: ServiceState, tasks: readonly TaskLine[], elapsedMs: number): PollVerdict => {
      const state = settling!;
      // Only the tasks matter now: the finished rollback is taken as the state before.
      const verdict = judgeConvergence(service, tasks, { kind: 'create', statusBefore: service.updateStatus, expectRollout: false });
      if (verdict.outcome === 'converged') {
        return fail(failureMessage(`${state.reason}; the previous tasks run again (${verdict.summary})`, state.errors, seen()));
      }
      if (verdict.outcome === 'failed' || elapsedMs >= state.until) {
        const said = verdict.outcome === 'failed' ? verdict.reason : verdict.progress;
        return fail(failureMessage(`${state.reason}; the previous tasks are not all running: ${said}`, state.errors, seen()));
      }
      state.progress = verdict.progress;
      return { state: 'waiting', progress: `${name}: rolled back, ${verdict.progress}` };
    };

    return {
      async poll(host, elapsedMs) {
        const answer = await host.probe(snapshotCommand(name), { timeoutMs: 60_000 });
        if (answer.exitCode !== 0) {
          const said = (answer.stderr || answer.stdout).trim().split('\n').slice(-3).join('\n');
          // After a rollback the failure is known already: say it, without the previous tasks' state.
          if (settling) return fail(failureMessage(settling.reason, settling.errors, seen()));
          return fail(`cannot read the state of service ${name} on ${host.host}: ${said}`);
        }
        const { service, tasks } = parseSnapshot(answer.stdout);
        if (settling) return settle(service, tasks, elapsedMs);

        rememberErrors(seenErrors, goal.image ?? service.image, tasks);
        if (service.updateStatus?.state === 'rollback_started' && goal.kind !== 'rollback') rollbackReason = service.updateStatus.message;
        if (effectiveGoal.expectRollout && goal.kind === 'update' && !ownRollout(service, goal) && elapsedMs >= args.rolloutGraceMs) {
          effectiveGoal = { ...goal, expectRollout: false };
        }
        const verdict = judgeConvergence(service, tasks, effectiveGoal);
        if (verdict.outcome === 'converged') return converged(verdict.summary, elapsedMs, service, tasks);

        if (verdict.outcome === 'waiting' && verdict.steady) {
          steadySince ??= elapsedMs;
          const config = goal.kind === 'rollback' ? service.rollbackConfig : service.updateConfig;
          const monitorMs = (config?.monitorNs ?? 5e9) / 1e6;
          if (elapsedMs - steadySince >= monitorMs) {
            const summary = `${verdict.progress.replace(/^(updating|rolling back): /, '')} ${service.image.split('@')[0]} (steady for the ${monitorMs / 1000} s monitor period)`;
            return converged(summary, elapsedMs, service, tasks);
          }
        } else {
          steadySince = undefined;
        }
        if (verdict.outcome === 'waiting' && verdict.noTasks && elapsedMs >= args.rolloutGraceMs) {
          return { state: 'done', result: { summary: `no task: no node matches ${name}'s placement`, seconds: seconds(elapsedMs), tasks: [], service } };
        }

        if (verdict.outcome === 'failed') {
          const reason = rollbackReason && !verdict.reason.includes(rollbackReason) ? `${verdict.reason}: ${rollbackReason}` : verdict.reason;
          if (!verdict.settle) return fail(failureMessage(reason, verdict.errors, seen()));
          settling = { reason, errors: verdict.errors, until: elapsedMs + SETTLE_MS, progress: '' };
          // The snapshot that showed the rollback may already show the previous tasks running.
          return settle(service, tasks, elapsedMs);
        }

        last = verdict;
        const unplaced = unplacedTasks(service, tasks);
        if (unplaced.length === 0) unplacedSince = undefined;
        else if (elapsedMs - (unplacedSince ??= elapsedMs) >= args.blockedGraceMs && elapsedMs >= nextNodeCheck) {
          nextNodeCheck = elapsedMs + NODE_CHECK_EVERY_MS;
          const down = await nodesNotReady(host);
          if (down.length > 0) {
            return fail(failureMessage(
              `${name} cannot converge while node ${down.join(', node ')}: swarm cannot place ${unplaced.length} task${unplaced.length > 1 ? 's' : ''} ` +
              `elsewhere (${verdict.progress}); bring the node back (its dockerd) and run again`,
              verdict.errors,
              seen(),
            ));
          }
        }
        return { state: 'waiting', progress: `${name}: ${verdict.progress}` };
      },

      timeoutMessage(timeoutMs, lastProgress) {
        const message = settling
          ? failureMessage(`${settling.reason}; the previous tasks are not all running: ${settling.progress}`, settling.errors, seen())
          : failureMessage(
            `${name} did not converge within ${Math.round(timeoutMs / 1000)} s: ${last?.progress ?? lastProgress.replace(`${name}: `, '')}`,
            last?.errors ?? [],
            seen(),
          );
        return args.resumed ? `${name} was already being rolled out to this spec and did not converge: ${message}` : message;
      },
    };
  },
});
