/**
 * What one evaluation carries: the variables, the expression's text and
 * location for messages, and the chain of variables being templated. With
 * the errors every step of evaluation raises, and need(), the check an
 * operand passes before anything uses it.
 */
import { SwarmplayError, type SourceLocation } from '../errors.js';
import { resolveContainer } from './lazy-variables.js';
import { UndefinedValue, isUndefined } from './values.js';

/**
 * Names a template statement binds ({% for %} targets, `loop`, {% set %},
 * macros and their parameters), searched before the variables. A chain of
 * Maps, never a copy of the variables: those may hold lazy getters.
 */
export interface Frame {
  names: Map<string, unknown>;
  parent?: Frame;
}

export function lookupLocal(frame: Frame | undefined, name: string): { found: true; value: unknown } | { found: false } {
  for (let f = frame; f; f = f.parent) if (f.names.has(name)) return { found: true, value: f.names.get(name) };
  return { found: false };
}

export interface Scope {
  vars: Record<string, unknown>;
  locals?: Frame;
  text: string;
  location?: SourceLocation;
  /** Variables being templated right now (lazy `{{ }}` in variables), outermost first. */
  stack: readonly string[];
}

export function runtimeError(scope: Scope, what: string, hint?: string): SwarmplayError {
  return new SwarmplayError('EXPRESSION_ERROR', `${what} in expression '${scope.text}'`, { location: scope.location, hint });
}

function undefinedError(scope: Scope, value: UndefinedValue | undefined): SwarmplayError {
  const reason = value instanceof UndefinedValue ? value.reason : 'a value is undefined';
  let hint: string | undefined;
  if (value instanceof UndefinedValue && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value.path)) {
    hint = `Define '${value.path}' (play vars, vars_files, inventory, register, set_fact or -e), ` +
      `or guard it: '${value.path} | default(...)' or 'when: ${value.path} is defined'.`;
  } else if (value instanceof UndefinedValue) {
    hint = `Guard it: '${value.path} | default(...)' or 'when: ${value.path} is defined'.`;
  }
  return new SwarmplayError('UNDEFINED_VARIABLE', `${reason} (in expression '${scope.text}')`, { location: scope.location, hint });
}

/**
 * Fails if the value is undefined: most operations need a real value. A
 * container read from the variables is used whole here, so the templates
 * inside it are rendered now.
 */
export function need(scope: Scope, value: unknown): unknown {
  if (isUndefined(value)) throw undefinedError(scope, value instanceof UndefinedValue ? value : undefined);
  if (value !== null && typeof value === 'object') return resolveContainer(scope, value, '(value)', 0);
  return value;
}
