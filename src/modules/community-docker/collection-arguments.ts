/**
 * What the community.docker modules share here: their arguments that
 * swarmplay does not take, refused by name (never silently ignored), and the
 * read-back of what a change left, for the return values their users register.
 *
 * Their connection options (docker_host, tls, api_version...) configure the
 * Docker SDK's API client; swarmplay runs the docker CLI over SSH on the host
 * itself, so none of them has a meaning here.
 */
import { z } from 'zod';
import type { CommandStep, StepOutcomes } from '../types.js';
import { parseJsonText } from '../../facts/docker-json.js';

export const COLLECTION = 'community.docker';

/** The options every community.docker module takes to reach the Docker API, with their aliases. */
export const CONNECTION_ARGUMENTS = [
  'docker_host', 'docker_url', 'tls_hostname', 'api_version', 'docker_api_version', 'timeout', 'ca_cert', 'tls_ca_cert',
  'cacert_path', 'ca_path', 'client_cert', 'tls_client_cert', 'cert_path', 'client_key', 'tls_client_key', 'key_path',
  'ssl_version', 'tls', 'use_ssh_client', 'validate_certs', 'tls_verify', 'debug',
] as const;

const CONNECTION_REASON = 'swarmplay runs the docker command over SSH on the host itself, not the Docker API';

/**
 * Connection options given their default value ask for what swarmplay does
 * anyway (the local engine, the API version it speaks, no TLS): taken, so
 * roles that spell the defaults out (`api_version: auto`) load as they are.
 */
const CONNECTION_DEFAULTS: Readonly<Record<string, readonly string[]>> = {
  api_version: ['auto'], docker_api_version: ['auto'],
  docker_host: ['unix:///var/run/docker.sock', 'unix://var/run/docker.sock'], docker_url: ['unix:///var/run/docker.sock', 'unix://var/run/docker.sock'],
  tls: ['false', 'no'], validate_certs: ['false', 'no'], tls_verify: ['false', 'no'], use_ssh_client: ['false', 'no'], debug: ['false', 'no'],
};

/**
 * Schema entries for arguments of theirs that swarmplay does not take: one
 * given with a value fails naming it; null (a playbook's `default(omit)`-like
 * "not given") passes, as Ansible treats it.
 */
export function notTaken(module: string, names: readonly string[], reason?: string): Record<string, z.ZodTypeAny> {
  const entry = (why: string | undefined, defaults: readonly string[] = []) =>
    z.unknown().superRefine((value, refinement) => {
      if (value === undefined || value === null) return;
      if (defaults.includes(String(value).toLowerCase())) return;
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: `is an argument of ${module} that swarmplay does not take${why ? ` (${why})` : ''}; remove it` });
    });
  return {
    ...Object.fromEntries(CONNECTION_ARGUMENTS.map((name) => [name, entry(CONNECTION_REASON, CONNECTION_DEFAULTS[name])])),
    ...Object.fromEntries(names.map((name) => [name, entry(reason)])),
  };
}

/** A key of a sub-option mapping (publish, placement) that swarmplay does not take: the same message, one level down. */
export function refuseKeys(value: Record<string, unknown>, keys: readonly string[], where: string, module: string, refinement: z.RefinementCtx): void {
  for (const key of keys) {
    if (value[key] !== undefined && value[key] !== null) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `${where}.${key} is an option of ${module} that swarmplay does not take; remove it` });
    }
  }
}

/**
 * A read of the object a change made or altered (`docker node inspect ID
 * --format '{{json .}}'`), run after the change so the registered result is
 * what the host holds then, as the collection returns it. Not a change itself.
 */
export function readBack(id: string, what: string, command: string): CommandStep {
  return { kind: 'command', id, description: `read the ${what} back`, command, countsAsChange: false, okExitCodes: 'any' };
}

/** The JSON a readBack step printed, or undefined (not run: check mode; failed; not JSON). */
export function readBackJson(outcomes: StepOutcomes, id: string): unknown {
  const run = outcomes.byId(id)?.run;
  if (!run || run.exitCode !== 0) return undefined;
  try {
    return parseJsonText(run.stdout, what(id));
  } catch {
    return undefined;
  }
}

function what(id: string): string {
  return `the ${id} read-back`;
}

/**
 * Their arguments, once mapped onto a swarmplay module's, must pass that
 * module's own checks too (a duration, a CIDR): checked when the playbook
 * loads, so a bad value stops the run before any host is touched.
 */
export function checkMapped(refinement: z.RefinementCtx, map: () => unknown): void {
  try {
    map();
  } catch (error) {
    if (!(error instanceof z.ZodError)) throw error;
    for (const issue of error.issues) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}` });
    }
  }
}
