/**
 * `image_inspect`: an image on the host from `docker image inspect REF
 * --format '{{json .}}'` (ID, tags, the registry digests it was pushed or
 * pulled with, labels), or null when the host does not have it. The one
 * parser of that output; checked on test/fixtures/docker/image-inspect-registry.json.
 */
import { asObject, asString, parseJsonText } from './docker-json.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { defineFact, FactError } from './types.js';
import { outputTail } from '../transport/output-tail.js';

export interface LocalImage {
  id: string;
  repoTags: string[];
  /** "repo@sha256:..." for each registry the image was pushed to or pulled from. */
  repoDigests: string[];
  labels: Record<string, string>;
}

export function imageInspectCommand(reference: string): string {
  return `${quoteArgs(['docker', 'image', 'inspect', reference])} --format '{{json .}}'`;
}

export function parseImageInspect(stdout: string): LocalImage {
  const image = asObject(parseJsonText(stdout, 'docker image inspect'));
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(asObject(asObject(image.Config).Labels))) labels[key] = asString(value);
  const strings = (value: unknown) => (Array.isArray(value) ? value.map(asString) : []);
  return { id: asString(image.Id), repoTags: strings(image.RepoTags), repoDigests: strings(image.RepoDigests), labels };
}

export const imageInspect = defineFact<{ reference: string }, LocalImage | null>({
  name: 'image_inspect',
  command: ({ reference }) => imageInspectCommand(reference),
  parse(result, { reference }, host) {
    if (result.exitCode !== 0) {
      if (/no such (image|object)/i.test(`${result.stdout}\n${result.stderr}`)) return null;
      throw new FactError(`cannot inspect image ${reference} on ${host}: ${outputTail(result)}`);
    }
    return parseImageInspect(result.stdout);
  },
});
