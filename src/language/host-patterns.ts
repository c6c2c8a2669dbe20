/**
 * Host patterns, as `hosts:` and `--limit` take them, evaluated the way
 * Ansible's InventoryManager does (ansible/inventory/manager.py, 2.14):
 *
 * - `a,b` splits on commas only; otherwise a string that is one valid host
 *   address (`web[01:03]`, `10.0.0.1:22`, an IPv6 address) stays whole, and
 *   anything else splits on `:` outside brackets (`a:b:&c:!d`).
 * - Plain terms come first, then `&` intersections, then `!` exclusions,
 *   whatever their written order; with no plain term, `all` is implied.
 * - A term is an exact host name, else every group whose name matches it
 *   (fnmatch wildcards, or a regex after `~`), and hosts too when no group
 *   matched or the term is a wildcard/regex. `group[0]`, `group[1:]`,
 *   `group[0:1]` pick by position (inclusive end, as Ansible).
 * - The result keeps the order the terms produce (`b:a` lists b's hosts
 *   first), de-duplicated: that is the order Ansible runs hosts in.
 * - A term that matches nothing is a warning, not an error.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { SwarmplayError } from '../errors.js';

/** What the evaluator needs from an inventory; the Inventory class provides it. */
export interface PatternSource {
  /** Host names in the order they were first defined. */
  hostsInDefinitionOrder(): string[];
  /** Group names in the order they were first defined, starting with all, ungrouped. */
  groupsInDefinitionOrder(): string[];
  /** Every host of the group and of its descendants, in Ansible's order. */
  groupHosts(group: string): string[];
  hasHost(name: string): boolean;
}

export interface PatternMatch {
  hosts: string[];
  /** "Could not match supplied host pattern, ignoring: X", one per such term. */
  warnings: string[];
}

// --- addresses, as ansible/parsing/utils/addresses.py ----------------------

const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const IPV6_PART = `(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const IPV4_PART = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
// Python's \w under re.UNICODE: letters, digits, underscore of any script.
const LABEL = `(?:[\\p{L}\\p{N}_]|${ALNUM_RANGE})(?:[\\p{L}\\p{N}_-]|${ALNUM_RANGE})*(?<![_-])`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
const IPV4 = new RegExp(`^(?:${IPV4_PART}\\.){3}${IPV4_PART}$`, 'i');
const P = IPV6_PART;
// Ansible's expression anchors `^` to the whole alternation but `$` only to
// the last alternative (regex precedence); kept so that splitting agrees.
const IPV6 = new RegExp(
  '^(?:' +
    [
      `(?:${P}:){7}${P}`,
      `(?:${P}:){1,6}:`,
      `(?:${P}:)(?::${P}){1,6}`,
      `(?:${P}:){2}(?::${P}){1,5}`,
      `(?:${P}:){3}(?::${P}){1,4}`,
      `(?:${P}:){4}(?::${P}){1,3}`,
      `(?:${P}:){5}(?::${P}){1,2}`,
      `(?:${P}:){6}(?::${P})`,
      `:(?::${P}){1,6}`,
      `${P}?::`,
      `(?:0:){6}(?:${P}\\.){3}${P}`,
      `::(?:ffff:)?(?:${P}\\.){3}${P}`,
      `(?:0:){5}ffff:(?:${P}\\.){3}${P}$`,
    ].join('|') +
    ')',
  'i',
);
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`, 'iu');
/**
 * Plain ASCII names and IPv4 addresses (docker01, web-1.example.com, 10.0.0.5):
 * a subset of what IPV4 and HOSTNAME accept, tested first because compiling
 * those two (Unicode classes, a dozen IPv6 forms) took 10-20 ms of a run's start.
 */
const ASCII_NAME = /^(?:[a-z0-9]|[a-z0-9_][a-z0-9_-]*[a-z0-9])(?:\.(?:[a-z0-9]|[a-z0-9_][a-z0-9_-]*[a-z0-9]))*$/i;

/**
 * Splits "host", "host:port", "[v6]:port" and range forms like
 * "web[01:03]:2222" as Ansible's parse_address(allow_ranges=True) does;
 * null when the text is not a host address at all.
 */
export function parseAddress(address: string): { host: string; port?: number } | null {
  let rest = address;
  let port: number | undefined;
  for (const form of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = form.exec(rest);
    if (m) {
      rest = m[1]!;
      port = Number(m[2]);
    }
  }
  if (ASCII_NAME.test(rest) || IPV4.test(rest) || IPV6.test(rest) || HOSTNAME.test(rest)) return { host: rest, port };
  return null;
}

// --- splitting ---------------------------------------------------------------

/** Ansible's split_host_pattern: the terms of one pattern string, trimmed, empty ones dropped. */
export function splitHostPattern(pattern: string | readonly string[]): string[] {
  if (typeof pattern !== 'string') return pattern.flatMap((p) => splitHostPattern(p));
  let terms: string[];
  if (pattern.includes(',')) {
    terms = pattern.split(',');
  } else if (parseAddress(pattern)) {
    terms = [pattern];
  } else {
    const termForm = /(?:[^\s:[\]]|\[[^\]]*\])+/g;
    // Ansible silently drops a stray bracket here ("web[01" -> web, 01): refuse it instead.
    const leftOver = pattern.replace(termForm, '').replace(/[\s:]/g, '');
    if (leftOver.length > 0) {
      throw new SwarmplayError('BAD_PATTERN', `unbalanced '${leftOver[0]}' in host pattern '${pattern}'`, {
        hint: "brackets hold a subscript or range, e.g. 'workers[0]' or 'web[01:03]'",
      });
    }
    terms = pattern.match(termForm) ?? [];
  }
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

/** Plain terms first, then `&`, then `!`; `all` when only modifiers were given. */
function orderTerms(terms: string[]): string[] {
  const plain = terms.filter((t) => t[0] !== '&' && t[0] !== '!');
  const intersections = terms.filter((t) => t[0] === '&');
  const exclusions = terms.filter((t) => t[0] === '!');
  return [...(plain.length > 0 ? plain : ['all']), ...intersections, ...exclusions];
}

// --- matching one term ---------------------------------------------------------

/** Python's fnmatch.translate, anchored at both ends; case-sensitive as on POSIX. */
function fnmatchToRegExp(glob: string): RegExp {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i++]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) {
        out += '\\[';
      } else {
        let set = glob.slice(i, j).replace(/\\/g, '\\\\');
        i = j + 1;
        if (set[0] === '!') set = '^' + set.slice(1);
        else if (set[0] === '^') set = '\\' + set;
        out += `[${set}]`;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 's');
}

function termRegExp(term: string, wholePattern: string): RegExp {
  if (term[0] !== '~') return fnmatchToRegExp(term);
  try {
    // Python's re.match: anchored at the start only.
    return new RegExp(`^(?:${term.slice(1)})`, 'u');
  } catch (err) {
    throw new SwarmplayError('BAD_PATTERN', `invalid regular expression in host pattern '${wholePattern}': ${term}`, {
      hint: 'a term starting with ~ is a regular expression, e.g. ~docker0[12]',
      cause: err,
    });
  }
}

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

function splitSubscript(term: string): { expr: string; subscript?: [number, number | undefined] } {
  if (term[0] === '~') return { expr: term };
  const m = SUBSCRIPT.exec(term);
  if (!m) return { expr: term };
  if (m[2] !== undefined) return { expr: m[1]!, subscript: [Number(m[2]), undefined] };
  return { expr: m[1]!, subscript: [Number(m[3]), m[5] ? Number(m[5]) : -1] };
}

/** Ansible's _apply_subscript, quirks included: an end of 0 means "just start". */
function applySubscript(hosts: string[], subscript: [number, number | undefined] | undefined, term: string): string[] {
  if (hosts.length === 0 || !subscript) return hosts;
  const [start, rawEnd] = subscript;
  if (rawEnd) {
    const end = rawEnd === -1 ? hosts.length - 1 : rawEnd;
    return hosts.slice(start, end + 1);
  }
  const index = start < 0 ? hosts.length + start : start;
  if (index < 0 || index >= hosts.length) {
    throw new SwarmplayError('BAD_PATTERN', `No hosts matched the subscripted pattern '${term}'`, {
      hint: `the pattern selects ${hosts.length} host(s); subscripts count from 0`,
    });
  }
  return [hosts[index]!];
}

function enumerateMatches(source: PatternSource, expr: string, wholePattern: string, warnings: string[]): string[] {
  const re = termRegExp(expr, wholePattern);
  const results: string[] = [];
  const groups = source.groupsInDefinitionOrder().filter((g) => re.test(g));
  for (const group of groups) results.push(...source.groupHosts(group));
  const isWildcard = expr[0] === '~' || ['.', '?', '*', '['].some((ch) => expr.includes(ch));
  if (groups.length === 0 || isWildcard) {
    results.push(...source.hostsInDefinitionOrder().filter((h) => re.test(h)));
  }
  if (results.length === 0 && groups.length === 0 && expr !== 'all') {
    warnings.push(`Could not match supplied host pattern, ignoring: ${expr}`);
  }
  return results;
}

// --- the evaluator ---------------------------------------------------------------

/**
 * The hosts a pattern selects (see the file comment for the rules).
 * Throws BAD_PATTERN for an invalid `~regex` or an out-of-range subscript.
 */
export function matchHosts(source: PatternSource, pattern: string | readonly string[]): PatternMatch {
  const terms = splitHostPattern(pattern);
  const warnings: string[] = [];
  const wholePattern = typeof pattern === 'string' ? pattern : pattern.join(',');
  if (terms.length === 0) return { hosts: [], warnings };
  let hosts: string[] = [];
  for (const term of orderTerms(terms)) {
    if (source.hasHost(term)) {
      if (!hosts.includes(term)) hosts.push(term);
      continue;
    }
    const bare = term[0] === '&' || term[0] === '!' ? term.slice(1) : term;
    if (bare.length === 0) {
      throw new SwarmplayError('BAD_PATTERN', `empty term '${term}' in host pattern '${wholePattern}'`, {
        hint: "write a group or host after & or !, e.g. 'swarm:!docker03'",
      });
    }
    const { expr, subscript } = splitSubscript(bare);
    const that = applySubscript(enumerateMatches(source, expr, wholePattern, warnings), subscript, bare);
    if (term[0] === '!') {
      const excluded = new Set(that);
      hosts = hosts.filter((h) => !excluded.has(h));
    } else if (term[0] === '&') {
      const kept = new Set(that);
      hosts = hosts.filter((h) => kept.has(h));
    } else {
      const present = new Set(hosts);
      for (const h of that) {
        if (!present.has(h)) {
          present.add(h);
          hosts.push(h);
        }
      }
    }
  }
  return { hosts, warnings };
}

/**
 * The terms of a `--limit` value, with every `@FILE` term replaced by the
 * file's lines (a .retry file: one host or pattern per line), as Ansible's
 * InventoryManager.subset does. Relative files resolve against `cwd`.
 */
export function expandLimit(limit: string, cwd: string = process.cwd()): string[] {
  const terms: string[] = [];
  for (const term of splitHostPattern(limit)) {
    if (term[0] !== '@') {
      terms.push(term);
      continue;
    }
    const file = resolve(cwd, term.slice(1));
    let isFile: boolean;
    try {
      isFile = statSync(file).isFile();
    } catch {
      throw new SwarmplayError('FILE_NOT_FOUND', `limit file not found: ${file}`, {
        hint: '--limit @FILE reads one host per line from FILE (e.g. a .retry file)',
      });
    }
    if (!isFile) throw new SwarmplayError('BAD_OPTION', `limit starting with "@" must be a file, not a directory: ${file}`);
    terms.push(...readFileSync(file, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line.length > 0));
  }
  return terms;
}

/**
 * What a play runs on: the hosts `pattern` selects, kept only where the
 * `--limit` value also selects them (Ansible's get_hosts with a subset).
 * Warnings from both are returned.
 */
export function selectHosts(source: PatternSource, pattern: string, limit?: string, cwd?: string): PatternMatch {
  const selected = matchHosts(source, pattern);
  if (limit === undefined) return selected;
  const limited = matchHosts(source, expandLimit(limit, cwd));
  const allowed = new Set(limited.hosts);
  return {
    hosts: selected.hosts.filter((h) => allowed.has(h)),
    warnings: [...selected.warnings, ...limited.warnings],
  };
}
