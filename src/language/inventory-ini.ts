/**
 * An INI inventory read into the builder, line by line as ansible-core's
 * ini inventory plugin reads it (2.14, plugins/inventory/ini.py):
 *
 *   host1 ansible_port=2222 tier=web   # hosts before any section: ungrouped
 *   [web]                              # hosts of a group; ranges web[01:20], db-[a:f]
 *   [web:vars]                         # key=value variables of a group
 *   [prod:children]                    # child groups (they may be declared further down)
 *
 * Values are typed as Python literals (python-literal.ts): `port=8080` is a
 * number, `x="8080"` too (the shell-style quotes go first), `x="'8080'"` a
 * string. Lines starting with `#` or `;` are comments, and so is the rest
 * of a host line after a `#` outside quotes. Errors name file:line, as
 * Ansible's do, with what would be right.
 */
import { SwarmplayError, snippetAt, type SourceLocation } from '../errors.js';
import { expandHostRange } from './host-ranges.js';
import { parseAddress } from './host-patterns.js';
import { parsePythonLiteral } from './python-literal.js';
import type { FailAt, GroupRecord, InventoryBuilder } from './inventory-builder.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;
// Python's str.splitlines() boundaries.
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

interface Pending {
  line: number;
  state: 'vars' | 'children';
  name: string;
  parents: string[];
}

/** Whether text looks like an INI inventory (a `[section]` line). */
export function looksLikeIni(source: string): boolean {
  return /^\s*\[[^\]]+\]\s*(?:[#;].*)?$/m.test(source);
}

export function parseIniInventory(file: string, source: string, builder: InventoryBuilder): void {
  const lines = source.split(LINE_BREAK);
  let lineNo = 0;
  const at = (column = 1): SourceLocation => ({ file, line: lineNo, column });
  const fail = (message: string, hint?: string): never => {
    throw new SwarmplayError('BAD_INVENTORY', message, { location: at(), snippet: snippetAt(source, lineNo, 1), hint });
  };
  const pending = new Map<string, Pending>();
  let group: GroupRecord = builder.groups.get('ungrouped')!;
  let state = 'hosts';

  const addPendingChildren = (name: string): void => {
    for (const parent of pending.get(name)!.parents) {
      builder.link(builder.groups.get(parent)!, builder.groups.get(name)!, fail);
      if (pending.get(parent)?.state === 'children') addPendingChildren(parent);
    }
    pending.delete(name);
  };

  for (const rawLine of lines) {
    lineNo++;
    const line = rawLine.trim();
    if (!line || line[0] === '#' || line[0] === ';') continue;

    const section = SECTION.exec(line);
    if (section) {
      const name = section[1]!;
      state = section[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) {
        fail(`section [${name}:${state}] has unknown type: ${state}`, `a section is [${name}], [${name}:vars] or [${name}:children]`);
      }
      if (!builder.groups.has(name) && state === 'vars' && !pending.has(name)) {
        // [g:vars] alone does not declare g; checked at the end.
        pending.set(name, { line: lineNo, state: 'vars', name, parents: [] });
      }
      group = builder.addGroup(name, at());
      const waiting = pending.get(name);
      if (waiting && state !== 'vars') {
        if (waiting.state === 'children') addPendingChildren(name);
        else pending.delete(name);
      }
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      fail(`invalid section entry: '${line}'`, 'a section is [group], [group:vars] or [group:children], with no spaces inside the brackets');
    }

    if (state === 'hosts') {
      parseHostLine(line, group, builder, at, fail);
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) fail(`expected key=value, got: ${line}`, `a [${group.name}:vars] line sets one variable, e.g. ntp_server=10.0.0.1`);
      const key = line.slice(0, eq).trim();
      builder.setGroupVar(group, key, parsePythonLiteral(line.slice(eq + 1).trim()), fail);
    } else {
      const child = GROUP_NAME.exec(line)?.[1] ?? '';
      if (!child) fail(`expected a group name, got: ${line}`, `a [${group.name}:children] line names one group`);
      if (!builder.groups.has(child)) {
        const waiting = pending.get(child);
        if (waiting) waiting.parents.push(group.name);
        else pending.set(child, { line: lineNo, state: 'children', name: child, parents: [group.name] });
      } else {
        builder.link(group, builder.groups.get(child)!, fail);
      }
    }
  }

  // The first reference to a group never declared, as Ansible reports it.
  for (const waiting of pending.values()) {
    lineNo = waiting.line;
    if (waiting.state === 'vars') {
      fail(`section [${waiting.name}:vars] is not valid for undefined group: ${waiting.name}`,
        `declare the group with a [${waiting.name}] or [${waiting.name}:children] section`);
    }
    fail(`section [${waiting.parents[waiting.parents.length - 1]}:children] includes undefined group: ${waiting.name}`,
      `declare it with a [${waiting.name}] section (it may be empty)`);
  }
}

function parseHostLine(line: string, group: GroupRecord, builder: InventoryBuilder, at: (column?: number) => SourceLocation, fail: FailAt): void {
  let tokens: string[];
  try {
    tokens = shellWords(line);
  } catch (error) {
    fail(`error parsing host definition '${line}': ${(error as Error).message}`, 'close every quote; a value with spaces is written key="some value"');
  }
  if (tokens.length === 0) return;
  const pattern = tokens[0]!;
  const address = parseAddress(pattern);
  const hostPattern = address ? address.host : pattern;
  if (pattern.endsWith(':') && address?.port === undefined) {
    fail(`invalid host pattern '${pattern}': ending in ':' is not allowed, this character is reserved to provide a port`,
      'write host:PORT, e.g. docker01:2222, or nothing after the name');
  }
  let names: string[];
  try {
    names = expandHostRange(hostPattern);
  } catch (error) {
    fail(`bad host range '${pattern}': ${(error as Error).message}`, 'a range looks like web[01:20] or db-[a:f]');
  }
  if (names.some((n) => n.trim() === '---')) {
    fail(`invalid host pattern '${pattern}': '---' is normally a sign this is a YAML file`, 'name YAML inventories .yaml or .yml');
  }
  const vars: Array<[string, unknown]> = [];
  for (const token of tokens.slice(1)) {
    const eq = token.indexOf('=');
    if (eq < 0) {
      fail(`expected key=value host variable assignment, got: ${token}`, `write variables after the host name as key=value, e.g. ${pattern} ansible_host=10.0.0.5`);
    }
    vars.push([token.slice(0, eq), parsePythonLiteral(token.slice(eq + 1))]);
  }
  for (const name of names) {
    const host = builder.addHost(name, group, at(), address?.port);
    for (const [key, value] of vars) builder.setHostVar(host, key, structuredClone(value), at(), fail);
  }
}

/**
 * Python's shlex.split(line, comments=True): POSIX words, quotes removed;
 * a backslash escapes the next character (inside double quotes only " and
 * \); `#` outside quotes ends the line, even inside a word.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === '#') {
      break;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error('No escaped character');
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (c === "'" || c === '"') {
      inWord = true;
      i++;
      for (;;) {
        if (i >= line.length) throw new Error('No closing quotation');
        const q = line[i]!;
        if (q === c) {
          i++;
          break;
        }
        if (c === '"' && q === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
          word += line[i + 1];
          i += 2;
        } else {
          word += q;
          i++;
        }
      }
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
