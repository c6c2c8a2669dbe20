/**
 * The evaluator: walks a syntax tree against the variables. A missing name
 * or attribute gives an UndefinedValue rather than an error, so `is defined`
 * and `default` can look at it; need() fails on it anywhere else. The right
 * side of `and`/`or` and the untaken branch of `x if c else y` are never
 * evaluated, as in Jinja.
 */
import type { SourceLocation } from '../errors.js';
import { parseExpression, type ExpressionNode } from './parser.js';
import { lookupLocal, need, runtimeError, type Frame, type Scope } from './scope.js';
import { binary, pythonSlice } from './operators.js';
import { DICT_METHODS, GLOBAL_FUNCTIONS, LIST_METHODS, STRING_METHODS, methodOf } from './methods.js';
import { FILTERS } from './filters.js';
import { TESTS } from './tests.js';
import { resolveLookup } from './lazy-variables.js';
import { CallableValue, FORBIDDEN_PROPERTIES, OMIT_TOKEN, tuple, UndefinedValue, isPlainObject, isTruthy, readProperty, typeName } from './values.js';

function pathOf(node: ExpressionNode): string {
  switch (node.type) {
    case 'name': return node.name;
    case 'attr': return `${pathOf(node.object)}.${node.name}`;
    case 'item': return `${pathOf(node.object)}[${node.key.type === 'literal' ? JSON.stringify(node.key.value) : '...'}]`;
    case 'literal': return JSON.stringify(node.value);
    default: return '(value)';
  }
}

/**
 * `object.name` and `object[key]` as Jinja reads them: getattr then getitem for `d.keys` (a dict's method
 * before its 'keys' item), getitem then getattr for `d['keys']`.
 */
function readMember(node: Extract<ExpressionNode, { type: 'attr' | 'item' }>, object: unknown, key: unknown, scope: Scope): unknown {
  const path = node.type === 'attr' ? `${pathOf(node.object)}.${node.name}` : `${pathOf(node.object)}[${JSON.stringify(key)}]`;
  if (object instanceof UndefinedValue) return new UndefinedValue(path, object.reason);
  if (object === null || object === undefined) {
    return new UndefinedValue(path, `'${pathOf(node.object)}' is none, it has no attribute ${JSON.stringify(String(key))}`);
  }
  const method = node.type === 'attr' ? methodOf(object, key, scope) : undefined;
  if (method) return method;
  const found = readProperty(object, key);
  if (!found.found) {
    return methodOf(object, key, scope) ?? new UndefinedValue(path, `'${pathOf(node.object)}' (a ${typeName(object)}) has no attribute ${JSON.stringify(String(key))}`);
  }
  return resolveLookup(scope, object, found.value, path);
}

export function evaluate(node: ExpressionNode, scope: Scope): unknown {
  switch (node.type) {
    case 'literal': return node.value;
    case 'name': {
      const local = lookupLocal(scope.locals, node.name);
      if (local.found) return local.value;
      const found = readProperty(scope.vars, node.name);
      if (!found.found) return node.name === 'omit' ? OMIT_TOKEN : new UndefinedValue(node.name, `'${node.name}' is undefined`);
      return resolveLookup(scope, scope.vars, found.value, node.name);
    }
    case 'attr': case 'item': {
      const object = evaluate(node.object, scope);
      const key = node.type === 'attr' ? node.name : need(scope, evaluate(node.key, scope));
      return readMember(node, object, key, scope);
    }
    case 'slice': {
      const object = need(scope, evaluate(node.object, scope));
      if (!Array.isArray(object) && typeof object !== 'string') throw runtimeError(scope, `cannot slice a ${typeName(object)}`);
      const bound = (n: ExpressionNode | undefined): number | undefined => {
        if (!n) return undefined;
        const v = need(scope, evaluate(n, scope));
        if (typeof v !== 'number' || !Number.isInteger(v)) throw runtimeError(scope, `slice bounds must be integers, got ${typeName(v)}`);
        return v;
      };
      return pythonSlice(object, bound(node.start), bound(node.stop), bound(node.step), scope);
    }
    case 'call': return evaluateCall(node, scope);
    case 'filter': return applyFilter(node, scope);
    case 'test': {
      const test = TESTS[node.name]!;
      const input = evaluate(node.input, scope);
      if (!test.acceptsUndefined) need(scope, input);
      const args = node.args.map((a) => need(scope, evaluate(a, scope)));
      const kwargs: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node.kwargs)) kwargs[k] = need(scope, evaluate(v, scope));
      const result = test.apply(input, args, scope, kwargs);
      return node.negated ? !result : result;
    }
    case 'unary': {
      if (node.op === 'not') return !isTruthy(need(scope, evaluate(node.operand, scope)));
      const value = need(scope, evaluate(node.operand, scope));
      if (typeof value !== 'number') throw runtimeError(scope, `unary '${node.op}' needs a number, got ${typeName(value)}`);
      return node.op === '-' ? -value : value;
    }
    case 'and': {
      const left = need(scope, evaluate(node.left, scope));
      return isTruthy(left) ? need(scope, evaluate(node.right, scope)) : left;
    }
    case 'or': {
      const left = need(scope, evaluate(node.left, scope));
      return isTruthy(left) ? left : need(scope, evaluate(node.right, scope));
    }
    case 'cond': {
      if (isTruthy(need(scope, evaluate(node.test, scope)))) return evaluate(node.then, scope);
      // Jinja gives undefined here and Ansible renders it as nothing: none is the nearest plain value.
      return node.otherwise ? evaluate(node.otherwise, scope) : null;
    }
    case 'list': {
      const items = node.items.map((item) => need(scope, evaluate(item, scope)));
      return node.tuple ? tuple(items) : items;
    }
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [keyNode, valueNode] of node.entries) {
        const key = need(scope, evaluate(keyNode, scope));
        if (typeof key !== 'string' && typeof key !== 'number') throw runtimeError(scope, `dict keys must be strings or numbers, got ${typeName(key)}`);
        const name = String(key);
        if (FORBIDDEN_PROPERTIES.has(name)) throw runtimeError(scope, `'${name}' cannot be a dict key`);
        out[name] = need(scope, evaluate(valueNode, scope));
      }
      return out;
    }
    case 'binary': return binary(node.op, need(scope, evaluate(node.left, scope)), need(scope, evaluate(node.right, scope)), scope);
    case 'chain': {
      let left = need(scope, evaluate(node.first, scope));
      for (const { op, right: rightNode } of node.rest) {
        const right = need(scope, evaluate(rightNode, scope));
        if (!binary(op, left, right, scope)) return false;
        left = right;
      }
      return true;
    }
  }
}

function evaluateCall(node: Extract<ExpressionNode, { type: 'call' }>, scope: Scope): unknown {
  const args = (): unknown[] => node.args.map((a) => need(scope, evaluate(a, scope)));
  const kwargs = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node.kwargs)) out[k] = need(scope, evaluate(v, scope));
    return out;
  };
  if (node.callee.type === 'name') {
    const local = lookupLocal(scope.locals, node.callee.name);
    if (local.found && local.value instanceof CallableValue) return local.value.invoke(args(), kwargs());
    const fn = Object.hasOwn(GLOBAL_FUNCTIONS, node.callee.name) ? GLOBAL_FUNCTIONS[node.callee.name] : undefined;
    if (!fn) throw runtimeError(scope, `unknown function '${node.callee.name}'`, `Known functions: ${Object.keys(GLOBAL_FUNCTIONS).join(', ')}.`);
    return fn(args(), scope, kwargs());
  }
  if (node.callee.type === 'attr') {
    const self = need(scope, evaluate(node.callee.object, scope));
    const member = readMember(node.callee, self, node.callee.name, scope);
    if (member instanceof CallableValue) return member.invoke(args(), kwargs());
    const table = typeof self === 'string' ? STRING_METHODS : Array.isArray(self) ? LIST_METHODS : isPlainObject(self) ? DICT_METHODS : undefined;
    throw runtimeError(scope, `a ${typeName(self)} has no method '${node.callee.name}'`,
      table ? `Methods of a ${typeName(self)}: ${Object.keys(table).join(', ')}.` : undefined);
  }
  const callee = need(scope, evaluate(node.callee, scope));
  if (callee instanceof CallableValue) return callee.invoke(args(), kwargs());
  throw runtimeError(scope, 'only named functions, macros and methods can be called');
}

function applyFilter(node: Extract<ExpressionNode, { type: 'filter' }>, scope: Scope): unknown {
  const filter = FILTERS[node.name]!;
  const input = evaluate(node.input, scope);
  if (!filter.acceptsUndefined) need(scope, input);
  const args = node.args.map((a) => need(scope, evaluate(a, scope)));
  const kwargs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node.kwargs)) kwargs[k] = need(scope, evaluate(v, scope));
  return filter.apply(input, args, kwargs, scope);
}

/** Parses and evaluates one expression; `stack` is the chain of variables being templated. */
export function evaluateIn(expr: string, vars: Record<string, unknown>, location: SourceLocation | undefined, stack: readonly string[], locals?: Frame): unknown {
  const node = parseExpression(expr, location);
  const scope: Scope = { vars, text: expr.trim(), location, stack, locals };
  return need(scope, evaluate(node, scope));
}
