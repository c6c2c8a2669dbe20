/**
 * Templating of playbook values and of template files.
 *
 * Values: every string holding `{{ }}` is rendered with the expression
 * language of expressions.ts; a string that is one whole `{{ expr }}` keeps
 * the value's type. Variables that themselves hold `{{ }}` are followed
 * lazily, as Ansible does (see expressions.ts).
 *
 * Files: `.hbs` templates are rendered with Handlebars in strict mode, so a
 * missing variable is an error naming it and the file's line, never an empty
 * string. Output is not HTML-escaped: these are config files, not web pages.
 */
import { readFile } from 'node:fs/promises';
import Handlebars from 'handlebars';
import { SwarmplayError, snippetAt, type SourceLocation } from '../errors.js';
import {
  checkExpressionSyntax,
  containsTemplateMarker,
  deepEqual,
  isTruthy,
  parseTemplateString,
  renderTemplateString,
  toText,
} from './expressions.js';

/** Whether a value is a string that needs templating. */
export function containsTemplate(value: unknown): value is string {
  return typeof value === 'string' && containsTemplateMarker(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Renders every `{{ }}` in a value: strings, and the strings inside lists and
 * mappings (keys too). Values without templates come back as they are.
 */
export function renderValue(value: unknown, vars: Record<string, unknown>, location?: SourceLocation): unknown {
  if (typeof value === 'string') return containsTemplateMarker(value) ? renderTemplateString(value, vars, location) : value;
  if (Array.isArray(value)) return value.map((item) => renderValue(item, vars, location));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const renderedKey = containsTemplateMarker(key) ? toText(renderTemplateString(key, vars, location)) : key;
      out[renderedKey] = renderValue(item, vars, location);
    }
    return out;
  }
  return value;
}

/**
 * Static check of every template in a value: `{{` closed, no `{% %}`, each
 * expression parses and names known filters and tests. Throws
 * TEMPLATE_SYNTAX or EXPRESSION_SYNTAX at `location`.
 */
export function checkTemplateSyntax(value: unknown, location?: SourceLocation): void {
  if (typeof value === 'string') {
    if (!containsTemplateMarker(value)) return;
    for (const part of parseTemplateString(value, location)) {
      if (part.kind === 'expression') checkExpressionSyntax(part.expression, location);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) checkTemplateSyntax(item, location);
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      checkTemplateSyntax(key, location);
      checkTemplateSyntax(item, location);
    }
  }
}

// ---------------------------------------------------------------------------
// Handlebars files

const handlebars = Handlebars.create();

handlebars.registerHelper('join', (list: unknown, separator: unknown) => {
  if (!Array.isArray(list)) return list === undefined || list === null ? '' : toText(list);
  return list.map(toText).join(typeof separator === 'string' ? separator : ',');
});
handlebars.registerHelper('eq', (a: unknown, b: unknown) => deepEqual(a, b));
handlebars.registerHelper('ne', (a: unknown, b: unknown) => !deepEqual(a, b));
handlebars.registerHelper('default', (value: unknown, fallback: unknown) => (value === undefined || value === null || value === '' ? fallback : value));
handlebars.registerHelper('json', (value: unknown) => JSON.stringify(value));
handlebars.registerHelper('truthy', (value: unknown) => isTruthy(value));

/**
 * A read-only view of the variables where strings holding `{{ }}` are
 * rendered when Handlebars reads them, so templates see what tasks see.
 */
function lazyView(target: unknown, vars: Record<string, unknown>, cache: WeakMap<object, unknown>): unknown {
  if (target === null || typeof target !== 'object' || (!Array.isArray(target) && !isPlainObject(target))) return target;
  const cached = cache.get(target);
  if (cached) return cached;
  const view = new Proxy(target, {
    get(object, key, receiver) {
      const value: unknown = Reflect.get(object, key, receiver);
      if (typeof key !== 'string' || !Object.hasOwn(object, key)) return value;
      const descriptor = Object.getOwnPropertyDescriptor(object, key);
      // A proxy must return a frozen property's own value.
      if (descriptor && !descriptor.configurable && !descriptor.writable) return value;
      const rendered = containsTemplate(value) ? renderTemplateString(value, vars) : value;
      return lazyView(rendered, vars, cache);
    },
    set: () => false,
    deleteProperty: () => false,
    defineProperty: () => false,
  });
  cache.set(target, view);
  return view;
}

/** The dotted path Handlebars was reading at (line, 1-based column), from the source. */
function pathAt(source: string, line: number, column: number): string | undefined {
  const text = source.split('\n')[line - 1] ?? '';
  return /^[A-Za-z0-9_.@/-]+/.exec(text.slice(column - 1))?.[0];
}

/**
 * Renders a Handlebars template file with the variables. A missing variable
 * is UNDEFINED_VARIABLE at file:line:column; a syntax error TEMPLATE_SYNTAX.
 */
export async function renderTemplateFile(path: string, vars: Record<string, unknown>): Promise<string> {
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SwarmplayError('FILE_NOT_FOUND', code === 'ENOENT' ? `template file not found: ${path}` : `cannot read template file ${path}: ${(error as Error).message}`, {
      hint: 'Template paths are relative to the playbook folder (or absolute).',
      cause: error,
    });
  }
  return renderTemplateSource(source, path, vars);
}

/** As renderTemplateFile, for a template already read; `file` names it in messages. */
/**
 * Compiled templates by source text: a template task renders the same file
 * for every host, and parsing plus compiling it each time was the largest
 * controller cost of a run (bench/RESULTS.md). The text is the key, so an
 * edited file is compiled anew.
 */
const compiledTemplates = new Map<string, HandlebarsTemplateDelegate>();

export function renderTemplateSource(source: string, file: string, vars: Record<string, unknown>): string {
  let template = compiledTemplates.get(source);
  if (!template) {
    try {
      template = handlebars.compile(source, { strict: true, noEscape: true });
      // compile() is lazy: parse now so a syntax error is reported as one.
      handlebars.parse(source);
    } catch (error) {
      throw syntaxErrorOf(error, source, file);
    }
    compiledTemplates.set(source, template);
  }
  try {
    return template(lazyView(vars, vars, new WeakMap()));
  } catch (error) {
    if (error instanceof SwarmplayError) {
      throw new SwarmplayError(error.code, `${error.message} (while rendering ${file})`, {
        location: error.location ?? { file, line: 1, column: 1 }, hint: error.hint, snippet: error.snippet, cause: error,
      });
    }
    const details = error as { message?: string; lineNumber?: number; column?: number };
    const missing = /^"([^"]+)" not defined in/.exec(details.message ?? '');
    if (missing && typeof details.lineNumber === 'number') {
      const line = details.lineNumber;
      const column = (details.column ?? 0) + 1;
      const path = pathAt(source, line, column) ?? missing[1]!;
      throw new SwarmplayError('UNDEFINED_VARIABLE', `'${path}' is undefined in template ${file}`, {
        location: { file, line, column },
        snippet: snippetAt(source, line, column),
        hint: `Define '${path}' for this host (play vars, inventory, register, set_fact or -e), or write {{default ${path} "value"}}.`,
        cause: error,
      });
    }
    if (typeof details.lineNumber === 'number') {
      throw syntaxErrorOf(error, source, file);
    }
    throw new SwarmplayError('TEMPLATE_SYNTAX', `cannot render template ${file}: ${details.message ?? String(error)}`, {
      location: { file, line: 1, column: 1 },
      cause: error,
    });
  }
}

function syntaxErrorOf(error: unknown, source: string, file: string): SwarmplayError {
  const details = error as { message?: string; lineNumber?: number; column?: number };
  const message = details.message ?? String(error);
  const lineFromMessage = /on line (\d+)/.exec(message);
  const line = details.lineNumber ?? (lineFromMessage ? Number(lineFromMessage[1]) : 1);
  const column = (details.column ?? 0) + 1;
  const firstLine = message.split('\n')[0]!;
  const expecting = /Expecting ([^\n]+), got '([^']+)'/.exec(message);
  const what = expecting ? `${firstLine.replace(/:$/, '')}: unexpected ${expecting[2]}` : firstLine;
  return new SwarmplayError('TEMPLATE_SYNTAX', `Handlebars syntax error in ${file}: ${what}`, {
    location: { file, line, column },
    snippet: snippetAt(source, line, column),
    hint: 'Handlebars blocks are {{#if x}}...{{/if}}, {{#each list}}{{this}}{{/each}}; helpers: join, eq, ne, default, json.',
    cause: error,
  });
}
