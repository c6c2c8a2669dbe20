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

/**
 * A macro or `loop.cycle`: something a template defined that an expression
 * may call. Its body is template text, never JavaScript from the playbook.
 */
export class CallableValue {
  constructor(readonly name: string, readonly invoke: (args: unknown[], kwargs: Record<string, unknown>) => unknown) {}
}

/** A method read from a string, list or dict (`d.keys`): defined and callable, as Python's bound method is. */
export class BoundMethod extends CallableValue {
  constructor(name: string, readonly ownerType: 'str' | 'dict' | 'list', invoke: CallableValue['invoke']) {
    super(name, invoke);
  }
}

/**
 * Lists that Python would hold as tuples (`(1, 2)`, zip, dict items): the
 * same list to every operation, printed `(1, 2)` as Jinja prints a tuple.
 */
const TUPLES = new WeakSet<object>();

export function tuple<T extends unknown[]>(items: T): T {
  TUPLES.add(items);
  return items;
}

/**
 * What `omit` reads as: a module argument (or list item) rendered to exactly
 * this is left out, as Ansible leaves it out.
 */
export const OMIT_TOKEN = '__omit_place_holder__swarmplay';

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
  if (value instanceof BoundMethod) return 'method';
  if (value instanceof CallableValue) return 'macro';
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

/** Python's str() of a number: `1e-05`, `1e+16`, `inf`, as Jinja prints them. */
export function numberText(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return BigInt(value).toString();
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return String(value);
}

/** Python's repr() of a string: the quote it picks, and its escapes. */
export function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && /[\p{C}\p{Z}]/u.test(ch)) {
      const code = ch.codePointAt(0)!;
      out += code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : code < 0x10000 ? `\\u${code.toString(16).padStart(4, '0')}` : `\\U${code.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
}

/** Python's repr(): how Jinja prints a list or mapping inside text (`['a', 1, None]`, `{'k': True}`). */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined || value instanceof UndefinedValue) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return stringRepr(value);
  if (typeof value === 'number') return numberText(value);
  if (value instanceof Map) return pythonRepr(Object.fromEntries(value));
  if (Array.isArray(value) && TUPLES.has(value)) return value.length === 1 ? `(${pythonRepr(value[0])},)` : `(${value.map(pythonRepr).join(', ')})`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (isPlainObject(value)) return `{${Object.entries(value).map(([k, v]) => `${stringRepr(k)}: ${pythonRepr(v)}`).join(', ')}}`;
  // Python adds ' at 0x...', an address that means nothing here.
  if (value instanceof BoundMethod) return `<built-in method ${value.name} of ${value.ownerType} object>`;
  if (value instanceof CallableValue) return `<Macro '${value.name}'>`;
  return stringRepr(String(value));
}

/** Jinja's str(): what `~` and the `string` filter produce. */
export function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  return pythonRepr(value);
}

/** How a value reads inside a larger string, as Ansible renders it (none is empty, booleans True/False). */
export function toTemplateText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return toText(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Python's bool is an int: True == 1, False == 0.
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b;
  if (typeof a === 'number' && typeof b === 'boolean') return a === Number(b);
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
