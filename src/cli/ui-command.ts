/**
 * `swarmplay ui [-i INVENTORY] [--port 8080] [--bind 127.0.0.1] [--open]`:
 * the swarm in a browser, live (src/ui/). Only the option parsing is here:
 * the server and the page are loaded when `ui` runs, so other commands never
 * pay for them at start-up.
 */
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from './connection-options.js';
import { addInventoryOption } from './inventory-option.js';
import { addVaultOptions, type VaultFlags } from './vault-options.js';

export interface UiFlags extends ConnectionFlags, VaultFlags {
  inventory: string[];
  port: string;
  bind: string;
  open?: boolean;
  manager?: string;
  registry?: string;
}

export function registerUiCommand(program: Command): void {
  const ui = addVaultOptions(addInventoryOption(program.command('ui')))
    .description('serve a live page of the swarm (nodes, tasks, services, quorum, registry, last run); read-only')
    .option('--port <n>', 'TCP port (0: any free port)', '8080')
    .option('--bind <address>', 'address to listen on; anything but loopback requires the token printed at start', '127.0.0.1')
    .option('--open', 'open the page in the default browser')
    .option('--manager <name>', 'ask this host (default: the leader among the group managers, then the others)')
    .option('--registry <host:port>', "the private registry to list (default: the first manager's address, port registry_port or 5000)");
  addConnectionOptions(ui)
    .action(async (flags: UiFlags) => {
      const { runUi } = await import('../ui/run-ui.js');
      await runUi(flags);
    });
}
