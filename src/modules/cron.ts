/**
 * `cron`: a named job (or environment variable) in a crontab, as Ansible's
 * cron module: each job sits under a `#Ansible: NAME` line, so it is found
 * again by name, rewritten when its schedule or command differ, removed with
 * state absent; `disabled` comments it out. Without `cron_file` the entry
 * goes to the user's crontab (read with `crontab -l`, installed with
 * `crontab -` from the new text, so cron notices); with it, to
 * /etc/cron.d/FILE (a user field in each line, mode 0644), removed once no
 * entry is left in it. `env: true` manages `NAME=value` lines instead
 * (inserted at the top, or after/before another variable).
 */
import path from 'node:path';
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import { planFileContent } from './file-content.js';
import { joinLines, splitLines } from './lineinfile.js';

const field = z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^\S+$/, 'one crontab field, no spaces'));

const cronArgs = z
  .object({
    name: z.string().min(1).regex(/^[^\n]+$/, 'one line'),
    user: z.string().regex(/^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/, 'a user name').optional(),
    job: z.string().regex(/^[^\n]*$/, 'one line').optional(),
    value: z.string().regex(/^[^\n]*$/, 'one line').optional(),
    cron_file: z.string().min(1).optional(),
    state: z.enum(['present', 'absent']).default('present'),
    backup: booleanArg.default(false),
    minute: field.default('*'),
    hour: field.default('*'),
    day: field.optional(),
    dom: field.optional(),
    month: field.default('*'),
    weekday: field.optional(),
    dow: field.optional(),
    special_time: z.enum(['reboot', 'yearly', 'annually', 'monthly', 'weekly', 'daily', 'hourly']).optional(),
    disabled: booleanArg.default(false),
    env: booleanArg.default(false),
    insertafter: z.string().optional(),
    insertbefore: z.string().optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    const issue = (message: string, at?: string) => refinement.addIssue({ code: z.ZodIssueCode.custom, message, ...(at && { path: [at] }) });
    if (args.insertafter !== undefined && args.insertbefore !== undefined) issue('parameters are mutually exclusive: insertafter|insertbefore');
    if (args.job !== undefined && args.value !== undefined) issue('give job only once (value is its alias)', 'job');
    if (args.state === 'present' && args.job === undefined && args.value === undefined) issue('state present needs job (the command, or the variable\'s value with env: true)', 'job');
    if (args.special_time !== undefined && [args.minute, args.hour, args.month].some((v) => v !== '*')) issue('special_time cannot be combined with minute, hour, day, month or weekday', 'special_time');
    if (args.cron_file !== undefined && args.user === undefined) issue('cron_file needs user: the account the job runs as', 'user');
    if (args.cron_file !== undefined && !args.cron_file.startsWith('/') && args.cron_file.includes('/')) issue('cron_file: a file name in /etc/cron.d, or an absolute path', 'cron_file');
  })
  .transform(({ value, dom, dow, ...args }) => ({ ...args, job: args.job ?? value, day: args.day ?? dom ?? '*', weekday: args.weekday ?? dow ?? '*' }));

export type CronArgs = z.infer<typeof cronArgs>;

const MARKER = '#Ansible: ';

export function jobLine(args: CronArgs): string {
  const user = args.cron_file !== undefined ? [args.user!] : [];
  const schedule = args.special_time ? [`@${args.special_time}`] : [args.minute, args.hour, args.day, args.month, args.weekday];
  const line = [...schedule, ...user, args.job!].join(' ');
  return args.disabled ? `#${line}` : line;
}

/** The crontab's lines with the named job set or removed. */
export function editJobs(lines: string[], args: CronArgs): string[] {
  const header = `${MARKER}${args.name}`;
  const out: string[] = [];
  let found = false;
  for (let index = 0; index < lines.length; index++) {
    if (lines[index] !== header) {
      out.push(lines[index]!);
      continue;
    }
    index++; // the job line under the header
    if (args.state === 'present' && !found) out.push(header, jobLine(args));
    found = true;
  }
  if (!found && args.state === 'present') out.push(header, jobLine(args));
  return out;
}

/** The crontab's lines with the NAME=value variable set or removed. */
export function editEnv(lines: string[], args: CronArgs): string[] {
  const isVar = (line: string, name: string) => line.startsWith(`${name}=`);
  const declaration = `${args.name}=${args.job ?? ''}`;
  const at = lines.findIndex((line) => isVar(line, args.name));
  if (args.state === 'absent') return lines.filter((line) => !isVar(line, args.name));
  if (at !== -1) return lines.map((line, index) => (index === at ? declaration : line));
  const anchor = args.insertafter ?? args.insertbefore;
  const anchorAt = anchor === undefined ? -1 : lines.findIndex((line) => isVar(line, anchor));
  const index = anchorAt === -1 ? 0 : args.insertafter !== undefined ? anchorAt + 1 : anchorAt;
  return [...lines.slice(0, index), declaration, ...lines.slice(index)];
}

export const cron = defineModule({
  name: 'cron',
  schema: cronArgs,
  async plan(ctx, args): Promise<Plan> {
    const edit = (lines: string[]) => (args.env ? editEnv(lines, args) : editJobs(lines, args));
    const result = { name: args.name, state: args.state, ...(args.env ? { envs: [args.name] } : { jobs: [args.name] }) };

    if (args.cron_file !== undefined) {
      const file = args.cron_file.startsWith('/') ? args.cron_file : path.posix.join('/etc/cron.d', args.cron_file);
      const current = (await ctx.readFile(file))?.toString('utf8');
      if (current === undefined && args.state === 'absent') return { steps: [], result: { ...result, cron_file: file } };
      const before = splitLines(current ?? '');
      const after = edit(before);
      const leftEntries = after.some((line) => line.trim() !== '' && !line.startsWith('#'));
      if (args.state === 'absent' && !leftEntries && current !== undefined && after.join('\n') !== before.join('\n')) {
        const remove: Step = { kind: 'command', description: `remove ${file} (no entry left)`, command: quoteArgs(['rm', '-f', '--', file]) };
        return { steps: [remove], diffs: [{ path: file, before: current, after: '' }], result: { ...result, cron_file: file } };
      }
      if (current !== undefined && after.join('\n') === before.join('\n')) return { steps: [], result: { ...result, cron_file: file } };
      const plan = await planFileContent(ctx, { path: file, content: joinLines(after), mode: '0644', backup: args.backup });
      return { ...plan, result: { ...result, cron_file: file } };
    }

    const userWords = args.user !== undefined ? ['-u', args.user] : [];
    const listed = await ctx.probe(quoteArgs(['crontab', ...userWords, '-l']));
    if (listed.exitCode !== 0 && !/no crontab for/i.test(listed.stderr)) {
      return { steps: [], failed: `cannot read the crontab${args.user ? ` of ${args.user}` : ''}: ${(listed.stderr || listed.stdout).trim() || `crontab exited ${listed.exitCode}`}` };
    }
    const current = listed.exitCode === 0 ? listed.stdout : '';
    const before = splitLines(current);
    const after = edit(before);
    if (after.join('\n') === before.join('\n')) return { steps: [], result };
    const content = joinLines(after);
    const install: Step = { kind: 'command', description: `install the crontab${args.user ? ` of ${args.user}` : ''}`, command: quoteArgs(['crontab', ...userWords, '-']), stdin: content, failOutputLines: 3 };
    return { steps: [install], diffs: [{ path: `crontab${args.user ? ` of ${args.user}` : ''}`, before: current, after: content }], result };
  },
});
