/**
 * Filters of ansible-core and its common collections that roles for this
 * field use beyond ansible-filters.ts: `extract` (with map, over hostvars),
 * `subelements`, and `password_hash` (for the user module), each as Ansible
 * computes it. Merged into FILTERS by filters.ts.
 */
import { createHash, randomInt } from 'node:crypto';
import { runtimeError, type Scope } from './scope.js';
import { asList, asString, type FilterDefinition } from './filters.js';
import { UndefinedValue, isPlainObject, isTruthy, readProperty, toText, tuple, typeName } from './values.js';

const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The byte triples SHA-crypt encodes its digest in, and the bytes left at the end (Drepper's specification). */
const SHA_CRYPT = {
  sha256: {
    prefix: '$5$', digest: 'sha256',
    groups: [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29], [-1, 31, 30]],
  },
  sha512: {
    prefix: '$6$', digest: 'sha512',
    groups: [[0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10],
      [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41], [-1, -1, 63]],
  },
} as const;

function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = block[i % block.length]!;
  return out;
}

/** SHA-256/512-crypt, what Python's crypt (and so Ansible's password_hash) makes: `$6$salt$...` or `$6$rounds=N$salt$...`. */
function shaCrypt(kind: keyof typeof SHA_CRYPT, password: string, salt: string, rounds: number | undefined): string {
  const { prefix, digest, groups } = SHA_CRYPT[kind];
  const hash = (...parts: Buffer[]) => createHash(digest).update(Buffer.concat(parts)).digest();
  const p = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt.slice(0, 16), 'utf8');
  const b = hash(p, s, p);
  const a = [p, s, repeatTo(b, p.length)];
  for (let n = p.length; n > 0; n >>= 1) a.push(n & 1 ? b : p);
  let c = hash(...a);
  const pBytes = repeatTo(hash(...Array(p.length).fill(p)), p.length);
  const sBytes = repeatTo(hash(...Array(16 + c[0]!).fill(s)), s.length);
  const count = rounds === undefined ? 5000 : Math.min(999_999_999, Math.max(1000, rounds));
  for (let i = 0; i < count; i++) {
    const parts = [i & 1 ? pBytes : c];
    if (i % 3) parts.push(sBytes);
    if (i % 7) parts.push(pBytes);
    parts.push(i & 1 ? c : pBytes);
    c = hash(...parts);
  }
  let encoded = '';
  for (const [x, y, z] of groups) {
    const byte = (i: number) => (i < 0 ? 0 : c[i]!);
    let w = (byte(x) << 16) | (byte(y) << 8) | byte(z);
    const chars = x >= 0 ? 4 : y >= 0 ? 3 : 2;
    for (let k = 0; k < chars; k++, w >>= 6) encoded += CRYPT_ALPHABET[w & 0x3f];
  }
  return `${prefix}${rounds === undefined ? '' : `rounds=${count}$`}${s.toString('utf8')}$${encoded}`;
}

function randomSalt(): string {
  return Array.from({ length: 16 }, () => CRYPT_ALPHABET[randomInt(CRYPT_ALPHABET.length)]).join('');
}

export const COLLECTION_FILTERS: Record<string, FilterDefinition> = {
  /** `key | extract(container, morekeys)`: container[key], then deeper (`map('extract', hostvars, 'ansible_host')`). */
  extract: {
    apply: (input, [container, morekeys], _k, scope) => {
      const keys = [input, ...(morekeys === undefined ? [] : Array.isArray(morekeys) ? morekeys : [morekeys])];
      let value: unknown = container;
      for (const key of keys) {
        const next = readProperty(value, key);
        if (!next.found) return new UndefinedValue(toText(key), `${typeName(value)} has no key ${JSON.stringify(key)}`);
        value = next.value;
      }
      if (value === container) throw runtimeError(scope, 'extract needs a container');
      return value;
    },
  },
  /** Ansible's subelements filter: (element, item) pairs; unlike with_subelements, the element keeps its list. */
  subelements: {
    apply: (input, [path], kwargs, scope) => {
      const elements = isPlainObject(input) ? Object.values(input) : asList(input, 'subelements', scope);
      const keys = Array.isArray(path) ? path.map(toText) : toText(path).split('.');
      const out: unknown[] = [];
      for (const element of elements) {
        let values: unknown = element;
        for (const key of keys) {
          const next = readProperty(values, key);
          if (next.found) { values = next.value; continue; }
          if (!isTruthy(kwargs.skip_missing)) throw runtimeError(scope, `subelements: could not find ${JSON.stringify(key)} in an element`, 'Pass skip_missing=True to skip such elements.');
          values = [];
          break;
        }
        if (!Array.isArray(values)) throw runtimeError(scope, `subelements: ${JSON.stringify(keys.join('.'))} must be a list, got ${typeName(values)}`);
        for (const value of values) out.push(tuple([element, value]));
      }
      return out;
    },
  },
  password_hash: {
    apply: (input, [scheme = 'sha512', salt, rounds], kwargs, scope) => {
      const kind = String(kwargs.hashtype ?? scheme).replace(/_crypt$/, '');
      if (kind !== 'sha512' && kind !== 'sha256') {
        throw runtimeError(scope, `password_hash: swarmplay makes sha512 and sha256 hashes, not '${kind}'`, "Use password_hash('sha512').");
      }
      const givenSalt = kwargs.salt ?? salt;
      const givenRounds = kwargs.rounds ?? rounds;
      if (givenSalt !== undefined && !/^[./0-9A-Za-z]+$/.test(toText(givenSalt))) {
        throw runtimeError(scope, 'password_hash: a salt holds only the characters ./0-9A-Za-z');
      }
      return shaCrypt(kind, asString(input, 'password_hash', scope), givenSalt === undefined ? randomSalt() : toText(givenSalt),
        givenRounds === undefined || givenRounds === null ? undefined : Number(givenRounds));
    },
  },
};
