/**
 * `mount`: a mount point in fstab and in the running system, as
 * ansible.posix.mount on Linux. The fstab entry is the line whose mount
 * point is `path` (spaces written \040); /proc/self/mounts says what is
 * mounted. States:
 * - present: the fstab entry only; absent_from_fstab: its removal only;
 * - mounted: the entry, the mount point folder, and mounted (a mounted
 *   path whose entry changed is remounted);
 * - unmounted: unmounted, fstab untouched; remounted: always remounted;
 * - absent: unmounted, entry removed, and the empty mount point removed;
 * - ephemeral: mounted with src/fstype/opts, fstab untouched.
 * `boot: false` adds noauto to the options.
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import { planFileContent, statPath } from './file-content.js';
import { joinLines, splitLines } from './lineinfile.js';

const noNewline = (what: string) => z.string().min(1).regex(/^[^\n]+$/, `${what}, one line`);

const mountArgs = z
  .object({
    path: noNewline('an absolute path').regex(/^\//, 'an absolute path').optional(),
    name: noNewline('an absolute path').regex(/^\//, 'an absolute path').optional(),
    src: noNewline('a device, label or source').optional(),
    fstype: noNewline('a file system type').optional(),
    opts: noNewline('mount options').optional(),
    dump: z.union([z.string(), z.number()]).transform(String).default('0'),
    passno: z.union([z.string(), z.number()]).transform(String).default('0'),
    state: z.enum(['absent', 'absent_from_fstab', 'mounted', 'present', 'unmounted', 'remounted', 'ephemeral']),
    fstab: z.string().regex(/^\//, 'an absolute path').optional(),
    boot: booleanArg.default(true),
    backup: booleanArg.default(false),
  })
  .strict()
  .superRefine((args, refinement) => {
    if ((args.path === undefined) === (args.name === undefined)) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['path'], message: args.path === undefined ? 'path is required (or its alias name)' : 'give path only once (name is its alias)' });
    }
    if (['mounted', 'present', 'ephemeral'].includes(args.state)) {
      const missing = [args.src === undefined && 'src', args.fstype === undefined && 'fstype'].filter(Boolean);
      if (missing.length) refinement.addIssue({ code: z.ZodIssueCode.custom, message: `state is ${args.state} but all of the following are missing: ${missing.join(', ')}` });
    }
    if (args.state === 'ephemeral' && args.fstab !== undefined) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['fstab'], message: 'state ephemeral never touches fstab: drop fstab' });
  })
  .transform(({ name, ...args }) => ({ ...args, path: (args.path ?? name)!.replace(/(.)\/+$/, '$1'), fstab: args.fstab ?? '/etc/fstab' }));

/** fstab's escaping of spaces, tabs and backslashes in a field. */
const escapeField = (value: string) => value.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/\t/g, '\\011');
const unescapeField = (value: string) => value.replace(/\\(\d{3})/g, (_whole, octal: string) => String.fromCharCode(parseInt(octal, 8)));

export const mount = defineModule({
  name: 'mount',
  schema: mountArgs,
  async plan(ctx, args): Promise<Plan> {
    const opts = [...(args.opts ?? 'defaults').split(','), ...(args.boot ? [] : ['noauto'])].filter((o, i, all) => all.indexOf(o) === i).join(',');
    const mounts = (await ctx.readFile('/proc/self/mounts'))?.toString('utf8') ?? '';
    const mounted = mounts.split('\n').some((line) => unescapeField(line.split(' ')[1] ?? '') === args.path);
    const steps: Step[] = [];
    const result: Record<string, unknown> = { name: args.path, src: args.src, fstype: args.fstype, opts, dump: args.dump, passno: args.passno, fstab: args.fstab, boot: args.boot };
    let diffs: Plan['diffs'];
    let fstabChanged = false;

    if (['present', 'mounted', 'absent', 'absent_from_fstab'].includes(args.state)) {
      const current = (await ctx.readFile(args.fstab))?.toString('utf8');
      const lines = splitLines(current ?? '');
      const isEntry = (line: string) => !line.trim().startsWith('#') && unescapeField(line.trim().split(/\s+/)[1] ?? '') === args.path;
      let after: string[];
      if (args.state === 'absent' || args.state === 'absent_from_fstab') {
        after = lines.filter((line) => !isEntry(line));
      } else {
        const entry = [args.src!, args.path, args.fstype!, opts, args.dump, args.passno].map(escapeField).join(' ');
        const same = (line: string) => {
          const fields = line.trim().split(/\s+/).map(unescapeField);
          return fields[0] === args.src && fields[2] === args.fstype && fields[3] === opts && (fields[4] ?? '0') === args.dump && (fields[5] ?? '0') === args.passno;
        };
        let placed = false;
        after = lines.flatMap((line) => {
          if (!isEntry(line)) return [line];
          if (placed) return [];
          placed = true;
          return [same(line) ? line : entry];
        });
        if (!placed) after.push(entry);
      }
      if (after.length !== lines.length || after.some((line, index) => line !== lines[index])) {
        const plan = await planFileContent(ctx, { path: args.fstab, content: joinLines(after), backup: args.backup });
        steps.push(...plan.steps);
        diffs = plan.diffs;
        fstabChanged = true;
      }
    }

    if (args.state === 'mounted' || args.state === 'ephemeral') {
      if (!(await statPath(ctx, args.path))) steps.push({ kind: 'command', description: `create ${args.path}`, command: quoteArgs(['mkdir', '-p', '--', args.path]) });
      const explicit = ['-t', args.fstype!, '-o', opts, args.src!, args.path];
      if (!mounted) {
        steps.push({ kind: 'command', description: `mount ${args.path}`, command: quoteArgs(['mount', ...(args.state === 'ephemeral' ? explicit : ['--', args.path])]), failOutputLines: 3 });
      } else if (fstabChanged) {
        steps.push({ kind: 'command', description: `remount ${args.path}`, command: quoteArgs(['mount', '-o', `remount,${opts}`, '--', args.path]), failOutputLines: 3 });
      }
    }
    if (args.state === 'remounted' && mounted) {
      steps.push({ kind: 'command', description: `remount ${args.path}`, command: quoteArgs(['mount', '-o', args.opts ? `remount,${args.opts}` : 'remount', '--', args.path]), failOutputLines: 3 });
    }
    if ((args.state === 'unmounted' || args.state === 'absent') && mounted) {
      steps.push({ kind: 'command', description: `unmount ${args.path}`, command: quoteArgs(['umount', '--', args.path]), failOutputLines: 3 });
    }
    if (args.state === 'absent' && (mounted || fstabChanged) && (await statPath(ctx, args.path))?.kind === 'directory') {
      // The mount point goes only when empty, as Ansible's os.rmdir.
      steps.push({ kind: 'command', description: `remove the mount point ${args.path}`, command: `rmdir -- ${quoteArgs([args.path])} 2>/dev/null || true` });
    }
    return { steps, result, ...(diffs && { diffs }) };
  },
});
