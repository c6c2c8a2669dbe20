/**
 * Whether a command step succeeded, and the failure message when it did not:
 * one judgment for the steps the runner executes and for the steps a
 * background (async) job ran on the host.
 */
import { outputTail } from '../transport/output-tail.js';
import type { CommandStep } from './types.js';
import type { RunResult } from '../transport/types.js';

export type JudgedCommand = Pick<CommandStep, 'okExitCodes' | 'description' | 'failMessage' | 'failHints' | 'failOutputLines'>;

export function commandSucceeded(step: JudgedCommand, run: RunResult): boolean {
  if (step.okExitCodes === 'any') return true;
  return (step.okExitCodes ?? [0]).includes(run.exitCode);
}

export function commandFailure(step: JudgedCommand, run: RunResult): string {
  const output = `${run.stderr}\n${run.stdout}`;
  const tail = outputTail(run, step.failOutputLines ?? 5);
  const hint = step.failHints?.find((h) => new RegExp(h.whenOutputMatches, 'i').test(output));
  const head = hint?.message ?? step.failMessage ?? `${step.description}: non-zero return code ${run.exitCode}`;
  return tail ? `${head}: ${tail}` : head;
}
