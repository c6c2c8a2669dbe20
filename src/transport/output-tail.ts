import type { RunResult } from './types.js';

/** The last lines of a command's output (stderr, else stdout), for a failure message. */
export function outputTail(result: RunResult, lines = 3): string {
  return (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-lines).join('\n').trim();
}
