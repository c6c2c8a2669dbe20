/**
 * The filters ansible-core adds to Jinja's (ansible/plugins/filter/core.py,
 * mathstuff.py), and Jinja built-ins whose exact output matters in
 * templates, each with Python's semantics as the differential test
 * (test/language/jinja-differential.test.ts) checks them against Ansible.
 * Merged into FILTERS by filters.ts.
 */
import { createHash } from 'node:crypto';
import { parse as yamlParse } from 'yaml';
import { need, runtimeError, type Scope } from './scope.js';
import { asList, asString, attributePath, type FilterDefinition } from './filters.js';
import { printf } from './python-format.js';
import { pythonJson, pythonYaml } from './python-data.js';
import { pythonRegex, pythonReplacement } from './tests.js';
import { FORBIDDEN_PROPERTIES, deepEqual, isPlainObject, isTruthy, isUndefined, toText, typeName } from './values.js';

const uniqueOf = (items: unknown[]): unknown[] => items.filter((x, i, all) => all.findIndex((y) => deepEqual(x, y)) === i);
const has = (items: unknown[], item: unknown): boolean => items.some((y) => deepEqual(item, y));

function asMapping(value: unknown, filter: string, scope: Scope): Record<string, unknown> {
  if (!isPlainObject(value)) throw runtimeError(scope, `filter '${filter}' needs a mapping, got ${typeName(value)}`);
  return value;
}

/** Python's str.splitlines separators. */
const LINE_BREAK = /\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/;

function flattenList(items: unknown[], levels: number | null, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const item of items) {
    if (skipNulls && (item === null || item === 'None' || item === 'null')) continue;
    if (Array.isArray(item) && (levels === null || levels >= 1)) out.push(...flattenList(item, levels === null ? null : levels - 1, skipNulls));
    else out.push(item);
  }
  return out;
}

type ListMerge = 'replace' | 'keep' | 'append' | 'prepend' | 'append_rp' | 'prepend_rp';

function mergeDicts(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: ListMerge): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (FORBIDDEN_PROPERTIES.has(key)) continue;
    const old = out[key];
    if (!Object.hasOwn(out, key)) out[key] = value;
    else if (recursive && isPlainObject(old) && isPlainObject(value)) out[key] = mergeDicts(old, value, recursive, listMerge);
    else if (Array.isArray(old) && Array.isArray(value)) {
      out[key] = listMerge === 'keep' ? old : listMerge === 'append' ? [...old, ...value] : listMerge === 'prepend' ? [...value, ...old]
        : listMerge === 'append_rp' ? [...old.filter((x) => !has(value, x)), ...value]
          : listMerge === 'prepend_rp' ? [...value, ...old.filter((x) => !has(value, x))] : value;
    } else out[key] = value;
  }
  return out;
}

/** LooseVersion's parts: numbers as numbers, letters as text. */
function looseParts(text: string): (number | string)[] {
  return (text.match(/\d+|[a-z]+/gi) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

export function compareVersions(a: string, b: string): number {
  const x = looseParts(a);
  const y = looseParts(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p === q) continue;
    if (typeof p === typeof q) return p < q ? -1 : 1;
    return typeof p === 'number' ? -1 : 1;
  }
  return x.length - y.length;
}

function pathSplitext(path: string): [string, string] {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  // Leading dots belong to the name (`.bashrc` has no extension).
  if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return [path, ''];
  const cut = path.length - base.length + dot;
  return [path.slice(0, cut), path.slice(cut)];
}

function shlexQuote(text: string): string {
  if (text === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'"'"'`)}'`;
}

function centre(text: string, width: number): string {
  const margin = width - text.length;
  if (margin <= 0) return text;
  const left = Math.floor(margin / 2) + (margin & width & 1);
  return ' '.repeat(left) + text + ' '.repeat(margin - left);
}

function hashOf(text: string, algorithm: unknown, scope: Scope): string {
  const name = String(algorithm ?? 'sha1');
  if (!['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'].includes(name)) throw runtimeError(scope, `hash: unsupported algorithm '${name}'`, 'Use md5, sha1, sha224, sha256, sha384 or sha512.');
  return createHash(name).update(text, 'utf8').digest('hex');
}

function regexFlags(kwargs: Record<string, unknown>, global: boolean): string {
  return `${global ? 'g' : ''}${kwargs.ignorecase ? 'i' : ''}${kwargs.multiline ? 'm' : ''}u`;
}

export const ANSIBLE_FILTERS: Record<string, FilterDefinition> = {
  ternary: {
    apply: (input, [whenTrue, whenFalse, whenNone]) => (input === null && whenNone !== undefined ? whenNone : isTruthy(input) ? whenTrue : whenFalse),
  },
  bool: {
    apply: (input) => {
      if (input === null || typeof input === 'boolean') return input;
      const v = typeof input === 'string' ? input.toLowerCase() : input;
      return v === 'yes' || v === 'on' || v === '1' || v === 'true' || v === 1;
    },
  },
  title: {
    apply: (input, _a, _k, scope) => asString(input, 'title', scope).split(/([-\s({[<]+)/u)
      .filter((item) => item !== '').map((item) => item.charAt(0).toUpperCase() + item.slice(1).toLowerCase()).join(''),
  },
  join: {
    apply: (input, [sep = ''], kwargs, scope) => {
      let items = asList(input, 'join', scope);
      if (typeof kwargs.attribute === 'string') items = items.map((x) => need(scope, attributePath(x, kwargs.attribute as string)));
      return items.map(toText).join(toText(kwargs.d ?? sep));
    },
  },
  replace: {
    apply: (input, [from, to, count], _k, scope) => {
      const parts = asString(input, 'replace', scope).split(toText(from));
      const n = typeof count === 'number' && count >= 0 ? count : parts.length;
      return parts.slice(0, n + 1).join(toText(to ?? '')) + (parts.length > n + 1 ? toText(from) + parts.slice(n + 1).join(toText(from)) : '');
    },
  },
  regex_replace: {
    apply: (input, [pattern, replacement = '', ignorecase, multiline, count], kwargs, scope) => {
      const flags = regexFlags({ ignorecase: kwargs.ignorecase ?? ignorecase, multiline: kwargs.multiline ?? multiline }, true);
      const re = pythonRegex(pattern, flags, scope);
      const limit = Number(kwargs.count ?? count ?? 0);
      let done = 0;
      const repl = pythonReplacement(toText(replacement));
      return asString(input, 'regex_replace', scope).replace(re, (...match) => {
        if (limit > 0 && done >= limit) return match[0] as string;
        done++;
        return repl(match);
      });
    },
  },
  regex_search: {
    apply: (input, [pattern, ...groups], kwargs, scope) => {
      const match = pythonRegex(pattern, regexFlags(kwargs, false), scope).exec(asString(input, 'regex_search', scope));
      if (!match) return null;
      if (groups.length === 0) return match[0];
      return groups.map((g) => {
        const ref = /^\\(\d+)$/.exec(String(g)) ?? /^\\g<(\w+)>$/.exec(String(g));
        if (!ref) throw runtimeError(scope, `regex_search: unknown group reference '${String(g)}'`, "Write '\\\\1' or '\\\\g<name>'.");
        return /^\d+$/.test(ref[1]!) ? match[Number(ref[1])] ?? null : match.groups?.[ref[1]!] ?? null;
      });
    },
  },
  regex_findall: {
    apply: (input, [pattern, multiline, ignorecase], kwargs, scope) => {
      const re = pythonRegex(pattern, regexFlags({ ignorecase: kwargs.ignorecase ?? ignorecase, multiline: kwargs.multiline ?? multiline }, true), scope);
      return [...asString(input, 'regex_findall', scope).matchAll(re)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? m[1] ?? '' : m.slice(1).map((g) => g ?? '')));
    },
  },
  regex_escape: { apply: (input, _a, _k, scope) => asString(input, 'regex_escape', scope).replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`) },
  union: { apply: (input, [other], _k, scope) => uniqueOf([...asList(input, 'union', scope), ...asList(other, 'union', scope)]) },
  intersect: { apply: (input, [other], _k, scope) => { const b = asList(other, 'intersect', scope); return uniqueOf(asList(input, 'intersect', scope).filter((x) => has(b, x))); } },
  difference: { apply: (input, [other], _k, scope) => { const b = asList(other, 'difference', scope); return uniqueOf(asList(input, 'difference', scope).filter((x) => !has(b, x))); } },
  symmetric_difference: {
    apply: (input, [other], _k, scope) => {
      const a = asList(input, 'symmetric_difference', scope);
      const b = asList(other, 'symmetric_difference', scope);
      return uniqueOf([...a, ...b]).filter((x) => !(has(a, x) && has(b, x)));
    },
  },
  flatten: {
    apply: (input, [levels = null, skipNulls = true], kwargs, scope) =>
      flattenList(asList(input, 'flatten', scope), (kwargs.levels ?? levels) as number | null, isTruthy(kwargs.skip_nulls ?? skipNulls)),
  },
  zip: {
    apply: (input, others, _k, scope) => {
      const lists = [input, ...others].map((l) => asList(l, 'zip', scope));
      const n = Math.min(...lists.map((l) => l.length));
      return Array.from({ length: n }, (_, i) => lists.map((l) => l[i]));
    },
  },
  zip_longest: {
    apply: (input, others, kwargs, scope) => {
      const lists = [input, ...others].map((l) => asList(l, 'zip_longest', scope));
      const n = Math.max(...lists.map((l) => l.length));
      return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : kwargs.fillvalue ?? null)));
    },
  },
  product: {
    apply: (input, others, _k, scope) => {
      const lists = [input, ...others].map((l) => asList(l, 'product', scope));
      const size = lists.reduce((n, l) => n * l.length, 1);
      if (size > 1_000_000) throw runtimeError(scope, 'product: the result would have more than 1000000 items');
      return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((prefix) => l.map((x) => [...prefix, x])), [[]]);
    },
  },
  combine: {
    apply: (input, dicts, kwargs, scope) => {
      const listMerge = String(kwargs.list_merge ?? 'replace') as ListMerge;
      if (!['replace', 'keep', 'append', 'prepend', 'append_rp', 'prepend_rp'].includes(listMerge)) throw runtimeError(scope, `combine: unknown list_merge '${listMerge}'`);
      const all = [input, ...dicts].flatMap((d) => (Array.isArray(d) ? d : [d]));
      return all.reduce<Record<string, unknown>>((acc, d) => mergeDicts(acc, asMapping(d, 'combine', scope), isTruthy(kwargs.recursive), listMerge), {});
    },
  },
  dict2items: {
    apply: (input, _a, kwargs, scope) => Object.entries(asMapping(input, 'dict2items', scope))
      .map(([key, value]) => ({ [String(kwargs.key_name ?? 'key')]: key, [String(kwargs.value_name ?? 'value')]: value })),
  },
  items2dict: {
    apply: (input, _a, kwargs, scope) => {
      const out: Record<string, unknown> = {};
      for (const item of asList(input, 'items2dict', scope)) {
        const key = need(scope, attributePath(item, String(kwargs.key_name ?? 'key')));
        if (FORBIDDEN_PROPERTIES.has(String(key))) throw runtimeError(scope, `'${String(key)}' cannot be a dict key`);
        out[String(key)] = need(scope, attributePath(item, String(kwargs.value_name ?? 'value')));
      }
      return out;
    },
  },
  to_json: { apply: (input, _a, kwargs) => pythonJson(input, { indent: kwargs.indent as number | undefined, sortKeys: isTruthy(kwargs.sort_keys), ensureAscii: kwargs.ensure_ascii === undefined ? true : isTruthy(kwargs.ensure_ascii) }) },
  to_nice_json: {
    apply: (input, [indent = 4], kwargs) => pythonJson(input, {
      indent: Number(kwargs.indent ?? indent), sortKeys: kwargs.sort_keys === undefined ? true : isTruthy(kwargs.sort_keys),
      ensureAscii: kwargs.ensure_ascii === undefined ? true : isTruthy(kwargs.ensure_ascii),
    }),
  },
  to_yaml: { apply: (input, _a, kwargs) => pythonYaml(input, { indent: Number(kwargs.indent ?? 2), leafFlow: true }) },
  to_nice_yaml: { apply: (input, [indent = 4], kwargs) => pythonYaml(input, { indent: Number(kwargs.indent ?? indent), leafFlow: false }) },
  from_yaml: {
    apply: (input, _a, _k, scope) => {
      try { return yamlParse(asString(input, 'from_yaml', scope), { version: '1.1' }); } catch (error) { throw runtimeError(scope, `from_yaml: ${(error as Error).message}`); }
    },
  },
  hash: { apply: (input, [algorithm], _k, scope) => hashOf(asString(input, 'hash', scope), algorithm, scope) },
  checksum: { apply: (input, _a, _k, scope) => hashOf(asString(input, 'checksum', scope), 'sha1', scope) },
  md5: { apply: (input, _a, _k, scope) => hashOf(asString(input, 'md5', scope), 'md5', scope) },
  sha1: { apply: (input, _a, _k, scope) => hashOf(asString(input, 'sha1', scope), 'sha1', scope) },
  quote: { apply: (input, _a, _k, scope) => shlexQuote(asString(input, 'quote', scope)) },
  splitext: { apply: (input, _a, _k, scope) => pathSplitext(asString(input, 'splitext', scope)) },
  basename: { apply: (input, _a, _k, scope) => { const s = asString(input, 'basename', scope); return s.slice(s.lastIndexOf('/') + 1); } },
  dirname: {
    apply: (input, _a, _k, scope) => {
      // Python's os.path.dirname: everything before the last slash, trailing slashes trimmed unless all slashes.
      const s = asString(input, 'dirname', scope);
      const head = s.slice(0, s.lastIndexOf('/') + 1);
      return head !== '' && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head;
    },
  },
  indent: {
    apply: (input, [width = 4, first = false, blank = false], kwargs, scope) => {
      const pad = typeof (kwargs.width ?? width) === 'string' ? String(kwargs.width ?? width) : ' '.repeat(Number(kwargs.width ?? width));
      const lines = `${asString(input, 'indent', scope)}\n`.split(LINE_BREAK);
      lines.pop();
      let text: string;
      if (isTruthy(kwargs.blank ?? blank)) text = lines.join(`\n${pad}`);
      else text = [lines[0] ?? '', ...lines.slice(1).map((line) => (line ? pad + line : line))].join('\n');
      return isTruthy(kwargs.first ?? first) ? pad + text : text;
    },
  },
  center: { apply: (input, [width = 80], _k, scope) => centre(asString(input, 'center', scope), Number(width)) },
  format: {
    apply: (input, args, kwargs, scope) => printf(asString(input, 'format', scope), Object.keys(kwargs).length > 0 ? kwargs : args, scope),
  },
  min: {
    apply: (input, _a, kwargs, scope) => extreme(asList(input, 'min', scope), kwargs, -1, scope),
  },
  max: {
    apply: (input, _a, kwargs, scope) => extreme(asList(input, 'max', scope), kwargs, 1, scope),
  },
  sum: {
    apply: (input, [attribute, start = 0], kwargs, scope) => {
      const attr = kwargs.attribute ?? attribute;
      return asList(input, 'sum', scope).reduce((a: unknown, b) => {
        const v = typeof attr === 'string' ? need(scope, attributePath(b, attr)) : b;
        if (typeof a === 'number' && typeof v === 'number') return a + v;
        if (Array.isArray(a) && Array.isArray(v)) return [...a, ...v];
        throw runtimeError(scope, `sum: cannot add a ${typeName(v)} to a ${typeName(a)}`);
      }, kwargs.start ?? start);
    },
  },
  dictsort: {
    apply: (input, [caseSensitive = false, by = 'key', reverse = false], _k, scope) => {
      const entries = Object.entries(asMapping(input, 'dictsort', scope));
      const at = by === 'value' ? 1 : 0;
      const key = (e: [string, unknown]): unknown => { const v = e[at]; return typeof v === 'string' && !caseSensitive ? v.toLowerCase() : v; };
      entries.sort((a, b) => { const x = key(a) as never; const y = key(b) as never; return x < y ? -1 : x > y ? 1 : 0; });
      return reverse ? entries.reverse() : entries;
    },
  },
  items: { apply: (input, _a, _k, scope) => (isUndefined(input) ? [] : Object.entries(asMapping(input, 'items', scope))), acceptsUndefined: true },
  wordcount: { apply: (input, _a, _k, scope) => (asString(input, 'wordcount', scope).match(/\w+/gu) ?? []).length },
  type_debug: {
    apply: (input) => (input === null ? 'NoneType' : typeof input === 'string' ? 'str' : typeof input === 'boolean' ? 'bool'
      : typeof input === 'number' ? (Number.isInteger(input) ? 'int' : 'float') : Array.isArray(input) ? 'list' : 'dict'),
  },
};

function extreme(items: unknown[], kwargs: Record<string, unknown>, sign: 1 | -1, scope: Scope): unknown {
  if (items.length === 0) return null;
  const key = (x: unknown): unknown => {
    let v = typeof kwargs.attribute === 'string' ? need(scope, attributePath(x, kwargs.attribute)) : x;
    if (typeof v === 'string' && !kwargs.case_sensitive) v = v.toLowerCase();
    return v;
  };
  return items.reduce((best, x) => {
    const a = key(x) as never;
    const b = key(best) as never;
    if (typeof a !== typeof b) throw runtimeError(scope, `cannot compare a ${typeName(a)} with a ${typeName(b)}`);
    return sign > 0 ? (a > b ? x : best) : (a < b ? x : best);
  });
}
