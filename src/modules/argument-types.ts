/**
 * zod schemas for the argument types Ansible modules share, accepting what an
 * Ansible user writes: `yes`/`no` for booleans (YAML 1.2 reads them as
 * strings), numbers where a name may be numeric (owner: 1000), numeric
 * strings for ports and seconds (a templated "{{ port }}" inside text stays a string).
 */
import { z } from 'zod';

const TRUE_WORDS = new Set(['yes', 'true', 'on', 'y', '1']);
const FALSE_WORDS = new Set(['no', 'false', 'off', 'n', '0']);

/** A boolean, or one of Ansible's boolean words (yes/no, true/false, on/off). */
export const booleanArg = z.union([z.boolean(), z.string(), z.number()]).transform((value, refinement) => {
  if (typeof value === 'boolean') return value;
  const word = String(value).trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  refinement.addIssue({ code: z.ZodIssueCode.custom, message: `expected a boolean (true/false, yes/no), got ${JSON.stringify(value)}` });
  return z.NEVER;
});

/** A name or a numeric id (owner, group). */
export const accountArg = z.union([z.string().min(1), z.number().int().nonnegative()]).transform(String);

/** A non-negative number, written as a number or a numeric string (seconds, ports). */
export const numberArg = z.union([z.number(), z.string().regex(/^\s*\d+(\.\d+)?\s*$/, 'expected a number')]).pipe(z.coerce.number().nonnegative());

/**
 * `validate`: a command run on the new file before it replaces the old one
 * (`visudo -cf %s`); `%s` stands for the new file's path, as in Ansible.
 */
export const validateArg = z.string().min(1).refine((value) => value.includes('%s'), 'validate must contain %s (where the new file\'s path goes), e.g. "visudo -cf %s"');

/** A TCP port. */
export const portArg = numberArg.pipe(z.number().int().min(1).max(65535));

/** A string, or a list of strings (assert's `that`). */
export const stringListArg = z.union([z.string(), z.boolean(), z.array(z.union([z.string(), z.boolean()])).min(1)]).transform((value) =>
  Array.isArray(value) ? value : [value],
);

/** The file-editing modules' `path` and Ansible's aliases for it (lineinfile, blockinfile). */
export const pathAliasesShape = {
  path: z.string().min(1).optional(),
  dest: z.string().min(1).optional(),
  destfile: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
};

/** Exactly one of path and its aliases (by default dest, destfile, name: the file-editing modules') must be given. */
export function checkOnePathAlias(
  args: { path?: string; dest?: string; destfile?: string; name?: string },
  refinement: z.RefinementCtx,
  aliases: readonly ('dest' | 'destfile' | 'name')[] = ['dest', 'destfile', 'name'],
): void {
  const paths = [args.path, ...aliases.map((alias) => args[alias])].filter((value) => value !== undefined).length;
  if (paths !== 1) {
    const named = `${aliases.slice(0, -1).join(', ')} and ${aliases.at(-1)}`;
    refinement.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['path'],
      message: paths === 0 ? `path is required (or its aliases ${aliases.join(', ')})` : `give path only once (${named} are its aliases)`,
    });
  }
}
