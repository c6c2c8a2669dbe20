/** Step outcomes as the runner hands them to a module's finish(), for testing finish() without a host. */
import type { Step, StepOutcomes } from '../../src/modules/types.js';

/** Each step whose id `answers` names ran and printed that (exit 0 unless said). */
export function outcomesOf(steps: readonly Step[], answers: Record<string, { stdout: string; exitCode?: number }>): StepOutcomes {
  const all = steps.filter((step) => step.id && answers[step.id]).map((step) => ({
    step, run: { stdout: answers[step.id!]!.stdout, stderr: '', exitCode: answers[step.id!]!.exitCode ?? 0 },
  }));
  return { all, byId: (id) => all.find((o) => o.step.id === id) };
}
