/**
 * The vault passwords of a run, as ansible-core's CLI gathers them
 * (--vault-id LABEL@SOURCE, --vault-password-file, --ask-vault-pass and
 * the config's vault_password_file / vault_identity_list), and decryption
 * with them: the password whose label the envelope names is tried first,
 * then every other one (Ansible's default, vault_id_match=False).
 *
 * A source is `prompt`, a file (its content, whitespace stripped), or an
 * executable script (its stdout, end-of-line stripped; a script named
 * `*-client[.ext]` is given `--vault-id LABEL`, as Ansible does).
 *
 * Every value decrypted is handed to onReveal, which the runner points at
 * its redactor: a decrypted secret never reaches any output.
 */
import { readFile, stat } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { basename, extname, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { SwarmplayError, type SourceLocation } from '../errors.js';
import {
  decryptPayload,
  encryptVaultText,
  isVaultText,
  parseEnvelope,
  VaultFormatError,
  VaultPasswordMismatch,
} from './vault-format.js';
import { noPasswordError } from './vaulted-value.js';

export const DEFAULT_VAULT_ID = 'default';

export interface VaultSecret {
  /** The vault ID (label) this password is for. */
  id: string;
  password: Buffer;
  /** Where it came from, for messages: "prompt", "file ~/.vault_pass"... never the password. */
  source: string;
}

/** One --vault-id: LABEL@SOURCE, or SOURCE alone (label "default"). */
export interface VaultIdSpec {
  label: string;
  source: string;
}

export function parseVaultIdSpec(text: string): VaultIdSpec {
  const at = text.indexOf('@');
  if (at < 0) return { label: DEFAULT_VAULT_ID, source: text };
  const label = text.slice(0, at);
  const source = text.slice(at + 1);
  if (!label || !source) {
    throw new SwarmplayError('BAD_OPTION', `--vault-id ${text}: expected LABEL@SOURCE (SOURCE a password file, a script or "prompt")`);
  }
  return { label, source };
}

export interface VaultOptionsInput {
  /** --vault-id, in the order given (config's vault_identity_list first). */
  vaultIds?: string[];
  /** --vault-password-file (or the config's vault_password_file). */
  passwordFiles?: string[];
  askVaultPass?: boolean;
  /** Ask when nothing else was given (the `vault` command does; a run does not). */
  promptWhenNone?: boolean;
  /** Ask twice and compare (encrypting with a new password). */
  confirmPrompt?: boolean;
}

/** The vault ID specs these options give, in Ansible's order (CLI.build_vault_ids). */
export function vaultIdSpecs(input: VaultOptionsInput): VaultIdSpec[] {
  const specs = (input.vaultIds ?? []).map(parseVaultIdSpec);
  for (const file of input.passwordFiles ?? []) specs.push({ label: DEFAULT_VAULT_ID, source: file });
  if (input.askVaultPass || (specs.length === 0 && input.promptWhenNone)) specs.push({ label: DEFAULT_VAULT_ID, source: 'prompt' });
  return specs;
}

export class VaultKeyring {
  /** Told every plaintext this keyring decrypts (set by the runner to its redactor). */
  onReveal?: (plaintext: string) => void;
  private readonly revealed: string[] = [];
  /** Decrypted texts by ciphertext: one value copied to 50 hosts is decrypted once. */
  private readonly decrypted = new Map<string, string>();

  constructor(readonly secrets: VaultSecret[]) {}

  /** Plaintexts decrypted so far (for a redactor that arrives later). */
  revealedSoFar(): readonly string[] {
    return this.revealed;
  }

  /** Marks a value taken from a decrypted file as secret. */
  reveal(value: string): void {
    this.revealed.push(value);
    this.onReveal?.(value);
  }

  /**
   * Decrypts vault text found at `where`. Bad input (exit 5) when no password
   * was given, when none of them fits, or when the text is damaged.
   */
  decrypt(text: string, where: SourceLocation, what = 'this value'): Buffer {
    let envelope;
    try {
      envelope = parseEnvelope(text);
    } catch (error) {
      throw vaultError(`${what} is not valid ansible-vault data: ${(error as Error).message}`, where);
    }
    if (this.secrets.length === 0) throw noPasswordError(where, what, envelope.vaultId);
    const wanted = envelope.vaultId ?? DEFAULT_VAULT_ID;
    const ordered = [...this.secrets.filter((s) => s.id === wanted), ...this.secrets.filter((s) => s.id !== wanted)];
    for (const secret of ordered) {
      try {
        return decryptPayload(envelope.payload, secret.password);
      } catch (error) {
        if (error instanceof VaultPasswordMismatch) continue;
        if (error instanceof VaultFormatError) throw vaultError(`${what} is damaged ansible-vault data: ${error.message}`, where);
        throw error;
      }
    }
    const tried = this.secrets.map((s) => `'${s.id}' (${s.source})`).join(', ');
    const label = envelope.vaultId ? ` (encrypted for vault ID '${envelope.vaultId}')` : '';
    throw vaultError(`cannot decrypt ${what}${label}: the vault password is wrong (tried ${tried})`, where,
      envelope.vaultId && !this.secrets.some((s) => s.id === envelope.vaultId)
        ? `give its password with --vault-id ${envelope.vaultId}@FILE or --vault-id ${envelope.vaultId}@prompt`
        : 'give the password it was encrypted with (--ask-vault-pass, --vault-password-file FILE or --vault-id LABEL@SOURCE)');
  }

  /** Decrypts to text and registers it as a secret. */
  decryptText(text: string, where: SourceLocation, what?: string): string {
    const plain = this.decrypted.get(text) ?? this.decrypt(text, where, what).toString('utf8');
    this.decrypted.set(text, plain);
    this.reveal(plain);
    return plain;
  }

  /** The secret to encrypt with: the one labelled encryptVaultId, or the only one. */
  encryptingSecret(encryptVaultId?: string): VaultSecret {
    if (encryptVaultId !== undefined) {
      const found = this.secrets.find((s) => s.id === encryptVaultId);
      if (!found) {
        throw new SwarmplayError('BAD_OPTION', `--encrypt-vault-id ${encryptVaultId}: no password with that vault ID was given`, {
          hint: `known vault IDs: ${this.secrets.map((s) => s.id).join(', ') || 'none'}`,
        });
      }
      return found;
    }
    if (this.secrets.length === 0) throw new SwarmplayError('BAD_OPTION', 'no vault password given to encrypt with');
    if (this.secrets.length > 1) {
      throw new SwarmplayError('BAD_OPTION', `several vault IDs (${this.secrets.map((s) => s.id).join(', ')}) could encrypt this`, {
        hint: 'say which one with --encrypt-vault-id LABEL',
      });
    }
    return this.secrets[0]!;
  }

  encrypt(plaintext: Buffer, encryptVaultId?: string): string {
    const secret = this.encryptingSecret(encryptVaultId);
    return encryptVaultText(plaintext, secret.password, secret.id);
  }
}

export { isVaultText };

function vaultError(message: string, where: SourceLocation, hint?: string): SwarmplayError {
  return new SwarmplayError('BAD_VAULT', message, { location: where, hint });
}

/** How passwords are asked: a terminal without echo, or lines read from a pipe (as Python's getpass falls back to). */
export interface PasswordPrompter {
  ask(prompt: string): Promise<string>;
  close(): void;
}

export function terminalPrompter(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): PasswordPrompter {
  let rl: Interface | undefined;
  const pending: string[] = [];
  const waiting: Array<(line: string | undefined) => void> = [];
  let ended = false;
  const open = (): Interface => {
    if (rl) return rl;
    rl = createInterface({ input, terminal: Boolean(input.isTTY) });
    // Keep the typed password off the screen.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
    rl.on('line', (line) => (waiting.length ? waiting.shift()!(line) : pending.push(line)));
    rl.on('close', () => {
      ended = true;
      while (waiting.length) waiting.shift()!(undefined);
    });
    return rl;
  };
  return {
    async ask(prompt) {
      output.write(prompt);
      open();
      const line = pending.length ? pending.shift() : ended ? undefined : await new Promise<string | undefined>((r) => waiting.push(r));
      if (input.isTTY) output.write('\n');
      if (line === undefined) throw new SwarmplayError('BAD_OPTION', `${prompt.trim()} no password given (input ended)`);
      return line;
    },
    close() {
      rl?.close();
      input.pause();
    },
  };
}

async function isExecutable(path: string): Promise<boolean> {
  const s = await stat(path);
  return s.isFile() && (s.mode & 0o111) !== 0;
}

function runScript(path: string, args: string[]): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    execFile(path, args, { encoding: 'buffer', maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) {
        const code = (error as { code?: unknown }).code;
        const why = typeof code === 'number' ? `exit ${code}` : error.message;
        const unknownId = code === 2 && args.length > 0 ? ` (it knows no secret for vault ID '${args[1]}')` : '';
        reject(new SwarmplayError('BAD_OPTION', `vault password script ${path} failed (${why})${unknownId}: ${stderr.toString().trim()}`));
      } else {
        resolvePromise(stdout);
      }
    });
  });
}

const stripWhitespace = (b: Buffer): Buffer => Buffer.from(b.toString('latin1').replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, ''), 'latin1');
const stripEol = (b: Buffer): Buffer => Buffer.from(b.toString('latin1').replace(/^[\r\n]+|[\r\n]+$/g, ''), 'latin1');

async function readSecret(spec: VaultIdSpec, prompter: () => PasswordPrompter, confirm: boolean): Promise<VaultSecret> {
  if (spec.source === 'prompt') {
    const label = spec.label === DEFAULT_VAULT_ID ? '' : ` (${spec.label})`;
    const p = prompter();
    const password = (await p.ask(confirm ? `New vault password${label}: ` : `Vault password${label}: `)).trim();
    if (confirm && (await p.ask(`Confirm new vault password${label}: `)).trim() !== password) {
      throw new SwarmplayError('BAD_OPTION', 'the vault passwords do not match');
    }
    if (!password) throw new SwarmplayError('BAD_OPTION', `an empty vault password${label} was given`);
    return { id: spec.label, password: Buffer.from(password, 'utf8'), source: 'prompt' };
  }
  const path = resolve(spec.source.startsWith('~/') ? `${process.env.HOME ?? ''}${spec.source.slice(1)}` : spec.source);
  let executable: boolean;
  try {
    executable = await isExecutable(path);
  } catch {
    throw new SwarmplayError('BAD_OPTION', `the vault password file ${path} was not found`, {
      hint: 'give an existing file (its first line is the password), an executable script that prints it, or "prompt"',
    });
  }
  let password: Buffer;
  let source: string;
  if (executable) {
    const name = basename(path, extname(path));
    const client = name.endsWith('-client');
    password = stripEol(await runScript(path, client ? ['--vault-id', spec.label] : []));
    source = `script ${path}`;
  } else {
    password = stripEol(stripWhitespace(await readFile(path)));
    source = `file ${path}`;
  }
  if (password.length === 0) throw new SwarmplayError('BAD_OPTION', `the vault password from ${source} is empty`);
  return { id: spec.label, password, source };
}

/** Reads every password the options name (prompting once per prompt source). */
export async function loadVaultKeyring(input: VaultOptionsInput, makePrompter: () => PasswordPrompter = terminalPrompter): Promise<VaultKeyring> {
  let prompter: PasswordPrompter | undefined;
  const getPrompter = () => (prompter ??= makePrompter());
  const secrets: VaultSecret[] = [];
  try {
    for (const spec of vaultIdSpecs(input)) secrets.push(await readSecret(spec, getPrompter, Boolean(input.confirmPrompt)));
  } finally {
    prompter?.close();
  }
  return new VaultKeyring(secrets);
}
