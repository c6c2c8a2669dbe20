/**
 * What docker_secret and docker_config share. Swarm secrets and configs are
 * immutable, and docker refuses to remove one a service uses: the reason
 * community.docker's modules fail ("secret is in use") when a value changes
 * under a running service. Here every content is its own object,
 * `NAME_v<digest>` (the first 12 hex digits of the content's SHA-256),
 * labelled swarmplay.name=NAME, so a new value is created beside the old
 * one; each service using an older version of NAME is switched to the new
 * one by `docker service update --secret-rm OLD --secret-add
 * source=NEW,target=...` (same target, uid, gid and mode), which swarm rolls
 * out under the service's update settings, and the task waits for each to
 * converge; then the versions no service uses are removed (but the newest
 * `versions_to_keep`). The same content again changes nothing.
 *
 * The value comes from `data` (a variable, an inline !vault value), from
 * `src` (a controller file, searched as copy's src; an ansible-vault file is
 * decrypted) or from `data_src` (a file on the host, as community.docker
 * reads it). It reaches docker on stdin only, and it is a secret in every
 * output (the runner's redactor): results, messages and steps name objects,
 * never content.
 *
 * `rolling_versions: false` keeps the plain NAME (as community.docker does
 * by default): a changed value is removed and created again when no service
 * uses it, and refused otherwise.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { booleanArg, numberArg } from './argument-types.js';
import type { ModuleContext, Plan, Step, StepOutcomes } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import {
  allServices, DIGEST_LABEL, NAME_LABEL, referenceSpec, swarmObjects, type SwarmObject, type SwarmObjectKind,
} from '../facts/swarm-objects.js';
import type { ObjectReference, ServiceState } from '../facts/swarm-service.js';
import { convergenceWait, serviceChangeStep } from './service-change-steps.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/** The arguments both modules take (community.docker's names where they exist). */
export const OBJECT_ARGUMENTS = {
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'not a secret or config name (letters, digits, _ . -)').max(50),
  state: z.enum(['present', 'absent']).default('present'),
  data: scalar.optional(),
  data_is_b64: booleanArg.default(false),
  /** A controller file (vault-encrypted or not). */
  src: z.string().min(1).optional(),
  /** A file on the host. */
  data_src: z.string().min(1).optional(),
  labels: z.record(scalar).default({}),
  rolling_versions: booleanArg.default(true),
  /** Unused older versions kept after a change (community.docker keeps 5; here unused versions go). */
  versions_to_keep: numberArg.pipe(z.number().int()).default(0),
  /** Switch the services that use an older version (default); false leaves them, and their versions. */
  update_services: booleanArg.default(true),
  /** rolling_versions false: remove and create again even when the digest label matches. */
  force: booleanArg.default(false),
  /** Seconds to wait for each switched service to converge. */
  timeout: numberArg.default(300),
} as const;

export interface ObjectArgs {
  name: string;
  state: 'present' | 'absent';
  data?: string;
  data_is_b64: boolean;
  src?: string;
  data_src?: string;
  labels: Record<string, string>;
  rolling_versions: boolean;
  versions_to_keep: number;
  update_services: boolean;
  force: boolean;
  timeout: number;
}

/** One of data, src, data_src with state present; none with absent. */
export function checkObjectArgs(args: ObjectArgs, refinement: z.RefinementCtx): void {
  const given = (['data', 'src', 'data_src'] as const).filter((key) => args[key] !== undefined);
  if (args.state === 'present' && given.length !== 1) {
    refinement.addIssue({
      code: z.ZodIssueCode.custom,
      path: [given[1] ?? 'data'],
      message: given.length ? `give one of data, src and data_src, not ${given.join(' and ')}` : 'state present needs the value: data, src (a controller file) or data_src (a file on the host)',
    });
  }
  if (args.data_is_b64 && args.data === undefined) {
    refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['data_is_b64'], message: 'data_is_b64 is about data, which is not given' });
  }
}

/** The short content digest that names a version. */
export function contentDigest(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 12);
}

export function versionName(name: string, content: Buffer): string {
  return `${name}_v${contentDigest(content)}`;
}

async function readContent(ctx: ModuleContext, args: ObjectArgs): Promise<Buffer | { failed: string }> {
  if (args.data !== undefined) {
    const content = Buffer.from(args.data, args.data_is_b64 ? 'base64' : 'utf8');
    if (args.data_is_b64) ctx.addSecret(content.toString('utf8'));
    return content;
  }
  if (args.src !== undefined) {
    const file = await ctx.readSecretFile(args.src);
    return file ? file.content : { failed: `could not find src ${args.src} on the controller (searched as copy's src: files/ beside the playbook or role, then the folder itself)` };
  }
  const content = await ctx.readFile(args.data_src!);
  if (content === null) return { failed: `data_src ${args.data_src} not found on ${ctx.host}` };
  ctx.addSecret(content.toString('utf8'));
  ctx.addSecret(content.toString('utf8').trim());
  return content;
}

function referencesOf(service: ServiceState, kind: SwarmObjectKind): ObjectReference[] {
  return kind === 'secret' ? service.secrets : service.configs;
}

/** Services using any of the named objects, with the references they use. */
function usersOf(services: readonly ServiceState[], kind: SwarmObjectKind, names: ReadonlySet<string>): { service: ServiceState; references: ObjectReference[] }[] {
  return services
    .map((service) => ({ service, references: referencesOf(service, kind).filter((reference) => names.has(reference.name)) }))
    .filter((use) => use.references.length > 0);
}

function createStep(kind: SwarmObjectKind, args: ObjectArgs, objectName: string, content: Buffer): Step {
  const labels = { ...args.labels, [NAME_LABEL]: args.name, [DIGEST_LABEL]: contentDigest(content) };
  const where = args.src !== undefined ? `src ${args.src}` : args.data_src !== undefined ? `data_src ${args.data_src}` : 'data';
  return {
    kind: 'command',
    id: 'create',
    description: `docker ${kind} create ${objectName} (${content.length} bytes from ${where})`,
    // The content travels on stdin, base64 so that any bytes arrive whole; never on a command line.
    command: `base64 -d | ${quoteArgs(['docker', kind, 'create', ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]), objectName, '-'])}`,
    stdin: content.toString('base64'),
    failMessage: `cannot create ${kind} ${objectName}`,
  };
}

function removeStep(kind: SwarmObjectKind, names: readonly string[], why: string): Step {
  return {
    kind: 'command',
    description: `docker ${kind} rm ${names.join(' ')} (${why})`,
    command: quoteArgs(['docker', kind, 'rm', ...names]),
    failMessage: `cannot remove ${kind} ${names.join(', ')}`,
  };
}

/** Switches one service from its old versions to `objectName`, keeping each reference's target, uid, gid and mode. */
function switchSteps(kind: SwarmObjectKind, use: { service: ServiceState; references: ObjectReference[] }, objectName: string, timeout: number, index: number): Step[] {
  const targets = new Map(use.references.map((reference) => [reference.target, reference]));
  const flags = [
    ...use.references.flatMap((reference) => [`--${kind}-rm`, reference.name]),
    ...[...targets.values()].flatMap((reference) => [`--${kind}-add`, referenceSpec({ ...reference, name: objectName })]),
  ];
  const name = use.service.name;
  return [
    serviceChangeStep({
      id: `switch_${index}`,
      description: `docker service update ${flags.join(' ')} ${name}`,
      command: quoteArgs(['docker', 'service', 'update', '--detach', ...flags, name]),
      failMessage: `cannot switch service ${name} to ${kind} ${objectName}`,
    }),
    convergenceWait({ name, timeout }, { kind: 'update', statusBefore: use.service.updateStatus, expectRollout: true, image: use.service.image }, false, `converge_${index}`),
  ];
}

export async function planObject(ctx: ModuleContext, kind: SwarmObjectKind, args: ObjectArgs): Promise<Plan> {
  const objects = await ctx.fact(swarmObjects, { kind, name: args.name });
  const result: Record<string, unknown> = { name: args.name, state: args.state };

  if (args.state === 'absent') {
    if (objects.length === 0) return { steps: [], result };
    const names = objects.map((object) => object.name);
    const users = usersOf(await ctx.fact(allServices, {}), kind, new Set(names));
    if (users.length) {
      return { steps: [], result, failed: `${kind} ${args.name} is in use by service ${users.map((use) => use.service.name).join(', ')}: remove it from those services first` };
    }
    return { steps: [removeStep(kind, names, 'state absent')], result: { ...result, [`${kind}s_removed`]: names } };
  }

  const content = await readContent(ctx, args);
  if ('failed' in content) return { steps: [], result, failed: content.failed };
  // What goes on stdin is a secret too, should a failure ever show it.
  ctx.addSecret(content.toString('base64'));
  const objectName = args.rolling_versions ? versionName(args.name, content) : args.name;
  result[`${kind}_name`] = objectName;
  const existing = objects.find((object) => object.name === objectName);
  if (existing) result[`${kind}_id`] = existing.id;
  const services = await ctx.fact(allServices, {});
  const steps: Step[] = [];

  if (!args.rolling_versions) {
    const stale = existing && (args.force || existing.labels[DIGEST_LABEL] !== contentDigest(content));
    if (existing && !stale) return { steps: [], result };
    if (stale) {
      const users = usersOf(services, kind, new Set([objectName]));
      if (users.length) {
        return {
          steps: [],
          result,
          failed: `${kind} ${objectName} has another value (or force), and docker cannot change it while service ${users.map((use) => use.service.name).join(', ')} uses it: ` +
            'use rolling_versions: true (the default), which creates a new version and switches the services to it',
        };
      }
      steps.push(removeStep(kind, [objectName], 'its value changed'));
    }
    steps.push(createStep(kind, args, objectName, content));
    return { steps, result, msg: `${stale ? 'recreate' : 'create'} ${kind} ${objectName}` };
  }

  if (!existing) steps.push(createStep(kind, args, objectName, content));
  const older = objects.filter((object) => object.name !== objectName && object.labels[NAME_LABEL] === args.name);
  const users = args.update_services ? usersOf(services, kind, new Set(older.map((object) => object.name))) : [];
  users.forEach((use, index) => steps.push(...switchSteps(kind, use, objectName, args.timeout, index)));
  // Versions still used after the switches (update_services false) stay; of the rest, the newest versions_to_keep.
  const stillUsed = new Set(args.update_services ? [] : usersOf(services, kind, new Set(older.map((o) => o.name))).flatMap((use) => use.references.map((r) => r.name)));
  const unused = older.filter((object) => !stillUsed.has(object.name));
  const prune: SwarmObject[] = unused.slice(0, Math.max(0, unused.length - args.versions_to_keep));
  if (prune.length) steps.push(removeStep(kind, prune.map((object) => object.name), 'no service uses it any more'));

  const switched = users.map((use) => use.service.name);
  result.services_updated = switched;
  result.versions_removed = prune.map((object) => object.name);
  const parts = [
    ...(existing ? [] : [`create ${kind} ${objectName}`]),
    ...(switched.length ? [`switch service ${switched.join(', ')} to it`] : []),
    ...(prune.length ? [`remove ${prune.map((object) => object.name).join(', ')}`] : []),
  ];
  return { steps, result, ...(parts.length && { msg: parts.join('; ') }) };
}

/** The new object's ID (docker prints it), when one was created. */
export function finishObject(kind: SwarmObjectKind, outcomes: StepOutcomes): Record<string, unknown> {
  const created = outcomes.byId('create')?.run;
  return created?.exitCode === 0 ? { [`${kind}_id`]: created.stdout.trim() } : {};
}
