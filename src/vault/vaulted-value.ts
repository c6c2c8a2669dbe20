/**
 * An inline `!vault |` value of a YAML file, kept encrypted until the run
 * needs it (Ansible decrypts these lazily too, so `inventory --list` shows
 * them as Ansible does: {"__ansible_vault": "<ciphertext>"}). This file holds
 * no crypto: YAML loaders tag values with it, and the keyring is loaded only
 * when one is met.
 */
import { visit, type Document, type LineCounter, type ScalarTag } from 'yaml';
import { SwarmplayError, type SourceLocation } from '../errors.js';
import type { VaultKeyring } from './keyring.js';

/**
 * How a loader treats vault data: decrypt it with the keyring (a run), or
 * keep inline values encrypted (`inventory --list`, as ansible-inventory).
 * No keyring: no password was given, and vault data is an error naming it.
 */
export interface VaultAccess {
  keyring?: VaultKeyring;
  keepInline?: boolean;
}

export const VAULT_HEADER_TEXT = '$ANSIBLE_VAULT';

/** The error for vault data met when no password was given (needs no crypto). */
export function noPasswordError(where: SourceLocation, what = 'this value', vaultId?: string): SwarmplayError {
  return new SwarmplayError('BAD_VAULT', `${what} is encrypted with ansible-vault, and no vault password was given`, {
    location: where,
    hint: vaultId
      ? `give the password of vault ID '${vaultId}': --vault-id ${vaultId}@FILE (or @prompt)`
      : 'give it with --ask-vault-pass, --vault-password-file FILE or --vault-id LABEL@SOURCE (or vault_password_file in ansible.cfg)',
  });
}

/**
 * A file's text, decrypted when it is a whole ansible-vault file. The
 * caller marks the values it reads from it as secrets (`encrypted`).
 */
export function decryptFileText(text: string, file: string, access: VaultAccess | undefined, what: string): { text: string; encrypted: boolean } {
  if (!text.trimStart().startsWith(VAULT_HEADER_TEXT)) return { text, encrypted: false };
  const where = { file, line: 1, column: 1 };
  if (!access?.keyring) throw noPasswordError(where, `${what} ${file}`, /^\S*;1\.2;[^;]*;(\S+)/.exec(text.trimStart())?.[1]);
  return { text: access.keyring.decrypt(text, where, `${what} ${file}`).toString('utf8'), encrypted: true };
}

/** Marks every string inside a value read from an encrypted file as a secret. */
export function revealStrings(value: unknown, keyring: VaultKeyring | undefined): void {
  if (!keyring) return;
  if (typeof value === 'string') keyring.reveal(value);
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => revealStrings(v, keyring));
}

/** Inline !vault values of a loaded value, as `access` says: decrypted in place, or kept. */
export function applyVaultAccess<T>(value: T, access: VaultAccess | undefined, fallback: SourceLocation): T {
  if (access?.keepInline || !holdsVaulted(value)) return value;
  if (!access?.keyring) {
    const first = findVaulted(value);
    throw noPasswordError(first?.location ?? fallback, 'this !vault value');
  }
  return revealVaulted(value, access.keyring, fallback) as T;
}

function findVaulted(value: unknown, seen = new Set<unknown>()): VaultedValue | undefined {
  if (value instanceof VaultedValue) return value;
  if (value === null || typeof value !== 'object' || seen.has(value)) return undefined;
  seen.add(value);
  for (const v of Object.values(value)) {
    const found = findVaulted(v, seen);
    if (found) return found;
  }
  return undefined;
}

export class VaultedValue {
  constructor(readonly ciphertext: string, public location?: SourceLocation) {}

  /** ansible-inventory's and Ansible's JSON form of an encrypted value. */
  toJSON(): { __ansible_vault: string } {
    return { __ansible_vault: this.ciphertext };
  }
}

/** The `!vault` tag for the yaml package's customTags. */
export const vaultTag: ScalarTag = {
  tag: '!vault',
  identify: (value) => value instanceof VaultedValue,
  resolve: (text) => new VaultedValue(text) as unknown as string,
  stringify: (item) => String((item.value as VaultedValue).ciphertext),
};

/** Records where each `!vault` value of a parsed document was written (for messages). */
export function locateVaultedValues(doc: Document, lines: LineCounter, file: string): void {
  if (!doc.contents) return;
  visit(doc, {
    Scalar(_, node) {
      if (node.value instanceof VaultedValue) {
        const pos = lines.linePos(node.range?.[0] ?? 0);
        node.value.location = { file, line: pos.line, column: pos.col };
      }
    },
  });
}

/** Whether a value holds a VaultedValue anywhere (plain objects and arrays are searched). */
export function holdsVaulted(value: unknown, seen = new Set<unknown>()): boolean {
  if (value instanceof VaultedValue) return true;
  if (value === null || typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  return Object.values(value as object).some((v) => holdsVaulted(v, seen));
}

/**
 * Replaces, in place, every VaultedValue inside plain objects and arrays with
 * its decrypted text (registered as a secret). Returns the value itself, or
 * the decrypted text when the value was a VaultedValue.
 */
export function revealVaulted(value: unknown, keyring: VaultKeyring, fallback: SourceLocation, seen = new Set<unknown>()): unknown {
  if (value instanceof VaultedValue) return keyring.decryptText(value.ciphertext, value.location ?? fallback, 'this !vault value');
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  seen.add(value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (item instanceof VaultedValue || (item !== null && typeof item === 'object')) record[key] = revealVaulted(item, keyring, fallback, seen);
  }
  return value;
}

/** Deep copy of plain data that keeps VaultedValue (and other class instances) as they are. */
export function cloneData<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => cloneData(v)) as T;
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneData(v);
    return out as T;
  }
  return value;
}
