/**
 * `lineinfile`: makes sure one line is in a file (or that lines matching a
 * pattern are not), as Ansible's lineinfile:
 * - present with `regexp`: the last matching line is replaced by `line`; with
 *   no match, `line` is added unless it is already there verbatim;
 * - present without `regexp`: `line` is added unless already there;
 * - a new line goes after the last line matching `insertafter` (or before the
 *   one matching `insertbefore`; `firstmatch` takes the first), or at the end
 *   (insertafter: EOF, the default) or the start (insertbefore: BOF); a
 *   pattern that matches nothing means the end;
 * - absent: every line matching `regexp` (or equal to `line`) is removed;
 * - `backrefs`: `line` may use \1 or \g<name> from `regexp`; no match, no change.
 * Patterns are JavaScript regular expressions; Python's (?P<name>...) is
 * accepted. The file is then written through file-content.ts (atomic write,
 * diff, mode/owner), with `create: true` needed for a missing file.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { accountArg, booleanArg, checkOnePathAlias, pathAliasesShape, validateArg } from './argument-types.js';
import { modeSchema } from './file-mode.js';
import { planFileContent, reportBackupFile } from './file-content.js';

/** Python's named groups (?P<name>...) and references (?P=name) in JavaScript's spelling. */
export function toJavaScriptPattern(pattern: string): string {
  return pattern.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
}

/** A pattern argument, checked to compile before any host is touched. */
export const patternArg = z.string().superRefine((pattern, refinement) => {
  try {
    new RegExp(toJavaScriptPattern(pattern));
  } catch (error) {
    refinement.addIssue({ code: z.ZodIssueCode.custom, message: `not a valid regular expression: ${(error as Error).message}` });
  }
});

/** Where lineinfile and blockinfile put new text: after or before the last (or first) line matching a pattern. */
export const insertionShape = {
  insertafter: patternArg.optional(),
  insertbefore: patternArg.optional(),
  firstmatch: booleanArg.default(false),
};

/** How lineinfile and blockinfile write the file. */
export const editedFileShape = {
  create: booleanArg.default(false),
  backup: booleanArg.default(false),
  validate: validateArg.optional(),
  mode: modeSchema.optional(),
  owner: accountArg.optional(),
  group: accountArg.optional(),
};

export function checkOneInsertion(args: { insertafter?: string; insertbefore?: string }, refinement: z.RefinementCtx): void {
  if (args.insertafter !== undefined && args.insertbefore !== undefined) {
    refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'give insertafter or insertbefore, not both' });
  }
}

const lineinfileArgs = z
  .object({
    ...pathAliasesShape,
    line: z.union([z.string(), z.number()]).transform(String).optional(),
    regexp: patternArg.optional(),
    state: z.enum(['present', 'absent']).default('present'),
    ...insertionShape,
    backrefs: booleanArg.default(false),
    ...editedFileShape,
  })
  .strict()
  .superRefine((args, refinement) => {
    checkOnePathAlias(args, refinement);
    if (args.state === 'present' && args.line === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['line'], message: 'state present needs line' });
    }
    if (args.state === 'absent' && args.line === undefined && args.regexp === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'state absent needs regexp or line' });
    }
    checkOneInsertion(args, refinement);
    if (args.backrefs && args.regexp === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['backrefs'], message: 'backrefs needs regexp' });
    }
  })
  .transform(({ dest, destfile, name, ...args }) => ({ ...args, path: (args.path ?? dest ?? destfile ?? name)! }));

export type LineinfileArgs = z.infer<typeof lineinfileArgs>;

/** A file's text as lines, remembering whether it ended with a newline. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function joinLines(lines: string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Expands \1 and \g<name> in `line` from a regexp match, as Python's re.expand. */
function expandBackrefs(line: string, match: RegExpExecArray): string {
  return line.replace(/\\g<(\w+)>|\\(\d+)/g, (_whole, name: string | undefined, index: string | undefined) => {
    if (name !== undefined) return (/^\d+$/.test(name) ? match[Number(name)] : match.groups?.[name]) ?? '';
    return match[Number(index)] ?? '';
  });
}

/** Where a new line goes: an index into `lines` to insert before. */
export function insertionIndex(lines: string[], args: { insertafter?: string; insertbefore?: string; firstmatch: boolean }): number {
  const { insertafter, insertbefore, firstmatch } = args;
  if (insertbefore === 'BOF') return 0;
  if (insertbefore === undefined && (insertafter === undefined || insertafter === 'EOF')) return lines.length;
  const pattern = new RegExp(toJavaScriptPattern((insertbefore ?? insertafter)!));
  let found = -1;
  for (let index = 0; index < lines.length; index++) {
    if (pattern.test(lines[index]!)) {
      found = index;
      if (firstmatch) break;
    }
  }
  if (found === -1) return lines.length;
  return insertbefore !== undefined ? found : found + 1;
}

/** The file's new lines, or the same array when nothing is to change. */
export function editLines(lines: string[], args: LineinfileArgs): string[] {
  const regexp = args.regexp === undefined ? undefined : new RegExp(toJavaScriptPattern(args.regexp));
  const matches = (text: string) => (regexp ? regexp.test(text) : text === args.line);

  if (args.state === 'absent') {
    const kept = lines.filter((text) => !matches(text));
    return kept.length === lines.length ? lines : kept;
  }

  const line = args.line!;
  let matchIndex = -1;
  let match: RegExpExecArray | null = null;
  for (let index = 0; index < lines.length; index++) {
    const found = regexp ? regexp.exec(lines[index]!) : null;
    if (regexp ? found !== null : lines[index] === line) {
      matchIndex = index;
      match = found;
      if (args.firstmatch) break;
    }
  }

  if (matchIndex !== -1) {
    const replacement = args.backrefs ? expandBackrefs(line, match!) : line;
    if (lines[matchIndex] === replacement) return lines;
    return lines.map((text, index) => (index === matchIndex ? replacement : text));
  }
  // No match: with backrefs that means no change, as in Ansible.
  if (args.backrefs) return lines;
  // The pattern matched nothing but the line is already there verbatim: nothing to add.
  if (lines.includes(line)) return lines;
  const at = insertionIndex(lines, args);
  return [...lines.slice(0, at), line, ...lines.slice(at)];
}

export const lineinfile = defineModule({
  name: 'lineinfile',
  schema: lineinfileArgs,
  changesByWrites: true,
  reads: (args) => [{ path: args.path, content: true }],
  async plan(ctx, args): Promise<Plan> {
    const current = await ctx.readFile(args.path);
    if (current === null) {
      if (args.state === 'absent') return { steps: [], result: { path: args.path, found: 0 } };
      if (!args.create) return { steps: [], failed: `Destination ${args.path} does not exist! (use create: true to create it)` };
    }
    const text = current?.toString('utf8') ?? '';
    const before = splitLines(text);
    const after = editLines(before, args);
    // Unchanged lines: keep the file's bytes exactly (a missing final newline included).
    const content = after === before && current !== null ? text : joinLines(after);
    const plan = await planFileContent(ctx, {
      path: args.path,
      content,
      mode: args.mode,
      owner: args.owner,
      group: args.group,
      backup: args.backup,
      validate: args.validate,
    });
    const result: Record<string, unknown> = { path: args.path };
    if (args.state === 'absent') result.found = before.length - after.length;
    return { ...plan, result };
  },
  finish: reportBackupFile,
});
