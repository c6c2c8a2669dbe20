/**
 * A host for condition tests: its probes get scripted answers in turn, and
 * it keeps the commands it was asked, so a test reads what a poller probed.
 */
import type { ProbeHost } from '../../src/modules/conditions/types.js';
import type { RunResult } from '../../src/transport/types.js';

export interface ScriptedProbeHost extends ProbeHost {
  /** The commands probed, in order. */
  readonly probed: string[];
}

/**
 * Answers each probe with the next of `answers` (a text: a command that printed
 * it and exited 0); once they run out, `afterLast`, else the last answer again.
 */
export function scriptedProbes(
  answers: (string | RunResult)[],
  options: { host?: string; afterLast?: RunResult } = {},
): ScriptedProbeHost {
  const probed: string[] = [];
  const { afterLast } = options;
  return {
    host: options.host ?? 'docker01',
    probed,
    async probe(command) {
      probed.push(command);
      const answer = afterLast ? answers.shift() ?? afterLast : answers.length > 1 ? answers.shift()! : answers[0]!;
      return typeof answer === 'string' ? { stdout: answer, stderr: '', exitCode: 0 } : answer;
    },
  };
}
