/**
 * `unarchive` with `remote_src: true`: extracts a tar (any compression GNU
 * tar reads) or zip archive that is already on the host into an existing
 * folder, as Ansible's unarchive. The archive's kind is found by asking
 * unzip, then tar, to list it (Ansible's ZipArchive / TgzArchive handlers);
 * whether it needs extracting is judged on the host without writing: `tar
 * --diff` against dest (contents, modes, times), for a zip each member
 * compared byte for byte with `unzip -p | cmp`. Extracted already: ok, so a
 * second run changes nothing. `creates` skips everything when its path exists.
 *
 * An archive on the controller (remote_src: false, Ansible's default) is not
 * supported here: copy it first (copy module), then unarchive with
 * remote_src: true. URLs as src are not supported either (get_url first).
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { booleanArg } from './argument-types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { statPath } from './file-content.js';

const listArg = z.union([z.string(), z.array(z.string())]).transform((value) => (Array.isArray(value) ? value : [value]));

const unarchiveArgs = z
  .object({
    src: z.string().min(1),
    dest: z.string().min(1),
    remote_src: booleanArg.optional(),
    copy: booleanArg.optional(),
    creates: z.string().min(1).optional(),
    list_files: booleanArg.default(false),
    exclude: listArg.default([]),
    include: listArg.default([]),
    extra_opts: listArg.default([]),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.remote_src !== undefined && args.copy !== undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['copy'], message: 'parameters are mutually exclusive: copy|remote_src (use remote_src)' });
    }
    const remote = args.remote_src ?? (args.copy === undefined ? false : !args.copy);
    if (!remote) {
      refinement.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['remote_src'],
        message: 'only archives already on the host are supported: copy the archive there first, then use remote_src: true',
      });
    }
    if (/^[a-z]+:\/\//i.test(args.src)) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['src'], message: 'a URL as src is not supported: download it with get_url first' });
    }
    if (args.include.length > 0 && args.exclude.length > 0) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['include'], message: 'parameters are mutually exclusive: exclude|include' });
    }
  });

export type UnarchiveArgs = z.infer<typeof unarchiveArgs>;

type Handler = 'ZipArchive' | 'TgzArchive';

/** Lists the archive: `zip` then its members, or `tar` then its members, or `none`. */
export function listCommand(src: string): string {
  const archive = quote(src);
  return [
    `if command -v unzip >/dev/null 2>&1 && unzip -Z1 ${archive} >/dev/null 2>&1; then echo zip; unzip -Z1 ${archive}`,
    `elif tar -tf ${archive} >/dev/null 2>&1; then echo tar; tar -tf ${archive}`,
    'else echo none; fi',
  ].join('\n');
}

/** Exits 0 when dest already holds the archive's members as they are in it. */
export function sameCommand(handler: Handler, args: UnarchiveArgs, members: string[]): string {
  if (handler === 'TgzArchive') {
    return `${quoteArgs(['tar', '-C', args.dest, '--diff', '-f', args.src, ...args.exclude.map((pattern) => `--exclude=${pattern}`), ...args.include])} >/dev/null 2>&1`;
  }
  const checks = members.map((member) => member.endsWith('/')
    ? `[ -d ${quote(`${args.dest}/${member}`)} ] || exit 1`
    : `unzip -p ${quote(args.src)} ${quote(member)} | cmp -s - ${quote(`${args.dest}/${member}`)} || exit 1`);
  return [...checks, 'exit 0'].join('\n');
}

function extractCommand(handler: Handler, args: UnarchiveArgs): string[] {
  if (handler === 'TgzArchive') {
    return ['tar', '-C', args.dest, '-xf', args.src, ...args.extra_opts, ...args.exclude.map((pattern) => `--exclude=${pattern}`), ...args.include];
  }
  return ['unzip', '-o', ...args.extra_opts, args.src, ...args.include, '-d', args.dest, ...(args.exclude.length ? ['-x', ...args.exclude] : [])];
}

function globMatches(patterns: string[], name: string): boolean {
  return patterns.some((pattern) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}/?$`).test(name));
}

export const unarchive = defineModule({
  name: 'unarchive',
  schema: unarchiveArgs,
  async plan(ctx, args): Promise<Plan> {
    const result: Record<string, unknown> = { dest: args.dest, src: args.src };
    if (args.creates !== undefined && (await statPath(ctx, args.creates)) !== null) {
      const msg = `skipped, since ${args.creates} exists`;
      return { steps: [], msg, result: { ...result, msg } };
    }
    const dest = await statPath(ctx, args.dest);
    if (dest?.kind !== 'directory') return { steps: [], result, failed: `dest '${args.dest}' must be an existing dir` };
    const source = await statPath(ctx, args.src);
    if (source === null) return { steps: [], result, failed: `Source '${args.src}' does not exist` };
    const listing = (await ctx.probe(listCommand(args.src), { timeoutMs: 120_000 })).stdout.split('\n').filter(Boolean);
    const kind = listing.shift();
    if (kind !== 'zip' && kind !== 'tar') {
      return { steps: [], result, failed: `Failed to find handler for "${args.src}". Make sure the required command to extract the file is installed (unzip for zip, tar with gzip/bzip2/xz for tarballs).` };
    }
    const handler: Handler = kind === 'zip' ? 'ZipArchive' : 'TgzArchive';
    let members = listing;
    if (args.include.length > 0) members = members.filter((name) => globMatches(args.include, name));
    if (args.exclude.length > 0) members = members.filter((name) => !globMatches(args.exclude, name));
    result.handler = handler;
    if (args.list_files) result.files = members;
    const same = await ctx.probe(sameCommand(handler, args, members), { timeoutMs: 300_000 });
    if (same.exitCode === 0) return { steps: [], result };
    const command = extractCommand(handler, args);
    return {
      steps: [{ kind: 'command', id: 'extract', description: `extract ${args.src} into ${args.dest}`, command: quoteArgs(command), timeoutMs: 600_000 }],
      result: { ...result, extract_results: { cmd: command } },
    };
  },
  finish(_args, outcomes, plan) {
    const run = outcomes.byId('extract')?.run;
    if (!run) return {};
    const previous = (plan.result?.extract_results ?? {}) as Record<string, unknown>;
    return { extract_results: { ...previous, rc: run.exitCode, out: run.stdout, err: run.stderr } };
  },
});
