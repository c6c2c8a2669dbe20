/**
 * Lazy templating of variables. Ansible templates a variable when it is
 * read, so `a: "{{ b }}"` follows b. We do the same: a string read from the
 * variables is rendered at the lookup; a container is rendered when it is
 * used whole (need()), its items when they are read one by one. Containers
 * that are already rendered, or that hold data that must never be templated
 * (a registered command's stdout may contain `{{`), are in RESOLVED.
 */
import { SwarmplayError } from '../errors.js';
import { runtimeError, type Scope } from './scope.js';
import { containsTemplateMarker, renderTemplateString } from './template-string.js';
import { isPlainObject } from './values.js';

const RESOLVED = new WeakSet<object>();
const MAX_TEMPLATE_DEPTH = 20;

/**
 * Marks data as final: strings inside are never templated (Ansible's
 * "unsafe"). For registered results and facts, whose text comes from hosts.
 */
export function markRawData<T>(value: T): T {
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    RESOLVED.add(v);
    if (Array.isArray(v)) v.forEach(walk);
    else if (isPlainObject(v)) Object.values(v).forEach(walk);
  };
  walk(value);
  return value;
}

function holdsTemplate(value: unknown, seen: Set<object> = new Set()): boolean {
  if (typeof value === 'string') return containsTemplateMarker(value);
  if (value === null || typeof value !== 'object' || RESOLVED.has(value) || seen.has(value)) return false;
  seen.add(value);
  if (Array.isArray(value)) return value.some((v) => holdsTemplate(v, seen));
  if (isPlainObject(value)) return Object.values(value).some((v) => holdsTemplate(v, seen));
  return false;
}

export function resolveLookup(scope: Scope, parent: unknown, value: unknown, path: string): unknown {
  if (parent !== null && typeof parent === 'object' && RESOLVED.has(parent)) return value;
  if (typeof value !== 'string' || !containsTemplateMarker(value)) return value;
  return renderVariable(scope, value, path);
}

export function resolveContainer(scope: Scope, value: object, path: string, depth: number): unknown {
  if (RESOLVED.has(value) || !holdsTemplate(value)) return value;
  if (depth > 100) throw runtimeError(scope, `value '${path}' is nested too deeply`);
  const item = (v: unknown, p: string): unknown => {
    if (typeof v === 'string') return containsTemplateMarker(v) ? renderVariable(scope, v, p) : v;
    if (v !== null && typeof v === 'object') return resolveContainer(scope, v, p, depth + 1);
    return v;
  };
  let out: unknown[] | Record<string, unknown>;
  if (Array.isArray(value)) out = value.map((v, i) => item(v, `${path}[${i}]`));
  else if (isPlainObject(value)) out = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, item(v, `${path}.${k}`)]));
  else return value;
  RESOLVED.add(out);
  return out;
}

function renderVariable(scope: Scope, text: string, path: string): unknown {
  if (scope.stack.includes(path)) {
    throw new SwarmplayError('EXPRESSION_ERROR', `recursive loop in templating: ${[...scope.stack, path].join(' -> ')}`, {
      location: scope.location,
      hint: `The variable '${path}' refers to itself through its own '{{ }}'. Give one of them a plain value.`,
    });
  }
  if (scope.stack.length >= MAX_TEMPLATE_DEPTH) {
    throw new SwarmplayError('EXPRESSION_ERROR', `templating nested deeper than ${MAX_TEMPLATE_DEPTH} variables: ${[...scope.stack, path].join(' -> ')}`, {
      location: scope.location,
    });
  }
  try {
    return renderTemplateString(text, scope.vars, scope.location, [...scope.stack, path]);
  } catch (error) {
    if (error instanceof SwarmplayError && !error.message.includes('while templating variable')) {
      throw new SwarmplayError(error.code, `${error.message}, while templating variable '${path}' = ${JSON.stringify(text)}`, {
        location: error.location ?? scope.location, hint: error.hint, snippet: error.snippet, cause: error,
      });
    }
    throw error;
  }
}
