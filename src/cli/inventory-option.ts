/**
 * `-i`: repeatable, as ansible-playbook's. Without it: $SWARMPLAY_INVENTORY,
 * else ansible.cfg's inventory (or $ANSIBLE_INVENTORY), else
 * inventory/hosts.yaml.
 */
import type { Command } from 'commander';
import type { AnsibleConfig } from '../config/ansible-config.js';

export const DEFAULT_INVENTORY = 'inventory/hosts.yaml';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function addInventoryOption(cmd: Command): Command {
  return cmd.option(
    '-i, --inventory <source>',
    'inventory: a YAML or INI file, a folder of them, or host1,host2, (repeatable; default: ansible.cfg\'s inventory, else inventory/hosts.yaml)',
    collect,
    [],
  );
}

/** The inventory sources of a command, in order. */
export function inventorySources(given: string[] | string | undefined, config: AnsibleConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const list = typeof given === 'string' ? [given] : given ?? [];
  if (list.length > 0) return list;
  if (env.SWARMPLAY_INVENTORY) return [env.SWARMPLAY_INVENTORY];
  if (config.inventory && config.inventory.length > 0) return config.inventory;
  return [DEFAULT_INVENTORY];
}
