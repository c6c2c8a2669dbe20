/** `swarmplay inventory --list | --graph [--host NAME]`, shaped like ansible-inventory's output. */
import type { Command } from 'commander';
import { SwarmplayError } from '../errors.js';
import { loadAnsibleConfig } from '../config/ansible-config.js';
import { addInventoryOption, inventorySources } from './inventory-option.js';
import { addVaultOptions, vaultKeyringFor, type VaultFlags } from './vault-options.js';

interface InventoryFlags extends VaultFlags {
  inventory: string[];
  list?: boolean;
  graph?: boolean;
  host?: string;
}

export function registerInventoryCommand(program: Command): void {
  addVaultOptions(addInventoryOption(program.command('inventory')))
    .description('show the inventory as swarmplay reads it')
    .option('--list', 'every group and host with its variables, as JSON')
    .option('--graph', 'the group tree')
    .option('--host <name>', "one host's variables, as JSON")
    .action(async (flags: InventoryFlags) => {
      const [{ loadInventory }, { inventoryListText, inventoryGraph }] = await Promise.all([
        import('../language/inventory.js'), import('../language/inventory-view.js')]);
      const config = loadAnsibleConfig();
      const sources = inventorySources(flags.inventory, config);
      // Inline !vault values stay encrypted in the output, as ansible-inventory shows them.
      const inventory = await loadInventory(sources, { vault: { keyring: await vaultKeyringFor(flags, config), keepInline: true } });
      if (flags.host) {
        if (!inventory.hasHost(flags.host)) throw new SwarmplayError('BAD_OPTION', `--host ${flags.host}: no such host in ${sources.join(', ')}`);
        process.stdout.write(`${JSON.stringify(inventory.hostVars(flags.host), null, 4)}\n`);
      } else if (flags.graph) {
        process.stdout.write(`${inventoryGraph(inventory)}\n`);
      } else if (flags.list) {
        process.stdout.write(`${inventoryListText(inventory)}\n`);
      } else {
        throw new SwarmplayError('BAD_OPTION', 'inventory: say --list, --graph or --host NAME');
      }
    });
}
