/**
 * Template strings: text with `{{ expression }}` inside, which any playbook
 * value may hold. A string that is one whole `{{ expr }}` keeps the value's
 * type (a list stays a list); otherwise the parts are joined as text, as
 * Ansible renders them (none is empty, booleans are True/False).
 */
import { SwarmplayError, type SourceLocation } from '../errors.js';
import { evaluateIn } from './evaluator.js';
import { parseExpression } from './parser.js';
import { CallableValue, OMIT_TOKEN, isPlainObject, toTemplateText, toText } from './values.js';
import { compileTemplate, parseTemplateTree } from './jinja-template.js';
import { tagEnd } from './jinja-syntax.js';

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'expression'; expression: string; offset: number };

/** Whether a string needs templating: it holds `{{`, `{%` or `{#`, as Ansible decides. */
export function containsTemplateMarker(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#');
}

/**
 * Whether a string needs the whole Jinja engine (statements, comments,
 * whitespace control) rather than the `{{ }}`-only fast path, which keeps a
 * whole `{{ expr }}`'s type.
 */
export function needsStatements(text: string): boolean {
  return text.includes('{%') || text.includes('{#') || text.includes('{{-') || text.includes('-}}');
}

function templateError(text: string, offset: number, what: string, hint: string, location?: SourceLocation): SwarmplayError {
  return new SwarmplayError('TEMPLATE_SYNTAX', `${what} in ${JSON.stringify(text)} (at character ${offset + 1})`, { location, hint });
}

/**
 * Splits a template string into text and expressions. The end of an
 * expression is the first `}}` outside a quoted string and outside brackets
 * (as in Jinja's lexer), so `{{ '}}' }}` and `{{ {'a': {'b': 1}} }}` work.
 */
export function parseTemplateString(text: string, location?: SourceLocation): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let textStart = 0;
  let i = 0;
  while (i < text.length) {
    if (!text.startsWith('{{', i)) { i++; continue; }
    if (i > textStart) parts.push({ kind: 'text', text: text.slice(textStart, i) });
    const start = i + 2;
    // An unbalanced bracket would hide every '}}': then the first one ends the expression, whose parser names what is open.
    const balanced = tagEnd(text, start, '}}', true);
    const j = balanced >= 0 ? balanced : tagEnd(text, start, '}}', false);
    if (j < 0) {
      throw templateError(text, i, "'{{' is not closed", "Close it with '}}'. To write braces literally use \"{{ '{{' }}\".", location);
    }
    const expression = text.slice(start, j);
    if (expression.trim() === '') throw templateError(text, i, "empty '{{ }}'", "Put an expression inside, e.g. '{{ inventory_hostname }}'.", location);
    parts.push({ kind: 'expression', expression, offset: start });
    i = j + 2;
    textStart = i;
  }
  if (textStart < text.length) parts.push({ kind: 'text', text: text.slice(textStart) });
  return parts;
}

export { toTemplateText } from './values.js';

/**
 * Renders a string holding `{{ }}`. A string that is one whole `{{ expr }}`
 * keeps the value's type (a list stays a list); otherwise the parts are
 * joined as text. `stack` is the chain of variables being templated.
 */
export function renderTemplateString(text: string, vars: Record<string, unknown>, location?: SourceLocation, stack: readonly string[] = []): unknown {
  if (needsStatements(text)) return compileTemplate(text, { location }).render(vars, stack);
  const parts = parseTemplateString(text, location);
  const only = parts[0];
  if (parts.length === 1 && only?.kind === 'expression') {
    const value = evaluateIn(only.expression, vars, location, stack);
    // A method or macro is not data: Ansible hands on its text.
    return value instanceof CallableValue ? toText(value) : value;
  }
  if (only?.kind === 'expression' && parts.length === 2 && parts[1]!.kind === 'text' && parts[1]!.text.trim() === '') {
    // `{{ list }}` then blanks (a folded `>` value ends in a newline): Ansible's text starts with [ or { and its
    // literal_eval gives the list or mapping back; anything else stays text, blanks included.
    const value = evaluateIn(only.expression, vars, location, stack);
    if (Array.isArray(value) || isPlainObject(value)) return value;
    return toTemplateText(value) + parts[1]!.text;
  }
  return parts.map((part) => (part.kind === 'text' ? part.text : toTemplateText(evaluateIn(part.expression, vars, location, stack)))).join('');
}

/** Whether a value is a string that needs templating. */
export function containsTemplate(value: unknown): value is string {
  return typeof value === 'string' && containsTemplateMarker(value);
}

/**
 * Renders every `{{ }}` in a value: strings, and the strings inside lists and
 * mappings (keys too). Values without templates come back as they are.
 */
export function renderValue(value: unknown, vars: Record<string, unknown>, location?: SourceLocation): unknown {
  if (typeof value === 'string') return containsTemplateMarker(value) ? renderTemplateString(value, vars, location) : value;
  // `x | default(omit)`: the item or argument is left out, as Ansible leaves it out.
  if (Array.isArray(value)) return value.map((item) => renderValue(item, vars, location)).filter((item) => item !== OMIT_TOKEN);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const renderedKey = containsTemplateMarker(key) ? toText(renderTemplateString(key, vars, location)) : key;
      const rendered = renderValue(item, vars, location);
      if (rendered !== OMIT_TOKEN) out[renderedKey] = rendered;
    }
    return out;
  }
  return value;
}

/**
 * Static check of every template in a value: tags closed, statements well formed, each
 * expression parses and names known filters and tests. Throws
 * TEMPLATE_SYNTAX or EXPRESSION_SYNTAX at `location`.
 */
export function checkTemplateSyntax(value: unknown, location?: SourceLocation): void {
  if (typeof value === 'string') {
    if (!containsTemplateMarker(value)) return;
    if (needsStatements(value)) { parseTemplateTree(value, { location }); return; }
    for (const part of parseTemplateString(value, location)) {
      if (part.kind === 'expression') parseExpression(part.expression, location);
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
