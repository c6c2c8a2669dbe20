/**
 * The lookups that only reshape lists, as Ansible's lookup plugins of the
 * same names do: they are what the `with_<name>` loops call (`with_dict: x`
 * is `loop: "{{ query('dict', x) }}"`), and templates may call them too.
 * Each takes the already templated terms (a list) and gives the items.
 */
import { runtimeError, type Scope } from './scope.js';
import { printf } from './python-format.js';
import { isPlainObject, isTruthy, toText, tuple, typeName } from './values.js';

export type ListLookup = (terms: unknown[], kwargs: Record<string, unknown>, scope: Scope) => unknown[];

/** One level of flattening, as Ansible's `_flatten` (items, nested, together). */
function flattenOnce(values: unknown[]): unknown[] {
  return values.flatMap((value) => (Array.isArray(value) ? value : [value]));
}

function listTerm(scope: Scope, what: string, value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  throw runtimeError(scope, `with_${what} needs lists, got ${typeName(value)}`, `Give each term as a list, e.g. 'with_${what}: [[a, b], [1, 2]]'.`);
}

/** Ansible's sequence: `start=1 end=5 stride=1 format=%d`, `count=3`, or the short form `[start-]end[/stride][:format]`. */
function sequence(scope: Scope, term: string): string[] {
  const spec: Record<string, string> = {};
  const text = term.trim();
  if (/^[a-z_]+=/.test(text)) {
    for (const pair of text.split(/\s+/)) {
      const [key, ...rest] = pair.split('=');
      if (!key || !['start', 'end', 'count', 'stride', 'format'].includes(key)) {
        throw runtimeError(scope, `with_sequence: unknown setting '${pair}'`, 'It takes start, end (or count), stride and format.');
      }
      spec[key] = rest.join('=');
    }
  } else {
    const short = /^(?:(-?(?:0x)?[0-9a-f]+)-)?(-?(?:0x)?[0-9a-f]+)(?:\/(-?(?:0x)?[0-9a-f]+))?(?::(.+))?$/i.exec(text);
    if (!short) throw runtimeError(scope, `with_sequence: cannot read '${term}'`, "Write 'start=1 end=5' or the short form '1-5'.");
    if (short[1] !== undefined) spec.start = short[1];
    spec.end = short[2]!;
    if (short[3] !== undefined) spec.stride = short[3];
    if (short[4] !== undefined) spec.format = short[4];
  }
  const number = (key: string, fallback: number): number => {
    if (spec[key] === undefined) return fallback;
    const n = Number(spec[key]);
    if (!Number.isInteger(n)) throw runtimeError(scope, `with_sequence: ${key} must be a whole number, got '${spec[key]}'`);
    return n;
  };
  const start = number('start', 1);
  let stride = number('stride', 1);
  let end: number;
  if (spec.count !== undefined) {
    if (spec.end !== undefined) throw runtimeError(scope, "with_sequence: give 'end' or 'count', not both");
    const count = number('count', 0);
    if (count === 0) return [];
    end = start + (count - 1) * stride;
  } else if (spec.end !== undefined) {
    end = number('end', 0);
  } else {
    throw runtimeError(scope, "with_sequence: 'end' or 'count' is required");
  }
  if (stride === 0) return [];
  if ((stride > 0 && end < start) || (stride < 0 && end > start)) {
    throw runtimeError(scope, 'with_sequence: to count down, give a negative stride');
  }
  const format = spec.format ?? '%d';
  const out: string[] = [];
  for (let n = start; stride > 0 ? n <= end : n >= end; n += stride) out.push(printf(format, n, scope));
  return out;
}

function subelements(terms: unknown[], kwargs: Record<string, unknown>, scope: Scope): unknown[] {
  const [source, key, flags] = terms;
  if (typeof key !== 'string') throw runtimeError(scope, 'with_subelements: the second term must be the name of a list inside each element');
  const skipMissing = isTruthy(kwargs.skip_missing) || (isPlainObject(flags) && isTruthy(flags.skip_missing));
  const elements = isPlainObject(source) ? Object.values(source) : Array.isArray(source) ? source : undefined;
  if (!elements) throw runtimeError(scope, `with_subelements: the first term must be a list or a mapping, got ${typeName(source)}`);
  const path = key.split('.');
  const out: unknown[] = [];
  for (const element of elements) {
    if (!isPlainObject(element)) throw runtimeError(scope, `with_subelements: each element must be a mapping, got ${typeName(element)}`);
    if (element.skipped === true) continue;
    // The outer item comes without the list it was split by, as in Ansible (the plugin pops it).
    const outer: Record<string, unknown> = { ...element };
    let holder: Record<string, unknown> = outer;
    let sublist: unknown = undefined;
    let missing = false;
    for (const [index, name] of path.entries()) {
      if (!Object.hasOwn(holder, name)) { missing = true; break; }
      if (index < path.length - 1) {
        const next = holder[name];
        if (!isPlainObject(next)) throw runtimeError(scope, `with_subelements: '${path.slice(0, index + 1).join('.')}' is not a mapping`);
        holder = holder[name] = { ...next };
      } else {
        sublist = holder[name];
        delete holder[name];
      }
    }
    if (missing) {
      if (skipMissing) continue;
      throw runtimeError(scope, `with_subelements: an element has no '${key}'`, "Pass {skip_missing: true} as the third term to skip such elements.");
    }
    if (!Array.isArray(sublist)) throw runtimeError(scope, `with_subelements: '${key}' must be a list, got ${typeName(sublist)}`);
    for (const inner of sublist) out.push(tuple([outer, inner]));
  }
  return out;
}

export const LIST_LOOKUPS: Record<string, ListLookup> = {
  items: (terms) => flattenOnce(terms),
  flattened: (terms) => terms.flat(Infinity),
  list: (terms) => terms,
  indexed_items: (terms) => flattenOnce(terms).map((item, index) => tuple([index, item])),
  random_choice: (terms) => (terms.length ? [terms[Math.floor(Math.random() * terms.length)]] : []),
  dict(terms, _kwargs, scope) {
    return terms.flatMap((term) => {
      if (!isPlainObject(term)) throw runtimeError(scope, `with_dict expects a mapping, got ${typeName(term)}`, "Give it a mapping: 'with_dict: \"{{ users }}\"' where users is key: value pairs.");
      return Object.entries(term).map(([key, value]) => ({ key, value }));
    });
  },
  nested(terms, _kwargs, scope) {
    if (terms.length === 0) throw runtimeError(scope, 'with_nested needs at least one list');
    const lists = terms.map((term) => listTerm(scope, 'nested', term));
    let combos: unknown[][] = lists[0]!.map((x) => [x]);
    for (const next of lists.slice(1)) combos = combos.flatMap((combo) => next.map((y) => [...combo, y]));
    return combos.map(flattenOnce);
  },
  together(terms, _kwargs, scope) {
    if (terms.length === 0) throw runtimeError(scope, 'with_together needs at least one list');
    const lists = terms.map((term) => listTerm(scope, 'together', term));
    const length = Math.max(...lists.map((l) => l.length));
    return Array.from({ length }, (_, i) => flattenOnce(lists.map((l) => (i < l.length ? l[i] : null))));
  },
  sequence: (terms, _kwargs, scope) => terms.flatMap((term) => sequence(scope, toText(term))),
  subelements,
};
