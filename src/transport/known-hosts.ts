/**
 * Host key checking against an OpenSSH known_hosts file. ssh2 accepts any
 * host key unless told otherwise, so this check is ours to write.
 *
 * Understood, as OpenSSH writes and reads them: plain host names, comma
 * lists, `[host]:port` for ports other than 22, wildcard (`*`, `?`) and
 * negated (`!host`) patterns, hashed entries `|1|salt|hmac-sha1`, comments
 * and blank lines. `@cert-authority` lines are skipped (we do not do host
 * certificates); a key listed under `@revoked` is refused.
 *
 * Policy (OpenSSH's StrictHostKeyChecking=accept-new by default): a known key
 * passes, an unknown host is recorded and accepted (refused in strict mode), a
 * changed key is always refused with both fingerprints and the command that
 * accepts the new key for that host only.
 *
 * forget() removes a host's entries (`swarmplay known-hosts forget`), as
 * `ssh-keygen -R` does, with two differences that keep it to that host: a
 * comma list naming other hosts too keeps the line for them, and wildcard
 * patterns and @revoked lines are left alone and reported.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SwarmplayError } from '../errors.js';

export type HostKeyVerdict =
  | 'match'
  | 'unknown'
  | { changed: string; file: string; line: number }
  | { revoked: string; file: string; line: number };

interface KnownHostsEntry {
  line: number;
  marker?: '@revoked' | '@cert-authority';
  /** The host field: a comma list of patterns, or one hashed `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  keyBlob: Buffer;
}

export interface KnownHostsOptions {
  /** Write newly accepted hosts hashed, like OpenSSH's HashKnownHosts yes. Default false: readable entries. */
  hashNewEntries?: boolean;
  /**
   * The command that accepts a changed key for one host (its inventory name),
   * named in the refusal. Default: OpenSSH's `ssh-keygen -R` on the file.
   */
  forgetCommand?: (host: string) => string;
}

/** One entry (or one name of a comma list) that forget() took out of the file. */
export interface ForgottenEntry {
  line: number;
  /** The host field as written: a name, a comma list, or `|1|...` for a hashed entry. */
  hosts: string;
  /** The name that matched it. */
  matched: string;
  keyType: string;
  fingerprint: string;
  /** A comma list naming other hosts as well: only `matched` left it, the line stays for the others. */
  partial?: boolean;
}

/** A line forget() matched but did not change, and why. */
export interface KeptEntry {
  line: number;
  hosts: string;
  reason: string;
}

export interface ForgetResult {
  file: string;
  removed: ForgottenEntry[];
  kept: KeptEntry[];
}

export function defaultKnownHostsPath(): string {
  return path.join(os.homedir(), '.ssh', 'known_hosts');
}

/** OpenSSH's fingerprint: "SHA256:" and the unpadded base64 of the key blob's SHA-256. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The name known_hosts files use for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(hostname: string, port: number): string {
  return port === 22 ? hostname : `[${hostname}]:${port}`;
}

/** The key type written inside an SSH public key blob ("ssh-ed25519", "ssh-rsa", ...). */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  if (keyBlob.length < 4) throw new Error('host key blob is too short');
  const length = keyBlob.readUInt32BE(0);
  if (length > keyBlob.length - 4) throw new Error('host key blob is malformed');
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

export class KnownHosts {
  readonly path: string;
  private readonly hashNewEntries: boolean;
  private readonly forgetCommand?: (host: string) => string;
  private entries: KnownHostsEntry[] | undefined;
  private lineCount = 0;

  constructor(filePath: string = defaultKnownHostsPath(), options: KnownHostsOptions = {}) {
    this.path = filePath;
    this.hashNewEntries = options.hashNewEntries ?? false;
    this.forgetCommand = options.forgetCommand;
  }

  /**
   * Checks a key the server offered against every entry naming one of
   * `hostnames` (each tried as `knownHostsName(name, port)`).
   */
  verify(hostnames: readonly string[], port: number, keyType: string, keyBlob: Buffer): HostKeyVerdict {
    const names = hostnames.map((name) => knownHostsName(name, port));
    let changed: HostKeyVerdict | undefined;
    for (const entry of this.load()) {
      if (entry.marker === '@cert-authority') continue;
      if (!names.some((name) => hostFieldMatches(entry.hosts, name))) continue;
      const sameKey = entry.keyBlob.equals(keyBlob);
      if (entry.marker === '@revoked') {
        if (sameKey) return { revoked: fingerprintSha256(keyBlob), file: this.path, line: entry.line };
        continue;
      }
      if (entry.keyType !== keyType) continue; // another key type of the same host says nothing about this one
      if (sameKey) return 'match';
      changed ??= { changed: fingerprintSha256(entry.keyBlob), file: this.path, line: entry.line };
    }
    return changed ?? 'unknown';
  }

  /** Key types already recorded for the host, so the handshake can prefer them (as OpenSSH does). */
  knownKeyTypes(hostnames: readonly string[], port: number): string[] {
    const names = hostnames.map((name) => knownHostsName(name, port));
    const types = new Set<string>();
    for (const entry of this.load()) {
      if (entry.marker) continue;
      if (names.some((name) => hostFieldMatches(entry.hosts, name))) types.add(entry.keyType);
    }
    return [...types];
  }

  /** Appends `name keytype base64` (creating ~/.ssh 0700 and the file 0600 when missing). */
  add(hostname: string, port: number, keyType: string, keyBlob: Buffer): void {
    const entries = this.load();
    const name = knownHostsName(hostname, port);
    const hosts = this.hashNewEntries ? hashHostName(name) : name;
    mkdirSync(path.dirname(this.path), { recursive: true, mode: 0o700 });
    let prefix = '';
    if (existsSync(this.path)) {
      const text = readFileSync(this.path, 'utf8');
      if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
    }
    appendFileSync(this.path, `${prefix}${hosts} ${keyType} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
    this.lineCount += 1;
    entries.push({ line: this.lineCount, hosts, keyType, keyBlob });
  }

  /**
   * verify(), then the policy: 'match' passes; 'unknown' is added and passes,
   * or in strict mode throws HOST_KEY_UNKNOWN; a changed or revoked key throws
   * HOST_KEY_CHANGED. `host` is the inventory name used in messages.
   */
  check(host: string, address: string, port: number, keyBlob: Buffer, strict: boolean): void {
    const keyType = keyTypeOfBlob(keyBlob);
    const verdict = this.verify([address], port, keyType, keyBlob);
    const offered = fingerprintSha256(keyBlob);
    const where = knownHostsName(address, port);
    if (verdict === 'match') return;
    if (verdict === 'unknown') {
      if (strict) {
        throw new SwarmplayError('HOST_KEY_UNKNOWN',
          `${host}: host key for ${where} is not known (${keyType} ${offered}) and strict host key checking is on`,
          { hint: `Check the fingerprint with the host's owner, then run: ssh-keyscan -p ${port} ${address} >> ${this.path}` });
      }
      this.add(address, port, keyType, keyBlob);
      return;
    }
    if ('revoked' in verdict) {
      throw new SwarmplayError('HOST_KEY_CHANGED',
        `${host}: host key for ${where} (${keyType} ${offered}) is marked @revoked in ${verdict.file}:${verdict.line}`,
        { hint: 'The host offers a key that was revoked: do not connect until its owner replaces it.' });
    }
    const accept = this.forgetCommand?.(host) ?? `ssh-keygen -R '${where}' -f ${verdict.file}`;
    throw new SwarmplayError('HOST_KEY_CHANGED',
      `${host}: HOST KEY CHANGED for ${where}: ${verdict.file}:${verdict.line} has ${verdict.changed}, the host offered ${keyType} ${offered}. ` +
      'Someone could be intercepting the connection (or the host was reinstalled).',
      { hint: `If the change is expected (check the new fingerprint with the host's console), forget the old key of ${host} only: ${accept}; the next run records the new one.` });
  }

  /**
   * Removes the entries naming any of `hostnames` (each as `knownHostsName(name, port)`),
   * hashed ones included, and rewrites the file in one rename (mode kept).
   * Nothing else in the file changes.
   */
  forget(hostnames: readonly string[], port: number): ForgetResult {
    const names = [...new Set(hostnames.map((name) => knownHostsName(name, port)))];
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const edit = forgetInText(text, names);
    if (edit.removed.length > 0) {
      const temp = `${this.path}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(temp, edit.text, { mode: statSync(this.path).mode & 0o777 });
      renameSync(temp, this.path);
      this.entries = undefined;
    }
    return { file: this.path, removed: edit.removed, kept: edit.kept };
  }

  private load(): KnownHostsEntry[] {
    if (this.entries) return this.entries;
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    this.lineCount = lines.length;
    this.entries = lines.flatMap((text, index) => {
      const entry = parseLine(text, index + 1);
      return entry ? [entry] : [];
    });
    return this.entries;
  }
}

/** forget() on the file's text: the new text, what left it and what matched but stayed. */
export function forgetInText(text: string, names: readonly string[]): { text: string; removed: ForgottenEntry[]; kept: KeptEntry[] } {
  const removed: ForgottenEntry[] = [];
  const kept: KeptEntry[] = [];
  const lines = text.split('\n');
  const out: string[] = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    const entry = parseLine(raw, line);
    const matched = entry && names.find((name) => hostFieldMatches(entry.hosts, name));
    if (!entry || !matched) {
      out.push(raw);
      return;
    }
    const described = { line, hosts: entry.hosts, matched, keyType: entry.keyType, fingerprint: fingerprintSha256(entry.keyBlob) };
    if (entry.marker) {
      kept.push({ line, hosts: entry.hosts, reason: `${entry.marker} line: a deliberate mark, edit it by hand if it must go` });
      out.push(raw);
      return;
    }
    if (entry.hosts.startsWith('|1|')) {
      removed.push(described);
      return;
    }
    const patterns = entry.hosts.split(',');
    const isOurs = (pattern: string) => names.some((name) => pattern.toLowerCase() === name.toLowerCase());
    const wildcards = patterns.filter((pattern) => !isOurs(pattern) && /[*?]/.test(pattern) && !pattern.startsWith('!'));
    const others = patterns.filter((pattern) => !isOurs(pattern));
    if (others.length === patterns.length) {
      // Matched only through a wildcard: the line stands for other hosts too.
      kept.push({ line, hosts: entry.hosts, reason: `matches through the pattern ${wildcards.join(',') || entry.hosts}, which names other hosts too: edit it by hand` });
      out.push(raw);
      return;
    }
    if (others.length === 0) {
      removed.push(described);
      return;
    }
    removed.push({ ...described, partial: true });
    out.push(raw.replace(entry.hosts, others.join(',')));
  });
  return { text: out.join('\n'), removed, kept };
}

function parseLine(text: string, line: number): KnownHostsEntry | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const fields = trimmed.split(/\s+/);
  let marker: KnownHostsEntry['marker'];
  if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostsEntry['marker'];
  else if (fields[0]?.startsWith('@')) return undefined; // a marker we do not know: ignore the line, as OpenSSH does
  const [hosts, keyType, base64] = fields;
  if (!hosts || !keyType || !base64) return undefined;
  const keyBlob = Buffer.from(base64, 'base64');
  if (keyBlob.length === 0) return undefined;
  return { line, marker, hosts, keyType, keyBlob };
}

/** OpenSSH's match_hostname(): a negated pattern that matches wins over everything. */
function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) return hashedMatches(field, name);
  let matched = false;
  for (const rawPattern of field.split(',')) {
    const negated = rawPattern.startsWith('!');
    const pattern = (negated ? rawPattern.slice(1) : rawPattern).toLowerCase();
    if (!globMatches(pattern, name.toLowerCase())) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

function hashHostName(name: string): string {
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
}

function globMatches(pattern: string, text: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === text;
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return regex.test(text);
}
