/**
 * -e / --extra-vars as ansible-playbook reads them: `k=v k2=v2` (strings),
 * a JSON or YAML mapping, or `@file.yaml`. Later ones win.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { SwarmplayError } from '../errors.js';
import { split as splitShellWords } from 'shlex';

export function parseExtraVars(specs: string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const spec of specs) {
    const text = spec.trim();
    if (text.startsWith('@')) {
      const file = text.slice(1);
      let content: string;
      try {
        content = readFileSync(file, 'utf8');
      } catch {
        throw new SwarmplayError('FILE_NOT_FOUND', `-e @${file}: file not found`, { hint: 'give a YAML or JSON file of variables' });
      }
      Object.assign(vars, asMapping(content, `-e @${file}`));
    } else if (text.startsWith('{')) {
      Object.assign(vars, asMapping(text, '-e'));
    } else {
      for (const word of splitShellWords(text)) {
        const eq = word.indexOf('=');
        if (eq <= 0) {
          throw new SwarmplayError('BAD_OPTION', `-e ${JSON.stringify(word)}: expected key=value, a JSON/YAML mapping or @file`, {});
        }
        vars[word.slice(0, eq)] = word.slice(eq + 1);
      }
    }
  }
  return vars;
}

function asMapping(text: string, where: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new SwarmplayError('BAD_OPTION', `${where}: not valid YAML or JSON: ${(error as Error).message}`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new SwarmplayError('BAD_OPTION', `${where}: must be a mapping of variable names to values`);
  }
  return data as Record<string, unknown>;
}
