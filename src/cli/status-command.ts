/**
 * `swarmplay status [-i INVENTORY] [--watch] [--json]`: the swarm as the
 * walkthrough's visualizer page shows it (section 6), read from the first host of
 * the inventory group `managers` (or --manager NAME) in one round trip of
 * read-only docker commands. Colour on a terminal, plain text when piped
 * (or with NO_COLOR), one JSON object per snapshot with --json.
 */
import type { Command } from 'commander';
import { SwarmplayError } from '../errors.js';
import { loadInventory, type Inventory } from '../language/inventory.js';
import { HostConnections } from '../runner/host-connections.js';
import { addConnectionOptions, connectionSettingsFrom, defaultPassword, type ConnectionFlags } from './connection-options.js';
import type { Connection } from '../transport/types.js';
import { parseNodeInspect } from '../facts/swarm-nodes.js';
import { parseServiceInspect, parseServicePs } from '../facts/swarm-service.js';
import { clusterView, formatClusterView, type ClusterSnapshot } from '../reporters/cluster-view.js';
import { addInventoryOption, inventorySources } from './inventory-option.js';
import { addVaultOptions, vaultKeyringFor, type VaultFlags } from './vault-options.js';
import { loadAnsibleConfig } from '../config/ansible-config.js';

/**
 * Nodes, services and the tasks swarm wants running, between marker lines.
 * Exit 3: `docker node ls` refused (not a manager, no swarm, no docker).
 */
export const STATUS_SCRIPT = [
  'nodes=$(docker node ls -q 2>&1) || { printf "%s\\n" "$nodes" >&2; exit 3; }',
  'echo --nodes--',
  "docker node inspect --format '{{json .}}' $nodes",
  'echo --services--',
  'services=$(docker service ls -q)',
  "[ -z \"$services\" ] || docker service inspect --format '{{json .}}' $services",
  'echo --tasks--',
  "[ -z \"$services\" ] || docker service ps --no-trunc --filter desired-state=running --format '{{json .}}' $services",
].join('\n');

function section(stdout: string, name: string, next?: string): string {
  const start = stdout.indexOf(`--${name}--`);
  if (start < 0) throw new Error(`unexpected output from the manager (no --${name}-- section): ${JSON.stringify(stdout.slice(0, 200))}`);
  const from = start + name.length + 4;
  const end = next ? stdout.indexOf(`--${next}--`, from) : -1;
  return stdout.slice(from, end < 0 ? undefined : end);
}

const jsonLines = (text: string) => text.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('{'));

/** Parses STATUS_SCRIPT's output. */
export function parseClusterStatus(stdout: string, manager: string, takenAt: Date): ClusterSnapshot {
  return {
    manager,
    takenAt,
    nodes: jsonLines(section(stdout, 'nodes', 'services')).map(parseNodeInspect),
    services: jsonLines(section(stdout, 'services', 'tasks')).map(parseServiceInspect),
    tasks: parseServicePs(section(stdout, 'tasks')),
  };
}

/** One snapshot through an open connection. */
export async function readClusterSnapshot(conn: Connection, manager: string): Promise<ClusterSnapshot> {
  const result = await conn.run(STATUS_SCRIPT, { timeoutMs: 60_000 });
  if (result.exitCode !== 0) {
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join('\n');
    throw new SwarmplayError('COMMAND_FAILED', `cannot read the swarm on ${manager}: ${detail}`, {
      hint: /not a swarm manager|swarm mode/i.test(detail)
        ? `${manager} is not a swarm manager: put a manager first in the group managers, or pass --manager NAME`
        : 'is docker running there, and the swarm initialised (playbooks/bootstrap.yaml)?',
    });
  }
  return parseClusterStatus(result.stdout, manager, new Date());
}

export function pickManager(inventory: Inventory, inventoryPath: string, requested?: string): string {
  if (requested) {
    if (!inventory.hasHost(requested)) throw new SwarmplayError('BAD_OPTION', `--manager ${requested}: no such host in ${inventoryPath}`);
    return requested;
  }
  const managers = inventory.hasGroup('managers') ? inventory.groupHosts('managers') : [];
  if (managers.length === 0) {
    throw new SwarmplayError('BAD_INVENTORY', `${inventoryPath} has no host in the group managers`, {
      hint: 'swarmplay status asks the first host of group managers; or pass --manager NAME',
    });
  }
  return managers[0]!;
}

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

/** Renders one snapshot as the flags and the output ask. */
export function renderStatus(snapshot: ClusterSnapshot, flags: { json?: boolean }, output: StatusOutput, env: NodeJS.ProcessEnv = process.env): string {
  const view = clusterView(snapshot);
  if (flags.json) return `${JSON.stringify(view)}\n`;
  const color = output.isTTY && !env.NO_COLOR && env.TERM !== 'dumb';
  return formatClusterView(view, { color, ...(output.isTTY && output.columns ? { width: output.columns } : {}) });
}

async function runStatus(flags: StatusFlags, output: StatusOutput): Promise<void> {
  const config = loadAnsibleConfig();
  const sources = inventorySources(flags.inventory, config);
  const inventory = await loadInventory(sources, { vault: { keyring: await vaultKeyringFor(flags, config) } });
  const manager = pickManager(inventory, sources.join(', '), flags.manager);
  const connections = new HostConnections(inventory, await connectionSettingsFrom(flags, await defaultPassword(flags, config), config));
  const intervalMs = Math.max(0.5, Number(flags.interval) || 2) * 1000;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  try {
    const conn = await connections.get(manager);
    for (;;) {
      const text = renderStatus(await readClusterSnapshot(conn, manager), flags, output);
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
    .description('show the swarm: nodes (role, availability, state, labels) with their tasks, services with replicas running/desired')
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
