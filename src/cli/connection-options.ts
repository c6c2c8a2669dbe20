/**
 * The options about connecting that every command reaching hosts takes
 * (`run`, `status`), read into the runner's ConnectionSettings.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { SwarmplayError } from '../errors.js';
import type { ConnectionSettings } from '../runner/host-connections.js';
import type { AnsibleConfig } from '../config/ansible-config.js';

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

async function askPassword(prompt = 'SSH password: '): Promise<string> {
  if (!process.stdin.isTTY) throw new SwarmplayError('BAD_OPTION', `${prompt.trim()} needs a terminal; set SWARMPLAY_PASSWORD (or the ansible_password / ansible_become_password variables) instead`);
  process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, terminal: true });
  // Keep the typed password off the screen.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return answer;
}

/** --ask-pass (or ansible.cfg's ask_pass), else SWARMPLAY_PASSWORD: the password for hosts that have none in the inventory. */
export async function defaultPassword(flags: ConnectionFlags, config?: AnsibleConfig): Promise<string | undefined> {
  return flags.askPass || config?.askPass ? askPassword() : process.env.SWARMPLAY_PASSWORD || undefined;
}

/**
 * The command line over ansible.cfg: --strict-host-keys over
 * host_key_checking, --timeout over timeout; remote_user, private_key_file
 * and become apply where a host's variables say nothing.
 */
export async function connectionSettingsFrom(flags: ConnectionFlags, password?: string, config?: AnsibleConfig): Promise<ConnectionSettings> {
  const timeoutSeconds = flags.timeout === undefined ? config?.timeout : positiveInt(flags.timeout, '--timeout');
  if (config && timeoutSeconds !== undefined && timeoutSeconds < 1) {
    throw new SwarmplayError('BAD_OPTION', `timeout ${timeoutSeconds} in ${config.file ?? 'the environment'}: expected a whole number of at least 1`);
  }
  return {
    strictHostKeys: flags.strictHostKeys ?? config?.hostKeyChecking ?? false,
    knownHostsPath: flags.knownHosts,
    connectTimeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
    defaultPassword: password,
    ...(config && { hostDefaults: await hostDefaultsFrom(config) }),
  };
}

/** ansible.cfg's [privilege_escalation]: swarmplay becomes root with sudo, and says so when asked for more. */
async function hostDefaultsFrom(config: AnsibleConfig): Promise<ConnectionSettings['hostDefaults']> {
  if (config.becomeMethod !== undefined && config.becomeMethod !== 'sudo') {
    throw new SwarmplayError('BAD_OPTION', `become_method ${config.becomeMethod} (${config.file ?? 'ANSIBLE_BECOME_METHOD'}) is not supported`, {
      hint: 'swarmplay becomes root with sudo: set become_method = sudo or remove it',
    });
  }
  if (config.becomeUser !== undefined && config.becomeUser !== 'root') {
    throw new SwarmplayError('BAD_OPTION', `become_user ${config.becomeUser} (${config.file ?? 'ANSIBLE_BECOME_USER'}) is not supported`, {
      hint: 'swarmplay becomes root: set become_user = root or remove it',
    });
  }
  return {
    user: config.remoteUser,
    privateKeyPath: config.privateKeyFile,
    become: config.become,
    becomePassword: config.becomeAskPass ? await askPassword('BECOME password: ') : undefined,
  };
}
