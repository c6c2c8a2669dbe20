/**
 * Filters (`x | default(1)`): the Jinja and Ansible ones playbooks use. Each
 * gets its input (possibly undefined only for `default` and `mandatory`),
 * its positional arguments and keyword arguments, all already evaluated.
 */
import { stringify as yamlStringify } from 'yaml';
import { SwarmplayError } from '../errors.js';
import { quote as shellQuote } from '../transport/shell-quote.js';
import { need, runtimeError, type Scope } from './scope.js';
import { binary, compareValues } from './operators.js';
import { STRING_METHODS } from './methods.js';
import { regexOf, runTest } from './tests.js';
import { ANSIBLE_FILTERS } from './ansible-filters.js';
import { COLLECTION_FILTERS } from './collection-filters.js';
import { IP_FILTERS } from './ip-filters.js';
import {
  FORBIDDEN_PROPERTIES, UndefinedValue, deepEqual, isPlainObject, isTruthy, isUndefined, readProperty, toText, typeName,
} from './values.js';

export interface FilterDefinition {
  acceptsUndefined?: boolean;
  apply(input: unknown, args: unknown[], kwargs: Record<string, unknown>, scope: Scope): unknown;
}

export function asList(value: unknown, filter: string, scope: Scope): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (isPlainObject(value)) return Object.keys(value);
  throw runtimeError(scope, `filter '${filter}' needs a list, got ${typeName(value)}`);
}

export function asString(value: unknown, filter: string, scope: Scope): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return toText(value);
  throw runtimeError(scope, `filter '${filter}' needs a string, got ${typeName(value)}`);
}

function toInteger(value: unknown, dflt: unknown, base: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : dflt;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const radix = typeof base === 'number' ? base : 10;
    const text = value.trim();
    if (radix === 10) {
      if (/^[+-]?\d+$/.test(text)) return parseInt(text, 10);
      if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Math.trunc(Number(text));
      return dflt;
    }
    const cleaned = radix === 16 ? text.replace(/^0x/i, '') : radix === 8 ? text.replace(/^0o/i, '') : radix === 2 ? text.replace(/^0b/i, '') : text;
    const n = parseInt(cleaned, radix);
    return Number.isNaN(n) ? dflt : n;
  }
  return dflt;
}

function toFloat(value: unknown, dflt: unknown): unknown {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) return Number(value);
  return dflt;
}

/** Ansible's `bool` filter: yes/on/1/true/y (any case) are true; everything else false. */
export function toBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1;
  if (typeof value === 'string') return ['yes', 'on', '1', 'true', 'y', 't'].includes(value.trim().toLowerCase());
  return false;
}

export function attributePath(value: unknown, attribute: string): unknown {
  let current = value;
  for (const part of attribute.split('.')) {
    const found = readProperty(current, part);
    if (!found.found) return new UndefinedValue(attribute, `an item has no attribute '${attribute}'`);
    current = found.value;
  }
  return current;
}

function sortKey(scope: Scope, attribute: unknown, caseSensitive: unknown) {
  return (item: unknown): unknown => {
    let v = typeof attribute === 'string' ? need(scope, attributePath(item, attribute)) : item;
    if (typeof v === 'string' && !caseSensitive) v = v.toLowerCase();
    return v;
  };
}

export const FILTERS: Record<string, FilterDefinition> = {
  default: {
    acceptsUndefined: true,
    apply: (input, [dflt = '', boolean = false]) => (isUndefined(input) || (boolean && !isTruthy(input)) ? dflt : input),
  },
  quote: { apply: (input, _a, _k, scope) => shellQuote(asString(input, 'quote', scope)) },
  join: {
    apply: (input, [sep = ''], _k, scope) => asList(input, 'join', scope).map((x) => (x === null ? '' : toText(x))).join(toText(sep)),
  },
  length: { apply: (input, _a, _k, scope) => (isPlainObject(input) ? Object.keys(input).length : asList(input, 'length', scope).length) },
  lower: { apply: (input, _a, _k, scope) => asString(input, 'lower', scope).toLowerCase() },
  upper: { apply: (input, _a, _k, scope) => asString(input, 'upper', scope).toUpperCase() },
  capitalize: { apply: (input, _a, _k, scope) => { const s = asString(input, 'capitalize', scope); return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(); } },
  int: { apply: (input, [dflt = 0, base = 10], kwargs) => toInteger(input, kwargs.default ?? dflt, kwargs.base ?? base) },
  float: { apply: (input, [dflt = 0], kwargs) => toFloat(input, kwargs.default ?? dflt) },
  bool: { apply: (input) => toBool(input) },
  string: { apply: (input) => toText(input) },
  to_json: { apply: (input) => JSON.stringify(input, null, 0) },
  to_nice_json: { apply: (input, [indent = 4]) => JSON.stringify(input, null, typeof indent === 'number' ? indent : 4) },
  from_json: {
    apply: (input, _a, _k, scope) => {
      try { return JSON.parse(asString(input, 'from_json', scope)); } catch (error) { throw runtimeError(scope, `from_json: ${(error as Error).message}`); }
    },
  },
  to_yaml: { apply: (input) => yamlStringify(input) },
  first: { apply: (input, _a, _k, scope) => { const l = asList(input, 'first', scope); return l.length ? l[0] : new UndefinedValue('first', "'first' of an empty list is undefined"); } },
  last: { apply: (input, _a, _k, scope) => { const l = asList(input, 'last', scope); return l.length ? l[l.length - 1] : new UndefinedValue('last', "'last' of an empty list is undefined"); } },
  unique: { apply: (input, _a, _k, scope) => asList(input, 'unique', scope).filter((x, i, all) => all.findIndex((y) => deepEqual(x, y)) === i) },
  sort: {
    apply: (input, [reverse = false, caseSensitive = false], kwargs, scope) => {
      const key = sortKey(scope, kwargs.attribute, kwargs.case_sensitive ?? caseSensitive);
      const sorted = [...asList(input, 'sort', scope)].sort((a, b) => compareValues(key(a), key(b), 'sort', scope));
      return (kwargs.reverse ?? reverse) ? sorted.reverse() : sorted;
    },
  },
  reverse: { apply: (input, _a, _k, scope) => (typeof input === 'string' ? [...input].reverse().join('') : [...asList(input, 'reverse', scope)].reverse()) },
  list: { apply: (input, _a, _k, scope) => [...asList(input, 'list', scope)] },
  map: {
    apply: (input, [filterName, ...rest], kwargs, scope) => {
      const items = asList(input, 'map', scope);
      if (typeof kwargs.attribute === 'string') {
        const attribute = kwargs.attribute;
        return items.map((item) => {
          const v = attributePath(item, attribute);
          return isUndefined(v) && Object.hasOwn(kwargs, 'default') ? kwargs.default : need(scope, v);
        });
      }
      if (typeof filterName !== 'string' || !Object.hasOwn(FILTERS, filterName) || filterName === 'map') {
        throw runtimeError(scope, "map needs a filter name or attribute='...'", "e.g. 'users | map(attribute=\"name\")' or 'names | map(\"upper\")'");
      }
      const filter = FILTERS[filterName]!;
      return items.map((item) => filter.apply(item, rest, {}, scope));
    },
  },
  select: { apply: (input, [test, ...args], _k, scope) => asList(input, 'select', scope).filter((x) => (test === undefined ? isTruthy(x) : runTest(test, x, args, scope))) },
  reject: { apply: (input, [test, ...args], _k, scope) => asList(input, 'reject', scope).filter((x) => !(test === undefined ? isTruthy(x) : runTest(test, x, args, scope))) },
  selectattr: {
    apply: (input, [attribute, test, ...args], _k, scope) => asList(input, 'selectattr', scope).filter((x) => {
      const v = attributePath(x, String(attribute));
      return test === undefined ? !isUndefined(v) && isTruthy(v) : runTest(test, v, args, scope);
    }),
  },
  rejectattr: {
    apply: (input, [attribute, test, ...args], _k, scope) => asList(input, 'rejectattr', scope).filter((x) => {
      const v = attributePath(x, String(attribute));
      return !(test === undefined ? !isUndefined(v) && isTruthy(v) : runTest(test, v, args, scope));
    }),
  },
  trim: { apply: (input, _a, _k, scope) => asString(input, 'trim', scope).trim() },
  replace: { apply: (input, [from, to], _k, scope) => asString(input, 'replace', scope).split(toText(from)).join(toText(to ?? '')) },
  regex_search: {
    apply: (input, [pattern], kwargs, scope) => {
      const match = regexOf(pattern, kwargs.ignorecase ? 'i' : '', scope).exec(asString(input, 'regex_search', scope));
      return match ? match[0] : null;
    },
  },
  regex_replace: {
    apply: (input, [pattern, replacement = ''], kwargs, scope) =>
      asString(input, 'regex_replace', scope).replace(regexOf(pattern, kwargs.ignorecase ? 'gi' : 'g', scope),
        // Python's \1 group references become JS's $1.
        toText(replacement).replace(/\$/g, '$$$$').replace(/\\(\d+)/g, '$$$1')),
  },
  split: { apply: (input, [sep], _k, scope) => STRING_METHODS.split!(asString(input, 'split', scope) as never, [sep], scope) },
  basename: { apply: (input, _a, _k, scope) => { const s = asString(input, 'basename', scope); return s.slice(s.lastIndexOf('/') + 1); } },
  dirname: {
    apply: (input, _a, _k, scope) => {
      const s = asString(input, 'dirname', scope);
      const at = s.lastIndexOf('/');
      if (at < 0) return '';
      return at === 0 ? '/' : s.slice(0, at).replace(/\/+$/, '') || '/';
    },
  },
  min: { apply: (input, _a, _k, scope) => { const l = asList(input, 'min', scope); return l.length ? l.reduce((a, b) => (compareValues(a, b, 'min', scope) <= 0 ? a : b)) : null; } },
  max: { apply: (input, _a, _k, scope) => { const l = asList(input, 'max', scope); return l.length ? l.reduce((a, b) => (compareValues(a, b, 'max', scope) >= 0 ? a : b)) : null; } },
  sum: { apply: (input, [start = 0], _k, scope) => asList(input, 'sum', scope).reduce((a, b) => binary('+', a, b, scope), start) },
  abs: { apply: (input, _a, _k, scope) => { if (typeof input !== 'number') throw runtimeError(scope, `filter 'abs' needs a number, got ${typeName(input)}`); return Math.abs(input); } },
  round: {
    apply: (input, [precision = 0], _k, scope) => {
      if (typeof input !== 'number') throw runtimeError(scope, `filter 'round' needs a number, got ${typeName(input)}`);
      const factor = 10 ** Number(precision);
      return Math.round(input * factor) / factor;
    },
  },
  combine: {
    apply: (input, dicts, kwargs, scope) => {
      const merge = (a: unknown, b: unknown): unknown => {
        if (!kwargs.recursive || !isPlainObject(a) || !isPlainObject(b)) return b;
        const out: Record<string, unknown> = { ...a };
        for (const [k, v] of Object.entries(b)) out[k] = Object.hasOwn(out, k) ? merge(out[k], v) : v;
        return out;
      };
      let result: Record<string, unknown> = {};
      for (const d of [input, ...dicts]) {
        if (!isPlainObject(d)) throw runtimeError(scope, `filter 'combine' needs dicts, got ${typeName(d)}`);
        result = kwargs.recursive ? merge(result, d) as Record<string, unknown> : { ...result, ...d };
      }
      return result;
    },
  },
  dict2items: {
    apply: (input, _a, _k, scope) => {
      if (!isPlainObject(input)) throw runtimeError(scope, `filter 'dict2items' needs a dict, got ${typeName(input)}`);
      return Object.entries(input).map(([key, value]) => ({ key, value }));
    },
  },
  items2dict: {
    apply: (input, _a, _k, scope) => {
      const out: Record<string, unknown> = {};
      for (const item of asList(input, 'items2dict', scope)) {
        const key = need(scope, attributePath(item, 'key'));
        if (FORBIDDEN_PROPERTIES.has(String(key))) throw runtimeError(scope, `'${String(key)}' cannot be a dict key`);
        out[String(key)] = need(scope, attributePath(item, 'value'));
      }
      return out;
    },
  },
  b64encode: { apply: (input, _a, _k, scope) => Buffer.from(asString(input, 'b64encode', scope), 'utf8').toString('base64') },
  b64decode: { apply: (input, _a, _k, scope) => Buffer.from(asString(input, 'b64decode', scope), 'base64').toString('utf8') },
  flatten: {
    apply: (input, [levels], _k, scope) => asList(input, 'flatten', scope).flat(typeof levels === 'number' ? levels : Infinity),
  },
  mandatory: {
    acceptsUndefined: true,
    apply: (input, [message], _k, scope) => {
      if (isUndefined(input)) {
        throw new SwarmplayError('UNDEFINED_VARIABLE', typeof message === 'string' ? message : `${input instanceof UndefinedValue ? input.reason : 'a value is undefined'} (mandatory)`, { location: scope.location });
      }
      return input;
    },
  },
};
Object.assign(FILTERS, ANSIBLE_FILTERS, COLLECTION_FILTERS, IP_FILTERS);
FILTERS.d = FILTERS.default!;
FILTERS.count = FILTERS.length!;
