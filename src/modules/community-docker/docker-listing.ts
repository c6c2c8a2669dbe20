/**
 * Read-only listings for the community.docker info modules: every object of
 * a kind as `docker KIND inspect` prints it, one JSON object a line, in one
 * round trip. Probes: they run in check mode too, and change nothing.
 */
import { z } from 'zod';
import type { ModuleContext } from '../types.js';
import { quoteArgs } from '../../transport/shell-quote.js';
import { asObject, parseJsonText } from '../../facts/docker-json.js';
import { outputTail } from '../../transport/output-tail.js';

export type Json = Record<string, unknown>;

const filterValue = z.union([z.string(), z.number(), z.boolean()]);

/**
 * Their `*_filters`: a mapping of docker's filter names to a value or a list
 * of values (`label: [a=1, b]`), as `docker ... ls --filter` takes them.
 */
export const listFilters = z.record(z.union([filterValue, z.array(filterValue)])).nullish();

export type ListFilters = z.infer<typeof listFilters>;

/**
 * `--filter NAME=VALUE` for each value, quoted for the shell: docker ANDs
 * different names and ORs the values of one (labels: all must match), as the
 * API does with their filters. Booleans read as docker's true/false.
 */
export function filterFlags(filters: ListFilters): string {
  const flags = Object.entries(filters ?? {}).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).flatMap((one) => ['--filter', `${name}=${String(one)}`]));
  return flags.length ? ` ${quoteArgs(flags)}` : '';
}

/** The objects the list command names (IDs), inspected; [] when there are none. */
export async function inspectAll(ctx: ModuleContext, listCommand: string, inspect: string): Promise<Json[]> {
  const answer = await ctx.probe(`ids=$(${listCommand}) || exit 1; [ -z "$ids" ] && exit 0; ${inspect} $ids --format '{{json .}}'`);
  if (answer.exitCode !== 0) throw new Error(`cannot list with ${listCommand} on ${ctx.host}: ${outputTail(answer)}`);
  return jsonLines(answer.stdout, listCommand);
}

export function jsonLines(stdout: string, what: string): Json[] {
  return stdout.split('\n').filter((line) => line.trim()).map((line) => asObject(parseJsonText(line, what)));
}

/** One JSON object a probe prints, or undefined when it fails (not a manager, daemon down). */
export async function probeJson(ctx: ModuleContext, command: string): Promise<Json | undefined> {
  const answer = await ctx.probe(command);
  if (answer.exitCode !== 0) return undefined;
  try {
    return asObject(parseJsonText(answer.stdout, command));
  } catch {
    return undefined;
  }
}

/** `docker info`, read by the info modules: can_talk_to_docker false when the daemon does not answer, as theirs. */
export async function dockerInfoJson(ctx: ModuleContext): Promise<Json | undefined> {
  const info = await probeJson(ctx, "docker info --format '{{json .}}'");
  if (!info || (Array.isArray(info.ServerErrors) && info.ServerErrors.length > 0)) return undefined;
  return info;
}
