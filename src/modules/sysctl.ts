/**
 * `sysctl`: a kernel setting in a sysctl file (and in the running kernel),
 * as ansible.posix.sysctl: state present writes `key=value` (replacing the
 * key's line, or adding one), absent removes the key's lines. When the file
 * changes and `reload` is on (default), `sysctl -p FILE` applies it;
 * `sysctl_set` also compares the running value (`sysctl -n`) and sets it with
 * `sysctl -w` when it differs, whatever the file says. Values compare as
 * Ansible's do: spaces collapsed, yes/true as 1, no/false as 0.
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import { planFileContent } from './file-content.js';
import { joinLines, splitLines } from './lineinfile.js';

const sysctlArgs = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.\/*-]*$/, 'a sysctl key such as net.ipv4.ip_forward').optional(),
    key: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.\/*-]*$/, 'a sysctl key such as net.ipv4.ip_forward').optional(),
    value: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
    val: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
    state: z.enum(['present', 'absent']).default('present'),
    reload: booleanArg.default(true),
    sysctl_set: booleanArg.default(false),
    ignoreerrors: booleanArg.default(false),
    sysctl_file: z.string().regex(/^\//, 'an absolute path').default('/etc/sysctl.conf'),
  })
  .strict()
  .superRefine((args, refinement) => {
    if ((args.name === undefined) === (args.key === undefined)) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['name'], message: args.name === undefined ? 'name is required (or its alias key)' : 'give name only once (key is its alias)' });
    }
    if (args.value !== undefined && args.val !== undefined) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['value'], message: 'give value only once (val is its alias)' });
    if (args.state === 'present' && args.value === undefined && args.val === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['value'], message: 'state is present but all of the following are missing: value' });
    }
  })
  .transform(({ key, val, ...args }) => ({ ...args, name: (args.name ?? key)!.replace(/\//g, '.'), value: args.value ?? val }));

/** Ansible's comparison form of a value. */
export function normalizeSysctlValue(value: string): string {
  const text = value.trim().split(/\s+/).join(' ');
  const lower = text.toLowerCase();
  if (lower === 'yes' || lower === 'true') return '1';
  if (lower === 'no' || lower === 'false') return '0';
  return text;
}

/** The key of a `key = value` line (with / written as .), or undefined for comments and blanks. */
function lineKey(line: string): string | undefined {
  const text = line.trim();
  if (text === '' || text.startsWith('#') || text.startsWith(';') || !text.includes('=')) return undefined;
  return text.slice(0, text.indexOf('=')).trim().replace(/^-/, '').replace(/\//g, '.');
}

export const sysctl = defineModule({
  name: 'sysctl',
  schema: sysctlArgs,
  async plan(ctx, args): Promise<Plan> {
    const file = args.sysctl_file;
    const current = (await ctx.readFile(file))?.toString('utf8');
    const lines = splitLines(current ?? '');
    const value = args.value === undefined ? undefined : normalizeSysctlValue(args.value);
    let after: string[];
    if (args.state === 'absent') {
      after = lines.filter((line) => lineKey(line) !== args.name);
    } else {
      let placed = false;
      after = lines.flatMap((line) => {
        if (lineKey(line) !== args.name) return [line];
        if (placed) return [];
        placed = true;
        const written = normalizeSysctlValue(line.slice(line.indexOf('=') + 1));
        return [written === value ? line : `${args.name}=${value}`];
      });
      if (!placed) after.push(`${args.name}=${value}`);
    }
    const fileChanges = after.length !== lines.length || after.some((line, index) => line !== lines[index]);
    const result = { name: args.name, value: args.value ?? null, state: args.state, sysctl_file: file };
    const steps: Step[] = [];
    let diffs: Plan['diffs'];
    if (fileChanges && !(current === undefined && args.state === 'absent')) {
      const plan = await planFileContent(ctx, { path: file, content: joinLines(after) });
      steps.push(...plan.steps);
      diffs = plan.diffs;
    }
    if (args.sysctl_set && value !== undefined) {
      const running = await ctx.probe(quoteArgs(['sysctl', '-n', args.name]));
      if (running.exitCode !== 0 && !args.ignoreerrors) {
        return { steps: [], failed: `setting ${args.name} failed: ${(running.stderr || running.stdout).trim()}`, result };
      }
      if (running.exitCode === 0 && normalizeSysctlValue(running.stdout) !== value) {
        steps.push({ kind: 'command', description: `set ${args.name} to ${value} in the running kernel`, command: quoteArgs(['sysctl', '-w', `${args.name}=${value}`]), failOutputLines: 3 });
      }
    }
    if (fileChanges && args.reload && steps.some((step) => step.kind === 'write')) {
      const words = ['sysctl', ...(args.ignoreerrors ? ['-e'] : []), '-p', file];
      steps.push({ kind: 'command', description: `apply ${file}`, command: quoteArgs(words), failMessage: 'Failed to reload sysctl', failOutputLines: 3 });
    }
    return { steps, result, ...(diffs && { diffs }) };
  },
});
