/**
 * Jinja tests (`x is defined`, `x is divisibleby 3`). The result tests
 * (changed, failed, succeeded, skipped) read a registered result.
 */
import { need, runtimeError, type Scope } from './scope.js';
import { compareValues, contains } from './operators.js';
import { CallableValue, deepEqual, isPlainObject, isTruthy, isUndefined, readProperty, typeName } from './values.js';
import { compareVersions } from './ansible-filters.js';

export interface TestDefinition {
  acceptsUndefined?: boolean;
  apply(input: unknown, args: unknown[], scope: Scope, kwargs: Record<string, unknown>): boolean;
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
  // Python's bool is a number; a string, list and mapping are sequences (they have len and []).
  number: { apply: (input) => typeof input === 'number' || typeof input === 'boolean' },
  integer: { apply: (input) => typeof input === 'number' && Number.isInteger(input) },
  callable: { apply: (input) => input instanceof CallableValue },
  float: { apply: (input) => typeof input === 'number' && !Number.isInteger(input) },
  boolean: { apply: (input) => typeof input === 'boolean' },
  true: { apply: (input) => input === true },
  false: { apply: (input) => input === false },
  mapping: { apply: (input) => isPlainObject(input) },
  sequence: { apply: (input) => Array.isArray(input) || typeof input === 'string' || isPlainObject(input) },
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
  match: { apply: (input, [pattern, ignorecase, multiline], scope, kw) => regexTest(input, pattern, 'match', kw.ignorecase ?? ignorecase, kw.multiline ?? multiline, scope) },
  search: { apply: (input, [pattern, ignorecase, multiline], scope, kw) => regexTest(input, pattern, 'search', kw.ignorecase ?? ignorecase, kw.multiline ?? multiline, scope) },
  regex: {
    apply: (input, [pattern, ignorecase, multiline, matchType], scope, kw) =>
      regexTest(input, pattern, String(kw.match_type ?? matchType ?? 'search'), kw.ignorecase ?? ignorecase, kw.multiline ?? multiline, scope),
  },
  version: {
    apply: (input, [other, operator = 'eq'], scope, kw) => {
      const c = compareVersions(String(need(scope, input)), String(other));
      const op = String(kw.operator ?? operator);
      const table: Record<string, boolean> = {
        '<': c < 0, lt: c < 0, '<=': c <= 0, le: c <= 0, '>': c > 0, gt: c > 0, '>=': c >= 0, ge: c >= 0,
        '==': c === 0, '=': c === 0, eq: c === 0, '!=': c !== 0, '<>': c !== 0, ne: c !== 0,
      };
      if (!Object.hasOwn(table, op)) throw runtimeError(scope, `version: unknown operator '${op}'`, 'Use one of <, <=, >, >=, ==, !=, lt, le, gt, ge, eq, ne.');
      return table[op]!;
    },
  },
  subset: { apply: (input, [other], scope) => asItems(input, scope).every((x) => asItems(other, scope).some((y) => deepEqual(x, y))) },
  superset: { apply: (input, [other], scope) => asItems(other, scope).every((x) => asItems(input, scope).some((y) => deepEqual(x, y))) },
  contains: { apply: (input, [item], scope) => contains(input, item, scope) },
  lower: { apply: (input) => typeof input === 'string' && input === input.toLowerCase() },
  upper: { apply: (input) => typeof input === 'string' && input === input.toUpperCase() },
  any: { apply: (input, _a, scope) => asItems(input, scope).some(isTruthy) },
  all: { apply: (input, _a, scope) => asItems(input, scope).every(isTruthy) },
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
TESTS.version_compare = TESTS.version!;
TESTS.issubset = TESTS.subset!;
TESTS.issuperset = TESTS.superset!;

/** Tests whose one argument may follow without parentheses: `x is divisibleby 3`, `x is in list`. */
export const TESTS_WITH_ONE_ARGUMENT = new Set(['divisibleby', 'in', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'equalto', 'sameas', 'match', 'search', 'regex', 'version', 'subset', 'superset', 'contains', '==', '!=', '<', '<=', '>', '>=']);

/** A test named by a string, as select(), reject() and selectattr() take it. */
export function runTest(name: unknown, input: unknown, args: unknown[], scope: Scope): boolean {
  if (typeof name !== 'string' || !Object.hasOwn(TESTS, name)) throw runtimeError(scope, `unknown test '${String(name)}'`);
  const test = TESTS[name]!;
  if (!test.acceptsUndefined) need(scope, input);
  return test.apply(input, args, scope, {});
}

function asItems(value: unknown, scope: Scope): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (isPlainObject(value)) return Object.keys(value);
  throw runtimeError(scope, `a list is needed, got a ${typeName(value)}`);
}

function regexTest(input: unknown, pattern: unknown, kind: string, ignorecase: unknown, multiline: unknown, scope: Scope): boolean {
  if (typeof input !== 'string') throw runtimeError(scope, `the ${kind} test needs a string, got a ${typeName(input)}`);
  const flags = `${isTruthy(ignorecase) ? 'i' : ''}${isTruthy(multiline) ? 'm' : ''}u`;
  if (kind === 'match') return pythonRegex(`^(?:${String(pattern)})`, flags, scope).test(input);
  if (kind === 'fullmatch') return pythonRegex(`^(?:${String(pattern)})$`, flags, scope).test(input);
  if (kind !== 'search') throw runtimeError(scope, `regex: unknown match_type '${kind}'`, 'Use search, match or fullmatch.');
  return pythonRegex(pattern, flags, scope).test(input);
}

/**
 * A Python regular expression as JavaScript reads it: named groups
 * `(?P<n>...)`, `(?P=n)`, `\A` and `\Z` translated. Playbooks write Python's
 * dialect; everything else common to both means the same.
 */
export function pythonRegex(pattern: unknown, flags: string, scope: Scope): RegExp {
  const source = String(pattern).replace(/\(\?P<|\(\?P=(\w+)\)|\\A|\\Z/g, (m, name?: string) => {
    if (m === '(?P<') return '(?<';
    if (name) return `\\k<${name}>`;
    return m === '\\A' ? '^' : '$';
  });
  try {
    return new RegExp(source, flags.includes('u') ? flags : `${flags}u`);
  } catch {
    // Some Python patterns are not valid under JavaScript's unicode mode (e.g. a lone '\-').
    return regexOf(source, flags.replace('u', ''), scope);
  }
}

/** Python's re.sub replacement (`\1`, `\g<1>`, `\g<name>`, `\\`) as a function of a match. */
export function pythonReplacement(template: string): (match: unknown[]) => string {
  return (match) => {
    const groups = match.find((m, i) => i > 0 && m !== null && typeof m === 'object') as Record<string, string | undefined> | undefined;
    return template.replace(/\\(?:(\d{1,2})|g<(\w+)>|(.))|\\$/gs, (all, digits?: string, name?: string, other?: string) => {
      if (digits !== undefined) return String(match[Number(digits)] ?? '');
      if (name !== undefined) return String(/^\d+$/.test(name) ? match[Number(name)] ?? '' : groups?.[name] ?? '');
      if (other !== undefined) return ({ n: '\n', t: '\t', r: '\r', '\\': '\\' } as Record<string, string>)[other] ?? all;
      return all;
    });
  };
}

/** A playbook's regular expression; a bad one is an EXPRESSION_ERROR, not a crash. */
export function regexOf(pattern: unknown, flags: string, scope: Scope): RegExp {
  try {
    return new RegExp(String(pattern), flags);
  } catch (error) {
    throw runtimeError(scope, `bad regular expression ${JSON.stringify(String(pattern))}: ${(error as Error).message}`);
  }
}
