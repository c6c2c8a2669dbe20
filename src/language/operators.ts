/**
 * What operators do to values: comparisons, `in`, arithmetic, `~`,
 * repetition and slices, with Python's meaning where JavaScript's differs
 * (`//` floors, `%` takes the divisor's sign, negative indexes count from
 * the end) and no crossing between booleans, numbers and strings.
 */
import { runtimeError, type Scope } from './scope.js';
import { printf } from './python-format.js';
import { deepEqual, isPlainObject, readProperty, toText, typeName } from './values.js';

export function pythonSlice<T extends unknown[] | string>(value: T, start: number | undefined, stop: number | undefined, step: number | undefined, scope: Scope): T {
  const s = step ?? 1;
  if (s === 0) throw runtimeError(scope, 'slice step cannot be zero');
  const len = value.length;
  const norm = (n: number | undefined, dflt: number): number => {
    if (n === undefined) return dflt;
    const v = n < 0 ? n + len : n;
    return s > 0 ? Math.min(Math.max(v, 0), len) : Math.min(Math.max(v, -1), len - 1);
  };
  const from = norm(start, s > 0 ? 0 : len - 1);
  const to = norm(stop, s > 0 ? len : -1);
  const picked: unknown[] = [];
  for (let i = from; s > 0 ? i < to : i > to; i += s) picked.push(value[i]);
  return (typeof value === 'string' ? picked.join('') : picked) as T;
}

export function compareValues(a: unknown, b: unknown, op: string, scope: Scope): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i], b[i], op, scope);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  throw runtimeError(scope, `'${op}' cannot compare a ${typeName(a)} with a ${typeName(b)}`,
    typeof a === 'string' || typeof b === 'string' ? "Convert first, e.g. 'x | int' or 'x | string'." : undefined);
}

export function contains(container: unknown, item: unknown, scope: Scope): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw runtimeError(scope, `'in <string>' needs a string on the left, got ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => deepEqual(x, item));
  if (container instanceof Map) return container.has(item);
  if (isPlainObject(container)) return (typeof item === 'string' || typeof item === 'number') && readProperty(container, String(item)).found;
  throw runtimeError(scope, `'in' needs a list, string or dict on the right, got ${typeName(container)}`);
}

export function binary(op: string, a: unknown, b: unknown, scope: Scope): unknown {
  const numbers = (): [number, number] => {
    if (typeof a !== 'number' || typeof b !== 'number') {
      throw runtimeError(scope, `'${op}' needs numbers, got ${typeName(a)} and ${typeName(b)}`, "Convert with '| int' or '| float' first.");
    }
    return [a, b];
  };
  switch (op) {
    case '==': return deepEqual(a, b);
    case '!=': return !deepEqual(a, b);
    case '<': return compareValues(a, b, op, scope) < 0;
    case '>': return compareValues(a, b, op, scope) > 0;
    case '<=': return compareValues(a, b, op, scope) <= 0;
    case '>=': return compareValues(a, b, op, scope) >= 0;
    case 'in': return contains(b, a, scope);
    case 'not in': return !contains(b, a, scope);
    case '~': return toText(a) + toText(b);
    case '+':
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
      { const [x, y] = numbers(); return x + y; }
    case '-': { const [x, y] = numbers(); return x - y; }
    case '*':
      if ((typeof a === 'string' || Array.isArray(a)) && typeof b === 'number') return repeat(a, b, scope);
      { const [x, y] = numbers(); return x * y; }
    case '/': { const [x, y] = numbers(); if (y === 0) throw runtimeError(scope, 'division by zero'); return x / y; }
    case '//': { const [x, y] = numbers(); if (y === 0) throw runtimeError(scope, 'division by zero'); return Math.floor(x / y); }
    case '%': if (typeof a === 'string') return printf(a, b, scope);
    { const [x, y] = numbers(); if (y === 0) throw runtimeError(scope, 'division by zero'); return ((x % y) + y) % y; }
    case '**': { const [x, y] = numbers(); return x ** y; }
  }
  throw runtimeError(scope, `unknown operator '${op}'`);
}

const MAX_REPEAT_LENGTH = 1_000_000;

function repeat(value: string | unknown[], times: number, scope: Scope): string | unknown[] {
  if (!Number.isInteger(times)) throw runtimeError(scope, 'can only repeat by an integer');
  if (value.length * Math.max(times, 0) > MAX_REPEAT_LENGTH) throw runtimeError(scope, 'repetition result too large');
  if (typeof value === 'string') return value.repeat(Math.max(times, 0));
  return Array.from({ length: Math.max(times, 0) }, () => value).flat();
}
