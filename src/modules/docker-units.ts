/**
 * Durations and memory sizes as docker's CLI writes them ("1m30s", "64M"),
 * parsed to the nanoseconds and bytes a service spec stores, so that what
 * a playbook asks compares with what `docker service inspect` shows.
 */
import { z } from 'zod';

/** Go-style durations as docker takes them ("10s", "1m30s", "500ms"), or a number of seconds. */
const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function parseDurationNs(value: string | number): number | undefined {
  if (typeof value === 'number') return value >= 0 ? Math.round(value * 1e9) : undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1e9);
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return Math.round(parts.reduce((sum, part) => sum + Number(part[1]) * DURATION_UNITS[part[2]!]!, 0));
}

/** A duration for a docker flag, in the largest unit that keeps it exact. */
export function formatDuration(ns: number): string {
  if (ns % 1e9 === 0) return `${ns / 1e9}s`;
  if (ns % 1e6 === 0) return `${ns / 1e6}ms`;
  return `${ns}ns`;
}

/** A duration argument, as nanoseconds. */
export const durationArg = z.union([z.number(), z.string()]).transform((value, refinement) => {
  const ns = parseDurationNs(value);
  if (ns === undefined) {
    refinement.addIssue({ code: z.ZodIssueCode.custom, message: `expected a duration such as 10s, 1m30s or 500ms (or seconds as a number), got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ns;
});

/** docker's RAMInBytes: 1024-based units, "64M", "1g", "512mb", or plain bytes. */
export function parseMemoryBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp])?i?b?$/i.exec(value.trim());
  if (!match) return undefined;
  const power = match[2] ? 'kmgtp'.indexOf(match[2].toLowerCase()) + 1 : 0;
  return Math.round(Number(match[1]) * 1024 ** power);
}

/** A memory size argument, as bytes. */
export const memoryArg = z.union([z.number(), z.string()]).transform((value, refinement) => {
  const bytes = parseMemoryBytes(value);
  if (bytes === undefined) {
    refinement.addIssue({ code: z.ZodIssueCode.custom, message: `expected a memory size such as 64M or 1G, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return bytes;
});
