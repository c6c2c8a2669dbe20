/**
 * The options about connecting that every command reaching hosts takes
 * (`run`, `status`), read into the runner's ConnectionSettings.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { SwarmplayError } from '../errors.js';
import type { ConnectionSettings } from '../runner/host-connections.js';

export interface ConnectionFlags {
  strictHostKeys?: boolean;
  knownHosts?: string;
  askPass?: boolean;
  timeout?: string;
}

export function positiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new SwarmplayError('BAD_OPTION', `${flag} ${text}: expected a whole number of at least 1`);
  return n;
}

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--strict-host-keys', 'refuse hosts whose key is not in known_hosts yet')
    .option('--known-hosts <file>', 'known_hosts file (default ~/.ssh/known_hosts)')
    .option('-k, --ask-pass', 'ask for the SSH password')
    .option('-T, --timeout <seconds>', 'connect timeout in seconds (default 10)');
}

async function askPassword(): Promise<string> {
  if (!process.stdin.isTTY) throw new SwarmplayError('BAD_OPTION', '--ask-pass needs a terminal; set SWARMPLAY_PASSWORD instead');
  process.stderr.write('SSH password: ');
  const rl = createInterface({ input: process.stdin, terminal: true });
  // Keep the typed password off the screen.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return answer;
}

/** --ask-pass, else SWARMPLAY_PASSWORD: the password for hosts that have none in the inventory. */
export async function defaultPassword(flags: ConnectionFlags): Promise<string | undefined> {
  return flags.askPass ? askPassword() : process.env.SWARMPLAY_PASSWORD || undefined;
}

export function connectionSettingsFrom(flags: ConnectionFlags, password?: string): ConnectionSettings {
  return {
    strictHostKeys: Boolean(flags.strictHostKeys),
    knownHostsPath: flags.knownHosts,
    connectTimeoutMs: flags.timeout === undefined ? undefined : positiveInt(flags.timeout, '--timeout')! * 1000,
    defaultPassword: password,
  };
}
