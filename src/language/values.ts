/**
 * Values as expressions see them: the plain data of YAML, variables and
 * registered results, plus UndefinedValue for a name that was missing.
 * readProperty is the only way an expression reads into a value (see
 * "Safety" in expressions.ts); the rest is Jinja's view of data: truthiness,
 * text, equality, type names for messages.
 */

// Undefined: a value that remembers which name was missing. It flows through
// `is defined` and `default`; anything else that touches it fails.

export class UndefinedValue {
  constructor(
    /** The path as written: `hostvars.docker01.init`. */
    readonly path: string,
    /** Why: "'x' is undefined" or "'x' has no attribute 'y'". */
    readonly reason: string,
  ) {}
}

export function isUndefined(value: unknown): value is UndefinedValue {
  return value instanceof UndefinedValue || value === undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export const FORBIDDEN_PROPERTIES = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

/**
 * The only way an expression reads into a value: own data of plain objects,
 * array and string indexes (negative from the end, as in Python). Anything
 * else is "no such attribute".
 */
export function readProperty(object: unknown, key: unknown): { found: true; value: unknown } | { found: false } {
  if (Array.isArray(object) || typeof object === 'string') {
    const index = typeof key === 'number' ? key : typeof key === 'string' && /^-?\d+$/.test(key) ? Number(key) : NaN;
    if (!Number.isInteger(index)) return { found: false };
    const at = index < 0 ? object.length + index : index;
    if (at < 0 || at >= object.length) return { found: false };
    return { found: true, value: object[at] };
  }
  if (object instanceof Map) {
    return object.has(key) ? { found: true, value: object.get(key) } : { found: false };
  }
  if (isPlainObject(object)) {
    const name = String(key);
    if (FORBIDDEN_PROPERTIES.has(name) || !Object.hasOwn(object, name)) return { found: false };
    const descriptor = Object.getOwnPropertyDescriptor(object, name);
    // A getter is how the runner may expose hostvars lazily; it is code the project wrote, not the playbook.
    return { found: true, value: descriptor && 'value' in descriptor ? descriptor.value : object[name] };
  }
  return { found: false };
}

export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (value instanceof UndefinedValue) return 'undefined';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'dict';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  return 'unsupported';
}

/** Python/Jinja truthiness, which Ansible's `when:` uses. */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

/** JSON with Python's separators (`{"a": 1, "b": [1, 2]}`): close to what Ansible users see, and still JSON. */
export function toDisplayJson(value: unknown): string {
  if (value instanceof Map) return toDisplayJson(Object.fromEntries(value));
  if (Array.isArray(value)) return `[${value.map(toDisplayJson).join(', ')}]`;
  if (isPlainObject(value)) {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${toDisplayJson(v)}`).join(', ')}}`;
  }
  if (value === undefined || value instanceof UndefinedValue) return 'null';
  return JSON.stringify(value) ?? 'null';
}

/** Jinja's str(): what `~` and the `string` filter produce. */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return toDisplayJson(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
