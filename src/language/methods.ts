/**
 * What an expression may call: range(), lookup()/query() (lookups.ts), and the string, dict and
 * list methods Ansible users write (`x.split(',')`, `d.get('k', 0)`).
 * Nothing outside these tables can be called.
 */
import { runtimeError, type Scope } from './scope.js';
import { lookup, query } from './lookups.js';
import { deepEqual, readProperty, toText } from './values.js';

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
  items: (d: Record<string, unknown>) => Object.entries(d),
  get: (d: Record<string, unknown>, [key, dflt]) => { const r = readProperty(d, key); return r.found ? r.value : (dflt ?? null); },
};

export const LIST_METHODS: Record<string, Method> = {
  index: (l: unknown[], [item], scope) => { const i = l.findIndex((x) => deepEqual(x, item)); if (i < 0) throw runtimeError(scope, `${toText(item)} is not in the list`); return i; },
  count: (l: unknown[], [item]) => l.filter((x) => deepEqual(x, item)).length,
};

function stripChars(s: string, chars: unknown, side: 'both' | 'start' | 'end'): string {
  const set = chars === undefined || chars === null ? null : String(chars);
  const strip = (c: string) => (set === null ? /\s/.test(c) : set.includes(c));
  let start = 0;
  let end = s.length;
  if (side !== 'end') while (start < end && strip(s[start]!)) start++;
  if (side !== 'start') while (end > start && strip(s[end - 1]!)) end--;
  return s.slice(start, end);
}
