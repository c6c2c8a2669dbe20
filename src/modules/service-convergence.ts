/**
 * Judging whether a swarm service has converged after docker_service changed it:
 * every task of the current spec running (as many as the service wants),
 * the rollout swarm started for the change finished, or the reason it
 * cannot: the tasks' own errors ("No such image: ...", "no suitable node
 * ..."), a paused update, an automatic rollback.
 *
 * Why our own polling over `docker service update --detach=false`: that
 * client-side wait draws a terminal progress display (unreadable when
 * piped), has no timeout, keeps a channel busy for the whole rollout and
 * reports a failure as one line without the tasks' errors. Polling with
 * short read-only commands (one round trip: inspect + ps) gives per-replica
 * progress, a timeout, the errors, and a runner that stays responsive.
 *
 * The verdict is a pure function of one snapshot (judgeConvergence), so it
 * is tested on captured `docker service inspect`/`ps` output. The wait
 * itself (what is remembered across snapshots, the monitor period, a node
 * that is down) is the `service_converged` condition
 * (conditions/service-converged.ts), polled by the runner.
 */
import {
  parseServiceInspect, parseServicePs, sameImage, serviceInspectCommand, servicePsCommand,
  type ServiceState, type TaskLine, type UpdateStatus,
} from '../facts/swarm-service.js';

export interface ConvergenceGoal {
  /** What was just done to the service. */
  kind: 'create' | 'update' | 'rollback';
  /**
   * The service's UpdateStatus before the change. A status with the same
   * StartedAt afterwards is an earlier rollout's, not this change's.
   */
  statusBefore: UpdateStatus | null;
  /**
   * The change touches the task template or ports, so swarm will roll the
   * tasks out (and report it in UpdateStatus). A change of replicas, service
   * labels or update settings alone replaces no task.
   */
  expectRollout: boolean;
  /**
   * The image the change asks for. Its tasks' errors are kept even after an
   * automatic rollback has switched the spec back to the old image.
   */
  image?: string;
}

export type Verdict =
  | { outcome: 'converged'; summary: string }
  | {
      outcome: 'waiting';
      progress: string;
      errors: string[];
      /**
       * Every task of the new spec runs; only swarm's rollout is not marked
       * completed yet (it still waits its update delay and monitor period).
       */
      steady?: boolean;
      /** A global service without any task yet: right after creation, or no node matches its constraints. */
      noTasks?: boolean;
    }
  | {
      outcome: 'failed';
      reason: string;
      errors: string[];
      /** Swarm rolled the update back: wait for the old tasks to run again before failing the task. */
      settle?: boolean;
    };

/** Task states that mean "this attempt is over and failed". */
const FAILED_STATES = new Set(['failed', 'rejected', 'orphaned']);
/** Desired states of tasks swarm no longer wants. */
const RETIRED_DESIRED_STATES = new Set(['shutdown', 'remove', 'complete', 'orphaned']);

/** Task errors worth showing, each once, most frequent first. */
export function taskErrors(tasks: readonly TaskLine[]): string[] {
  const counts = new Map<string, number>();
  for (const task of tasks) if (task.error) counts.set(task.error, (counts.get(task.error) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([error, count]) => (count > 1 ? `${error} (${count} tasks)` : error));
}

/** This change's rollout status, or null while swarm has not started one for it. */
export function ownRollout(service: ServiceState, goal: ConvergenceGoal): UpdateStatus | null {
  const status = service.updateStatus;
  if (!status || (goal.statusBefore && goal.statusBefore.startedAt === status.startedAt)) return null;
  return status;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].map(([name, count]) => `${count} ${name}`).join(', ');
}

/** The tasks of the current spec that swarm still wants. */
export function activeTasks(service: ServiceState, tasks: readonly TaskLine[]): TaskLine[] {
  return tasks.filter((task) => !RETIRED_DESIRED_STATES.has(task.desiredState) && sameImage(task.image, service.image));
}

/** The verdict on one snapshot of the service and its tasks. */
export function judgeConvergence(service: ServiceState, tasks: readonly TaskLine[], goal: ConvergenceGoal): Verdict {
  const current = tasks.filter((task) => sameImage(task.image, service.image));
  const active = activeTasks(service, tasks);
  const running = active.filter((task) => task.state === 'running');
  const failedAttempts = current.filter((task) => FAILED_STATES.has(task.state));
  const errors = taskErrors(current.filter((task) => task.error && task.state !== 'running'));
  const desired = service.mode === 'replicated' ? service.replicas ?? 0 : undefined;
  const notRunning = active.filter((task) => task.state !== 'running');
  const progress =
    `${running.length}/${desired ?? active.length} running` +
    (notRunning.length ? ` (${countBy(notRunning, (task) => task.state)})` : '') +
    (errors.length ? `: ${errors[0]}` : '');

  const rollout = ownRollout(service, goal);
  if (rollout) {
    switch (rollout.state) {
      case 'paused':
        return { outcome: 'failed', reason: `the update of ${service.name} is paused: ${rollout.message}`, errors };
      case 'rollback_paused':
        return { outcome: 'failed', reason: `the rollback of ${service.name} is paused: ${rollout.message}`, errors };
      case 'rollback_completed':
        if (goal.kind !== 'rollback') {
          return {
            outcome: 'failed',
            reason: `the update of ${service.name} failed and swarm rolled it back to the previous spec (${rollout.message})`,
            errors,
            settle: true,
          };
        }
        break;
      case 'updating':
      case 'rollback_started': {
        const ownDirection = (rollout.state === 'updating') === (goal.kind !== 'rollback');
        const steady = ownDirection && notRunning.length === 0 && (desired === undefined ? running.length > 0 : running.length === desired);
        return { outcome: 'waiting', progress: `${rollout.state === 'updating' ? 'updating' : 'rolling back'}: ${progress}`, errors, steady };
      }
      default:
        break;
    }
  } else if (goal.expectRollout || goal.kind === 'rollback') {
    // Swarm has not reported a rollout for this change yet: never call the old tasks converged.
    return { outcome: 'waiting', progress: `waiting for swarm to start the rollout: ${progress}`, errors };
  }

  // A failure swarm does not act on (a new service, failure_action continue): it retries forever.
  const attemptsAllowed = Math.max(desired ?? active.length, 1) * 2;
  if (failedAttempts.length >= attemptsAllowed && (desired === undefined || running.length < desired)) {
    return {
      outcome: 'failed',
      reason: `${service.name} cannot start its tasks: ${failedAttempts.length} attempts failed, ${running.length}/${desired ?? active.length} running`,
      errors,
    };
  }
  if (desired === undefined && active.length === 0) {
    return { outcome: 'waiting', progress: 'no task scheduled yet', errors, noTasks: true };
  }
  const allRunning = notRunning.length === 0 && (desired === undefined ? true : running.length === desired);
  if (allRunning) {
    return { outcome: 'converged', summary: `${running.length}/${desired ?? running.length} running ${service.image.split('@')[0]}` };
  }
  return { outcome: 'waiting', progress, errors };
}

/** One round trip: the service, then its tasks, split by a marker line. */
export const SNAPSHOT_MARKER = '--swarmplay-tasks--';

export function snapshotCommand(name: string): string {
  return `${serviceInspectCommand(name)} && echo ${SNAPSHOT_MARKER} && ${servicePsCommand(name)}`;
}

export function parseSnapshot(stdout: string): { service: ServiceState; tasks: TaskLine[] } {
  const at = stdout.indexOf(SNAPSHOT_MARKER);
  if (at < 0) throw new Error(`cannot read the service state: ${JSON.stringify(stdout.slice(0, 200))}`);
  return { service: parseServiceInspect(stdout.slice(0, at)), tasks: parseServicePs(stdout.slice(at + SNAPSHOT_MARKER.length)) };
}

/** Tasks of the current spec that swarm wants running but cannot place (pending with an error). */
export function unplacedTasks(service: ServiceState, tasks: readonly TaskLine[]): TaskLine[] {
  return activeTasks(service, tasks).filter((task) => task.state === 'pending' && task.error !== '');
}

/** Errors of tasks that belonged to the change while it ran (an automatic rollback hides them afterwards). */
export function rememberErrors(seen: Map<string, string>, image: string, tasks: readonly TaskLine[]): void {
  for (const task of tasks) if (task.error && task.state !== 'running' && sameImage(task.image, image)) seen.set(task.id, task.error);
}

/** The reason, then every task error seen, each once. */
export function failureMessage(reason: string, errors: readonly string[], seen: readonly string[]): string {
  const all = [...new Set([...errors.map((e) => e.replace(/ \(\d+ tasks\)$/, '')), ...seen])];
  return all.length ? `${reason}; task errors: ${all.join('; ')}` : reason;
}
