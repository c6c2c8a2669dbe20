/**
 * Static name analysis: the variables an expression reads, found in its
 * syntax tree without evaluating it, so undefined-variables.ts can report a
 * misspelt name before any host is touched.
 */
import type { SourceLocation } from '../errors.js';
import { LITERAL_NAMES, parseExpression, type ExpressionNode } from './parser.js';

/**
 * The variable names an expression reads at its root (`a` in `a.b[c]`, and
 * `c`), for the static undefined-variable check made before any host is
 * touched. `guarded` names are read under `is defined`/`default`, where being
 * undefined is expected.
 */
export function referencedNames(expr: string, location?: SourceLocation): { names: Set<string>; guarded: Set<string> } {
  const names = new Set<string>();
  const guarded = new Set<string>();
  const walk = (node: ExpressionNode | undefined, guard: boolean): void => {
    if (!node) return;
    switch (node.type) {
      case 'literal':
        return;
      case 'name':
        if (!Object.hasOwn(LITERAL_NAMES, node.name)) (guard ? guarded : names).add(node.name);
        return;
      case 'attr':
        walk(node.object, guard);
        return;
      case 'item':
        walk(node.object, guard);
        walk(node.key, false);
        return;
      case 'slice':
        walk(node.object, guard);
        walk(node.start, false);
        walk(node.stop, false);
        walk(node.step, false);
        return;
      case 'call':
        // range(...), lookup(...): functions, not variables.
        if (node.callee.type !== 'name') walk(node.callee, guard);
        node.args.forEach((a) => walk(a, false));
        Object.values(node.kwargs).forEach((a) => walk(a, false));
        return;
      case 'filter': {
        const guards = node.name === 'default' || node.name === 'd';
        walk(node.input, guard || guards);
        node.args.forEach((a) => walk(a, false));
        Object.values(node.kwargs).forEach((a) => walk(a, false));
        return;
      }
      case 'test': {
        const guards = ['defined', 'undefined', 'none'].includes(node.name);
        walk(node.input, guard || guards);
        node.args.forEach((a) => walk(a, false));
        Object.values(node.kwargs).forEach((a) => walk(a, false));
        return;
      }
      case 'unary':
        walk(node.operand, guard);
        return;
      case 'binary':
      case 'and':
      case 'or':
        walk(node.left, guard);
        walk(node.right, guard);
        return;
      case 'chain':
        walk(node.first, guard);
        node.rest.forEach((r) => walk(r.right, guard));
        return;
      case 'cond':
        // `x if x is defined else y`: the branches are guarded by the test.
        walk(node.test, guard);
        walk(node.then, true);
        walk(node.otherwise, true);
        return;
      case 'list':
        node.items.forEach((i) => walk(i, guard));
        return;
      case 'dict':
        node.entries.forEach(([k, v]) => { walk(k, guard); walk(v, guard); });
        return;
    }
  };
  walk(parseExpression(expr, location), false);
  return { names, guarded };
}
