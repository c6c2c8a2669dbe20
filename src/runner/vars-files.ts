/**
 * A play's `vars_files`: each named YAML file holds a mapping of variables;
 * later files win. A path may be templated with the play's variables (and
 * those of the files before it).
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { SwarmplayError } from '../errors.js';
import type { Play } from '../language/playbook.js';
import { renderValue } from '../language/template-string.js';

export async function loadVarsFiles(play: Play, baseDir: string, vars: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const entry of play.varsFiles) {
    // A list: the first file that exists (Ansible's first-found form).
    const candidates = (Array.isArray(entry) ? entry : [entry]).map((e) => path.resolve(baseDir, String(renderValue(e, { ...vars, ...out }, play.location))));
    let text: string | undefined;
    let file = candidates[0]!;
    for (const candidate of candidates) {
      text = await readFile(candidate, 'utf8').catch(() => undefined);
      if (text !== undefined) { file = candidate; break; }
    }
    if (text === undefined) {
      throw new SwarmplayError('FILE_NOT_FOUND', `vars_files: ${candidates.length > 1 ? `none of ${candidates.join(', ')} exists` : `${file} does not exist`}`, { location: play.location });
    }
    const data = parseYaml(text) ?? {};
    if (typeof data !== 'object' || Array.isArray(data)) {
      throw new SwarmplayError('BAD_PLAYBOOK', `vars_files: ${file} must hold a mapping of variables`, { location: play.location });
    }
    Object.assign(out, data);
  }
  return out;
}
