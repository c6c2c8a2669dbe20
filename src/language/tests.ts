/**
 * Jinja tests (`x is defined`, `x is divisibleby 3`). The result tests
 * (changed, failed, succeeded, skipped) read a registered result.
 */
import { need, runtimeError, type Scope } from './scope.js';
import { compareValues, contains } from './operators.js';
import { deepEqual, isPlainObject, isTruthy, isUndefined, readProperty } from './values.js';

export interface TestDefinition {
  acceptsUndefined?: boolean;
  apply(input: unknown, args: unknown[], scope: Scope): boolean;
}

function resultFlag(input: unknown, flag: string): boolean {
  const found = readProperty(input, flag);
  return found.found && isTruthy(found.value);
}

export const TESTS: Record<string, TestDefinition> = {
  defined: { acceptsUndefined: true, apply: (input) => !isUndefined(input) },
  undefined: { acceptsUndefined: true, apply: (input) => isUndefined(input) },
  none: { apply: (input) => input === null },
  string: { apply: (input) => typeof input === 'string' },
  number: { apply: (input) => typeof input === 'number' },
  integer: { apply: (input) => typeof input === 'number' && Number.isInteger(input) },
  float: { apply: (input) => typeof input === 'number' && !Number.isInteger(input) },
  boolean: { apply: (input) => typeof input === 'boolean' },
  true: { apply: (input) => input === true },
  false: { apply: (input) => input === false },
  mapping: { apply: (input) => isPlainObject(input) },
  sequence: { apply: (input) => Array.isArray(input) || typeof input === 'string' },
  iterable: { apply: (input) => Array.isArray(input) || typeof input === 'string' || isPlainObject(input) },
  even: { apply: (input) => typeof input === 'number' && input % 2 === 0 },
  odd: { apply: (input) => typeof input === 'number' && Math.abs(input % 2) === 1 },
  divisibleby: { apply: (input, [n]) => typeof input === 'number' && typeof n === 'number' && n !== 0 && input % n === 0 },
  in: { apply: (input, [container], scope) => contains(container, input, scope) },
  eq: { apply: (input, [other]) => deepEqual(input, other) },
  '==': { apply: (input, [other]) => deepEqual(input, other) },
  ne: { apply: (input, [other]) => !deepEqual(input, other) },
  '!=': { apply: (input, [other]) => !deepEqual(input, other) },
  lt: { apply: (input, [other], scope) => compareValues(input, other, '<', scope) < 0 },
  '<': { apply: (input, [other], scope) => compareValues(input, other, '<', scope) < 0 },
  le: { apply: (input, [other], scope) => compareValues(input, other, '<=', scope) <= 0 },
  '<=': { apply: (input, [other], scope) => compareValues(input, other, '<=', scope) <= 0 },
  gt: { apply: (input, [other], scope) => compareValues(input, other, '>', scope) > 0 },
  '>': { apply: (input, [other], scope) => compareValues(input, other, '>', scope) > 0 },
  ge: { apply: (input, [other], scope) => compareValues(input, other, '>=', scope) >= 0 },
  '>=': { apply: (input, [other], scope) => compareValues(input, other, '>=', scope) >= 0 },
  match: { apply: (input, [pattern], scope) => typeof input === 'string' && regexOf(`^(?:${String(pattern)})`, '', scope).test(input) },
  search: { apply: (input, [pattern], scope) => typeof input === 'string' && regexOf(pattern, '', scope).test(input) },
  changed: { apply: (input) => resultFlag(input, 'changed') },
  failed: { apply: (input) => resultFlag(input, 'failed') },
  succeeded: { apply: (input) => !resultFlag(input, 'failed') && !resultFlag(input, 'skipped') },
  skipped: { apply: (input) => resultFlag(input, 'skipped') },
};
TESTS.success = TESTS.succeeded!;
TESTS.failure = TESTS.failed!;
TESTS.change = TESTS.changed!;
TESTS.skip = TESTS.skipped!;
TESTS.sameas = TESTS.eq!;
TESTS.equalto = TESTS.eq!;

/** Tests whose one argument may follow without parentheses: `x is divisibleby 3`, `x is in list`. */
export const TESTS_WITH_ONE_ARGUMENT = new Set(['divisibleby', 'in', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'equalto', 'sameas', 'match', 'search', '==', '!=', '<', '<=', '>', '>=']);

/** A test named by a string, as select(), reject() and selectattr() take it. */
export function runTest(name: unknown, input: unknown, args: unknown[], scope: Scope): boolean {
  if (typeof name !== 'string' || !Object.hasOwn(TESTS, name)) throw runtimeError(scope, `unknown test '${String(name)}'`);
  const test = TESTS[name]!;
  if (!test.acceptsUndefined) need(scope, input);
  return test.apply(input, args, scope);
}

/** A playbook's regular expression; a bad one is an EXPRESSION_ERROR, not a crash. */
export function regexOf(pattern: unknown, flags: string, scope: Scope): RegExp {
  try {
    return new RegExp(String(pattern), flags);
  } catch (error) {
    throw runtimeError(scope, `bad regular expression ${JSON.stringify(String(pattern))}: ${(error as Error).message}`);
  }
}
