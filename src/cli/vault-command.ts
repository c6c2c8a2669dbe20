/**
 * `swarmplay vault encrypt | decrypt | view | edit | create | encrypt_string
 * | rekey`: ansible-vault's commands and options, so nobody needs Python to
 * manage vault files. What one encrypts the other decrypts (tested against
 * /usr/bin/ansible-vault). Files are replaced atomically (a temp file in the
 * same folder, fsynced, renamed) and keep their mode; new ones are 0600.
 * The vault code loads only when this command runs.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SwarmplayError } from '../errors.js';
import { replaceControllerFile } from '../transport/local-file.js';
import { loadAnsibleConfig } from '../config/ansible-config.js';
import { addVaultOptions, vaultKeyringFor, type VaultFlags } from './vault-options.js';
import type { VaultKeyring } from '../vault/keyring.js';

interface VaultCommandFlags extends VaultFlags {
  output?: string;
  encryptVaultId?: string;
  name: string[];
  stdinName?: string;
  prompt?: boolean;
  newVaultPasswordFile?: string;
  newVaultId?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

async function keyring(flags: VaultCommandFlags, confirm = false): Promise<VaultKeyring> {
  return (await vaultKeyringFor(flags, loadAnsibleConfig(), { promptWhenNone: true, confirmPrompt: confirm }))!;
}

async function readInput(file: string): Promise<Buffer> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(file);
  } catch (error) {
    throw new SwarmplayError('FILE_NOT_FOUND', `${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/** Replaces (or creates) a file atomically, keeping an existing file's mode. */
async function writeAtomically(file: string, content: string | Buffer): Promise<void> {
  if (file === '-') {
    process.stdout.write(content);
    return;
  }
  const mode = await stat(file).then((s) => s.mode & 0o7777, () => 0o600);
  await replaceControllerFile(resolve(file), content, mode, true);
}

const isVault = (data: Buffer) => data.toString('latin1').trimStart().startsWith('$ANSIBLE_VAULT');
const at = (file: string) => ({ file, line: 1, column: 1 });

async function encryptFiles(files: string[], flags: VaultCommandFlags): Promise<void> {
  const ring = await keyring(flags, true);
  for (const file of files.length ? files : ['-']) {
    const data = await readInput(file);
    if (isVault(data)) throw new SwarmplayError('BAD_OPTION', `${file} is already encrypted with ansible-vault`);
    await writeAtomically(flags.output ?? file, ring.encrypt(data, flags.encryptVaultId));
  }
  process.stderr.write('Encryption successful\n');
}

async function decryptFiles(files: string[], flags: VaultCommandFlags): Promise<void> {
  const ring = await keyring(flags);
  for (const file of files.length ? files : ['-']) {
    const data = await readInput(file);
    if (!isVault(data)) throw new SwarmplayError('BAD_OPTION', `${file} is not a vault encrypted file`);
    await writeAtomically(flags.output ?? file, ring.decrypt(data.toString('utf8'), at(file), file));
  }
  process.stderr.write('Decryption successful\n');
}

async function viewFiles(files: string[], flags: VaultCommandFlags): Promise<void> {
  const ring = await keyring(flags);
  for (const file of files.length ? files : ['-']) {
    const data = await readInput(file);
    if (!isVault(data)) throw new SwarmplayError('BAD_OPTION', `${file} is not a vault encrypted file`);
    process.stdout.write(ring.decrypt(data.toString('utf8'), at(file), file));
  }
}

/** The vault ID a file was encrypted for (1.2 headers), to encrypt it again for the same one. */
function vaultIdOf(text: string): string | undefined {
  return /^\$ANSIBLE_VAULT;1\.2;[^;\n]*;([^\s;]+)/.exec(text.trimStart())?.[1];
}

/** Opens the plaintext in $EDITOR in a private temp folder; encrypts it back if it changed. */
async function editFile(file: string, flags: VaultCommandFlags, create: boolean): Promise<void> {
  const exists = await stat(file).then(() => true, () => false);
  if (create && exists) throw new SwarmplayError('BAD_OPTION', `${file} exists, please use 'edit' instead`);
  if (!create && !exists) throw new SwarmplayError('FILE_NOT_FOUND', `${file}: no such file (use 'create' for a new one)`);
  const ring = await keyring(flags, create);
  let plaintext: Buffer = Buffer.alloc(0);
  let vaultId = flags.encryptVaultId;
  if (exists) {
    const text = (await readFile(file)).toString('utf8');
    if (!isVault(Buffer.from(text))) throw new SwarmplayError('BAD_OPTION', `${file} is not a vault encrypted file`);
    plaintext = ring.decrypt(text, at(file), file);
    vaultId ??= ring.secrets.some((s) => s.id === vaultIdOf(text)) ? vaultIdOf(text) : undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'swarmplay-vault-'));
  const temp = join(dir, basename(file));
  try {
    await writeFile(temp, plaintext, { mode: 0o600 });
    const editor = process.env.EDITOR || 'vi';
    const code = await new Promise<number>((done, fail) => {
      const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'editor', temp], { stdio: 'inherit' });
      child.on('error', fail);
      child.on('exit', (c) => done(c ?? 1));
    });
    if (code !== 0) throw new SwarmplayError('BAD_OPTION', `the editor (${editor}) exited with ${code}; ${file} is unchanged`);
    const edited = await readFile(temp);
    if (exists && edited.equals(plaintext)) return;
    await writeAtomically(file, ring.encrypt(edited, vaultId ?? (ring.secrets.length > 1 ? undefined : ring.secrets[0]?.id)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function formatVaultYaml(ciphertext: string, name?: string): string {
  const lines = [`${name ? `${name}: ` : ''}!vault |`, ...ciphertext.trimEnd().split('\n').map((l) => `          ${l}`)];
  return lines.join('\n');
}

async function encryptStrings(values: string[], flags: VaultCommandFlags): Promise<void> {
  const ring = await keyring(flags, true);
  const items: Array<{ name?: string; value: Buffer }> = [];
  if (flags.prompt) {
    const { terminalPrompter } = await import('../vault/keyring.js');
    const prompter = terminalPrompter();
    try {
      items.push({ name: flags.name[0], value: Buffer.from(await prompter.ask('String to encrypt (hidden): ')) });
    } finally {
      prompter.close();
    }
  } else if (values.length === 0 || flags.stdinName !== undefined) {
    if (process.stdin.isTTY) process.stderr.write('Reading plaintext input from stdin (ctrl-d to end input)\n');
    items.push({ name: flags.stdinName ?? flags.name[0], value: await readInput('-') });
  } else {
    values.forEach((value, i) => items.push({ name: flags.name[i], value: Buffer.from(value) }));
  }
  const out = items.map((item) => formatVaultYaml(ring.encrypt(item.value, flags.encryptVaultId), item.name));
  process.stdout.write(`${out.join('\n')}\n`);
  process.stderr.write('Encryption successful\n');
}

async function rekeyFiles(files: string[], flags: VaultCommandFlags): Promise<void> {
  if (files.length === 0) throw new SwarmplayError('BAD_OPTION', 'rekey: name the files to rekey');
  const ring = await keyring(flags);
  const { loadVaultKeyring } = await import('../vault/keyring.js');
  const newRing = await loadVaultKeyring({
    vaultIds: flags.newVaultPasswordFile ? [`${flags.newVaultId ?? 'default'}@${flags.newVaultPasswordFile}`] : [],
    promptWhenNone: !flags.newVaultPasswordFile,
    confirmPrompt: true,
  });
  // A new password given by prompt is labelled with --new-vault-id too.
  if (flags.newVaultId) newRing.secrets.forEach((s) => (s.id = flags.newVaultId!));
  for (const file of files) {
    const text = (await readInput(file)).toString('utf8');
    if (!isVault(Buffer.from(text))) throw new SwarmplayError('BAD_OPTION', `${file} is not a vault encrypted file`);
    await writeAtomically(file, newRing.encrypt(ring.decrypt(text, at(file), file)));
  }
  process.stderr.write('Rekey successful\n');
}

export function registerVaultCommand(program: Command): void {
  const vault = program.command('vault').description('encrypt, decrypt, view and edit ansible-vault files (the format of ansible-vault 1.1 and 1.2)');
  const sub = (name: string, args: string, description: string) =>
    addVaultOptions(vault.command(name).argument(args).description(description));
  sub('encrypt', '[files...]', 'encrypt files in place (or stdin, "-")')
    .option('--output <file>', 'write the result here ("-" for stdout)')
    .option('--encrypt-vault-id <label>', 'the vault ID to encrypt with, when several are given')
    .action((files: string[], flags: VaultCommandFlags) => encryptFiles(files, flags));
  sub('decrypt', '[files...]', 'decrypt files in place (or stdin, "-")')
    .option('--output <file>', 'write the result here ("-" for stdout)')
    .action((files: string[], flags: VaultCommandFlags) => decryptFiles(files, flags));
  sub('view', '[files...]', 'print the decrypted content')
    .action((files: string[], flags: VaultCommandFlags) => viewFiles(files, flags));
  sub('edit', '<file>', 'edit an encrypted file in $EDITOR')
    .option('--encrypt-vault-id <label>', 'the vault ID to encrypt with')
    .action((file: string, flags: VaultCommandFlags) => editFile(file, flags, false));
  sub('create', '<file>', 'create a new encrypted file in $EDITOR')
    .option('--encrypt-vault-id <label>', 'the vault ID to encrypt with')
    .action((file: string, flags: VaultCommandFlags) => editFile(file, flags, true));
  sub('encrypt_string', '[strings...]', 'encrypt strings into "!vault |" YAML values')
    .option('-n, --name <name>', 'the variable name of each string (repeatable)', collect, [])
    .option('--stdin-name <name>', 'read the string from stdin and name it')
    .option('-p, --prompt', 'ask for the string to encrypt')
    .option('--encrypt-vault-id <label>', 'the vault ID to encrypt with, when several are given')
    .action((values: string[], flags: VaultCommandFlags) => encryptStrings(values, flags));
  sub('rekey', '<files...>', 'encrypt files again with a new password')
    .option('--new-vault-password-file <file>', 'the new password file')
    .option('--new-vault-id <label>', 'the vault ID of the new password')
    .action((files: string[], flags: VaultCommandFlags) => rekeyFiles(files, flags));
}
