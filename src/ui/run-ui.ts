/** `swarmplay ui`: the watcher, the server, and what is printed at start. */
import { spawn } from 'node:child_process';
import { SwarmplayError } from '../errors.js';
import { loadInventory, type Inventory } from '../language/inventory.js';
import { HostConnections } from '../runner/host-connections.js';
import { managerCandidates } from '../runner/cluster-reader.js';
import { connectionSettingsFrom, defaultPassword } from '../cli/connection-options.js';
import { inventorySources } from '../cli/inventory-option.js';
import { vaultKeyringFor } from '../cli/vault-options.js';
import { loadAnsibleConfig } from '../config/ansible-config.js';
import type { UiFlags } from '../cli/ui-command.js';
import { ClusterWatcher } from './cluster-watcher.js';
import { isLoopback, newToken, UiServer } from './server.js';

/** As playbooks/bootstrap.yaml places it: on the first manager, port registry_port (default 5000). */
export function defaultRegistry(inventory: Inventory, manager: string): string {
  const vars = inventory.hostVars(manager);
  const host = typeof vars.ansible_host === 'string' && vars.ansible_host ? vars.ansible_host : manager;
  return `${host}:${Number(vars.registry_port ?? 5000) || 5000}`;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SwarmplayError('BAD_OPTION', `--port ${text}: expected a TCP port number, 0 to 65535`);
  return port;
}

export async function runUi(flags: UiFlags): Promise<void> {
  const port = parsePort(flags.port);
  if (flags.registry !== undefined && !/^[^\s:/]+:\d+$/.test(flags.registry)) {
    throw new SwarmplayError('BAD_OPTION', `--registry ${flags.registry}: expected HOST:PORT, e.g. 10.0.0.5:5000`);
  }
  const config = loadAnsibleConfig();
  const sources = inventorySources(flags.inventory, config);
  const inventory = await loadInventory(sources, { vault: { keyring: await vaultKeyringFor(flags, config) } });
  const managers = managerCandidates(inventory, sources.join(', '), flags.manager);
  const connections = new HostConnections(inventory, await connectionSettingsFrom(flags, await defaultPassword(flags, config), config));
  const watcher = new ClusterWatcher(inventory, connections, {
    inventoryPath: sources[0]!,
    managers,
    registry: flags.registry ?? defaultRegistry(inventory, managers[0]!),
  });
  const token = isLoopback(flags.bind) ? undefined : newToken();
  const server = new UiServer(watcher, { bind: flags.bind, port, ...(token && { token }) });
  let listening: { address: string; port: number };
  try {
    listening = await server.listen();
  } catch (error) {
    await connections.closeAll();
    throw new SwarmplayError('BAD_OPTION', `cannot listen on ${flags.bind}:${port}: ${(error as Error).message}`);
  }
  const host = listening.address.includes(':') ? `[${listening.address}]` : listening.address;
  const url = `http://${host}:${listening.port}/`;
  // The one place the token is shown: on stdout, once; nothing else prints or logs it.
  if (token) process.stdout.write(`swarmplay ui: ${url}?token=${token}\n(bound to ${listening.address}: every request needs this token; it is shown only now)\n`);
  else process.stdout.write(`swarmplay ui: ${url}\n`);
  await watcher.start();
  if (flags.open) openBrowser(token ? `${url}?token=${token}` : url);

  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.close();
  await watcher.close();
}

/** Best effort: xdg-open (Linux) or open (macOS); the printed address is there anyway. */
function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => process.stderr.write(`[WARNING]: cannot open a browser (${opener}); open the address above yourself\n`));
    child.unref();
  } catch { /* reported by the error event */ }
}
