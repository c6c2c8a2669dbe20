/**
 * A fact is a named, read-only reading of a host: one command and the one
 * parser of its output, keyed by its arguments. The runner caches each
 * reading per host and drops the host's readings when a task changes it, so
 * modules, `when:` and templates all see the host as it is now. Module tests
 * answer facts by name and arguments with outputs captured from real hosts,
 * so a wrong command or parser shows in the facts' own tests, not hidden
 * behind a copy of the command string.
 */
import type { RunResult } from '../transport/types.js';

export interface FactReader<Args, Value> {
  /** Unique, snake_case: `docker_info`, `node_inspect`. */
  readonly name: string;
  /** The read-only shell command that prints the fact. */
  command(args: Args): string;
  /**
   * Parses what the command printed. Throws FactError with a message for the
   * user when the host cannot say (docker missing, daemon down).
   */
  parse(result: RunResult, args: Args, host: string): Value;
  /**
   * 'cluster': the reading is of state any host's change can alter (a swarm's
   * node list read on a manager changes when another host joins): the
   * runner drops it whenever any host changes, not only this one.
   */
  readonly scope?: 'host' | 'cluster';
}

/** A host that cannot answer a fact: the message says what to do. */
export class FactError extends Error {}

export function defineFact<Args, Value>(reader: FactReader<Args, Value>): FactReader<Args, Value> {
  return reader;
}

/** The cache key of one reading. */
export function factKey(name: string, args: unknown): string {
  return args === undefined || (typeof args === 'object' && args !== null && Object.keys(args).length === 0)
    ? name
    : `${name} ${JSON.stringify(args)}`;
}

