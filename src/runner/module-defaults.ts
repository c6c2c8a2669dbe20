/**
 * The default arguments module_defaults gives a task's module: every layer
 * (play, block, task) in order, each by the module's full name and, for a
 * community.docker module, its short name too (module_defaults may use either).
 */
import type { RawValue } from '../language/playbook.js';

export function moduleDefaultsFor(layers: readonly Record<string, Record<string, RawValue>>[], module: string): Record<string, unknown> {
  const short = module.replace(/^community\.docker\./, '');
  return Object.assign({}, ...layers.map((layer) => ({ ...(short !== module ? layer[short] : undefined), ...layer[module] })));
}
