/**
 * The secrets and configs a swarm service gives its tasks as files: the
 * argument that names one, its source resolved to the object to use now
 * (docker_secret/docker_config keep versions under the name the playbook
 * gave), and the `docker service update` flags from the references a
 * service has to the ones asked for.
 */
import { z } from 'zod';
import type { ModuleContext } from './types.js';
import type { ObjectReference } from '../facts/swarm-service.js';
import { currentVersion, referenceSpec, swarmObjects } from '../facts/swarm-objects.js';

const accountIdArg = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'a numeric ID')]).transform(String);
/** A file mode: an octal string "0440", or a number whose digits are octal (YAML 1.2 reads 0440 as 440), as file's mode. */
const modeArg = z.union([
  z.number().int().min(0).transform(String),
  z.string(),
]).pipe(z.string().regex(/^0?[0-7]{3}$/, 'an octal mode such as 0440 (quote it)').transform((text) => parseInt(text, 8)));

/**
 * A secret or config given to the tasks as a file. `source` is the name the
 * playbook gave docker_secret/docker_config (its current version is used)
 * or any object's own name; community.docker's secret_name/config_name and
 * filename are accepted too. target defaults to source (not to the versioned
 * name, so a new version keeps the path); uid, gid and mode to docker's
 * 0, 0 and 0444.
 */
export const objectReferenceArg = (kind: 'secret' | 'config') => z.preprocess(
  (value) => {
    if (typeof value === 'string') return { source: value };
    if (value === null || typeof value !== 'object') return value;
    const { [`${kind}_name`]: communityName, filename, ...rest } = value as Record<string, unknown>;
    return { ...rest, ...(communityName !== undefined && { source: communityName }), ...(filename !== undefined && { target: filename }) };
  },
  z.object({
    source: z.string().min(1),
    target: z.string().min(1).optional(),
    uid: accountIdArg.default('0'),
    gid: accountIdArg.default('0'),
    mode: modeArg.default('0444'),
  }).strict(),
);

type ObjectReferenceArg = z.infer<ReturnType<typeof objectReferenceArg>>;

/** The secrets and configs asked for, their sources resolved to object names (see resolveReferences). */
export interface WantedReferences {
  secrets?: Omit<ObjectReference, 'id'>[];
  configs?: Omit<ObjectReference, 'id'>[];
}

/** The wanted secrets and configs with each source resolved to the object to use now; the sources that do not exist. */
export async function resolveReferences(
  ctx: ModuleContext, wanted: { secrets?: ObjectReferenceArg[]; configs?: ObjectReferenceArg[] },
): Promise<{ references: WantedReferences; missing: string[] }> {
  const references: WantedReferences = {};
  const missing: string[] = [];
  for (const kind of ['secret', 'config'] as const) {
    const ofKind = kind === 'secret' ? wanted.secrets : wanted.configs;
    if (ofKind === undefined) continue;
    const resolved: Omit<ObjectReference, 'id'>[] = [];
    for (const reference of ofKind) {
      const name = currentVersion(await ctx.fact(swarmObjects, { kind, name: reference.source }), reference.source)?.name;
      if (name === undefined) missing.push(`${kind} ${reference.source}`);
      else resolved.push({ name, target: reference.target ?? reference.source, uid: reference.uid, gid: reference.gid, mode: reference.mode });
    }
    references[`${kind}s`] = resolved;
  }
  return { references, missing };
}

function referenceKey(reference: Omit<ObjectReference, 'id'>): string {
  return `${reference.name}|${reference.target}|${reference.uid}|${reference.gid}|${reference.mode}`;
}

/** --secret-rm/--secret-add (or --config-...) flags from the current references to the wanted ones. */
export function referenceFlags(kind: 'secret' | 'config', current: readonly ObjectReference[], wanted: readonly Omit<ObjectReference, 'id'>[]): string[] {
  const wantedKeys = new Set(wanted.map(referenceKey));
  const currentKeys = new Set(current.map(referenceKey));
  // docker removes by name: a name that loses one reference loses all, and the wanted ones of it are added again.
  const removed = new Set(current.filter((reference) => !wantedKeys.has(referenceKey(reference))).map((reference) => reference.name));
  return [
    ...[...removed].flatMap((name) => [`--${kind}-rm`, name]),
    ...wanted.filter((reference) => !currentKeys.has(referenceKey(reference)) || removed.has(reference.name))
      .flatMap((reference) => [`--${kind}-add`, referenceSpec(reference)]),
  ];
}
