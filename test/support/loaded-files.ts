/**
 * Module hooks (node --import of loaded-files-register.js) that append every
 * file a process resolves, as a file: URL a line, to $SWARMPLAY_LOADED_FILES.
 * They see dynamic imports too, so a test can tell what a command loaded.
 */
import { appendFileSync } from 'node:fs';

interface ResolveResult { url: string }
type NextResolve = (specifier: string, context: unknown) => Promise<ResolveResult>;

let output = '';

export function initialize(data: { output: string }): void {
  output = data.output;
}

export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve): Promise<ResolveResult> {
  const result = await nextResolve(specifier, context);
  if (result.url.startsWith('file:')) appendFileSync(output, `${result.url}\n`);
  return result;
}
