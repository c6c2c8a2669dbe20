/**
 * `community.docker.docker_compose_v2`: a Compose project on the host, with
 * the host's `docker compose` plugin, decided as the collection's module
 * decides it: the same command with `--dry-run` first (Compose 2.17 and
 * later), and a change only when its events name one (a container to create,
 * recreate, start, stop or remove, an image to pull or build). state present
 * is `up -d`, absent `down`, stopped `stop`, restarted `restart` (always a
 * change). An older Compose without --dry-run runs the command and reports
 * changed. No Docker SDK or Python on the host; the plugin must be there:
 * without it the task fails saying so, before anything runs.
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from '../types.js';
import { booleanArg, numberArg } from '../argument-types.js';
import { quoteArgs } from '../../transport/shell-quote.js';
import { notTaken } from './collection-arguments.js';

const COLLECTION_NAME = 'community.docker.docker_compose_v2';

const strings = z.union([z.string().min(1), z.array(z.string().min(1))]).transform((value) => (Array.isArray(value) ? value : [value]));

const composeArgs = z
  .object({
    project_src: z.string().min(1).optional(),
    project_name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a project name: lowercase letters, digits, - and _').optional(),
    files: strings.optional(),
    env_files: strings.optional(),
    profiles: strings.optional(),
    services: strings.optional(),
    state: z.enum(['present', 'absent', 'stopped', 'restarted']).default('present'),
    pull: z.enum(['always', 'missing', 'never', 'policy']).default('policy'),
    build: z.enum(['always', 'never', 'policy']).default('policy'),
    recreate: z.enum(['always', 'never', 'auto']).default('auto'),
    remove_orphans: booleanArg.default(false),
    remove_images: z.enum(['all', 'local']).optional(),
    remove_volumes: booleanArg.default(false),
    dependencies: booleanArg.default(true),
    wait: booleanArg.default(false),
    wait_timeout: numberArg.pipe(z.number().int()).optional(),
    ...notTaken(COLLECTION_NAME, ['definition', 'check_files_existing', 'assume_yes', 'ignore_build_events', 'cli_context']),
    docker_cli: z.string().min(1).default('docker'),
    // After the connection options: docker_compose_v2's timeout is Compose's own (container shutdown), not the API's.
    timeout: numberArg.pipe(z.number().int()).optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.project_src === undefined && args.project_name === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'one of the following is required: project_src, project_name' });
    }
  });

type ComposeArgs = z.infer<typeof composeArgs>;

/** Events of `--dry-run` that mean the real command would change something. */
const CHANGE_EVENTS = /DRY-RUN MODE -.*(\b(Creating|Created|Recreate|Recreated|Starting|Started|Stopping|Stopped|Removing|Removed|Pulling|Pulled|Building|Built|Killing|Killed|Restarting|Restarted)\b|writing image)/;

/** The words after `docker`: global options, the subcommand and its options. */
export function composeWords(args: ComposeArgs): string[] {
  const words = ['compose', '--ansi', 'never'];
  if (args.project_src !== undefined) words.push('--project-directory', args.project_src);
  for (const file of args.files ?? []) words.push('-f', args.project_src !== undefined && !file.startsWith('/') ? `${args.project_src.replace(/\/+$/, '')}/${file}` : file);
  if (args.project_name !== undefined) words.push('-p', args.project_name);
  for (const file of args.env_files ?? []) words.push('--env-file', file);
  for (const profile of args.profiles ?? []) words.push('--profile', profile);
  const timeout = args.timeout === undefined ? [] : ['--timeout', String(args.timeout)];
  const services = args.services ?? [];
  switch (args.state) {
    case 'present':
      words.push('up', '-d');
      if (args.pull !== 'policy') words.push('--pull', args.pull);
      if (args.build === 'always') words.push('--build');
      if (args.build === 'never') words.push('--no-build');
      if (args.recreate === 'always') words.push('--force-recreate');
      if (args.recreate === 'never') words.push('--no-recreate');
      if (args.remove_orphans) words.push('--remove-orphans');
      if (!args.dependencies) words.push('--no-deps');
      if (args.wait) words.push('--wait', ...(args.wait_timeout === undefined ? [] : ['--wait-timeout', String(args.wait_timeout)]));
      words.push(...timeout, ...services);
      break;
    case 'absent':
      words.push('down');
      if (args.remove_orphans) words.push('--remove-orphans');
      if (args.remove_images !== undefined) words.push('--rmi', args.remove_images);
      if (args.remove_volumes) words.push('--volumes');
      words.push(...timeout);
      break;
    case 'stopped':
      words.push('stop', ...timeout, ...services);
      break;
    case 'restarted':
      words.push('restart', ...timeout, ...services);
      break;
  }
  return words;
}

export const dockerComposeV2 = defineModule({
  name: COLLECTION_NAME,
  schema: composeArgs,
  async plan(ctx, args): Promise<Plan> {
    const docker = args.docker_cli;
    const version = await ctx.probe(quoteArgs([docker, 'compose', 'version', '--short']));
    if (version.exitCode !== 0) {
      return { steps: [], failed: `${ctx.host}: 'docker compose' is not available (${(version.stderr || version.stdout).trim().split('\n')[0] || `exit ${version.exitCode}`}): install the Compose plugin (docker-compose-plugin), as the collection's module needs it too` };
    }
    const words = composeWords(args);
    const run: Step = { kind: 'command', description: `docker ${words.join(' ')}`, command: quoteArgs([docker, ...words]), failOutputLines: 10 };
    const result = { compose_version: version.stdout.trim() };
    if (args.state === 'restarted') return { steps: [run], result };
    const subcommand = words.findIndex((word) => ['up', 'down', 'stop'].includes(word));
    const dry = await ctx.probe(`${quoteArgs([docker, ...words.slice(0, subcommand), '--dry-run', ...words.slice(subcommand)])} 2>&1`, { timeoutMs: 120_000 });
    if (dry.exitCode !== 0 && /unknown flag: --dry-run/.test(dry.stdout)) return { steps: [run], result, unpredictable: true };
    if (dry.exitCode !== 0) return { steps: [], failed: `docker compose failed: ${dry.stdout.trim().split('\n').slice(-3).join(' ')}`, result };
    return { steps: CHANGE_EVENTS.test(dry.stdout) ? [run] : [], result };
  },
  finish(args, outcomes) {
    const run = outcomes.all.find((outcome) => outcome.run)?.run;
    return run ? { stdout: run.stdout, stderr: run.stderr, rc: run.exitCode } : {};
  },
});
