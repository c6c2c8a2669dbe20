/**
 * What a wait step waits for. A condition is named in a plan's wait step
 * (data), and defined here as a poller that only reads the host: the runner
 * owns the loop, the interval, the timeout, progress events and check mode.
 * A condition keeps what it learnt across polls (errors seen, since when a
 * state held) in the poller `start()` returns for one wait.
 */
import type { z } from 'zod';
import type { RunOptions, RunResult } from '../../transport/types.js';

/** Read-only access to the host during a wait. */
export interface ProbeHost {
  readonly host: string;
  probe(command: string, options?: RunOptions): Promise<RunResult>;
}

export type PollVerdict =
  /** The condition holds; `result` goes to the step's outcome (finish()). */
  | { state: 'done'; result?: Record<string, unknown> }
  /** Not yet; `progress` is what the user sees meanwhile ("web: 2/3 running"). */
  | { state: 'waiting'; progress: string }
  /** It will not hold: the task fails with this message now, without waiting for the timeout. */
  | { state: 'failed'; message: string };

export interface ConditionPoller {
  poll(host: ProbeHost, elapsedMs: number): Promise<PollVerdict>;
  /** The message when the wait times out; default: "<waitingFor> within N s; last seen: <progress>". */
  timeoutMessage?(timeoutMs: number, lastProgress: string): string;
}

export interface ConditionDefinition<Schema extends z.ZodTypeAny = z.ZodTypeAny> {
  readonly name: string;
  readonly schema: Schema;
  start(args: z.infer<Schema>): ConditionPoller;
}

export function defineCondition<Schema extends z.ZodTypeAny>(def: ConditionDefinition<Schema>): ConditionDefinition<Schema> {
  return def;
}
