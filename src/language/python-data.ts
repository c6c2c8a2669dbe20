/**
 * Data as Python writes it, for the filters whose output users compare
 * byte for byte with what Ansible wrote before: json.dumps (to_json,
 * to_nice_json: `", "` and `": "` separators, non-ASCII as \uXXXX) and
 * PyYAML's dump (to_yaml, to_nice_yaml: sorted keys, indentless lists,
 * flow style for leaf collections in to_yaml). Long-line folding of PyYAML
 * is not reproduced: see the differences in jinja-template's docs.
 */
import { isPlainObject, numberText } from './values.js';

function jsonString(text: string, ensureAscii: boolean): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20 || (ensureAscii && code > 0x7e)) {
      // Astral characters become a surrogate pair, as Python writes them.
      for (let k = 0; k < ch.length; k++) out += `\\u${ch.charCodeAt(k).toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

function jsonNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return numberText(value);
}

export interface JsonOptions { indent?: number; sortKeys?: boolean; ensureAscii?: boolean }

/** Python's json.dumps with Ansible's defaults. */
export function pythonJson(value: unknown, options: JsonOptions = {}, level = 0): string {
  const { indent, sortKeys = false, ensureAscii = true } = options;
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') return jsonNumber(value);
  if (typeof value === 'string') return jsonString(value, ensureAscii);
  const entries: [string | undefined, unknown][] = Array.isArray(value)
    ? value.map((v) => [undefined, v])
    : isPlainObject(value) ? Object.entries(value) : [];
  if (!Array.isArray(value) && !isPlainObject(value)) return jsonString(String(value), ensureAscii);
  if (sortKeys && !Array.isArray(value)) entries.sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return `${open}${close}`;
  const item = ([k, v]: [string | undefined, unknown]): string =>
    `${k === undefined ? '' : `${jsonString(k, ensureAscii)}: `}${pythonJson(v, options, level + 1)}`;
  if (indent === undefined) return `${open}${entries.map(item).join(', ')}${close}`;
  const pad = ' '.repeat(indent * (level + 1));
  return `${open}\n${entries.map((e) => pad + item(e)).join(',\n')}\n${' '.repeat(indent * level)}${close}`;
}

// PyYAML's resolver: plain text that would read back as another type must be quoted.
const IMPLICIT = /^(?:~|null|Null|NULL|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?.*|=|<<)$/;

function yamlString(text: string, flow: boolean): string {
  const printable = !/[\p{C}]/u.test(text.replace(/\n/g, ''));
  const needsQuotes = text === '' || IMPLICIT.test(text) || /^[\s\-?:,[\]{}#&*!|>'"%@`]/.test(text) || /\s$/.test(text)
    || text.includes(': ') || text.includes(' #') || text.endsWith(':') || text.includes('\n')
    || (flow && /[,[\]{}]|:/.test(text)) || (/^[-?:]/.test(text));
  if (!printable || text.includes('\t')) {
    return JSON.stringify(text).replace(/[\u0080-\uffff]/g, (c) => c);
  }
  if (!needsQuotes) return text;
  return `'${text.replace(/'/g, "''")}'`;
}

function yamlScalar(value: unknown, flow: boolean): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
    const text = numberText(value);
    return /e/.test(text) && !text.includes('.') ? text.replace('e', '.0e') : text;
  }
  return yamlString(String(value), flow);
}

const isCollection = (v: unknown): v is unknown[] | Record<string, unknown> => Array.isArray(v) || isPlainObject(v);
const sortedEntries = (d: Record<string, unknown>): [string, unknown][] => Object.entries(d).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function yamlFlow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(yamlFlow).join(', ')}]`;
  if (isPlainObject(value)) return `{${sortedEntries(value).map(([k, v]) => `${yamlString(k, true)}: ${yamlFlow(v)}`).join(', ')}}`;
  return yamlScalar(value, true);
}

/** PyYAML's block writer; `leafFlow` writes collections of scalars in flow style (default_flow_style=None). */
function yamlBlock(value: unknown, indent: number, leafFlow: boolean, column: number): string[] {
  const inline = (v: unknown): boolean => !isCollection(v) || (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0)
    || (leafFlow && !(Array.isArray(v) ? v : Object.values(v)).some(isCollection));
  const pad = ' '.repeat(column);
  if (Array.isArray(value)) {
    const lines: string[] = [];
    for (const item of value) {
      if (inline(item)) { lines.push(`${pad}- ${isCollection(item) ? yamlFlow(item) : yamlScalar(item, false)}`); continue; }
      // The item's first line goes beside the dash; the rest lines up under it.
      const inner = yamlBlock(item, indent, leafFlow, column + indent);
      lines.push(`${pad}-${' '.repeat(indent - 1)}${inner[0]!.slice(column + indent)}`, ...inner.slice(1));
    }
    return lines;
  }
  const lines: string[] = [];
  for (const [key, item] of sortedEntries(value as Record<string, unknown>)) {
    const k = yamlString(key, false);
    if (inline(item)) lines.push(`${pad}${k}: ${isCollection(item) ? yamlFlow(item) : yamlScalar(item, false)}`);
    else if (Array.isArray(item)) lines.push(`${pad}${k}:`, ...yamlBlock(item, indent, leafFlow, column));
    else lines.push(`${pad}${k}:`, ...yamlBlock(item, indent, leafFlow, column + indent));
  }
  return lines;
}

/** PyYAML's dump as Ansible's to_yaml (flow leaves, indent 2) and to_nice_yaml (block, indent 4) call it. */
export function pythonYaml(value: unknown, options: { indent: number; leafFlow: boolean }): string {
  if (!isCollection(value)) {
    const text = yamlScalar(value, false);
    // A plain top-level scalar ends its document explicitly, as PyYAML writes it.
    return /^['"]/.test(text) ? `${text}\n` : `${text}\n...\n`;
  }
  const empty = Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
  if (empty || (options.leafFlow && !(Array.isArray(value) ? value : Object.values(value)).some(isCollection))) return `${yamlFlow(value)}\n`;
  return `${yamlBlock(value, options.indent, options.leafFlow, 0).join('\n')}\n`;
}
