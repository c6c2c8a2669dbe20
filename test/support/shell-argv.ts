/**
 * Proves quoting with a real shell: runs a command a module produced in the
 * local /bin/sh with each named program replaced by a shell function that
 * only records the words it received. Nothing the command names is run, so
 * hostile values (`; rm -rf /`, `$(id)`) are harmless; if quoting were wrong
 * they would show up as extra or split words, or as extra invocations.
 */
import { spawnSync } from 'node:child_process';

export interface Invocation {
  program: string;
  args: string[];
}

export function recordInvocations(command: string, programs: readonly string[], stdin = ''): Invocation[] {
  const recorders = programs
    // Records go to fd 3, so they are seen even from inside $(...).
    .map((program) => `${program}() { printf '%s\\0' "$#" ${program} "$@" >&3; }`)
    .join('\n');
  const result = spawnSync('/bin/sh', ['-c', `${recorders}\n${command}`], {
    input: stdin,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    timeout: 10_000,
  });
  if (result.error) throw result.error;
  const fields = (result.output[3] as Buffer).toString('utf8').split('\0');
  fields.pop(); // after the last NUL
  const invocations: Invocation[] = [];
  for (let index = 0; index < fields.length; ) {
    const count = Number(fields[index]);
    invocations.push({ program: fields[index + 1]!, args: fields.slice(index + 2, index + 2 + count) });
    index += 2 + count;
  }
  return invocations;
}

/** The values tests push through every path and argument. */
export const HOSTILE_VALUES: readonly string[] = [
  '/tmp/x; rm -rf /',
  '/tmp/$(id)',
  '/tmp/`id`',
  "/tmp/it's \"quoted\"",
  '/tmp/new\nline',
  '/tmp/space and\ttab',
  '-rf',
  '/tmp/*',
  '/tmp/$HOME|&>',
];
