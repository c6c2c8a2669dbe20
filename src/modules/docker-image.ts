/**
 * `docker_image`: images on a host, as the walkthrough's `docker tag httpd:latest
 * 192.168.20.6:5000/lvjianzhao:latest`, `docker push ...`, `docker pull ...`
 * and `docker build -t ... .`. `state`:
 * - pulled: the image is on the host (pulled when missing; `force` pulls again);
 * - tagged: `name` points at the same image as `source`;
 * - pushed: `name` (tagged from `source` first when given) is in its registry.
 *   Idempotence: the registry is asked for the tag's manifest (HEAD
 *   /v2/REPO/manifests/TAG over plain HTTP, as an insecure registry speaks);
 *   when its digest is one the host already has for that repository
 *   (RepoDigests, recorded by an earlier push or pull) nothing is pushed.
 *   When the registry cannot be asked (TLS, no bash on the host) the rule is
 *   weaker: pushed unless the host has a digest for that repository at all.
 * - built: `docker build` of the folder `path` on the host. The folder's
 *   content is hashed on the host (a reproducible tar) and stored as the
 *   image label swarmplay.context-sha256: the same folder is not built again.
 *   A change of the base image alone is not noticed (use `force`).
 * - absent: the tag is removed (`docker rmi`).
 */
import { z } from 'zod';
import { defineModule, type Step, type ModuleContext, type Plan } from './types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import { outputTail } from '../transport/output-tail.js';
import { registryManifest } from '../facts/registry-manifest.js';
import { imageInspect, type LocalImage } from '../facts/image-inspect.js';

export const CONTEXT_LABEL = 'swarmplay.context-sha256';

const reference = z.string().min(1).regex(/^[a-zA-Z0-9][a-zA-Z0-9._:/@-]*$/, 'not an image reference');

const dockerImageArgs = z
  .object({
    name: reference,
    state: z.enum(['pulled', 'tagged', 'pushed', 'built', 'absent']).default('pulled'),
    source: reference.optional(),
    /** built: the folder on the host holding the Dockerfile. */
    path: z.string().min(1).optional(),
    dockerfile: z.string().min(1).optional(),
    force: booleanArg.default(false),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.state === 'tagged' && !args.source) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['source'], message: 'state tagged needs source' });
    if (args.state === 'built' && !args.path) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['path'], message: 'state built needs path' });
  });

export type DockerImageArgs = z.infer<typeof dockerImageArgs>;

export interface ImageReference {
  /** "10.0.0.1:5000", or undefined for Docker Hub. */
  registry?: string;
  /** "10.0.0.1:5000/httpd" (what RepoDigests entries start with). */
  repository: string;
  /** Path within the registry: "httpd", "library/httpd". */
  path: string;
  tag: string;
}

/** Splits a reference the way docker does: the first component is a registry when it has '.' or ':' or is localhost. */
export function parseReference(ref: string): ImageReference {
  const withoutDigest = ref.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > lastSlash;
  const name = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
  const tag = hasTag ? withoutDigest.slice(colon + 1) : 'latest';
  const first = name.split('/')[0]!;
  const isRegistry = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = isRegistry ? name.slice(first.length + 1) : name;
  return { ...(isRegistry && { registry: first }), repository: name, path, tag };
}

function digestFor(image: LocalImage, repository: string): string[] {
  return image.repoDigests.filter((d) => d.startsWith(`${repository}@`)).map((d) => d.slice(repository.length + 1));
}

function dockerChange(description: string, words: string[], timeoutMs = 600_000): Step {
  return { kind: 'command', description, command: quoteArgs(words), timeoutMs };
}

/** The reproducible hash of a build folder, computed on the host. */
export function contextHashCommand(folder: string): string {
  return `cd -- ${quote(folder)} && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - . | sha256sum | cut -d' ' -f1`;
}

export const dockerImage = defineModule({
  name: 'docker_image',
  schema: dockerImageArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const result: Record<string, unknown> = { name: args.name, state: args.state };
    const image = await ctx.fact(imageInspect, { reference: args.name });
    if (image) result.image_id = image.id;

    switch (args.state) {
      case 'absent':
        return image ? { steps: [dockerChange(`docker rmi ${args.name}`, ['docker', 'rmi', args.name])], result } : { steps: [], result };

      case 'pulled':
        if (image && !args.force) return { steps: [], result };
        return { steps: [dockerChange(`docker pull ${args.name}`, ['docker', 'pull', args.name])], result };

      case 'tagged':
      case 'pushed': {
        const steps: Step[] = [];
        if (args.source) {
          const source = await ctx.fact(imageInspect, { reference: args.source });
          if (!source) return { steps: [], result, failed: `image ${args.source} is not on ${ctx.host}: pull, load or build it first` };
          if (!image || image.id !== source.id) steps.push(dockerChange(`docker tag ${args.source} ${args.name}`, ['docker', 'tag', args.source, args.name]));
        } else if (!image) {
          return { steps: [], result, failed: `image ${args.name} is not on ${ctx.host}: give source to tag it from` };
        }
        if (args.state === 'tagged') return { steps, result };

        const ref = parseReference(args.name);
        if (!ref.registry) return { steps: [], result, failed: `${args.name} names no registry (like 192.168.20.6:5000/${args.name}): pushing it would go to Docker Hub` };
        const remote = ref.registry ? await ctx.fact(registryManifest, { registry: ref.registry, path: ref.path, tag: ref.tag }) : undefined;
        result.registry_digest = remote ?? null;
        // A retag points the name at another image: whatever the registry has is then stale.
        const local = steps.length === 0 && image ? digestFor(image, ref.repository) : [];
        result.local_digests = local;
        const upToDate = remote === undefined ? local.length > 0 : remote !== null && local.includes(remote);
        if (upToDate && !args.force) return { steps, result };
        steps.push(dockerChange(`docker push ${args.name}`, ['docker', 'push', args.name]));
        return { steps, result };
      }

      case 'built': {
        const folder = args.path!;
        const hash = await ctx.probe(contextHashCommand(folder));
        const digest = hash.stdout.trim();
        if (hash.exitCode !== 0 || !/^[0-9a-f]{64}$/.test(digest)) {
          return { steps: [], result, failed: `cannot read the build folder ${folder} on ${ctx.host}: ${outputTail(hash) || 'no hash'}` };
        }
        result.context_sha256 = digest;
        if (image && image.labels[CONTEXT_LABEL] === digest && !args.force) return { steps: [], result };
        const words = [
          'docker', 'build', '--label', `${CONTEXT_LABEL}=${digest}`, '-t', args.name,
          ...(args.dockerfile ? ['-f', args.dockerfile] : []), folder,
        ];
        return {
          steps: [{
            kind: 'command',
            description: `docker build -t ${args.name} ${folder}`,
            command: quoteArgs(words),
            timeoutMs: 1_800_000,
            failMessage: `docker build of ${folder} failed on ${ctx.host}`,
            // The build's own last lines say which instruction failed and why.
            failOutputLines: 8,
          }],
          result,
        };
      }
    }
  },
});
