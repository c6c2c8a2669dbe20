/**
 * A play's `vars_files`: each named YAML file holds a mapping of variables;
 * later files win. A path may be templated with the play's variables (and
 * those of the files before it).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { SwarmplayError } from '../errors.js';
import type { Play } from '../language/playbook.js';
import { renderValue } from '../language/template-string.js';
import { readVarsFile } from '../language/vars-dirs.js';
import type { VaultAccess } from '../vault/vaulted-value.js';

/** `vault`: the run's vault passwords, for encrypted files and inline !vault values. */
export async function loadVarsFiles(play: Play, baseDir: string, vars: Record<string, unknown>, vault?: VaultAccess): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const entry of play.varsFiles) {
    // A list: the first file that exists (Ansible's first-found form).
    const candidates = (Array.isArray(entry) ? entry : [entry]).map((e) => path.resolve(baseDir, String(renderValue(e, { ...vars, ...out }, play.location))));
    const file = (await firstExisting(candidates)) ?? candidates[0]!;
    try {
      Object.assign(out, await readVarsFile(file, vault));
    } catch (error) {
      if (error instanceof SwarmplayError && error.code === 'FILE_NOT_FOUND') {
        throw new SwarmplayError('FILE_NOT_FOUND', `vars_files: ${candidates.length > 1 ? `none of ${candidates.join(', ')} exists` : `${file} does not exist`}`, { location: play.location });
      }
      throw error;
    }
  }
  return out;
}

async function firstExisting(files: string[]): Promise<string | undefined> {
  for (const file of files) if (await stat(file).then((st) => st.isFile(), () => false)) return file;
  return undefined;
}
