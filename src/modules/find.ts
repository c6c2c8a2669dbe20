/**
 * `find`: files under folders that match names, age, size, type or content,
 * as Ansible's find, returning `files` (each with stat's fields: path, mode,
 * isdir, isreg, islnk, size, mtime, uid, pw_name...), `matched`, `examined`
 * and `skipped_paths`. One probe lists the folders with GNU find -printf;
 * names, hidden files, age and size are judged on the controller the way
 * Ansible judges them (shell globs or, with use_regex, a regular expression
 * matched at the start of the name). `contains` is tested on the host with
 * grep -E, matched at the start of a line as Ansible's re.match does (a
 * POSIX extended expression). Never changes anything.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { booleanArg, numberArg } from './argument-types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { CHECKSUM_ALGORITHMS } from '../facts/path-info.js';

const listArg = z.union([z.string(), z.array(z.string())]).transform((value) =>
  (Array.isArray(value) ? value : value.split(',')).map((item) => item.trim()).filter(Boolean));

const AGE = /^(-?\d+)([smhdw]?)$/;
const SIZE = /^(-?\d+)([bkmgt]?)$/;

const findArgs = z
  .object({
    paths: listArg.optional(),
    path: listArg.optional(),
    name: listArg.optional(),
    patterns: listArg.optional(),
    pattern: listArg.optional(),
    excludes: listArg.optional(),
    exclude: listArg.optional(),
    contains: z.string().optional(),
    file_type: z.enum(['file', 'directory', 'link', 'any']).default('file'),
    recurse: booleanArg.default(false),
    depth: numberArg.pipe(z.number().int().positive()).optional(),
    hidden: booleanArg.default(false),
    follow: booleanArg.default(false),
    get_checksum: booleanArg.default(false),
    checksum_algorithm: z.enum(CHECKSUM_ALGORITHMS).default('sha1'),
    use_regex: booleanArg.default(false),
    age: z.string().regex(AGE, 'expected an age like 2d, -1w, 3600 (s, m, h, d, w)').optional(),
    age_stamp: z.enum(['atime', 'mtime', 'ctime']).default('mtime'),
    size: z.string().regex(SIZE, 'expected a size like 10k, -1m, 500 (b, k, m, g, t)').optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    const given = [args.paths, args.path, args.name].filter((value) => value !== undefined).length;
    if (given !== 1) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['paths'], message: given === 0 ? 'paths is required (or its aliases path, name)' : 'give paths only once (path and name are its aliases)' });
    }
    if (args.patterns !== undefined && args.pattern !== undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['patterns'], message: 'give patterns only once (pattern is its alias)' });
    }
    if (args.use_regex) {
      for (const pattern of [...(args.patterns ?? args.pattern ?? []), ...(args.excludes ?? args.exclude ?? [])]) {
        try { new RegExp(pattern); } catch (error) {
          refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['patterns'], message: `not a valid regular expression: ${(error as Error).message}` });
        }
      }
    }
  })
  .transform(({ path, name, pattern, exclude, ...args }) => ({
    ...args,
    paths: (args.paths ?? path ?? name)!,
    patterns: args.patterns ?? pattern ?? [],
    excludes: args.excludes ?? exclude ?? [],
  }));

export type FindArgs = z.infer<typeof findArgs>;

/** A shell glob (fnmatch) as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const close = glob.indexOf(']', index + 2);
      if (close === -1) { source += '\\['; continue; }
      let set = glob.slice(index + 1, close);
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      source += `[${set.replace(/\\/g, '\\\\')}]`;
      index = close;
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

function nameMatches(name: string, patterns: string[], useRegex: boolean): boolean {
  return patterns.some((pattern) => (useRegex ? new RegExp(`^(?:${pattern})`).test(name) : globToRegExp(pattern).test(name)));
}

const UNIT_SECONDS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const UNIT_BYTES: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

interface Entry {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  size: number;
  atime: number;
  mtime: number;
  ctime: number;
  inode: number;
  nlink: number;
  dev: number;
  path: string;
}

const PRINTF = '%y|%m|%U|%G|%u|%g|%s|%A@|%T@|%C@|%i|%n|%D|%p\\0';

/** One probe: the host's clock, then every folder's entries (or why it was skipped). */
export function listCommand(args: FindArgs): string {
  const depth = args.recurse ? (args.depth !== undefined ? ['-maxdepth', String(args.depth)] : []) : ['-maxdepth', '1'];
  const lines = ['date +now:%s'];
  for (const path of args.paths) {
    const find = quoteArgs(['find', ...(args.follow ? ['-L'] : []), path.startsWith('-') ? `./${path}` : path, '-mindepth', '1', ...depth, '-printf', PRINTF]);
    lines.push(`if [ -d ${quote(path)} ]; then printf 'dir:%s\\0' ${quote(path)}; ${find} 2>/dev/null; else printf 'skip:%s\\0' ${quote(path)}; fi`);
  }
  return lines.join('\n');
}

function parseEntry(record: string): Entry | undefined {
  const parts = record.split('|');
  if (parts.length < 14) return undefined;
  const [type, mode, uid, gid, owner, group, size, atime, mtime, ctime, inode, nlink, dev] = parts;
  return {
    type: type!, mode: parseInt(mode!, 8), uid: Number(uid), gid: Number(gid), owner: owner!, group: group!, size: Number(size),
    atime: Number(atime), mtime: Number(mtime), ctime: Number(ctime), inode: Number(inode), nlink: Number(nlink), dev: Number(dev),
    path: parts.slice(13).join('|'),
  };
}

function fileResult(entry: Entry): Record<string, unknown> {
  const bit = (mask: number) => (entry.mode & mask) !== 0;
  return {
    path: entry.path,
    mode: entry.mode.toString(8).padStart(4, '0'),
    isdir: entry.type === 'd', ischr: entry.type === 'c', isblk: entry.type === 'b', isreg: entry.type === 'f',
    isfifo: entry.type === 'p', islnk: entry.type === 'l', issock: entry.type === 's',
    uid: entry.uid, gid: entry.gid, size: entry.size, inode: entry.inode, dev: entry.dev, nlink: entry.nlink,
    atime: entry.atime, mtime: entry.mtime, ctime: entry.ctime, gr_name: entry.group, pw_name: entry.owner,
    wusr: bit(0o200), rusr: bit(0o400), xusr: bit(0o100), wgrp: bit(0o20), rgrp: bit(0o40), xgrp: bit(0o10),
    woth: bit(0o2), roth: bit(0o4), xoth: bit(0o1), isuid: bit(0o4000), isgid: bit(0o2000),
  };
}

function typeWanted(entry: Entry, fileType: FindArgs['file_type']): boolean {
  if (fileType === 'any') return true;
  return { file: 'f', directory: 'd', link: 'l' }[fileType] === entry.type;
}

/** The entries Ansible would keep, judged on names, type, age and size. */
export function selectEntries(entries: Entry[], args: FindArgs, now: number): Entry[] {
  const age = args.age === undefined ? undefined : AGE.exec(args.age)!;
  const size = args.size === undefined ? undefined : SIZE.exec(args.size)!;
  return entries.filter((entry) => {
    const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
    if (!args.hidden && name.startsWith('.')) return false;
    if (!typeWanted(entry, args.file_type)) return false;
    if (args.patterns.length > 0 && !nameMatches(name, args.patterns, args.use_regex)) return false;
    if (args.excludes.length > 0 && nameMatches(name, args.excludes, args.use_regex)) return false;
    if (age) {
      const seconds = Number(age[1]) * UNIT_SECONDS[age[2]!]!;
      const stamp = { atime: entry.atime, mtime: entry.mtime, ctime: entry.ctime }[args.age_stamp];
      const old = now - stamp;
      if (seconds >= 0 ? old < seconds : old > Math.abs(seconds)) return false;
    }
    if (size && entry.type === 'f') {
      const bytes = Number(size[1]) * UNIT_BYTES[size[2]!]!;
      if (bytes >= 0 ? entry.size < bytes : entry.size > Math.abs(bytes)) return false;
    }
    return true;
  });
}

export const find = defineModule({
  name: 'find',
  schema: findArgs,
  async plan(ctx, args): Promise<Plan> {
    const listing = await ctx.probe(listCommand(args), { timeoutMs: 300_000 });
    let now = Date.now() / 1000;
    const entries: Entry[] = [];
    const skipped: Record<string, string> = {};
    for (let record of listing.stdout.split('\0')) {
      const clock = /^now:(\d+)\n/.exec(record);
      if (clock) {
        now = Number(clock[1]);
        record = record.slice(clock[0].length);
      }
      if (record.startsWith('skip:')) skipped[record.slice(5)] = `${record.slice(5)} was skipped as it does not seem to be a valid directory or it cannot be accessed`;
      else if (record && !record.startsWith('dir:')) {
        const entry = parseEntry(record);
        if (entry) entries.push(entry);
      }
    }
    let selected = selectEntries(entries, args, now);
    if (args.contains !== undefined && selected.length > 0) {
      const candidates = selected.filter((entry) => entry.type === 'f').map((entry) => entry.path);
      const grep = candidates.length === 0 ? { stdout: '' }
        : await ctx.probe(`${quoteArgs(['grep', '-l', '-E', '-e', `^(${args.contains})`, '--', ...candidates])} 2>/dev/null; true`);
      const holding = new Set(grep.stdout.split('\n'));
      selected = selected.filter((entry) => holding.has(entry.path));
    }
    const files = selected.map(fileResult);
    if (args.get_checksum && selected.some((entry) => entry.type === 'f')) {
      const regular = selected.filter((entry) => entry.type === 'f').map((entry) => entry.path);
      const sums = await ctx.probe(`${quoteArgs([`${args.checksum_algorithm}sum`, '-z', '--', ...regular])} 2>/dev/null; true`);
      const byPath = new Map(sums.stdout.split('\0').filter(Boolean).map((line) => [line.slice(line.indexOf(' ') + 2), line.slice(0, line.indexOf(' '))]));
      for (const file of files) if (byPath.has(file.path as string)) file.checksum = byPath.get(file.path as string);
    }
    const result = { files, matched: files.length, examined: entries.length, skipped_paths: skipped, msg: 'All paths examined' };
    return { steps: [], result };
  },
});
