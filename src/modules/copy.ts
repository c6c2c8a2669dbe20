/**
 * `copy`: puts content on the host at `dest`, written atomically (the
 * transport writes a temp file in the same folder and renames it over the
 * target). The content is either `content:` (a string; a mapping or list is
 * written as JSON, as Ansible does) or `src:`, a file on the controller looked
 * up like Ansible: absolute, or in the playbook's `files/` folder, or beside
 * the playbook. `remote_src: true` takes `src` from the host itself. A `dest`
 * ending in `/` is a folder: the file keeps src's name. Directories as src are
 * not supported. `mode` takes octal or symbolic modes (see file-mode.ts), or
 * `preserve` to keep src's mode.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan } from './types.js';
import { accountArg, booleanArg, validateArg } from './argument-types.js';
import { formatMode, modeSchema, type ModeSpec } from './file-mode.js';
import { planFileContent, reportBackupFile } from './file-content.js';

const copyArgs = z
  .object({
    content: z.unknown().optional(),
    src: z.string().min(1).optional(),
    dest: z.string().min(1),
    remote_src: booleanArg.default(false),
    mode: z.union([z.literal('preserve'), modeSchema]).optional(),
    owner: accountArg.optional(),
    group: accountArg.optional(),
    backup: booleanArg.default(false),
    validate: validateArg.optional(),
    force: booleanArg.default(true),
  })
  .strict()
  .superRefine((args, refinement) => {
    const hasContent = args.content !== undefined && args.content !== null;
    if (hasContent === (args.src !== undefined)) {
      refinement.addIssue({
        code: z.ZodIssueCode.custom,
        message: hasContent ? 'give either content or src, not both' : 'one of content or src is required',
      });
    }
    if (hasContent && args.dest.endsWith('/')) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['dest'], message: 'with content, dest must be a file path, not a folder' });
    }
    if (args.mode === 'preserve' && args.src === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['mode'], message: "mode 'preserve' needs src" });
    }
  });

export type CopyArgs = z.infer<typeof copyArgs>;

/** Where a relative controller `src` is looked for, in order. */
/** Where a relative src may be, as Ansible searches: each folder's files/ (or templates/), then the folder itself. */
export function controllerFileCandidates(searchDirs: string | readonly string[], src: string, folder: string): string[] {
  if (path.isAbsolute(src)) return [src];
  const dirs = typeof searchDirs === 'string' ? [searchDirs] : searchDirs;
  return dirs.flatMap((dir) => [path.resolve(dir, folder, src), path.resolve(dir, src)]);
}

/** The first candidate that is a file, or undefined. */
export async function findControllerFile(candidates: string[]): Promise<{ file: string; mode: number } | undefined> {
  for (const file of candidates) {
    const stat = await fs.stat(file).catch(() => undefined);
    if (stat?.isFile()) return { file, mode: stat.mode };
  }
  return undefined;
}

interface Source {
  content: string | Buffer;
  /** src's mode, for mode: preserve. */
  mode?: number;
}

async function readSource(ctx: ModuleContext, args: CopyArgs): Promise<Source | { failed: string }> {
  if (args.src === undefined) {
    return { content: typeof args.content === 'string' ? args.content : JSON.stringify(args.content) };
  }
  if (args.remote_src) {
    const content = await ctx.readFile(args.src);
    if (content === null) return { failed: `Source ${args.src} not found on the host` };
    return { content };
  }
  const candidates = controllerFileCandidates(ctx.searchDirs, args.src, 'files');
  const found = await findControllerFile(candidates);
  if (!found) {
    const isFolder = (file: string) => fs.stat(file).then((stat) => stat.isDirectory(), () => false);
    const folder = (await Promise.all(candidates.map(isFolder))).some(Boolean);
    return {
      failed: folder
        ? `src ${args.src} is a folder; copying folders is not supported, copy each file`
        : `could not find src ${args.src} (looked in ${candidates.join(', ')})`,
    };
  }
  return { content: await fs.readFile(found.file), mode: found.mode };
}

export function destinationPath(dest: string, src: string | undefined): string {
  return dest.endsWith('/') && src !== undefined ? `${dest}${path.basename(src)}` : dest;
}

/** The file copy and template put at dest, and the result both report (dest, src, checksum, size, the attributes asked). */
export async function planDestinationFile(
  ctx: ModuleContext, dest: string, content: string | Buffer,
  wanted: { src?: string; mode?: ModeSpec; owner?: string; group?: string; backup: boolean; validate?: string; force: boolean },
): Promise<Plan> {
  const plan = await planFileContent(ctx, {
    path: dest, content, mode: wanted.mode, owner: wanted.owner, group: wanted.group, backup: wanted.backup, validate: wanted.validate, force: wanted.force,
  });
  return {
    ...plan,
    result: {
      dest,
      ...(wanted.src !== undefined && { src: wanted.src }),
      checksum: plan.result?.checksum,
      size: plan.result?.size,
      ...(wanted.mode !== undefined && { mode: wanted.mode }),
      ...(wanted.owner !== undefined && { owner: wanted.owner }),
      ...(wanted.group !== undefined && { group: wanted.group }),
    },
  };
}

export const copy = defineModule({
  name: 'copy',
  schema: copyArgs,
  changesByWrites: true,
  reads: (args) => [{ path: destinationPath(args.dest, args.src), content: true }],
  async plan(ctx, args): Promise<Plan> {
    const source = await readSource(ctx, args);
    if ('failed' in source) return { steps: [], failed: source.failed };
    const dest = destinationPath(args.dest, args.src);
    const mode = args.mode === 'preserve' ? formatMode(source.mode ?? 0o644) : args.mode;
    return planDestinationFile(ctx, dest, source.content, { ...args, mode });
  },
  finish: reportBackupFile,
});
