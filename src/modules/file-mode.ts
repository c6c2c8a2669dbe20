/**
 * File modes as playbooks write them, the way Ansible accepts them:
 * - an octal string: "0644", "644", "0o644", "4755";
 * - a number: YAML 1.2 (what the `yaml` package parses by default) reads an
 *   unquoted 0644 as the decimal number 644, so a number's decimal digits are
 *   taken as octal digits (644 -> 0644). A number with an 8 or 9 in it is
 *   refused, since it cannot be what the author meant: quote the mode;
 * - symbolic, as chmod takes it: "u=rw,g=r,o=r", "u+x", "go-w", "a=rX".
 *   Relative clauses apply to the current mode; for a new file the base is
 *   what umask 022 gives (0644 for a file, 0755 for a directory).
 * Every mode is resolved on the controller to a 4-digit octal string, so it can
 * be compared with what `stat` says and handed to putFile/chmod as is.
 */
import { z } from 'zod';

export type ModeSpec = string | number;

const OCTAL_STRING = /^(?:0o?)?([0-7]{3,4})$/;
const SYMBOLIC_CLAUSE = /^([ugoa]*)((?:[-+=](?:[ugo]|[rwxXst]*))+)$/;
const SYMBOLIC_OPERATION = /([-+=])([ugo]|[rwxXst]*)/g;

/** What a new file or directory gets under umask 022. */
export const DEFAULT_FILE_MODE = 0o644;
export const DEFAULT_DIRECTORY_MODE = 0o755;

/** Why `spec` is not a mode, or undefined when it is one. */
export function modeProblem(spec: ModeSpec): string | undefined {
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 0 || !/^[0-7]{1,4}$/.test(String(spec))) {
      return `mode ${spec} is not an octal mode; quote it, like '0644'`;
    }
    return undefined;
  }
  if (OCTAL_STRING.test(spec)) return undefined;
  if (spec !== '' && spec.split(',').every((clause) => SYMBOLIC_CLAUSE.test(clause))) return undefined;
  return `mode '${spec}' is neither octal (like '0644') nor symbolic (like 'u=rw,g=r,o=r')`;
}

/** The zod schema for a `mode:` argument. */
export const modeSchema = z
  .union([z.string(), z.number()])
  .superRefine((value, refinement) => {
    const problem = modeProblem(value);
    if (problem) refinement.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  });

/** "644" / 420 -> "0644". */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Whether a mode can be resolved without knowing the current one ("0644", "u=rw,go=r"). */
export function isAbsoluteMode(spec: ModeSpec): boolean {
  if (typeof spec === 'number' || OCTAL_STRING.test(spec)) return true;
  return spec.split(',').every((clause) => !/[-+]/.test(clause) && !/=[ugoX]/.test(clause));
}

/**
 * The mode `spec` asks for, as a 4-digit octal string. `current` is the mode
 * the path has now (undefined for a path that does not exist yet).
 */
export function resolveMode(spec: ModeSpec, current: number | undefined, isDirectory: boolean): string {
  const problem = modeProblem(spec);
  if (problem) throw new Error(problem);
  if (typeof spec === 'number') return formatMode(parseInt(String(spec), 8));
  const octal = OCTAL_STRING.exec(spec);
  if (octal) return formatMode(parseInt(octal[1]!, 8));
  const base = current ?? (isDirectory ? DEFAULT_DIRECTORY_MODE : DEFAULT_FILE_MODE);
  return formatMode(applySymbolic(spec, base, isDirectory));
}

const CLASS_SHIFT = { u: 6, g: 3, o: 0 } as const;
type PermissionClass = keyof typeof CLASS_SHIFT;

function applySymbolic(spec: string, base: number, isDirectory: boolean): number {
  let mode = base & 0o7777;
  for (const clause of spec.split(',')) {
    const match = SYMBOLIC_CLAUSE.exec(clause)!;
    const who = match[1]!.replace('a', 'ugo') || 'ugo';
    const classes = [...new Set(who.split(''))] as PermissionClass[];
    for (const [, operator, permissions] of match[2]!.matchAll(SYMBOLIC_OPERATION)) {
      let bits = 0;
      let clearMask = 0;
      for (const cls of classes) {
        const shift = CLASS_SHIFT[cls];
        clearMask |= 0o7 << shift;
        if (cls === 'u') clearMask |= 0o4000;
        if (cls === 'g') clearMask |= 0o2000;
        if (cls === 'o') clearMask |= 0o1000;
        if (permissions === 'u' || permissions === 'g' || permissions === 'o') {
          // Copy another class's rwx bits ("g=u").
          bits |= ((mode >> CLASS_SHIFT[permissions]) & 0o7) << shift;
          continue;
        }
        for (const letter of permissions!) {
          if (letter === 'r') bits |= 0o4 << shift;
          if (letter === 'w') bits |= 0o2 << shift;
          if (letter === 'x') bits |= 0o1 << shift;
          // X: execute only for directories or files someone may already execute.
          if (letter === 'X' && (isDirectory || (mode & 0o111) !== 0)) bits |= 0o1 << shift;
          if (letter === 's' && cls === 'u') bits |= 0o4000;
          if (letter === 's' && cls === 'g') bits |= 0o2000;
          if (letter === 't' && cls === 'o') bits |= 0o1000;
        }
      }
      if (operator === '=') mode = (mode & ~clearMask) | bits;
      else if (operator === '+') mode |= bits;
      else mode &= ~bits;
    }
  }
  return mode;
}
