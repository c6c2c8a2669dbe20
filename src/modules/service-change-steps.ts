/**
 * The steps of a change to a swarm service, as docker_service and
 * docker_secret/docker_config (switching services to a new version) plan
 * them: the docker command, then the wait until the service runs what was
 * asked of it (the `service_converged` condition, see service-convergence.ts).
 */
import type { CommandStep, WaitStep } from './types.js';
import type { ConvergenceGoal } from './service-convergence.js';
import type { ServiceConvergedArgs } from './conditions/service-converged.js';

/**
 * Swarm rewrites a service (its UpdateStatus) while an earlier rollout finishes; the
 * client's read-modify-write then loses the race ("update out of sequence"): read again.
 */
export const OUT_OF_SEQUENCE_RETRY: NonNullable<CommandStep['retry']> = { whileOutputMatches: 'out of sequence', attempts: 3, delayMs: 500 };

/** A command that changes a service (create, update, rollback), retried while it loses swarm's race. */
export function serviceChangeStep(change: { id: string; description: string; command: string; failMessage: string }): CommandStep {
  return {
    kind: 'command',
    id: change.id,
    description: change.description,
    command: change.command,
    timeoutMs: 300_000,
    retry: { ...OUT_OF_SEQUENCE_RETRY },
    failMessage: change.failMessage,
  };
}

/** How often the convergence wait reads the service (one round trip each). */
const CONVERGENCE_POLL_MS = 500;

/** The wait until the service runs what was asked of it (also after docker_secret/docker_config switched it). */
export function convergenceWait(args: { name: string; timeout: number }, goal: ConvergenceGoal, resumed = false, id = 'converge'): WaitStep {
  const conditionArgs: ServiceConvergedArgs = {
    service: args.name,
    kind: goal.kind,
    statusBefore: goal.statusBefore,
    expectRollout: goal.expectRollout,
    ...(goal.image !== undefined && { image: goal.image }),
    ...(resumed && { resumed }),
  };
  return {
    kind: 'wait',
    id,
    description: `wait until ${args.name} has converged`,
    condition: 'service_converged',
    args: { ...conditionArgs },
    intervalMs: CONVERGENCE_POLL_MS,
    timeoutMs: args.timeout * 1000,
    waitingFor: `${args.name} to converge`,
  };
}
