/**
 * Template files. A `.hbs` file is rendered with Handlebars in strict mode,
 * so a missing variable is an error naming it and the file's line, never an
 * empty string; output is not HTML-escaped (config files, not web pages);
 * variables holding `{{ }}` are rendered as Handlebars reads them, so a
 * template sees what a task sees. Every other file (`.j2` and the rest) is
 * Jinja, rendered as Ansible's template module renders it (jinja-template.ts).
 * A file written for the other engine is refused, naming the engine that
 * read it and why, rather than written to the host with its tags as text.
 */
import { readFile } from 'node:fs/promises';
import { SwarmplayError, snippetAt } from '../errors.js';
import { containsTemplate, renderTemplateString } from './template-string.js';
import { deepEqual, isPlainObject, isTruthy, toText } from './values.js';
import { compileTemplate } from './jinja-template.js';
import { ANSIBLE_DEFAULTS, type TemplateOptions } from './jinja-syntax.js';

/** Which engine reads a template file: Handlebars for `.hbs`, Jinja for everything else. */
export function templateEngine(file: string): 'handlebars' | 'jinja' {
  return file.endsWith('.hbs') ? 'handlebars' : 'jinja';
}

/** A Jinja tag in a `.hbs` file would reach the host as text: refuse it, at its line. */
function refuseJinjaInHandlebars(source: string, file: string): void {
  const match = /\{%-?\s*(if|for|set|macro|raw|else|elif|end\w+)\b|(?<!\{)\{#[^}]*#\}/.exec(source);
  if (!match) return;
  const line = source.slice(0, match.index).split('\n').length;
  const column = match.index - source.lastIndexOf('\n', match.index - 1);
  throw new SwarmplayError('TEMPLATE_SYNTAX', `${file} is read by Handlebars (its name ends in .hbs) but holds Jinja's '${match[0].trim().slice(0, 40)}'`, {
    location: { file, line, column },
    snippet: snippetAt(source, line, column),
    hint: 'Handlebars would write that tag to the host as text. Rename the file to .j2 to render it with Jinja, or write Handlebars: {{#if x}}...{{/if}}, {{#each xs}}...{{/each}}.',
  });
}

type HandlebarsEngine = typeof import('handlebars');
let handlebarsEngine: Promise<HandlebarsEngine> | undefined;

/**
 * Handlebars with swarmplay's helpers, imported at the first `.hbs` file: with
 * the source-map library it pulls in, it is a sixth of the command line's code,
 * and a run of Jinja templates only never needs it.
 */
function loadHandlebars(): Promise<HandlebarsEngine> {
  handlebarsEngine ??= import('handlebars').then(({ default: Handlebars }) => {
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
    return handlebars;
  });
  return handlebarsEngine;
}

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
export async function renderTemplateFile(path: string, vars: Record<string, unknown>, options: TemplateOptions = ANSIBLE_DEFAULTS): Promise<string> {
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
  return renderTemplateSource(source, path, vars, options);
}

/**
 * Compiled templates by source text: a template task renders the same file
 * for every host, and parsing plus compiling it each time was the largest
 * controller cost of a run (bench/RESULTS.md). The text is the key, so an
 * edited file is compiled anew.
 */
const compiledTemplates = new Map<string, HandlebarsTemplateDelegate>();

/** As renderTemplateFile, for a template already read; `file` names it in messages and picks the engine. */
export async function renderTemplateSource(source: string, file: string, vars: Record<string, unknown>, options: TemplateOptions = ANSIBLE_DEFAULTS): Promise<string> {
  if (templateEngine(file) === 'jinja') return renderJinjaFile(source, file, vars, options);
  return renderHandlebars(await loadHandlebars(), source, file, vars);
}

/** Parses a template file with its engine: TEMPLATE_SYNTAX or EXPRESSION_SYNTAX at its line. For checks before any host. */
export async function checkTemplateFileSyntax(source: string, file: string, options: TemplateOptions = ANSIBLE_DEFAULTS): Promise<void> {
  if (templateEngine(file) === 'jinja') { compileTemplate(source, { file }, options); return; }
  refuseJinjaInHandlebars(source, file);
  const handlebars = await loadHandlebars();
  try {
    handlebars.parse(source);
  } catch (error) {
    throw syntaxErrorOf(error, source, file);
  }
}

function renderJinjaFile(source: string, file: string, vars: Record<string, unknown>, options: TemplateOptions): string {
  try {
    return compileTemplate(source, { file }, options).render(vars);
  } catch (error) {
    if (error instanceof SwarmplayError && !error.message.includes(`(while rendering ${file})`)) {
      const location = error.location;
      const inFile = location?.file === file;
      throw new SwarmplayError(error.code, `${error.message} (while rendering ${file})`, {
        location: location ?? { file, line: 1, column: 1 }, hint: error.hint,
        snippet: error.snippet ?? (inFile ? snippetAt(source, location!.line, location!.column) : undefined),
        cause: error,
      });
    }
    throw error;
  }
}

function renderHandlebars(handlebars: HandlebarsEngine, source: string, file: string, vars: Record<string, unknown>): string {
  refuseJinjaInHandlebars(source, file);
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
