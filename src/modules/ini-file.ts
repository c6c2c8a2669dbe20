/**
 * `ini_file` (community.general.ini_file): one option of an INI file, set or
 * removed in place, as Ansible's: comments, order and other sections stay as
 * they are. The option's first active line in its section (`option = ...`,
 * `option=...`, or a bare `option` with allow_no_value) is replaced, later
 * ones for the same option are removed (Ansible's `exclusive`); a missing
 * option goes after the section's last non-blank line, and a missing section
 * at the end of the file. `section` null (or absent) means the lines before
 * the first section. state absent with no option removes the whole section.
 * The new content is computed on the controller and written atomically, with
 * mode/owner/group and backup as copy's.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { accountArg, booleanArg } from './argument-types.js';
import { planFileContent } from './file-content.js';
import { joinLines, splitLines } from './lineinfile.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const iniFileArgs = z
  .object({
    path: z.string().min(1).optional(),
    dest: z.string().min(1).optional(),
    section: z.string().nullish(),
    option: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    value: scalar.nullish(),
    state: z.enum(['present', 'absent']).default('present'),
    no_extra_spaces: booleanArg.default(false),
    allow_no_value: booleanArg.default(false),
    create: booleanArg.default(true),
    exclusive: booleanArg.default(true),
    backup: booleanArg.default(false),
    mode: z.union([z.string(), z.number()]).transform(String).optional(),
    owner: accountArg.optional(),
    group: accountArg.optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    const issue = (message: string) => refinement.addIssue({ code: z.ZodIssueCode.custom, message });
    if ((args.path === undefined) === (args.dest === undefined)) issue(args.path === undefined ? 'path is required (or its alias dest)' : 'give path only once (dest is its alias)');
    if (args.option !== undefined && args.key !== undefined) issue('give option only once (key is its alias)');
    const option = args.option ?? args.key;
    if (args.state === 'present' && option !== undefined && (args.value === undefined || args.value === null) && !args.allow_no_value) {
      issue('state is present but value is missing: give value, or allow_no_value: true for an option without one');
    }
  })
  .transform(({ dest, key, ...args }) => ({ ...args, path: (args.path ?? dest)!, option: args.option ?? key, section: args.section ?? null }));

type IniFileArgs = z.infer<typeof iniFileArgs>;

const SECTION_LINE = /^\s*\[([^\]]*)\]/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The lines of the file after the edit. */
export function editIni(lines: string[], args: IniFileArgs): string[] {
  const out = [...lines];
  // Where the section's lines are: [start, end) without its header; the top-level part when section is null.
  let start = 0;
  let end = out.findIndex((line) => SECTION_LINE.test(line));
  if (end === -1) end = out.length;
  let header = -1;
  if (args.section !== null) {
    header = out.findIndex((line) => SECTION_LINE.exec(line)?.[1]?.trim() === args.section);
    if (header !== -1) {
      start = header + 1;
      end = out.findIndex((line, index) => index >= start && SECTION_LINE.test(line));
      if (end === -1) end = out.length;
    }
  }
  const sectionFound = args.section === null || header !== -1;

  if (args.option === undefined) {
    if (args.state === 'absent' && args.section !== null && header !== -1) out.splice(header, end - header);
    else if (args.state === 'present' && !sectionFound) out.push(`[${args.section}]`);
    return out;
  }
  const optionLine = new RegExp(`^\\s*${escapeRegExp(args.option)}\\s*(=|$)`);
  const wanted = args.value === null || args.value === undefined
    ? args.option
    : args.no_extra_spaces ? `${args.option}=${args.value}` : `${args.option} = ${args.value}`;
  const matches: number[] = [];
  if (sectionFound) for (let i = start; i < end; i++) if (optionLine.test(out[i]!)) matches.push(i);

  if (args.state === 'absent') {
    for (const index of matches.reverse()) out.splice(index, 1);
    return out;
  }
  if (matches.length > 0) {
    out[matches[0]!] = wanted;
    if (args.exclusive) for (const index of matches.slice(1).reverse()) out.splice(index, 1);
    return out;
  }
  if (!sectionFound) {
    // Ansible's ini_file starts a new (empty) file with a blank line before the section.
    if (out.length === 0) out.push('');
    out.push(`[${args.section}]`, wanted);
    return out;
  }
  // After the section's last non-blank line (its header when it has none).
  let at = end;
  while (at > start && out[at - 1]!.trim() === '') at--;
  out.splice(at, 0, wanted);
  return out;
}

export const iniFile = defineModule({
  name: 'ini_file',
  schema: iniFileArgs,
  changesByWrites: true,
  reads(args) {
    return [{ path: args.path, content: true }];
  },
  async plan(ctx, args): Promise<Plan> {
    const current = await ctx.readFile(args.path);
    if (current === null && !args.create) return { steps: [], failed: `Destination ${args.path} does not exist!` };
    if (current === null && args.state === 'absent') return { steps: [], result: { path: args.path, msg: 'OK' } };
    const lines = splitLines(current?.toString('utf8') ?? '');
    const after = editIni(lines, args);
    const plan = await planFileContent(ctx, {
      path: args.path,
      content: joinLines(after),
      mode: args.mode,
      owner: args.owner,
      group: args.group,
      backup: args.backup,
    });
    return { ...plan, result: { path: args.path, ...(plan.steps.length ? {} : { msg: 'OK' }) } };
  },
  finish(args, outcomes) {
    const backup = outcomes.all.find((outcome) => outcome.backupPath)?.backupPath;
    return backup ? { backup_file: backup } : {};
  },
});
