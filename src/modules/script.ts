/**
 * `script`: a script from the controller, run on the host, as Ansible's
 * script: the free form (or `cmd`) is the script's path followed by its
 * arguments, which reach the host's shell as written (quotes, variables and
 * all). The script is looked for as copy's src is (files/ first; an
 * ansible-vault file is decrypted), sent over the connection, run from a
 * temporary folder (through `executable` when given, else by its #! line)
 * and removed whatever its exit code.
 *
 * As Ansible's: `creates`/`removes` skip the task (reported skipped, not ok)
 * when the path exists / is missing; `chdir` must be absolute; without
 * creates/removes check mode skips the task, since the script's effect cannot
 * be predicted; the result is rc, stdout, stderr and their lines.
 *
 * Kept different on purpose: Ansible runs the script on a pseudo-terminal,
 * so its stdout ends lines with "\r\n" and holds what the script wrote to
 * stderr; swarmplay keeps the two apart and the line ends as the script wrote
 * them (stdout_lines and stderr_lines are the same either way).
 */
import { z } from 'zod';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { defineModule, type Plan, type Step } from './types.js';
import { quote } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import { finishCommandRun, splitWords, testPathCommand } from './command.js';
import { controllerFileCandidates, findControllerFile } from './copy.js';
import { isVaultText } from '../vault/vault-format.js';

const scriptArgs = z
  .object({
    _raw: z.string().optional(),
    cmd: z.string().optional(),
    chdir: z.string().min(1).refine((dir) => dir.startsWith('/'), 'chdir must be an absolute path').optional(),
    creates: z.string().min(1).optional(),
    removes: z.string().min(1).optional(),
    executable: z.string().min(1).optional(),
    // Vault-encrypted scripts are always decrypted; sending one still encrypted would only make the host fail on it.
    decrypt: booleanArg.refine((value) => value, 'decrypt: false is not supported (an ansible-vault script is always decrypted before it is sent)').optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    const given = [args._raw, args.cmd].filter((value) => value !== undefined && value.trim() !== '').length;
    if (given !== 1) {
      refinement.addIssue({
        code: z.ZodIssueCode.custom,
        message: given === 0 ? 'no script given: write its path (and arguments) free form or as cmd' : 'give the script either free form or as cmd, not both',
      });
    }
  });

type ScriptArgs = z.infer<typeof scriptArgs>;

/** The script's path and the rest of the line, kept as written (the host's shell reads it, as in Ansible). */
export function scriptLine(text: string): { script: string; rest: string } {
  const line = text.trim();
  const script = splitWords(line)[0] ?? '';
  const quoted = line[0] === '"' || line[0] === "'";
  const end = quoted ? line.indexOf(line[0]!, 1) + 1 : line.search(/\s|$/);
  return { script, rest: line.slice(end).trim() };
}

/**
 * The host's side, in one round trip: the script arrives on stdin into a
 * private temporary folder, runs with stdin from /dev/null, and the folder
 * goes whatever the exit code.
 */
export function scriptCommand(name: string, rest: string, options: { chdir?: string; executable?: string }): string {
  const file = `"$dir"/${quote(name)}`;
  const run = [options.executable === undefined ? '' : `${quote(options.executable)} `, file, rest === '' ? '' : ` ${rest}`].join('');
  return [
    'dir=$(mktemp -d) || exit 1',
    `cat > ${file} && chmod 0700 ${file} || { rm -rf "$dir"; exit 1; }`,
    `(${options.chdir === undefined ? '' : `cd -- ${quote(options.chdir)} || exit 1; `}${run}) </dev/null`,
    'rc=$?; rm -rf "$dir"; exit $rc',
  ].join('\n');
}

export const script = defineModule({
  name: 'script',
  schema: scriptArgs,
  freeFormArg: '_raw',
  async plan(ctx, args: ScriptArgs): Promise<Plan> {
    if (args.creates !== undefined && (await ctx.probe(testPathCommand(args.creates, undefined))).exitCode === 0) {
      return { steps: [], skipped: `${args.creates} exists, matching creates option` };
    }
    if (args.removes !== undefined && (await ctx.probe(testPathCommand(args.removes, undefined))).exitCode !== 0) {
      return { steps: [], skipped: `${args.removes} does not exist, matching removes option` };
    }
    const { script: source, rest } = scriptLine((args.cmd ?? args._raw)!);
    const candidates = controllerFileCandidates(ctx.searchDirs, source, 'files');
    const found = await findControllerFile(candidates);
    if (!found) return { steps: [], failed: `Could not find or access '${source}' (looked in ${candidates.join(', ')})` };
    let content: Buffer = await readFile(found.file);
    // Only an encrypted script is a secret: a plain one's text (often one word) must not be masked in every output.
    if (isVaultText(content)) {
      const decrypted = await ctx.readSecretFile(source);
      if (!decrypted) return { steps: [], failed: `Could not read '${source}'` };
      content = decrypted.content;
    }
    const shown = [source, rest].filter(Boolean).join(' ');
    const run: Step = {
      kind: 'command',
      description: `script ${shown}`,
      command: scriptCommand(path.basename(found.file), rest, args),
      display: `script ${shown}${args.chdir === undefined ? '' : ` (in ${args.chdir})`}`,
      stdin: content.toString('utf8'),
      failMessage: 'non-zero return code',
    };
    return { steps: [run], unpredictable: args.creates === undefined && args.removes === undefined };
  },
  finish(args, outcomes) {
    // Ansible's script result has no cmd, and keeps the output's last line end.
    const { cmd: _cmd, ...result } = finishCommandRun('', false, outcomes.all);
    return result;
  },
});
