/**
 * `community.docker.docker_image`: an image under community.docker's
 * arguments, on swarmplay's docker_image. As theirs, `source` says where a
 * missing image comes from (pull, build on the host, load from an archive
 * on the host, or local: it must be there), and `force_source` gets it again
 * although present; `repository` tags it under another name and `push`
 * pushes that name (or `name` itself), only when the registry does not
 * already hold it (swarmplay's registry manifest check). `archive_path`
 * saves the image to a tar file on the host (`docker save`), when the file
 * is missing, unreadable, or holds another image or name (its manifest.json
 * read as theirs reads it); the file is written whole or not at all, and
 * keeps its mode and owner.
 * Returns theirs: `image` (as `docker image inspect` gives it) and
 * `actions` in their words.
 *
 * The short name `docker_image` stays swarmplay's own module (`state:
 * pulled|tagged|pushed|built|absent`): write this one with its full name.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type Step, type StepOutcomes } from '../types.js';
import { booleanArg } from '../argument-types.js';
import { quote, quoteArgs } from '../../transport/shell-quote.js';
import { dockerImage, parseReference, type DockerImageArgs } from '../docker-image.js';
import { imageInspect } from '../../facts/image-inspect.js';
import { dockerObject, dockerObjectCommand } from '../../facts/docker-object.js';
import { asArray, asObject, asString, parseJsonText } from '../../facts/docker-json.js';
import { checkMapped, notTaken, readBack, readBackJson, refuseKeys } from './collection-arguments.js';

const NAME = 'community.docker.docker_image';

const BUILD_NOT_TAKEN = [
  'cache_from', 'container_limits', 'http_timeout', 'network', 'nocache', 'pull', 'rm', 'args', 'use_config_proxy', 'target', 'etc_hosts', 'platform',
];

const buildArg = z
  .object({ path: z.string().min(1), dockerfile: z.string().min(1).nullish(), ...Object.fromEntries(BUILD_NOT_TAKEN.map((key) => [key, z.unknown()])) })
  .strict()
  .superRefine((build, refinement) => refuseKeys(build, BUILD_NOT_TAKEN, 'build', NAME, refinement));

const dockerImageShape = z
  .object({
    name: z.string().min(1),
    tag: z.string().min(1).default('latest'),
    state: z.enum(['present', 'absent']).default('present'),
    source: z.enum(['build', 'load', 'pull', 'local']).nullish(),
    build: buildArg.nullish(),
    load_path: z.string().min(1).nullish(),
    force_source: booleanArg.default(false),
    force_tag: booleanArg.default(false),
    repository: z.string().min(1).nullish(),
    push: booleanArg.default(false),
    archive_path: z.string().min(1).nullish(),
    ...notTaken(NAME, ['force_absent', 'pull']),
  })
  .strict();

type TheirImageArgs = z.infer<typeof dockerImageShape>;

/** name:tag, where a tag (or digest) written in the name wins over `tag`, as theirs. */
function imageName(args: TheirImageArgs): string {
  const ref = parseReference(args.name);
  const tagged = args.name.includes('@') || args.name.lastIndexOf(':') > args.name.lastIndexOf('/');
  return tagged ? args.name : `${ref.repository}:${args.tag}`;
}

function repositoryName(args: TheirImageArgs): string | undefined {
  if (!args.repository) return undefined;
  return args.repository.lastIndexOf(':') > args.repository.lastIndexOf('/') ? args.repository : `${args.repository}:${args.tag}`;
}

/** swarmplay's docker_image task that gets the image from its source, when it must be got. */
function sourceTask(args: TheirImageArgs): DockerImageArgs | undefined {
  const name = imageName(args);
  if (args.source === 'pull') return dockerImage.schema.parse({ name, state: 'pulled', force: true });
  if (args.source === 'build') return dockerImage.schema.parse({ name, state: 'built', path: args.build!.path, dockerfile: args.build!.dockerfile ?? undefined, force: true });
  return undefined;
}

/** Where the result's name goes: repository (tagged, maybe pushed) or the name itself pushed. */
function publishTask(args: TheirImageArgs): DockerImageArgs | undefined {
  const target = repositoryName(args);
  if (target) return dockerImage.schema.parse({ name: target, state: args.push ? 'pushed' : 'tagged', source: imageName(args), force: args.force_tag });
  if (args.push) return dockerImage.schema.parse({ name: imageName(args), state: 'pushed' });
  return undefined;
}

const dockerImageArgs = dockerImageShape.superRefine((args, refinement) => {
  const need = (key: keyof TheirImageArgs, when: string) => {
    if (args[key] == null) refinement.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `is required with ${when}` });
  };
  if (args.state === 'present') need('source', 'state present');
  if (args.source === 'build') need('build', 'source build');
  if (args.source === 'load') need('load_path', 'source load');
  if (args.state === 'present' && (args.source !== 'build' || args.build)) checkMapped(refinement, () => [sourceTask(args), publishTask(args)]);
});

/** What an archive on the host holds: its manifest.json, or why there is none to compare. */
type ArchiveContent = { kind: 'absent' } | { kind: 'unreadable' } | { kind: 'image'; id: string; repoTags: string[] };

const ARCHIVE_ABSENT = 'no archive';
const ARCHIVE_UNREADABLE = 'unreadable archive';

/** The archive's manifest.json, read in one probe (`docker save` writes one entry per image saved). */
async function readArchive(ctx: ModuleContext, file: string): Promise<ArchiveContent> {
  const read = await ctx.probe(
    `[ -f ${quote(file)} ] || { echo ${quote(ARCHIVE_ABSENT)}; exit 0; }; tar -xOf ${quote(file)} manifest.json 2>/dev/null || echo ${quote(ARCHIVE_UNREADABLE)}`,
  );
  const text = read.stdout.trim();
  if (read.exitCode === 0 && text === ARCHIVE_ABSENT) return { kind: 'absent' };
  try {
    const entries = asArray(parseJsonText(text, 'manifest.json'));
    if (entries.length !== 1) return { kind: 'unreadable' };
    const entry = asObject(entries[0]);
    // "<id>.json" as docker 20.10 saves; "blobs/sha256/<id>" in the OCI layout of docker 25 and later.
    const config = asString(entry.Config).replace(/^blobs\/sha256\//, '').replace(/\.json$/, '');
    if (!config || !Array.isArray(entry.RepoTags)) return { kind: 'unreadable' };
    return { kind: 'image', id: `sha256:${config}`, repoTags: entry.RepoTags.map(asString) };
  } catch {
    return { kind: 'unreadable' };
  }
}

/** Why the archive is (re)written, in their words; undefined when it already holds this image under this name. */
function archiveReason(archive: ArchiveContent, name: string, imageId: string | undefined): string | undefined {
  if (archive.kind === 'absent') return 'since none present';
  if (archive.kind === 'unreadable') return 'overwriting an unreadable archive file';
  if (archive.id === imageId && archive.repoTags.length === 1 && archive.repoTags[0] === name) return undefined;
  return `overwriting archive with image ${archive.id.replace(/^sha256:/, '')} named ${archive.repoTags.join(', ')}`;
}

/**
 * `docker save` to a file beside the archive, renamed over it once complete;
 * an archive overwritten keeps its mode and owner (theirs rewrites the file in place).
 */
function archiveStep(name: string, file: string): Step {
  const [archive, part] = [quote(file), quote(`${file}.part`)];
  return {
    kind: 'command',
    description: `docker save ${name} > ${file}`,
    command: `umask 022; ${quoteArgs(['docker', 'save', name])} > ${part} && { [ ! -e ${archive} ] || { chmod --reference=${archive} ${part} && chown --reference=${archive} ${part}; }; } && mv -f ${part} ${archive} || { rm -f ${part}; exit 1; }`,
    timeoutMs: 600_000,
    failMessage: `cannot save image ${name} to ${file}`,
  };
}

type EnginePlan = (ctx: ModuleContext, args: DockerImageArgs) => Promise<Plan>;
const planImage = dockerImage.plan as EnginePlan;

function command(description: string, words: string[]): Step {
  return { kind: 'command', description, command: quoteArgs(words), timeoutMs: 600_000 };
}

export const communityDockerImage = defineModule({
  name: NAME,
  schema: dockerImageArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const name = imageName(args);
    const image = await ctx.fact(imageInspect, { reference: name });
    if (args.state === 'absent') {
      const plan = await planImage(ctx, dockerImage.schema.parse({ name, state: 'absent' }));
      return { ...plan, result: { image: {}, actions: plan.steps.length ? [`Removed image ${name}`] : [] } };
    }
    const steps: Step[] = [];
    const actions: string[] = [];
    if (!image || args.force_source) {
      const task = sourceTask(args);
      if (task) {
        const plan = await planImage(ctx, task);
        if (plan.failed) return { ...plan, result: { actions } };
        steps.push(...plan.steps);
        actions.push(args.source === 'pull' ? `Pulled image ${name}` : `Built image ${name} from ${args.build!.path}`);
      } else if (args.source === 'load') {
        steps.push(command(`docker load -i ${args.load_path}`, ['docker', 'load', '-i', args.load_path!]));
        actions.push(`Loaded image ${name} from ${args.load_path}`);
      } else {
        return { steps: [], failed: `image ${name} is not on ${ctx.host}, and source local does not get it: use source pull, build or load`, result: { actions } };
      }
    }
    const got = steps.length > 0;
    if (args.archive_path) {
      // An image got by this task is archived whatever the file holds: its ID is known only once it is there.
      const reason = archiveReason(await readArchive(ctx, args.archive_path), name, got ? undefined : image?.id);
      if (reason) {
        steps.push(archiveStep(name, args.archive_path));
        actions.push(`Archived image ${name} to ${args.archive_path}, ${reason}`);
      }
    }
    const publish = publishTask(args);
    const target = repositoryName(args) ?? name;
    if (publish && got) {
      // The image is got first: what the registry or the tag holds now says nothing about it.
      if (publish.source) steps.push(command(`docker tag ${name} ${target}`, ['docker', 'tag', name, target]));
      if (publish.state === 'pushed') steps.push(command(`docker push ${target}`, ['docker', 'push', target]));
    } else if (publish) {
      const plan = await planImage(ctx, publish);
      if (plan.failed) return { ...plan, result: { actions } };
      steps.push(...plan.steps);
    }
    if (publish?.source && steps.some((step) => step.description.startsWith('docker tag'))) actions.push(`Tagged image ${name} to ${target}`);
    if (steps.some((step) => step.description.startsWith('docker push'))) actions.push(`Pushed image ${name} to ${target}`);
    if (steps.length) steps.push(readBack('image', 'image', dockerObjectCommand('image', target)));
    const before = image ? await ctx.fact(dockerObject, { kind: 'image', name: target }) : null;
    return { steps, result: { image: before ?? {}, actions } };
  },
  finish(_args, outcomes: StepOutcomes) {
    const after = readBackJson(outcomes, 'image');
    return after === undefined ? {} : { image: after };
  },
});
