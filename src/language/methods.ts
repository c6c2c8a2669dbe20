/**
 * What an expression may call: range(), lookup()/query() (lookups.ts), and the string, dict and
 * list methods Ansible users write (`x.split(',')`, `d.get('k', 0)`).
 * Nothing outside these tables can be called.
 */
import { runtimeError, type Scope } from './scope.js';
import { lookup, query } from './lookups.js';
import { BoundMethod, deepEqual, isPlainObject, readProperty, toText, tuple } from './values.js';

export const GLOBAL_FUNCTIONS: Record<string, (args: unknown[], scope: Scope, kwargs: Record<string, unknown>) => unknown> = {
  lookup: (args, scope, kwargs) => lookup(args, scope, kwargs),
  query: (args, scope, kwargs) => query(args, scope, kwargs),
  q: (args, scope, kwargs) => query(args, scope, kwargs),
  range(args, scope) {
    const nums = args.map((a) => { if (typeof a !== 'number' || !Number.isInteger(a)) throw runtimeError(scope, 'range() needs integers'); return a; });
    const [start, stop, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
    if (step === 0) throw runtimeError(scope, 'range() step cannot be zero');
    if (Math.abs((stop - start) / step) > 100_000) throw runtimeError(scope, 'range() too large');
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  },
};

type Method = (self: never, args: unknown[], scope: Scope) => unknown;

export const STRING_METHODS: Record<string, Method> = {
  split: (s: string, [sep, max]) => {
    if (sep === undefined || sep === null) return s.trim().split(/\s+/).filter((x) => x !== '');
    const separator = String(sep);
    const parts = s.split(separator);
    // Python's maxsplit: at most `max` cuts, the rest stays joined.
    if (typeof max === 'number' && max >= 0 && parts.length > max + 1) return [...parts.slice(0, max), parts.slice(max).join(separator)];
    return parts;
  },
  upper: (s: string) => s.toUpperCase(),
  lower: (s: string) => s.toLowerCase(),
  strip: (s: string, [chars]) => stripChars(s, chars, 'both'),
  lstrip: (s: string, [chars]) => stripChars(s, chars, 'start'),
  rstrip: (s: string, [chars]) => stripChars(s, chars, 'end'),
  startswith: (s: string, [prefix]) => s.startsWith(String(prefix)),
  endswith: (s: string, [suffix]) => s.endsWith(String(suffix)),
  replace: (s: string, [from, to]) => s.split(String(from)).join(String(to)),
  splitlines: (s: string) => s.split(/\r?\n/).filter((line, i, all) => !(i === all.length - 1 && line === '')),
  find: (s: string, [sub]) => s.indexOf(String(sub)),
  isdigit: (s: string) => /^[0-9]+$/.test(s),
  join: (s: string, [items]) => (Array.isArray(items) ? items.map(toText).join(s) : ''),
};

export const DICT_METHODS: Record<string, Method> = {
  keys: (d: Record<string, unknown>) => Object.keys(d),
  values: (d: Record<string, unknown>) => Object.values(d),
  items: (d: Record<string, unknown>) => Object.entries(d).map(tuple),
  get: (d: Record<string, unknown>, [key, dflt]) => { const r = readProperty(d, key); return r.found ? r.value : (dflt ?? null); },
};

export const LIST_METHODS: Record<string, Method> = {
  index: (l: unknown[], [item], scope) => { const i = l.findIndex((x) => deepEqual(x, item)); if (i < 0) throw runtimeError(scope, `${toText(item)} is not in the list`); return i; },
  count: (l: unknown[], [item]) => l.filter((x) => deepEqual(x, item)).length,
};

/**
 * Every public method Python's str, dict and list have (Python 3.11), callable or not here:
 * Jinja reads `d.keys` as getattr(d, 'keys') before d['keys'], so these names are
 * defined attributes of every such value whatever it holds.
 */
const PYTHON_METHOD_NAMES = {
  str: new Set(('capitalize casefold center count encode endswith expandtabs find format format_map index isalnum isalpha isascii '
    + 'isdecimal isdigit isidentifier islower isnumeric isprintable isspace istitle isupper join ljust lower lstrip maketrans '
    + 'partition removeprefix removesuffix replace rfind rindex rjust rpartition rsplit rstrip split splitlines startswith '
    + 'strip swapcase title translate upper zfill').split(' ')),
  dict: new Set('clear copy fromkeys get items keys pop popitem setdefault update values'.split(' ')),
  list: new Set('append clear copy count extend index insert pop remove reverse sort'.split(' ')),
};

/** The method `self.name` names, as Python's getattr finds it, or undefined when the value has no such method. */
export function methodOf(self: unknown, name: unknown, scope: Scope): BoundMethod | undefined {
  if (typeof name !== 'string') return undefined;
  const [kind, table] = typeof self === 'string' ? ['str', STRING_METHODS] as const
    : Array.isArray(self) ? ['list', LIST_METHODS] as const
      : isPlainObject(self) ? ['dict', DICT_METHODS] as const : [undefined, undefined];
  if (!kind || !PYTHON_METHOD_NAMES[kind].has(name)) return undefined;
  return new BoundMethod(name, kind, (args, kwargs) => {
    const method = Object.hasOwn(table, name) ? table[name] : undefined;
    if (!method) {
      throw runtimeError(scope, `the ${kind} method '${name}' is not supported in expressions`, `Supported ${kind} methods: ${Object.keys(table).join(', ')}.`);
    }
    if (Object.keys(kwargs).length > 0) throw runtimeError(scope, 'keyword arguments are only supported for filters, functions and macros');
    return method(self as never, args, scope);
  });
}

function stripChars(s: string, chars: unknown, side: 'both' | 'start' | 'end'): string {
  const set = chars === undefined || chars === null ? null : String(chars);
  const strip = (c: string) => (set === null ? /\s/.test(c) : set.includes(c));
  let start = 0;
  let end = s.length;
  if (side !== 'end') while (start < end && strip(s[start]!)) start++;
  if (side !== 'start') while (end > start && strip(s[end - 1]!)) end--;
  return s.slice(start, end);
}
