/**
 * Read-only listings for the community.docker info modules: every object of
 * a kind as `docker KIND inspect` prints it, one JSON object a line, in one
 * round trip. Probes: they run in check mode too, and change nothing.
 */
import type { ModuleContext } from '../types.js';
import { asObject, parseJsonText } from '../../facts/docker-json.js';
import { outputTail } from '../../transport/output-tail.js';

export type Json = Record<string, unknown>;

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
