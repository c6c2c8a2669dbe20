/**
 * `wait_for`: waits on the host until a TCP port accepts connections (or
 * stops), or a file appears (optionally holding a pattern) or goes away, as
 * Ansible's wait_for. With neither port nor path it just waits `timeout`
 * seconds. It never changes anything: the result is ok, or failed with a
 * message naming what was awaited and for how long.
 *
 * The polling runs on the host in one probe, a plain POSIX sh loop, so a
 * five-minute wait costs one SSH channel and no round trip per poll. A port is
 * checked from the host itself (host defaults to 127.0.0.1) with bash's
 * /dev/tcp (bounded by coreutils `timeout` when present), or `nc -z` when
 * bash is missing. `search_regex` is a POSIX extended regex (grep -E).
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { numberArg, portArg } from './argument-types.js';

const waitForArgs = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: portArg.optional(),
    path: z.string().min(1).optional(),
    state: z.enum(['started', 'stopped', 'present', 'absent']).default('started'),
    timeout: numberArg.default(300),
    delay: numberArg.default(0),
    sleep: numberArg.default(1),
    connect_timeout: numberArg.default(5),
    search_regex: z.string().min(1).optional(),
    msg: z.string().optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.port !== undefined && args.path !== undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'give port or path, not both' });
    }
    if (args.search_regex !== undefined && args.path === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['search_regex'], message: 'search_regex is only supported with path' });
    }
    if (args.search_regex !== undefined && (args.state === 'absent' || args.state === 'stopped')) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['search_regex'], message: 'search_regex needs state present or started' });
    }
  });

export type WaitForArgs = z.infer<typeof waitForArgs>;

/** The probe exits 2 when the host has no way to test a port. */
const NO_PORT_TOOL = 2;

function portOpenFunction(host: string, port: number, connectTimeout: number): string {
  const seconds = String(Math.max(1, Math.ceil(connectTimeout)));
  const devTcp = quoteArgs(['bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', '_', host, port]);
  return [
    'port_open() {',
    '  if command -v bash >/dev/null 2>&1; then',
    `    if command -v timeout >/dev/null 2>&1; then timeout ${seconds} ${devTcp} >/dev/null 2>&1; else ${devTcp} >/dev/null 2>&1; fi`,
    '  elif command -v nc >/dev/null 2>&1; then',
    `    ${quoteArgs(['nc', '-z', '-w', seconds, host, port])} >/dev/null 2>&1`,
    '  else',
    `    echo 'wait_for: the host has neither bash nor nc to test a port' >&2; exit ${NO_PORT_TOOL}`,
    '  fi',
    '}',
  ].join('\n');
}

/** The condition the loop waits for, as sh code (plus any function it needs). */
function condition(args: WaitForArgs): { setup: string; test: string } {
  const waitingForAbsence = args.state === 'stopped' || args.state === 'absent';
  if (args.port !== undefined) {
    return { setup: portOpenFunction(args.host, args.port, args.connect_timeout), test: waitingForAbsence ? '! port_open' : 'port_open' };
  }
  if (args.path !== undefined) {
    const path = quote(args.path);
    if (waitingForAbsence) return { setup: '', test: `[ ! -e ${path} ]` };
    if (args.search_regex !== undefined) return { setup: '', test: `[ -f ${path} ] && grep -qE -- ${quote(args.search_regex)} ${path}` };
    return { setup: '', test: `[ -e ${path} ]` };
  }
  return { setup: '', test: 'false' };
}

/** One sh script that polls the condition until it holds (exit 0) or time is up (exit 1). */
export function waitScript(args: WaitForArgs): string {
  const { setup, test } = condition(args);
  const lines = [setup];
  if (args.delay > 0) lines.push(`sleep ${quote(args.delay)}`);
  if (args.port === undefined && args.path === undefined) {
    // Nothing to watch: just wait the timeout, as Ansible does.
    lines.push(`sleep ${quote(args.timeout)}`, 'exit 0');
    return lines.filter(Boolean).join('\n');
  }
  lines.push(
    `deadline=$(( $(date +%s) + ${Math.ceil(args.timeout)} ))`,
    'while :; do',
    `  if ${test}; then exit 0; fi`,
    '  if [ "$(date +%s)" -ge "$deadline" ]; then exit 1; fi',
    `  sleep ${quote(args.sleep)}`,
    'done',
  );
  return lines.filter(Boolean).join('\n');
}

function describeWait(args: WaitForArgs): string {
  const absent = args.state === 'stopped' || args.state === 'absent';
  if (args.port !== undefined) return `${args.host}:${args.port}${absent ? ' to stop' : ''}`;
  if (args.search_regex !== undefined) return `${args.path} to contain ${args.search_regex}`;
  return `${args.path}${absent ? ' to be absent' : ''}`;
}

export const waitFor = defineModule({
  name: 'wait_for',
  schema: waitForArgs,
  async plan(ctx, args): Promise<Plan> {
    const started = Date.now();
    const budgetSeconds = args.delay + args.timeout + args.connect_timeout + args.sleep + 30;
    const run = await ctx.probe(waitScript(args), { timeoutMs: Math.ceil(budgetSeconds * 1000) });
    const elapsed = Math.round((Date.now() - started) / 1000);
    const result: Record<string, unknown> = {
      elapsed,
      state: args.state,
      ...(args.port !== undefined && { port: args.port }),
      ...(args.path !== undefined && { path: args.path }),
    };
    if (run.exitCode === 0) return { steps: [], result };
    if (run.exitCode === NO_PORT_TOOL) return { steps: [], result, failed: run.stderr.trim() };
    const message = args.msg ?? `Timeout when waiting for ${describeWait(args)} (waited ${args.timeout} seconds)`;
    return { steps: [], result, failed: message };
  },
});
