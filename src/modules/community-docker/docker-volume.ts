/**
 * `community.docker.docker_volume`: a named docker volume, as the
 * collection's module, with the docker CLI on the host (no Docker SDK or
 * Python there). Present: created with its driver (default `local`),
 * driver_options and labels when missing; an existing volume whose driver,
 * options or labels differ is left alone unless `recreate` says
 * options-changed (or always), as theirs does. Absent: removed. Returns
 * theirs: `volume`, as `docker volume inspect` gives it (null when missing,
 * as in check mode before the volume exists).
 *
 * Kept different on purpose: the collection returns `actions` in check mode
 * only; swarmplay's --check -v lists the commands instead. A volume created
 * without driver_options has Options null (the CLI sends none), where the
 * collection's SDK leaves an empty map.
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step, type StepOutcomes } from '../types.js';
import { quoteArgs } from '../../transport/shell-quote.js';
import { parseJsonText } from '../../facts/docker-json.js';
import { dockerObjectCommand } from '../../facts/docker-object.js';
import { notTaken, readBack, readBackJson } from './collection-arguments.js';

const NAME = 'community.docker.docker_volume';

const stringMap = z.record(z.union([z.string(), z.number(), z.boolean()]).transform(String));

const dockerVolumeArgs = z
  .object({
    volume_name: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    state: z.enum(['present', 'absent']).default('present'),
    driver: z.string().min(1).default('local'),
    driver_options: stringMap.nullish(),
    labels: stringMap.nullish(),
    recreate: z.enum(['always', 'never', 'options-changed']).default('never'),
    ...notTaken(NAME, []),
  })
  .strict()
  .superRefine((args, refinement) => {
    if ((args.volume_name === undefined) === (args.name === undefined)) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['volume_name'], message: 'give volume_name (or its alias name) once' });
    }
  });

type DockerVolumeArgs = z.infer<typeof dockerVolumeArgs>;

type Volume = { Driver?: string; Options?: Record<string, string> | null; Labels?: Record<string, string> | null };

/** What differs between the volume and the arguments, as the collection compares them (only what is asked). */
export function volumeDifferences(volume: Volume, args: Pick<DockerVolumeArgs, 'driver' | 'driver_options' | 'labels'>): string[] {
  const differences: string[] = [];
  if (args.driver !== volume.Driver) differences.push('driver');
  for (const [key, value] of Object.entries(args.driver_options ?? {})) {
    if (!volume.Options?.[key] || volume.Options[key] !== value) differences.push(`driver_options.${key}`);
  }
  for (const [key, value] of Object.entries(args.labels ?? {})) {
    if (volume.Labels?.[key] !== value) differences.push(`labels.${key}`);
  }
  return differences;
}

function createCommand(name: string, args: DockerVolumeArgs): string {
  return quoteArgs([
    'docker', 'volume', 'create', '--driver', args.driver,
    ...Object.entries(args.driver_options ?? {}).flatMap(([key, value]) => ['--opt', `${key}=${value}`]),
    ...Object.entries(args.labels ?? {}).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    name,
  ]);
}

export const dockerVolume = defineModule({
  name: NAME,
  schema: dockerVolumeArgs,
  async plan(ctx, args): Promise<Plan> {
    const name = (args.volume_name ?? args.name)!;
    const read = await ctx.probe(dockerObjectCommand('volume', name));
    const missing = read.exitCode !== 0 && /no such volume/i.test(`${read.stdout}\n${read.stderr}`);
    if (read.exitCode !== 0 && !missing) return { steps: [], failed: `cannot inspect the volume ${name} on ${ctx.host}: ${(read.stderr || read.stdout).trim()}` };
    const volume = missing ? null : parseJsonText(read.stdout, 'docker volume inspect') as Volume & Record<string, unknown>;
    const remove: Step = { kind: 'command', description: `remove the volume ${name}`, command: quoteArgs(['docker', 'volume', 'rm', name]) };
    if (args.state === 'absent') return { steps: volume ? [remove] : [], result: {} };
    const differences = volume ? volumeDifferences(volume, args) : [];
    const recreate = volume !== null && (args.recreate === 'always' || (args.recreate === 'options-changed' && differences.length > 0));
    if (volume && !recreate) return { steps: [], result: { volume } };
    const create: Step = { kind: 'command', description: `create the volume ${name} (driver ${args.driver})`, command: createCommand(name, args) };
    return {
      steps: [...(recreate ? [remove] : []), create, readBack('volume', 'volume', dockerObjectCommand('volume', name))],
      result: { volume: recreate ? volume : null, ...(differences.length > 0 && { diff: { differences } }) },
    };
  },
  finish(_args, outcomes: StepOutcomes) {
    const after = readBackJson(outcomes, 'volume');
    return after === undefined ? {} : { volume: after };
  },
});
