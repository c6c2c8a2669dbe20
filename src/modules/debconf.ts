/**
 * `debconf`: answers to a Debian package's configuration questions, as
 * Ansible's debconf: `debconf-show NAME` reads the package's answers; a
 * question whose answer differs (booleans compared as debconf writes them,
 * true/false) is set with `debconf-set-selections` (`-u` with unseen: true,
 * so that the package still asks it). Without a question the task only
 * returns the package's answers (`current`). Result: current, previous, and
 * before/after for --diff.
 *
 * Kept different on purpose: debconf-show hides passwords ("(password
 * omitted)"), so ansible-core 2.14 sets a password question on every run;
 * swarmplay reads the saved password from debconf's password database
 * (root only) and changes nothing when it is the same. A password is never
 * shown: the value is a secret in every output, its line reaches
 * debconf-set-selections on stdin.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { booleanArg } from './argument-types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';

const VTYPES = ['boolean', 'error', 'multiselect', 'note', 'password', 'seen', 'select', 'string', 'text', 'title'] as const;
const PASSWORDS_DB = '/var/cache/debconf/passwords.dat';

const debconfArgs = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/, 'a package name such as tzdata').optional(),
    pkg: z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/, 'a package name such as tzdata').optional(),
    question: z.string().min(1).regex(/^\S+$/, 'a question name without spaces, such as tzdata/Areas').optional(),
    selection: z.string().min(1).optional(),
    setting: z.string().min(1).optional(),
    vtype: z.enum(VTYPES).optional(),
    value: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
    answer: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
    unseen: booleanArg.default(false),
  })
  .strict()
  .transform(({ pkg, selection, setting, answer, ...args }, refinement) => {
    const name = args.name ?? pkg;
    if (name === undefined) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['name'], message: 'name (the package) is required' });
    const resolved = { ...args, name: name!, question: args.question ?? selection ?? setting, value: args.value ?? answer };
    const together = [resolved.question, resolved.vtype, resolved.value].filter((v) => v !== undefined).length;
    if (together !== 0 && together !== 3) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'question, vtype and value go together: give all three or none' });
    }
    return resolved;
  });

/** `debconf-show`'s lines: "* question: answer" (the star marks a question already asked). */
export function parseDebconfShow(output: string): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    answers[line.slice(0, colon).replace(/^[\s*]+/, '').trim()] = line.slice(colon + 1).trim();
  }
  return answers;
}

/** The saved value of a password question, from debconf's password database (a record: Name:, ..., Value:). */
function readPasswordCommand(question: string): string {
  return `awk -v q=${quote(question)} '/^Name: / {found = ($2 == q)} found && /^Value: / {sub(/^Value: /, ""); print; exit}' ${PASSWORDS_DB}`;
}

/**
 * debconf writes booleans as true/false. Ansible reads `yes`/`on` as YAML 1.1
 * booleans and passes them on as "True"; swarmplay's YAML keeps them as
 * words, so they are read as booleans here.
 */
function debconfValue(vtype: string, value: string): string {
  if (vtype !== 'boolean') return value;
  const word = value.toLowerCase();
  if (['yes', 'on', 'true', '1'].includes(word)) return 'true';
  if (['no', 'off', 'false', '0'].includes(word)) return 'false';
  return word;
}

export const debconf = defineModule({
  name: 'debconf',
  schema: debconfArgs,
  async plan(ctx, args): Promise<Plan> {
    if (args.vtype === 'password' && args.value !== undefined && args.value !== '') ctx.addSecret(args.value);
    const listed = await ctx.probe(quoteArgs(['debconf-show', args.name]));
    if (listed.exitCode !== 0) return { steps: [], failed: (listed.stderr || listed.stdout).trim() || `debconf-show ${args.name} failed (exit ${listed.exitCode})` };
    const previous = parseDebconfShow(listed.stdout);
    if (args.question === undefined) return { steps: [], result: { current: previous, msg: '' } };
    const question = args.question;
    const vtype = args.vtype!;
    const wanted = debconfValue(vtype, args.value!);
    let existing: string | undefined = previous[question];
    if (existing !== undefined && vtype === 'password') {
      const saved = await ctx.probe(readPasswordCommand(question));
      existing = saved.exitCode === 0 ? saved.stdout.replace(/\n$/, '') : undefined;
      if (existing) ctx.addSecret(existing);
    }
    if (existing !== undefined && (vtype === 'boolean' ? existing.toLowerCase() : existing) === wanted) return { steps: [], result: { current: previous, msg: '' } };
    const before = { [question]: existing ?? '' };
    const after = { [question]: wanted };
    const shown = (value: string) => (vtype === 'password' && value !== '' ? '********' : value);
    return {
      diffs: [{ path: `debconf ${args.name}`, before: `${question}: ${shown(before[question]!)}\n`, after: `${question}: ${shown(wanted)}\n` }],
      steps: [{
        kind: 'command',
        description: `answer ${question} (${vtype}) for ${args.name}`,
        command: args.unseen ? 'debconf-set-selections -u' : 'debconf-set-selections',
        display: `debconf-set-selections${args.unseen ? ' -u' : ''} <<< '${args.name} ${question} ${vtype} ${vtype === 'password' ? '********' : wanted}'`,
        stdin: `${args.name} ${question} ${vtype} ${wanted}\n`,
      }],
      result: { current: after, previous: before, msg: '', diff: { before, after } },
    };
  },
});
