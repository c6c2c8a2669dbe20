/**
 * `file`: the state of a path, as Ansible's file module: `directory`
 * (created with parents), `absent` (removed, folders recursively), `touch`
 * (created if missing, times updated), `link` (a symlink to `src`), or `file`
 * (attributes of an existing file only). Without `state`, a directory stays a
 * directory and anything else is treated as `file`, as in Ansible.
 *
 * mode/owner/group are compared with one `stat` probe and fixed with
 * chmod/chown only when they differ. With `recurse: true` (directories) a
 * `find` probe looks for anything in the tree that differs, so a second run is
 * ok; a recursive mode must be absolute ("0755", "u=rwx,go=rx"), since
 * relative ones ("a+rX") cannot be compared. Symlinks never get a mode (Linux
 * ignores it); their owner is set with chown -h. `touch` reports changed every
 * time, as Ansible's does, unless access_time and modification_time are both
 * `preserve`. Hard links are not supported.
 */
import { z } from 'zod';
import { defineModule, type Step, type ModuleContext, type Plan } from './types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { accountArg, booleanArg, checkOnePathAlias } from './argument-types.js';
import { isAbsoluteMode, modeSchema, resolveMode } from './file-mode.js';
import { attributeChanges, statPath, type PathStat, type WantedAttributes } from './file-content.js';

const FILE_STATES = ['file', 'directory', 'absent', 'touch', 'link'] as const;
type FileState = (typeof FILE_STATES)[number];

const fileArgs = z
  .object({
    path: z.string().min(1).optional(),
    dest: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    state: z.enum(FILE_STATES).optional(),
    src: z.string().min(1).optional(),
    mode: modeSchema.optional(),
    owner: accountArg.optional(),
    group: accountArg.optional(),
    recurse: booleanArg.default(false),
    force: booleanArg.default(false),
    access_time: z.enum(['now', 'preserve']).optional(),
    modification_time: z.enum(['now', 'preserve']).optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    checkOnePathAlias(args, refinement, ['dest', 'name']);
    if (args.state === 'link' && args.src === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['src'], message: 'state link needs src, the target of the link' });
    }
    if (args.src !== undefined && args.state !== 'link') {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['src'], message: 'src is only for state: link' });
    }
    if (args.recurse && args.state !== undefined && args.state !== 'directory') {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['recurse'], message: 'recurse is only for state: directory' });
    }
    if (args.recurse && args.mode !== undefined && !isAbsoluteMode(args.mode)) {
      refinement.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['mode'],
        message: 'with recurse, mode must be absolute (like 0755 or u=rwx,go=rx): a relative mode cannot be compared across a tree',
      });
    }
  })
  .transform(({ dest, name, ...args }) => ({ ...args, path: (args.path ?? dest ?? name)! }));

export type FileArgs = z.infer<typeof fileArgs>;

/** find(1) reads a leading '-' as an option: make such a path plainly relative. */
function findPath(path: string): string {
  return path.startsWith('-') ? `./${path}` : path;
}

function command(description: string, words: string[]): Step {
  return { kind: 'command', description, command: quoteArgs(words) };
}

/** Attributes to set on a path just created: every one asked for is set. */
function newPathAttributes(path: string, kind: 'file' | 'directory', wanted: WantedAttributes): Step[] {
  // An impossible current state, so that attributeChanges sees everything as differing.
  const created: PathStat = { kind, mode: -1, owner: '', group: '', uid: -1, gid: -1 };
  // A relative mode ("u+x") starts from what umask 022 gives the new path.
  const mode = wanted.mode === undefined ? undefined : resolveMode(wanted.mode, undefined, kind === 'directory');
  return attributeChanges(path, created, { ...wanted, mode });
}

/** Which recursive attributes differ somewhere in the tree, found in one probe. */
async function treeDifferences(ctx: ModuleContext, path: string, wanted: WantedAttributes, stat: PathStat): Promise<WantedAttributes> {
  const checks: { attribute: keyof WantedAttributes; test: string[] }[] = [];
  if (wanted.mode !== undefined) {
    // Links are skipped: their own mode is always 0777 and chmod -R leaves them alone.
    checks.push({ attribute: 'mode', test: ['!', '-type', 'l', '!', '-perm', resolveMode(wanted.mode, stat.mode, true)] });
  }
  if (wanted.owner !== undefined) checks.push({ attribute: 'owner', test: ['!', '-user', wanted.owner] });
  if (wanted.group !== undefined) checks.push({ attribute: 'group', test: ['!', '-group', wanted.group] });
  if (checks.length === 0) return {};
  const script = checks
    .map(({ attribute, test }) => `if [ -n "$(${quoteArgs(['find', findPath(path), ...test, '-print', '-quit'])})" ]; then echo ${attribute}; fi`)
    .join('\n');
  const found = new Set((await ctx.probe(script)).stdout.split('\n').map((line) => line.trim()));
  return {
    ...(found.has('mode') && { mode: wanted.mode }),
    ...(found.has('owner') && { owner: wanted.owner }),
    ...(found.has('group') && { group: wanted.group }),
  };
}

async function planDirectory(ctx: ModuleContext, args: FileArgs, stat: PathStat | null): Promise<Plan> {
  const { path } = args;
  if (stat === null) {
    return { steps: [command(`create directory ${path}`, ['mkdir', '-p', '--', path]), ...newPathAttributes(path, 'directory', args)] };
  }
  if (stat.kind !== 'directory') return { steps: [], failed: `${path} already exists as a ${describeKind(stat)}, not a directory` };
  if (!args.recurse) return { steps: attributeChanges(path, stat, args) };
  const differing = await treeDifferences(ctx, path, args, stat);
  return { steps: attributeChanges(path, stat, differing, { recurse: true }) };
}

async function planLink(ctx: ModuleContext, args: FileArgs, stat: PathStat | null): Promise<Plan> {
  const { path } = args;
  const target = args.src!;
  // A link's own mode means nothing on Linux: only owner and group apply.
  const linkAttributes = { owner: args.owner, group: args.group };
  const link = command(`link ${path} -> ${target}`, ['ln', '-sfn', '--', target, path]);
  const linkStat: PathStat = { kind: 'link', mode: 0o777, owner: '', group: '', uid: -1, gid: -1 };
  if (stat === null) return { steps: [link, ...attributeChanges(path, linkStat, linkAttributes)] };
  if (stat.kind === 'link') {
    const current = (await ctx.probe(`readlink -- ${quote(path)}`)).stdout.replace(/\n$/, '');
    if (current === target) return { steps: attributeChanges(path, stat, linkAttributes) };
    return { steps: [link, ...attributeChanges(path, linkStat, linkAttributes)] };
  }
  if (stat.kind === 'directory') return { steps: [], failed: `refusing to replace the directory ${path} with a link` };
  if (!args.force) return { steps: [], failed: `refusing to convert the ${describeKind(stat)} ${path} to a link (use force: true)` };
  return {
    steps: [command(`remove ${path}`, ['rm', '-f', '--', path]), link, ...attributeChanges(path, linkStat, linkAttributes)],
  };
}

function planTouch(args: FileArgs, stat: PathStat | null): Plan {
  const { path } = args;
  if (stat === null) return { steps: [command(`create ${path}`, ['touch', '--', path]), ...newPathAttributes(path, 'file', args)] };
  const preserveTimes = args.access_time === 'preserve' && args.modification_time === 'preserve';
  const times: Step[] = [];
  if (!preserveTimes) {
    const only = args.access_time === 'preserve' ? ['-m'] : args.modification_time === 'preserve' ? ['-a'] : [];
    times.push(command(`touch ${path}`, ['touch', ...only, '--', path]));
  }
  return { steps: [...times, ...attributeChanges(path, stat, args)] };
}

function describeKind(stat: PathStat): string {
  return stat.kind === 'link' ? 'symbolic link' : stat.kind === 'other' ? 'special file' : stat.kind;
}

export const file = defineModule({
  name: 'file',
  schema: fileArgs,
  reads: (args) => [{ path: args.path, content: false }],
  async plan(ctx, args): Promise<Plan> {
    const { path } = args;
    const stat = await statPath(ctx, path);
    const state: FileState = args.state ?? (args.recurse || stat?.kind === 'directory' ? 'directory' : 'file');
    const result = {
      path,
      state,
      ...(args.mode !== undefined && { mode: args.mode }),
      ...(args.owner !== undefined && { owner: args.owner }),
      ...(args.group !== undefined && { group: args.group }),
      ...(args.src !== undefined && { src: args.src }),
    };
    let plan: Plan;
    switch (state) {
      case 'absent':
        plan = { steps: stat === null ? [] : [command(`remove ${path}`, ['rm', '-rf', '--', path])] };
        break;
      case 'directory':
        plan = await planDirectory(ctx, args, stat);
        break;
      case 'link':
        plan = await planLink(ctx, args, stat);
        break;
      case 'touch':
        plan = planTouch(args, stat);
        break;
      case 'file':
        if (stat === null) plan = { steps: [], failed: `file (${path}) is absent, cannot continue` };
        else if (stat.kind === 'directory') plan = { steps: [], failed: `${path} is a directory, not a file (use state: directory)` };
        else plan = { steps: attributeChanges(path, stat, stat.kind === 'link' ? { owner: args.owner, group: args.group } : args) };
        break;
    }
    return { ...plan, result };
  },
});
