/**
 * `swarmplay known-hosts forget HOST [-i INVENTORY] [--known-hosts FILE]`:
 * after a host was reinstalled, a run refuses its new key and names this
 * command. It removes that host's entries (by inventory name and by the
 * address it is reached at, hashed entries included) from the known_hosts
 * file the inventory uses, and prints what it removed; the next run records
 * the new key.
 */
import type { Command } from 'commander';
import { loadAnsibleConfig } from '../config/ansible-config.js';
import { addInventoryOption, inventorySources } from './inventory-option.js';
import { addVaultOptions, vaultKeyringFor, type VaultFlags } from './vault-options.js';

interface ForgetFlags extends VaultFlags {
  inventory: string[];
  knownHosts?: string;
}

export function registerKnownHostsCommand(program: Command): void {
  const knownHosts = program.command('known-hosts').description('the known_hosts file the inventory uses');
  addVaultOptions(addInventoryOption(knownHosts.command('forget').argument('<host>', 'inventory name of the host')))
    .description("remove a host's keys (by name and address, hashed entries too), e.g. after it was reinstalled")
    .option('--known-hosts <file>', 'known_hosts file (default: the inventory\'s swarmplay_known_hosts, else ~/.ssh/known_hosts)')
    .action(async (host: string, flags: ForgetFlags) => {
      const [{ loadInventory }, { forgetHostKeys }] = await Promise.all([
        import('../language/inventory.js'), import('../runner/host-connections.js')]);
      const config = loadAnsibleConfig();
      const inventory = await loadInventory(inventorySources(flags.inventory, config), { vault: { keyring: await vaultKeyringFor(flags, config) } });
      const result = forgetHostKeys(inventory, host, { strictHostKeys: false, knownHostsPath: flags.knownHosts });
      const lines = result.removed.map((entry) =>
        `removed ${result.file}:${entry.line}: ${entry.partial ? `${entry.matched} from ` : ''}${entry.hosts} ${entry.keyType} ${entry.fingerprint}` +
        `${entry.hosts.startsWith('|1|') ? ` (hashed, for ${entry.matched})` : ''}`);
      if (result.removed.length === 0) lines.push(`${result.file} holds no key of ${host}: nothing removed`);
      for (const entry of result.kept) lines.push(`kept ${result.file}:${entry.line} (${entry.hosts}): ${entry.reason}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
