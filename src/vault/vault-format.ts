/**
 * ansible-vault's file format, read and written with Node's own crypto so
 * nobody needs Python to manage secrets (ansible-core 2.14,
 * lib/ansible/parsing/vault, cipher AES256):
 *
 *   $ANSIBLE_VAULT;1.1;AES256            (1.2 adds ";LABEL", the vault ID)
 *   hex(hex(salt) "\n" hex(hmac) "\n" hex(ciphertext)), in lines of 80
 *
 * Keys: PBKDF2-HMAC-SHA256(password, 32-byte salt, 10000 rounds, 80 bytes)
 * = AES key (32) | HMAC key (32) | counter (16). The plaintext is
 * PKCS#7-padded to 16 bytes and encrypted with AES-256-CTR; the HMAC-SHA256
 * of the ciphertext is checked (in constant time) before decrypting, so a
 * wrong password is told apart from a damaged file.
 */
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const VAULT_HEADER = '$ANSIBLE_VAULT';
const CIPHER = 'AES256';
const KEY_LENGTH = 32;
const IV_LENGTH = 16;
const ITERATIONS = 10000;
const BLOCK = 16;

export function isVaultText(text: string | Buffer): boolean {
  return (typeof text === 'string' ? text.trimStart() : text.toString('latin1').trimStart()).startsWith(VAULT_HEADER);
}

export interface VaultEnvelope {
  version: string;
  cipher: string;
  /** The label of a 1.2 envelope; undefined for 1.1 (Ansible then says "default"). */
  vaultId?: string;
  /** The hex payload, line breaks removed. */
  payload: string;
}

/** A damaged envelope or payload (not a wrong password). */
export class VaultFormatError extends Error {}
/** The HMAC does not match: this password did not encrypt it. */
export class VaultPasswordMismatch extends Error {}

export function parseEnvelope(text: string): VaultEnvelope {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0]!.trim().split(';');
  if (header[0] !== VAULT_HEADER || header.length < 3) throw new VaultFormatError(`the first line must be "${VAULT_HEADER};1.1;AES256"`);
  const envelope: VaultEnvelope = { version: header[1]!.trim(), cipher: header[2]!.trim(), payload: lines.slice(1).map((l) => l.trim()).join('') };
  if (header.length >= 4 && header[3]!.trim()) envelope.vaultId = header[3]!.trim();
  if (envelope.cipher !== CIPHER) throw new VaultFormatError(`cipher ${envelope.cipher} is not supported (ansible-vault writes AES256)`);
  return envelope;
}

function unhex(text: string, what: string): Buffer {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new VaultFormatError(`the ${what} is not hexadecimal`);
  return Buffer.from(text, 'hex');
}

function deriveKeys(password: Buffer, salt: Buffer): { aesKey: Buffer; hmacKey: Buffer; iv: Buffer } {
  const derived = pbkdf2Sync(password, salt, ITERATIONS, 2 * KEY_LENGTH + IV_LENGTH, 'sha256');
  return { aesKey: derived.subarray(0, KEY_LENGTH), hmacKey: derived.subarray(KEY_LENGTH, 2 * KEY_LENGTH), iv: derived.subarray(2 * KEY_LENGTH) };
}

/**
 * Decrypts an envelope's payload with one password. Throws
 * VaultPasswordMismatch for a wrong password, VaultFormatError for damage.
 */
export function decryptPayload(payload: string, password: Buffer): Buffer {
  const inner = unhex(payload, 'vault payload').toString('latin1').split('\n');
  if (inner.length < 3) throw new VaultFormatError('the vault payload must hold salt, HMAC and ciphertext');
  const salt = unhex(inner[0]!, 'salt');
  const hmac = unhex(inner[1]!, 'HMAC');
  const ciphertext = unhex(inner.slice(2).join('\n'), 'ciphertext');
  const { aesKey, hmacKey, iv } = deriveKeys(password, salt);
  const expected = createHmac('sha256', hmacKey).update(ciphertext).digest();
  if (hmac.length !== expected.length || !timingSafeEqual(hmac, expected)) throw new VaultPasswordMismatch('HMAC verification failed');
  const decipher = createDecipheriv('aes-256-ctr', aesKey, iv);
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  const pad = padded[padded.length - 1];
  if (pad === undefined || pad < 1 || pad > BLOCK || padded.subarray(padded.length - pad).some((b) => b !== pad)) {
    throw new VaultFormatError('the decrypted data has no valid padding');
  }
  return padded.subarray(0, padded.length - pad);
}

/** Encrypts as ansible-vault does: 1.1 without a label (or "default"), else 1.2 with it. */
export function encryptVaultText(plaintext: Buffer, password: Buffer, vaultId?: string, salt: Buffer = randomBytes(32)): string {
  const { aesKey, hmacKey, iv } = deriveKeys(password, salt);
  const pad = BLOCK - (plaintext.length % BLOCK);
  const padded = Buffer.concat([plaintext, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-ctr', aesKey, iv);
  const ciphertext = Buffer.concat([cipher.update(padded), cipher.final()]);
  const hmac = createHmac('sha256', hmacKey).update(ciphertext).digest();
  const inner = [salt.toString('hex'), hmac.toString('hex'), ciphertext.toString('hex')].join('\n');
  const payload = Buffer.from(inner, 'latin1').toString('hex');
  const labelled = vaultId !== undefined && vaultId !== '' && vaultId !== 'default';
  const header = labelled ? `${VAULT_HEADER};1.2;${CIPHER};${vaultId}` : `${VAULT_HEADER};1.1;${CIPHER}`;
  const lines = [header];
  for (let i = 0; i < payload.length; i += 80) lines.push(payload.slice(i, i + 80));
  return `${lines.join('\n')}\n`;
}
