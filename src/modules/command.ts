/**
 * `command`: runs a program with arguments, no shell features, as Ansible's
 * command module: the free-form string is split into words the way Python's
 * shlex does (so `>` or `|` are plain arguments), and each word is quoted
 * before it reaches the host's shell. `argv:` gives the words as a list.
 * `chdir`, `creates`, `removes` may also be written inside the free form
 * (`command: make install chdir=/src creates=/usr/bin/x`), as Ansible allows.
 *
 * Without creates/removes the effect cannot be predicted: the plan is marked
 * unpredictable (check mode skips it) and always reports changed, as Ansible
 * does. With them, the command runs only while `creates` is missing / `removes`
 * exists, so a second run is ok. The planning and the result are shared with
 * `shell`, which differs only in how the command line is built.
 */
import { z } from 'zod';
import { split as shlexSplit } from 'shlex';
import { defineModule, type Step, type StepOutcome, type ModuleContext, type Plan } from './types.js';
import { quote, quoteCommandLine } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';

/** The arguments command and shell share. */
export const runArgumentsShape = {
  _raw: z.string().optional(),
  cmd: z.string().optional(),
  chdir: z.string().min(1).optional(),
  creates: z.string().min(1).optional(),
  removes: z.string().min(1).optional(),
  stdin: z.string().optional(),
  stdin_add_newline: booleanArg.default(true),
  strip_empty_ends: booleanArg.default(true),
  // Ansible 2.14 dropped it (a task giving it fails there); older roles still write `args: {warn: false}`,
  // and it never changed what runs: taken with a warning, so those roles load.
  warn: booleanArg.optional(),
};

/** Said when a task gives `warn`, which changes nothing. */
export const WARN_IGNORED = "'warn' is ignored: Ansible 2.14 removed it from command and shell, and it never changed what runs; delete it";

/** Options that may be written as key=value words inside the free form. */
const INLINE_OPTIONS = ['chdir', 'creates', 'removes'] as const;
type InlineOptions = Partial<Record<(typeof INLINE_OPTIONS)[number] | 'executable', string>>;

const commandArgs = z
  .object({
    ...runArgumentsShape,
    argv: z.array(z.union([z.string(), z.number()]).transform(String)).min(1).optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    const given = [args._raw, args.cmd, args.argv].filter((value) => value !== undefined).length;
    if (given !== 1) {
      refinement.addIssue({
        code: z.ZodIssueCode.custom,
        message: given === 0 ? 'no command given: write it free form, as cmd, or as argv' : 'give only one of the free form, cmd and argv',
      });
    }
  });

export type CommandArgs = z.infer<typeof commandArgs>;

/** What both modules need to plan one run. */
export interface CommandRun {
  /** The line sent to the host's /bin/sh -c. */
  commandLine: string;
  /** What the result's `cmd` reports: the words for command, the text for shell. */
  reported: string | string[];
  /** Shown in messages. */
  display: string;
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdinAddNewline: boolean;
}

/** Splits like Python's shlex.split, with a user-facing message on bad quoting. */
export function splitWords(text: string): string[] {
  try {
    return shlexSplit(text);
  } catch (error) {
    throw new Error(`cannot split the command into words (${(error as Error).message}): ${text}`);
  }
}

/** Removes key=value options from the free form's words (command). */
function takeInlineOptions(words: string[]): { words: string[]; options: InlineOptions } {
  const options: InlineOptions = {};
  const rest: string[] = [];
  for (const word of words) {
    const match = /^(chdir|creates|removes)=(.+)$/s.exec(word);
    if (match) options[match[1] as (typeof INLINE_OPTIONS)[number]] = match[2]!;
    else rest.push(word);
  }
  return { words: rest, options };
}

/** The line sent to the host: change into chdir first, stop if that fails. */
export function withDirectory(commandLine: string, chdir: string | undefined): string {
  if (chdir === undefined) return commandLine;
  return `cd -- ${quote(chdir)} || exit 1\n${commandLine}`;
}

export function testPathCommand(path: string, chdir: string | undefined): string {
  // creates/removes may be relative to chdir, as in Ansible.
  const test = `test -e ${quote(path)}`;
  return chdir === undefined ? test : `cd -- ${quote(chdir)} && ${test}`;
}

/** How command and shell run the line: an argument wins over the same option written in the free form. */
export function runSettings(
  args: { chdir?: string; creates?: string; removes?: string; stdin?: string; stdin_add_newline: boolean },
  freeFormOptions: Partial<Record<'chdir' | 'creates' | 'removes', string>>,
): Pick<CommandRun, 'chdir' | 'creates' | 'removes' | 'stdin' | 'stdinAddNewline'> {
  return {
    chdir: args.chdir ?? freeFormOptions.chdir,
    creates: args.creates ?? freeFormOptions.creates,
    removes: args.removes ?? freeFormOptions.removes,
    stdin: args.stdin,
    stdinAddNewline: args.stdin_add_newline,
  };
}

/** The plan both command and shell return. */
export async function planCommandRun(ctx: ModuleContext, run: CommandRun): Promise<Plan> {
  if (run.creates !== undefined) {
    const exists = (await ctx.probe(testPathCommand(run.creates, run.chdir))).exitCode === 0;
    if (exists) return skippedRun(run, `Did not run command since '${run.creates}' exists`);
  }
  if (run.removes !== undefined) {
    const exists = (await ctx.probe(testPathCommand(run.removes, run.chdir))).exitCode === 0;
    if (!exists) return skippedRun(run, `Did not run command since '${run.removes}' does not exist`);
  }
  const change: Step = {
    kind: 'command',
    description: run.display.length > 120 ? `${run.display.slice(0, 117)}...` : run.display,
    command: withDirectory(run.commandLine, run.chdir),
    ...(run.stdin !== undefined && { stdin: run.stdinAddNewline && !run.stdin.endsWith('\n') ? `${run.stdin}\n` : run.stdin }),
  };
  return {
    steps: [change],
    unpredictable: run.creates === undefined && run.removes === undefined,
    result: { cmd: run.reported },
  };
}

function skippedRun(run: CommandRun, msg: string): Plan {
  return { steps: [], msg, result: { cmd: run.reported, rc: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] } };
}

function lines(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** The registered result, as Ansible's: cmd, rc, stdout, stderr and their lines. */
export function finishCommandRun(
  reported: string | string[],
  stripEmptyEnds: boolean,
  outcomes: readonly StepOutcome[],
): Record<string, unknown> {
  const run = outcomes.find((outcome) => outcome.run)?.run;
  if (!run) return {};
  const strip = (text: string) => (stripEmptyEnds ? text.replace(/[\r\n]+$/, '') : text);
  const stdout = strip(run.stdout);
  const stderr = strip(run.stderr);
  return {
    cmd: reported,
    rc: run.exitCode,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    ...(run.exitCode !== 0 && { msg: 'non-zero return code' }),
  };
}

/** The words a command task runs, and the options written inline. */
export function commandWords(args: CommandArgs): { words: string[]; options: InlineOptions } {
  if (args.argv) return { words: args.argv, options: {} };
  if (args.cmd !== undefined) return { words: splitWords(args.cmd), options: {} };
  return takeInlineOptions(splitWords(args._raw!));
}

export const command = defineModule({
  name: 'command',
  schema: commandArgs,
  freeFormArg: '_raw',
  // stdin is where passwords go (docker login --password-stdin).
  secretArgs: ['stdin'],
  reads(args) {
    const { options } = commandWords(args);
    // Relative to chdir: read live.
    if ((args.chdir ?? options.chdir) !== undefined) return [];
    return [args.creates ?? options.creates, args.removes ?? options.removes]
      .filter((path): path is string => path !== undefined)
      .map((path) => ({ path, content: false }));
  },
  async plan(ctx, args) {
    const { words, options } = commandWords(args);
    if (words.length === 0) return { steps: [], failed: 'no command given: the command line is empty' };
    const plan = await planCommandRun(ctx, {
      commandLine: quoteCommandLine(words),
      reported: words,
      display: words.join(' '),
      ...runSettings(args, options),
    });
    return args.warn === undefined ? plan : { ...plan, warnings: [WARN_IGNORED] };
  },
  finish(args, outcomes) {
    return finishCommandRun(args.argv ?? commandWords(args).words, args.strip_empty_ends, outcomes.all);
  },
});
