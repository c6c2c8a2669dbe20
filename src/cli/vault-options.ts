/**
 * The vault options every command that reads inventories or playbooks
 * takes (--ask-vault-pass, --vault-password-file, --vault-id), with
 * ansible.cfg's vault_password_file, vault_identity_list and
 * ask_vault_pass. The vault code is loaded only when a password is given.
 */
import type { Command } from 'commander';
import type { AnsibleConfig } from '../config/ansible-config.js';
import type { VaultKeyring } from '../vault/keyring.js';

export interface VaultFlags {
  askVaultPass?: boolean;
  vaultPasswordFile: string[];
  vaultId: string[];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function addVaultOptions(cmd: Command): Command {
  return cmd
    .option('-J, --ask-vault-pass', 'ask for the vault password')
    .option('--vault-password-file <file>', 'vault password file, or an executable script that prints it (repeatable)', collect, [])
    .option('--vault-id <label@source>', 'vault ID and where its password is: a file, a script or "prompt" (repeatable)', collect, []);
}

/**
 * The keyring these options and the config give; undefined when they give
 * no password (vault data met later is then an error naming its file).
 */
export async function vaultKeyringFor(
  flags: Partial<VaultFlags>,
  config: AnsibleConfig,
  options: { promptWhenNone?: boolean; confirmPrompt?: boolean } = {},
): Promise<VaultKeyring | undefined> {
  const vaultIds = [...config.vaultIdentityList, ...(flags.vaultId ?? [])];
  const passwordFiles = [...(flags.vaultPasswordFile ?? [])];
  if (config.vaultPasswordFile) passwordFiles.push(config.vaultPasswordFile);
  const askVaultPass = Boolean(flags.askVaultPass || config.askVaultPass);
  if (!vaultIds.length && !passwordFiles.length && !askVaultPass && !options.promptWhenNone) return undefined;
  const { loadVaultKeyring } = await import('../vault/keyring.js');
  return loadVaultKeyring({ vaultIds, passwordFiles, askVaultPass, ...options });
}
