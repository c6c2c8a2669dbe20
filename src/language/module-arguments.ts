/**
 * A task's module arguments: written as a mapping, as free-form text
 * (`command: uptime`), as Ansible's `key=value` words, or under `args:`;
 * checked against the module's zod schema when the playbook loads. A value
 * holding `{{ }}` has its type only after templating, so it is checked at
 * run time instead. Messages name the argument's own line and say what type
 * it takes; an unknown argument gets "did you mean".
 */
import { isMap, type Node as YamlNode, type YAMLMap } from 'yaml';
import type { z } from 'zod';
import type { ModuleDefinition } from '../modules/types.js';
import { checkTemplates, typeError } from './keyword-values.js';
import { didYouMean } from './suggest.js';
import { containsTemplate } from './template-string.js';
import { describeNode, entriesOf, type Entry, type SourceFile } from './yaml-source.js';

export function readModuleArgs(source: SourceFile, entry: Entry, module: ModuleDefinition, argsEntry: Entry | undefined): Record<string, unknown> {
  const written = source.value(entry.value);
  let args: Record<string, unknown>;
  /** Where each argument was written, for messages. */
  const argNodes = new Map<string, YamlNode>();
  let mapNodes: YAMLMap[] = [];
  if (written === null || written === undefined) {
    args = {};
  } else if (isMap(entry.value)) {
    args = written as Record<string, unknown>;
    mapNodes.push(entry.value);
  } else if (typeof written === 'string' || typeof written === 'number') {
    const text = String(written);
    if (module.freeFormArg) args = { [module.freeFormArg]: text };
    else args = keyValueArgs(source, entry, module, text);
  } else {
    throw source.error('BAD_ARGUMENT', `the arguments of '${module.name}' must be a mapping or free-form text, got ${describeNode(entry.value)}`, entry.value ?? entry.keyNode,
      `For example:\n${module.name}:\n  ${schemaKeys(module.schema).filter((k) => !k.startsWith('_')).slice(0, 2).map((k) => `${k}: ...`).join('\n  ')}`);
  }
  if (argsEntry) {
    if (!isMap(argsEntry.value)) throw typeError(source, argsEntry, 'a mapping of module arguments', "'args: {chdir: /srv}'");
    args = { ...args, ...(source.value(argsEntry.value) as Record<string, unknown>) };
    mapNodes = [argsEntry.value, ...mapNodes];
  }
  for (const map of mapNodes) for (const e of entriesOf(source, map)) if (!argNodes.has(e.key)) argNodes.set(e.key, e.keyNode);
  // Templates are checked for syntax here; their values are checked after templating, at run time.
  for (const [key, value] of Object.entries(args)) checkTemplates(source, value, argNodes.get(key) ?? entry.value);
  validateArgs(source, entry, module, args, argNodes);
  return args;
}

/** Ansible's `file: path=/x state=directory`: words split on spaces outside quotes and `{{ }}`. */
function keyValueArgs(source: SourceFile, entry: Entry, module: ModuleDefinition, text: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const word of splitKeyValueWords(text)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(word);
    if (!match) {
      throw source.error('BAD_ARGUMENT', `'${module.name}' does not take free-form text: '${word}' is not key=value`, entry.value,
        `Write its arguments as key=value words or as a mapping, e.g. '${module.name}: {${schemaKeys(module.schema).filter((k) => !k.startsWith('_')).slice(0, 2).map((k) => `${k}: ...`).join(', ')}}'.`);
    }
    args[match[1]!] = unquoteWord(match[2]!);
  }
  return args;
}

function validateArgs(source: SourceFile, entry: Entry, module: ModuleDefinition, args: Record<string, unknown>, argNodes: Map<string, YamlNode>): void {
  const result = module.schema.safeParse(args);
  if (result.success) return;
  const known = schemaKeys(module.schema).filter((k) => !k.startsWith('_'));
  const nodeFor = (key: unknown) => (typeof key === 'string' && argNodes.get(key)) || entry.keyNode;
  // An unknown key first: it is often the misspelt required one ("dets" for "dest").
  const issues = [...(result.error as z.ZodError).issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  for (const issue of issues) {
    // A value written with `{{ }}` has its type only after templating.
    if (issue.path.length > 0 && pathHoldsTemplate(args, issue.path)) continue;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      throw source.error('BAD_ARGUMENT', `unknown argument '${key}' for module '${module.name}'`, nodeFor(key),
        didYouMean(key, known, { listPrefix: `Arguments of ${module.name}: ` }));
    }
    const name = issue.path.map(String).join('.');
    const top = issue.path[0];
    if (issue.code === 'invalid_type' && issue.received === 'undefined' && issue.path.length === 1) {
      throw source.error('BAD_ARGUMENT', `missing required argument '${name}' for module '${module.name}' (${issue.expected} expected)`, entry.keyNode,
        `Add '${name}: ...' under '${entry.key}'.`);
    }
    const value = valueAt(args, issue.path);
    const expected = expectedOf(issue);
    const what = expected ? `must be ${expected}, got ${describeValue(value)}` : `${issue.message}${issue.path.length ? ` (got ${describeValue(value)})` : ''}`;
    const hint = !name
      ? `Arguments of ${module.name}: ${known.sort().join(', ')}.`
      : expected
        ? `'${name}' takes ${expected}. A value known only at run time can be written as "{{ expression }}".`
        : `Arguments of ${module.name}: ${known.sort().join(', ')}.`;
    throw source.error('BAD_ARGUMENT', name ? `argument '${name}' of module '${module.name}' ${what}` : `module '${module.name}': ${issue.message}`, nodeFor(top), hint);
  }
}

function splitKeyValueWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | null = null;
  let braces = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (text.startsWith('{{', i)) { braces++; current += '{{'; i++; continue; }
    if (braces > 0 && text.startsWith('}}', i)) { braces--; current += '}}'; i++; continue; }
    if (quote) { if (ch === quote) quote = null; current += ch; continue; }
    if (braces === 0 && (ch === '"' || ch === "'")) { quote = ch; current += ch; continue; }
    if (braces === 0 && /\s/.test(ch)) { if (current) words.push(current); current = ''; continue; }
    current += ch;
  }
  if (current) words.push(current);
  return words;
}

function unquoteWord(value: string): string {
  const m = /^(["'])([\s\S]*)\1$/.exec(value);
  return m ? m[2]! : value;
}

function schemaKeys(schema: z.ZodTypeAny): string[] {
  const def = (schema as { _def?: Record<string, unknown> })._def;
  if (!def) return [];
  if (typeof def.shape === 'function') return Object.keys((def.shape as () => Record<string, unknown>)());
  for (const inner of ['schema', 'innerType', 'in', 'left', 'right', 'type']) {
    if (def[inner] && typeof def[inner] === 'object' && inner !== 'right') {
      const keys = schemaKeys(def[inner] as z.ZodTypeAny);
      if (inner === 'left') return [...new Set([...keys, ...schemaKeys(def.right as z.ZodTypeAny)])];
      if (keys.length) return keys;
    }
  }
  const options = def.options;
  if (Array.isArray(options)) return [...new Set(options.flatMap((o) => schemaKeys(o as z.ZodTypeAny)))];
  if (options instanceof Map) return [...new Set([...options.values()].flatMap((o) => schemaKeys(o as z.ZodTypeAny)))];
  return [];
}

function valueAt(value: unknown, pathParts: readonly (string | number)[]): unknown {
  let current = value;
  for (const part of pathParts) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Object.hasOwn(current, part) ? (current as Record<string | number, unknown>)[part] : undefined;
  }
  return current;
}

function pathHoldsTemplate(args: Record<string, unknown>, pathParts: readonly (string | number)[]): boolean {
  for (let i = 1; i <= pathParts.length; i++) {
    const v = valueAt(args, pathParts.slice(0, i));
    if (containsTemplate(v)) return true;
  }
  return false;
}

function expectedOf(issue: z.ZodIssue): string | undefined {
  if (issue.code === 'invalid_type') return article(issue.expected);
  if (issue.code === 'invalid_enum_value') return `one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
  if (issue.code === 'invalid_literal') return JSON.stringify(issue.expected);
  if (issue.code === 'invalid_union') {
    const types = new Set<string>();
    for (const error of issue.unionErrors) {
      for (const inner of error.issues) {
        if (inner.code === 'invalid_type') types.add(inner.expected);
        if (inner.code === 'invalid_literal') types.add(JSON.stringify(inner.expected));
      }
    }
    return types.size ? [...types].map(article).join(' or ') : undefined;
  }
  return undefined;
}

function article(type: string): string {
  if (type === 'array') return 'a list';
  if (type === 'object') return 'a mapping';
  if (/^[aeiou]/.test(type)) return `an ${type}`;
  return /^[a-z]/.test(type) ? `a ${type}` : type;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return `the ${typeof value} ${String(value)}`;
}
