/**
 * `replace`: replaces every match of `regexp` in a file, as Ansible's replace
 * (Python's re.subn with MULTILINE): `replace` may use \1, \g<1>, \g<name>;
 * `after`/`before` limit the edit to the text after the first match of one
 * and before the next of the other (matched with DOTALL, as Ansible does).
 * Patterns are JavaScript regular expressions; Python's (?P<name>...) is
 * accepted. The file is written through file-content.ts (atomic write,
 * diff, backup, mode/owner). A missing file fails, as in Ansible.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { accountArg, booleanArg, checkOnePathAlias, pathAliasesShape, validateArg } from './argument-types.js';
import { modeSchema } from './file-mode.js';
import { planFileContent, reportBackupFile } from './file-content.js';
import { patternArg, toJavaScriptPattern } from './lineinfile.js';

const replaceArgs = z
  .object({
    ...pathAliasesShape,
    regexp: patternArg,
    replace: z.union([z.string(), z.number()]).transform(String).default(''),
    after: patternArg.optional(),
    before: patternArg.optional(),
    backup: booleanArg.default(false),
    validate: validateArg.optional(),
    encoding: z.literal('utf-8').default('utf-8'),
    mode: modeSchema.optional(),
    owner: accountArg.optional(),
    group: accountArg.optional(),
  })
  .strict()
  .superRefine(checkOnePathAlias)
  .transform(({ dest, destfile, name, ...args }) => ({ ...args, path: (args.path ?? dest ?? destfile ?? name)! }));

export type ReplaceArgs = z.infer<typeof replaceArgs>;

/** Python's replacement template (\1, \g<1>, \g<name>, \n, \\) applied to one match. */
function expandTemplate(template: string, match: string[], groups: Record<string, string | undefined> | undefined): string {
  return template.replace(/\\g<(\w+)>|\\(\d{1,2})|\\([ntr\\])/g, (_all, name?: string, index?: string, escape?: string) => {
    if (escape !== undefined) return ({ n: '\n', t: '\t', r: '\r', '\\': '\\' } as Record<string, string>)[escape]!;
    if (name !== undefined) return (/^\d+$/.test(name) ? match[Number(name)] : groups?.[name]) ?? '';
    return match[Number(index)] ?? '';
  });
}

/** The text after the edit and how many replacements were made. */
export function replaceText(text: string, args: Pick<ReplaceArgs, 'regexp' | 'replace' | 'after' | 'before'>): { text: string; count: number } {
  let start = 0;
  let end = text.length;
  const after = args.after === undefined ? undefined : toJavaScriptPattern(args.after);
  const before = args.before === undefined ? undefined : toJavaScriptPattern(args.before);
  const section = after !== undefined && before !== undefined ? `${after}(?<subsection>.*?)${before}`
    : after !== undefined ? `${after}(?<subsection>.*)` : before !== undefined ? `(?<subsection>.*)${before}` : undefined;
  if (section !== undefined) {
    const found = new RegExp(section, 'sd').exec(text);
    const indices = found?.indices?.groups?.subsection;
    if (indices) [start, end] = indices;
  }
  const pattern = new RegExp(toJavaScriptPattern(args.regexp), 'gm');
  let count = 0;
  const edited = text.slice(start, end).replace(pattern, (...found: unknown[]) => {
    count++;
    const last = found[found.length - 1];
    const groups = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : undefined;
    const positional = found.slice(0, groups ? -3 : -2) as string[];
    return expandTemplate(args.replace, positional, groups);
  });
  return { text: text.slice(0, start) + edited + text.slice(end), count };
}

export const replace = defineModule({
  name: 'replace',
  schema: replaceArgs,
  async plan(ctx, args): Promise<Plan> {
    const current = await ctx.readFile(args.path);
    if (current === null) return { steps: [], failed: `Path ${args.path} does not exist !`, result: { rc: 257 } };
    const before = current.toString('utf8');
    const { text, count } = replaceText(before, args);
    const changed = count > 0 && text !== before;
    const plan = await planFileContent(ctx, {
      path: args.path,
      content: changed ? text : before,
      mode: args.mode,
      owner: args.owner,
      group: args.group,
      backup: args.backup,
      validate: args.validate,
    });
    const msg = changed ? `${count} replacements made` : '';
    return { ...plan, result: { msg }, ...(msg && { msg }) };
  },
  finish: reportBackupFile,
});
