/**
 * `apt_repository`: a one-line apt source ("deb [signed-by=/etc/apt/keyrings/x.gpg]
 * URI SUITE COMPONENTS"), as Ansible's apt_repository. All of
 * /etc/apt/sources.list and sources.list.d/*.list are read in one round
 * trip; a source compares with spaces collapsed. present: nothing when the
 * line is there and enabled; a commented-out copy is enabled in place;
 * otherwise it is added to sources.list.d/FILENAME.list (the name Ansible
 * derives from the URI, or `filename`). absent: removed from every file.
 * A change refreshes the package lists (update_cache, default true).
 * Ubuntu PPAs (ppa:...) are not offered: write the deb line with its keyring.
 */
import path from 'node:path';
import { z } from 'zod';
import { defineModule, type Plan, type Step, type FileDiff } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg, numberArg } from './argument-types.js';
import { modeSchema } from './file-mode.js';
import { planFileContent } from './file-content.js';
import { joinLines, splitLines } from './lineinfile.js';

const SOURCE_TYPES = new Set(['deb', 'deb-src']);

const aptRepositoryArgs = z
  .object({
    repo: z.string().regex(/^[^\n]+$/, 'one line').refine((repo) => SOURCE_TYPES.has(repo.trim().split(/\s+/)[0]!) && repo.trim().split(/\s+/).length >= 3, {
      message: 'a source line: deb [options] URI SUITE [COMPONENT...] (Ubuntu PPAs are not offered)',
    }),
    state: z.enum(['present', 'absent']).default('present'),
    mode: modeSchema.optional(),
    update_cache: booleanArg.optional(),
    'update-cache': booleanArg.optional(),
    update_cache_retries: numberArg.pipe(z.number().int()).default(5),
    update_cache_retry_max_delay: numberArg.pipe(z.number().int()).default(12),
    filename: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a file name (without .list), no "/"').optional(),
    install_python_apt: booleanArg.default(true),
    validate_certs: booleanArg.default(true),
    codename: z.string().optional(),
  })
  .strict()
  .transform(({ 'update-cache': alias, ...args }) => ({ ...args, repo: args.repo.trim().split(/\s+/).join(' '), updateCache: args.update_cache ?? alias ?? true }));

/** Ansible's file name for a source: the URI's host and path, non-alphanumerics as "_". */
export function suggestFilename(repo: string, filename?: string): string {
  if (filename !== undefined) return `${filename}.list`;
  const line = repo.replace(/\[[^\]]+\]/g, '').replace(/\w+:\/\//g, '');
  const parts = line.split(/\s+/).filter((part) => part && !SOURCE_TYPES.has(part));
  const first = (parts[0] ?? '').split('@').pop()!;
  return `${first.replace(/[^a-zA-Z0-9]/g, ' ').trim().split(/\s+/).join('_')}.list`;
}

/** A sources line: enabled or commented out, and its source with spaces collapsed. */
export function parseSourceLine(line: string): { enabled: boolean; source: string } | undefined {
  let text = line.trim();
  const enabled = !text.startsWith('#');
  if (!enabled) text = text.slice(1);
  const hash = text.indexOf('#');
  if (hash > 0) text = text.slice(0, hash);
  const chunks = text.trim().split(/\s+/);
  return SOURCE_TYPES.has(chunks[0]!) ? { enabled, source: chunks.join(' ') } : undefined;
}

const SECTION = '::swarmplay-sources::';
export const SOURCES_PROBE = `for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [ -f "$f" ] && { echo "${SECTION}$f"; cat "$f"; }; done; exit 0`;

export function parseSources(output: string): Map<string, string> {
  const files = new Map<string, string>();
  let current: string | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith(SECTION)) files.set((current = line.slice(SECTION.length).trim()), '');
    else if (current !== undefined) files.set(current, `${files.get(current)}${line}\n`);
  }
  // Each file's text ends where the next marker began: drop the probe's extra final newline.
  for (const [file, text] of files) files.set(file, text.replace(/\n$/, ''));
  return files;
}

export const aptRepository = defineModule({
  name: 'apt_repository',
  schema: aptRepositoryArgs,
  async plan(ctx, args): Promise<Plan> {
    const files = parseSources((await ctx.probe(SOURCES_PROBE)).stdout);
    const target = path.posix.join('/etc/apt/sources.list.d', suggestFilename(args.repo, args.filename));
    const result = { repo: args.repo, state: args.state, sources_added: [] as string[], sources_removed: [] as string[] };
    const edited = new Map<string, string[]>();
    const matches = (line: string) => parseSourceLine(line)?.source === args.repo;

    if (args.state === 'present') {
      const enabledSomewhere = [...files.values()].some((text) => splitLines(text).some((line) => matches(line) && parseSourceLine(line)!.enabled));
      if (enabledSomewhere) return { steps: [], result };
      const disabledIn = [...files].find(([, text]) => splitLines(text).some(matches));
      if (disabledIn) {
        edited.set(disabledIn[0], splitLines(disabledIn[1]).map((line) => (matches(line) ? args.repo : line)));
      } else {
        edited.set(target, [...splitLines(files.get(target) ?? ''), args.repo]);
      }
      result.sources_added = [...edited.keys()];
    } else {
      for (const [file, text] of files) {
        const lines = splitLines(text);
        if (lines.some(matches)) edited.set(file, lines.filter((line) => !matches(line)));
      }
      result.sources_removed = [...edited.keys()];
    }
    if (edited.size === 0) return { steps: [], result };

    const steps: Step[] = [];
    const diffs: FileDiff[] = [];
    for (const [file, lines] of edited) {
      const plan = await planFileContent(ctx, { path: file, content: joinLines(lines), ...(args.mode !== undefined ? { mode: args.mode } : !files.has(file) && { mode: '0644' }) });
      steps.push(...plan.steps);
      diffs.push(...(plan.diffs ?? []));
    }
    if (args.updateCache) {
      steps.push({
        // --error-on=any: a source apt cannot fetch fails the task, as Ansible's cache.update() does
        // (compared in test/e2e/apt-sources-ansible.test.ts); plain apt-get update only warns.
        kind: 'command', description: 'refresh the package lists', command: `DEBIAN_FRONTEND=noninteractive ${quoteArgs(['apt-get', '-q', '-o', 'DPkg::Lock::Timeout=60', 'update', '--error-on=any'])}`,
        display: 'apt-get update --error-on=any', failMessage: 'Failed to update apt cache', failOutputLines: 8,
        retry: { whileOutputMatches: 'Temporary failure|Could not connect|Failed to fetch|Could not get lock', attempts: args.update_cache_retries, delayMs: 2000 },
      });
    }
    return { steps, diffs, result };
  },
});
