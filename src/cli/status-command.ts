/**
 * `swarmplay status [-i INVENTORY] [--watch] [--json]`: the swarm as the
 * walkthrough's visualizer page shows it (section 6), read from the first host of
 * the inventory group `managers` (or --manager NAME) in one round trip of
 * read-only docker commands (src/facts/cluster-snapshot.ts, shared with
 * `swarmplay ui`), and each node's certificate expiry read on the node
 * (runner/cluster-reader.ts NodeCertificateReader). Colour on a terminal, plain text when piped
 * (or with NO_COLOR), one JSON object per snapshot with --json.
 */
import type { Command } from 'commander';
import { addConnectionOptions, connectionSettingsFrom, defaultPassword, type ConnectionFlags } from './connection-options.js';
import type { ClusterSnapshot } from '../facts/cluster-snapshot.js';
import type { NodeCertificateExpiry } from '../runner/cluster-reader.js';
import { clusterView, formatClusterView } from '../reporters/cluster-view.js';
import { addInventoryOption, inventorySources } from './inventory-option.js';
import { addVaultOptions, vaultKeyringFor, type VaultFlags } from './vault-options.js';

interface StatusFlags extends ConnectionFlags, VaultFlags {
  inventory: string[];
  manager?: string;
  watch?: boolean;
  interval: string;
  json?: boolean;
}

export interface StatusOutput {
  write(text: string): void;
  isTTY: boolean;
  columns?: number;
}

/** Renders one snapshot (with the nodes' certificate expiries when read) as the flags and the output ask. */
export function renderStatus(
  snapshot: ClusterSnapshot, flags: { json?: boolean }, output: StatusOutput, env: NodeJS.ProcessEnv = process.env,
  certificates?: NodeCertificateExpiry,
): string {
  const view = clusterView(snapshot, certificates);
  if (flags.json) return `${JSON.stringify(view)}\n`;
  const color = output.isTTY && !env.NO_COLOR && env.TERM !== 'dumb';
  return formatClusterView(view, { color, ...(output.isTTY && output.columns ? { width: output.columns } : {}) });
}

async function runStatus(flags: StatusFlags, output: StatusOutput): Promise<void> {
  // Loaded when the command runs, so that the other commands start without them.
  const [{ loadAnsibleConfig }, { loadInventory }, { HostConnections }, { pickManager, readClusterSnapshot, NodeCertificateReader }] = await Promise.all([
    import('../config/ansible-config.js'), import('../language/inventory.js'),
    import('../runner/host-connections.js'), import('../runner/cluster-reader.js'),
  ]);
  const config = loadAnsibleConfig();
  const sources = inventorySources(flags.inventory, config);
  const inventory = await loadInventory(sources, { vault: { keyring: await vaultKeyringFor(flags, config) } });
  const manager = pickManager(inventory, sources.join(', '), flags.manager);
  const connections = new HostConnections(inventory, await connectionSettingsFrom(flags, await defaultPassword(flags, config), config));
  const certificates = new NodeCertificateReader(inventory, connections);
  const intervalMs = Math.max(0.5, Number(flags.interval) || 2) * 1000;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  try {
    const conn = await connections.get(manager);
    for (;;) {
      const snapshot = await readClusterSnapshot(conn, manager);
      const text = renderStatus(snapshot, flags, output, process.env, await certificates.read(snapshot.nodes));
      // --watch on a terminal redraws in place; piped, each snapshot follows the last.
      output.write(flags.watch && output.isTTY && !flags.json ? `\x1b[H\x1b[2J${text}` : flags.watch && !flags.json ? `${text}\n` : text);
      if (!flags.watch || stop.signal.aborted) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        stop.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
      if (stop.signal.aborted) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    await connections.closeAll();
  }
}

export function registerStatusCommand(program: Command): void {
  const status = addVaultOptions(addInventoryOption(program.command('status')))
    .description('show the swarm: nodes (role, availability, state, labels, certificate expiry) with their tasks, services with replicas running/desired')
    .option('--manager <name>', 'ask this host (default: the first host of group managers)')
    .option('-w, --watch', 'show it again every --interval seconds until interrupted')
    .option('--interval <seconds>', 'seconds between snapshots with --watch', '2')
    .option('--json', 'one JSON object per snapshot');
  // The same connection options as `swarmplay run`.
  addConnectionOptions(status)
    .action(async (flags: StatusFlags) => {
      await runStatus(flags, {
        write: (text) => process.stdout.write(text),
        isTTY: Boolean(process.stdout.isTTY),
        columns: process.stdout.columns,
      });
    });
}
