/**
 * Playbook YAML with its positions: a parsed file that says where each node
 * was written (file:line:column) and shows the source around it in errors.
 * Values are read from the `yaml` package's parse tree (parseDocument +
 * LineCounter), never from a plain JS copy that has lost the positions.
 *
 * YAML is read as YAML 1.2 (the `yaml` package's default, which the modules'
 * argument types assume), with merge keys (`<<: *defaults`) enabled as in
 * Ansible. A syntax error points at what the author must fix: the quote
 * that opened an unclosed string, not the end of the file.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  LineCounter,
  parseDocument,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Document,
  type Node as YamlNode,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { SwarmplayError, snippetAt, type ErrorCode, type SourceLocation } from '../errors.js';
import { decryptFileText, locateVaultedValues, vaultTag, type VaultAccess } from '../vault/vaulted-value.js';

export class SourceFile {
  readonly lineCounter = new LineCounter();
  readonly doc: Document.Parsed;

  /** `encrypted`: the text was decrypted from an ansible-vault file, so errors never show it. */
  constructor(readonly file: string, readonly text: string, readonly encrypted = false) {
    // Inline `!vault` values stay encrypted here; the run's prepare step decrypts them.
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, merge: true, prettyErrors: true, uniqueKeys: true, customTags: [vaultTag] });
    locateVaultedValues(this.doc, this.lineCounter, file);
  }

  locationOf(node: YamlNode | Pair | null | undefined): SourceLocation {
    const offset = rangeStart(node);
    const pos = this.lineCounter.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col };
  }

  error(code: ErrorCode, message: string, node: YamlNode | Pair | null | undefined, hint?: string): SwarmplayError {
    const location = this.locationOf(node);
    return new SwarmplayError(code, message, { location, hint, snippet: this.snippet(location) });
  }

  /** Adds this file's snippet to an error raised by the expression checks. */
  withSnippet(error: unknown, node: YamlNode | Pair | null | undefined): unknown {
    if (!(error instanceof SwarmplayError)) return error;
    const location = this.locationOf(node);
    return new SwarmplayError(error.code, error.message, {
      location, hint: error.hint, snippet: this.snippet(location), cause: error,
    });
  }

  /** The lines around a location; none from a decrypted vault file (its text is secret). */
  snippet(location: SourceLocation): string | undefined {
    return this.encrypted ? undefined : snippetAt(this.text, location.line, location.column);
  }

  /** The plain value of a node, aliases and merges resolved. */
  value(node: YamlNode | null | undefined): unknown {
    if (!node) return null;
    try {
      return node.toJS(this.doc, { maxAliasCount: 100 });
    } catch (error) {
      // The yaml package refuses alias expansions that grow without bound ("billion laughs").
      throw this.error('BAD_PLAYBOOK', `cannot read this value: ${(error as Error).message}`, node, 'Use fewer nested aliases (*name).');
    }
  }
}

function rangeStart(node: YamlNode | Pair | null | undefined): number {
  if (!node) return 0;
  if (isPair(node)) return rangeStart(node.key as YamlNode);
  return node.range?.[0] ?? 0;
}

/** A map's entries with merge keys expanded (explicit keys win), keys as strings. */
export interface Entry {
  key: string;
  keyNode: YamlNode;
  value: YamlNode | null;
}

export function deref(source: SourceFile, node: unknown): YamlNode | null {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return (node.resolve(source.doc) as YamlNode | undefined) ?? null;
  return node as YamlNode;
}

export function entriesOf(source: SourceFile, map: YAMLMap): Entry[] {
  const explicit: Entry[] = [];
  const merged: Entry[] = [];
  for (const pair of map.items) {
    const keyNode = pair.key as YamlNode;
    const raw = isScalar(keyNode) ? keyNode.value : source.value(keyNode);
    // With merge keys on, the yaml package gives `<<` as a symbol.
    const isMerge = raw === '<<' || (typeof raw === 'symbol' && raw.description === '<<');
    const key = typeof raw === 'symbol' ? String(raw.description) : String(raw);
    const value = deref(source, pair.value);
    if (isMerge) {
      const sources = isSeq(value) ? value.items.map((item) => deref(source, item)) : [value];
      for (const from of sources) if (isMap(from)) merged.push(...entriesOf(source, from));
      continue;
    }
    explicit.push({ key, keyNode, value });
  }
  const seen = new Set(explicit.map((e) => e.key));
  return [...explicit, ...merged.filter((e) => !seen.has(e.key) && (seen.add(e.key), true))];
}

export function describeNode(node: YamlNode | null): string {
  if (node === null || (isScalar(node) && node.value === null)) return 'nothing (null)';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
    if (typeof v === 'number') return `the number ${v}`;
    if (typeof v === 'boolean') return `the boolean ${v}`;
  }
  return 'something else';
}

/**
 * Reads a playbook, task or meta file. A whole-file ansible-vault file is
 * decrypted with `vault`'s passwords, as Ansible decrypts any YAML it loads.
 */
export async function readSource(file: string, referencedFrom?: { source: SourceFile; node: YamlNode | null }, vault?: VaultAccess): Promise<SourceFile> {
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? `file not found: ${file}` : code === 'EISDIR' ? `${file} is a folder, not a file` : `cannot read ${file}: ${(error as Error).message}`;
    if (referencedFrom) {
      throw referencedFrom.source.error('FILE_NOT_FOUND', what, referencedFrom.node,
        `Paths are relative to the folder of ${path.basename(referencedFrom.source.file)} (${path.dirname(referencedFrom.source.file)}).`);
    }
    throw new SwarmplayError('FILE_NOT_FOUND', what, { location: { file, line: 1, column: 1 }, hint: 'Check the path; it is relative to the current folder.', cause: error });
  }
  if (buffer.subarray(0, 8192).includes(0)) {
    throw new SwarmplayError('BAD_PLAYBOOK', `${file} is not a text file (it holds NUL bytes)`, {
      location: { file, line: 1, column: 1 },
      hint: 'A playbook is a YAML text file: a list of plays.',
    });
  }
  const { text, encrypted } = decryptFileText(buffer.toString('utf8').replace(/^\uFEFF/, ''), file, vault, 'file');
  const source = new SourceFile(file, text, encrypted);
  const problem = source.doc.errors[0];
  if (problem) {
    const offset = yamlErrorOffset(text, problem.code, problem.message, problem.pos[0]);
    const pos = source.lineCounter.linePos(offset);
    const firstLine = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const lineText = text.split('\n')[pos.line - 1] ?? '';
    throw new SwarmplayError('YAML_SYNTAX', `YAML syntax error: ${firstLine}`, {
      location: { file, line: pos.line, column: pos.col },
      snippet: source.snippet({ file, line: pos.line, column: pos.col }),
      hint: /^\s*\t/.test(lineText) ? 'YAML indentation uses spaces, never tabs.' : yamlHint(problem.code, problem.message),
    });
  }
  return source;
}

/**
 * Where to point for a YAML error. The parser reports an unclosed quote where
 * the file ends; the quote that opened it is what the author must fix. And a
 * position in leading blanks moves to the first character of its line.
 */
function yamlErrorOffset(text: string, code: string, message: string, reported: number): number {
  if (code === 'MISSING_CHAR' && /quote/i.test(message)) {
    const openers = [...text.slice(0, reported).matchAll(/(?:^|[:\-[{,])[ \t]*(["'])/gm)];
    const last = openers[openers.length - 1];
    if (last) return last.index! + last[0].length - 1;
  }
  const lineStart = text.lastIndexOf('\n', reported - 1) + 1;
  const lineEnd = text.indexOf('\n', lineStart);
  const line = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd);
  if (reported >= lineStart && /^\s*$/.test(text.slice(lineStart, reported + 1)) && line.trim() !== '') {
    return lineStart + line.search(/\S/);
  }
  return reported;
}

function yamlHint(code: string, message: string): string {
  if (/quote/i.test(message)) return 'This quoted string is never closed: add the closing quote.';
  if (/Sequence item without - indicator/.test(message)) return "Check the indentation: this line lines up with neither the task's keys nor a new '- ' item.";
  switch (code) {
    case 'BAD_DQ_ESCAPE': return 'Inside "double quotes" a backslash starts an escape; write \\\\ for a backslash, or use single quotes.';
    case 'DUPLICATE_KEY': return 'Each key may appear only once in a mapping.';
    case 'BAD_INDENT': case 'MISSING_CHAR_INDENT': return 'Check the indentation: items of one list or mapping line up in the same column, with spaces, not tabs.';
    case 'TAB_AS_INDENT': return 'YAML indentation uses spaces, never tabs.';
    case 'MULTIPLE_DOCS': return 'A playbook is one YAML document: remove the extra `---`.';
    default: return 'Check the YAML around this line: indentation, quotes, and `key: value` with a space after the colon.';
  }
}
