/**
 * The expression language of playbooks: what `when:`, changed_when,
 * failed_when, until and every `{{ }}` hold. It is the subset of Jinja that
 * Ansible users write, evaluated by a small parser and tree walker of our own.
 *
 * Why not jexl (it is installed and was the first choice): checked against
 * jexl 2.3.0, `x['constructor']` returns the Object constructor (its property
 * lookup reads through prototypes and its evaluator has no hook to stop it),
 * a missing name is silently `undefined` (we must fail naming the variable,
 * except under `is defined` / `default`, which needs the operand evaluated
 * lazily, and jexl transforms get their operand already evaluated), and
 * `list.attr` reads the first element. Jinja's `is`, `not in`,
 * `x if c else y`, `~`, slices and method calls would need a preprocessor that
 * is itself a tokenizer. A parser of ~600 lines that only knows plain data is
 * easier to prove safe than a patched general one.
 *
 * This file is the entry point the runner and the modules call; the language
 * itself is in small files, one job each:
 *   lexer.ts -> parser.ts (syntax tree) -> evaluator.ts, which uses
 *   values.ts (what data looks like to an expression), operators.ts,
 *   methods.ts, filters.ts and tests.ts; template-string.ts renders the
 *   `{{ }}` inside strings, lazy-variables.ts the variables that hold some,
 *   and names.ts finds the variables an expression reads without running it.
 *
 * Safety: nothing here ever runs JavaScript built from playbook text. Values
 * are only read through `readProperty` (values.ts), which sees own properties
 * of plain objects, array indexes and string indexes; `__proto__`,
 * `constructor` and `prototype` are never readable. Calls are limited to a
 * fixed list of functions, filters, tests and string/dict/list methods.
 *
 * Differences from Ansible (ansible-core 2.14, checked by hand) kept on purpose:
 *
 * | case                              | Ansible                     | swarmplay                               |
 * |-----------------------------------|-----------------------------|-----------------------------------------|
 * | whole `"{{ none }}"`              | `""`                        | `null` (type kept, like other values)   |
 * | `'5' \| float` rendered in text    | `5.0`                       | `5` (JS has one number type)            |
 * | `'0x1A' \| int`                   | `0`                         | `0` (same; base argument supported)     |
 * | `missing.attr is defined`         | error in plain Jinja        | false: the chain stays undefined        |
 * | integer vs float division `7 / 2` | 3.5                         | 3.5 (same); `//` floors                 |
 *
 * Statements (`{% if %}`, `{% for %}`, ...) are jinja-syntax.ts and
 * jinja-template.ts, whose header lists the template differences.
 *
 * Same as Ansible: lists and mappings inside text print as Python prints
 * them (`['a', 1]`, `{'k': None}`), `True == 1`, booleans render as `True`/`False` inside text, `none` as
 * the empty string inside text (but `'a' ~ none` is `aNone`), a non-empty
 * string is truthy even when it reads "false" or "no", `quote` is POSIX
 * shell quoting, `default(x)` only replaces undefined unless its second
 * argument is true, `int` of a non-number is 0, `in` works on lists, strings
 * and dict keys.
 */
import type { SourceLocation } from '../errors.js';
import { evaluateIn } from './evaluator.js';
import { parseExpression } from './parser.js';
import { isTruthy } from './values.js';
import { renderTemplateString } from './template-string.js';

// What the runner and the modules use besides the entry points below.
export { markRawData } from './lazy-variables.js';
export { toDisplayJson } from './values.js';

/** Parses only: throws EXPRESSION_SYNTAX (unknown filters and tests included). For static checks. */
export function checkExpressionSyntax(expr: string, location?: SourceLocation): void {
  parseExpression(expr, location);
}

/**
 * Evaluates one expression (the inside of `{{ }}`, or a `when:`). An
 * undefined result or operand fails with UNDEFINED_VARIABLE naming it.
 * Variables holding `{{ }}` are templated as they are read.
 */
export function evaluateExpression(expr: string, vars: Record<string, unknown>, location?: SourceLocation): unknown {
  return evaluateIn(expr, vars, location, []);
}

/**
 * A condition as Ansible's `when:` takes it: a boolean, or an expression
 * (a `{{ }}` around it is tolerated, as Ansible does with a warning), judged
 * by Jinja truthiness: a non-empty string is true even if it reads "false".
 */
export function evaluateCondition(expr: string | boolean, vars: Record<string, unknown>, location?: SourceLocation): boolean {
  if (typeof expr === 'boolean') return expr;
  const bare = unwrapCondition(expr);
  const text = hasEmbeddedTemplate(bare) ? String(renderTemplateString(bare, vars, location)) : bare;
  return isTruthy(evaluateExpression(text, vars, location));
}

/** A condition with '{{ }}' inside it ("'{{ x }}' == 'y'"): rendered to text first, as Ansible does (it warns). */
export function hasEmbeddedTemplate(expr: string): boolean {
  return expr.includes('{{') || expr.includes('{%');
}

/** `when: "{{ x }}"` means `when: x`. */
export function unwrapCondition(expr: string): string {
  const match = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(expr);
  return match && !match[1]!.includes('{{') && !match[1]!.includes('}}') ? match[1]! : expr;
}
