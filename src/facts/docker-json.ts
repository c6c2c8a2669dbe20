/**
 * Reading docker's JSON output (`docker info`, `inspect`, `service ps`)
 * defensively: a field of the wrong shape reads as empty rather than
 * throwing deep inside a parser, and unparsable output says what it was.
 */
export type Json = Record<string, unknown>;

export function asObject(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

export function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** JSON.parse of a command's output; `what` names the command in the error. */
export function parseJsonText(stdout: string, what: string): unknown {
  try {
    return JSON.parse(stdout.trim());
  } catch {
    throw new Error(`cannot read the output of ${what}: expected JSON, got ${JSON.stringify(stdout.slice(0, 200))}`);
  }
}
