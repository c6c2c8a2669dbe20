/**
 * `include_vars`: reads variables from YAML/JSON files on the controller
 * into the host's variables for the rest of the run, as Ansible's
 * include_vars: `file` (or free form), or every file of `dir` (sorted,
 * `files_matching` a regular expression, `depth` levels deep, `extensions`),
 * optionally under one `name`. A relative path is searched in the task's
 * role (vars/, then the role itself), then beside the playbook (vars/, then
 * the folder itself). A vault-encrypted file (or value) is decrypted with the
 * run's passwords. Nothing changes on the host: the task is ok.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { defineModule } from './types.js';
import { readVarsFile } from '../language/vars-dirs.js';
import { numberArg } from './argument-types.js';

const includeVarsArgs = z
  .object({
    _raw: z.string().min(1).optional(),
    file: z.string().min(1).optional(),
    dir: z.string().min(1).optional(),
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name').optional(),
    files_matching: z.string().optional(),
    ignore_files: z.array(z.string()).optional(),
    extensions: z.array(z.string()).default(['yaml', 'yml', 'json']),
    depth: numberArg.default(0),
    hash_behaviour: z.enum(['replace', 'merge']).optional(),
    ignore_unknown_extensions: z.boolean().default(false),
  })
  .strict()
  .refine((a) => [a._raw ?? a.file, a.dir].filter(Boolean).length === 1, { message: 'give one of file (or the path as free form) or dir' });

async function kind(p: string): Promise<'file' | 'dir' | undefined> {
  return stat(p).then((s) => (s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined), () => undefined);
}

async function find(searchDirs: readonly string[], wanted: string, want: 'file' | 'dir'): Promise<string | undefined> {
  const candidates = path.isAbsolute(wanted) ? [wanted] : searchDirs.flatMap((d) => [path.resolve(d, 'vars', wanted), path.resolve(d, wanted)]);
  for (const c of candidates) if ((await kind(c)) === want) return c;
  return undefined;
}

async function filesIn(dir: string, depth: number, level = 1): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const full = path.join(dir, name);
    const k = await kind(full);
    if (k === 'file') out.push(full);
    else if (k === 'dir' && (depth === 0 || level < depth)) out.push(...(await filesIn(full, depth, level + 1)));
  }
  return out;
}

export const includeVars = defineModule({
  name: 'include_vars',
  schema: includeVarsArgs,
  controllerOnly: true,
  freeFormArg: '_raw',
  async plan(ctx, args) {
    const wanted = args._raw ?? args.file;
    let files: string[];
    if (wanted) {
      const found = await find(ctx.searchDirs, wanted, 'file');
      if (!found) return { steps: [], failed: `Could not find or access '${wanted}' (searched the role's vars/ and the playbook's vars/ folders)`, result: {} };
      files = [found];
    } else {
      const dir = await find(ctx.searchDirs, args.dir!, 'dir');
      if (!dir) return { steps: [], failed: `${args.dir} directory does not exist`, result: {} };
      const matching = args.files_matching ? new RegExp(args.files_matching) : undefined;
      files = (await filesIn(dir, Number(args.depth))).filter((f) => {
        const base = path.basename(f);
        if (matching && !matching.test(base)) return false;
        if (args.ignore_files?.some((pattern) => new RegExp(pattern).test(base))) return false;
        return args.extensions.includes(path.extname(f).slice(1));
      });
    }
    const vars: Record<string, unknown> = {};
    for (const file of files) Object.assign(vars, await readVarsFile(file, ctx.vault));
    const facts = args.name ? { [args.name]: vars } : vars;
    return { steps: [], setFacts: facts, result: { ansible_facts: facts, ansible_included_var_files: files } };
  },
});
