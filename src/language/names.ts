/**
 * Static name analysis: the variables an expression reads, found in its
 * syntax tree without evaluating it, so undefined-variables.ts can report a
 * misspelt name before any host is touched.
 */
import type { SourceLocation } from '../errors.js';
import { LITERAL_NAMES, parseExpression, type ExpressionNode } from './parser.js';
import { BLOCK_BODY_NAME, type TemplateNode } from './jinja-syntax.js';
import { parseTemplateTree } from './jinja-template.js';

/**
 * The names a condition proves defined when it is true (`x is defined`,
 * `x is not undefined`, joined by `and`), or, with `whenTrue` false, when it
 * is false (`x is undefined`, `x is not defined`, joined by `or`).
 */
function definedBy(node: ExpressionNode, whenTrue: boolean): Set<string> {
  const out = new Set<string>();
  const visit = (n: ExpressionNode, positive: boolean): void => {
    if (n.type === 'test' && (n.name === 'defined' || n.name === 'undefined') && n.input.type === 'name') {
      if ((n.name === 'defined') !== n.negated === positive) out.add(n.input.name);
    } else if (n.type === 'unary' && n.op === 'not') {
      visit(n.operand, !positive);
    } else if ((n.type === 'and' && positive) || (n.type === 'or' && !positive)) {
      visit(n.left, positive);
      visit(n.right, positive);
    }
  };
  visit(node, whenTrue);
  return out;
}

/**
 * The variables a template string with `{% %}` statements reads: each
 * expression's names, less those the template binds itself (loop targets,
 * `loop`, set, macros and their parameters). Names read inside
 * `{% if x is defined %}` are guarded.
 */
export function templateNames(text: string, location?: SourceLocation): { names: Set<string>; guarded: Set<string> } {
  const names = new Set<string>();
  const guarded = new Set<string>();
  const visit = (nodes: TemplateNode[], bound: Set<string>, safe: Set<string>): void => {
    const local = new Set(bound);
    const read = (node: ExpressionNode, extraSafe: Set<string> = new Set()): void => {
      const refs = namesOf(node);
      for (const name of refs.names) {
        if (local.has(name)) continue;
        (safe.has(name) || extraSafe.has(name) ? guarded : names).add(name);
      }
      for (const name of refs.guarded) if (!local.has(name)) guarded.add(name);
    };
    for (const node of nodes) {
      switch (node.type) {
        case 'text': break;
        case 'output': read(node.expr.node); break;
        case 'if': {
          let proven = new Set<string>();
          for (const branch of node.branches) {
            read(branch.test.node, proven);
            visit(branch.body, local, new Set([...safe, ...proven, ...definedBy(branch.test.node, true)]));
            proven = new Set([...proven, ...definedBy(branch.test.node, false)]);
          }
          if (node.otherwise) visit(node.otherwise, local, new Set([...safe, ...proven]));
          break;
        }
        case 'for': {
          read(node.iterable.node);
          const inner = new Set([...local, ...node.targets, 'loop']);
          if (node.filter) visit([{ type: 'output', expr: node.filter }], inner, safe);
          visit(node.body, inner, safe);
          if (node.otherwise) visit(node.otherwise, local, safe);
          break;
        }
        case 'set': read(node.value.node); node.targets.forEach((t) => local.add(t)); break;
        case 'setBlock':
          visit(node.body, local, safe);
          if (node.filter) visit([{ type: 'output', expr: node.filter }], new Set([...local, BLOCK_BODY_NAME]), safe);
          local.add(node.target);
          break;
        case 'filterBlock':
          visit(node.body, local, safe);
          visit([{ type: 'output', expr: node.filter }], new Set([...local, BLOCK_BODY_NAME]), safe);
          break;
        case 'macro':
          local.add(node.name);
          for (const p of node.params) if (p.dflt) read(p.dflt.node);
          visit(node.body, new Set([...local, ...node.params.map((p) => p.name), 'varargs', 'kwargs']), safe);
          break;
      }
    }
  };
  visit(parseTemplateTree(text, { location }).nodes, new Set(), new Set());
  return { names, guarded };
}

/**
 * The variable names an expression reads at its root (`a` in `a.b[c]`, and
 * `c`), for the static undefined-variable check made before any host is
 * touched. `guarded` names are read under `is defined`/`default`, where being
 * undefined is expected.
 */
export function referencedNames(expr: string, location?: SourceLocation): { names: Set<string>; guarded: Set<string> } {
  return namesOf(parseExpression(expr, location));
}

function namesOf(root: ExpressionNode): { names: Set<string>; guarded: Set<string> } {
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
        walk(node.left, guard);
        walk(node.right, guard);
        return;
      case 'and':
      case 'or': {
        // Short-circuits: in `x is defined and x | bool` (or `x is undefined or x | bool`) the right side reads x only when it exists.
        walk(node.left, guard);
        const safe = node.type === 'and' ? definedBy(node.left, true) : definedBy(node.left, false);
        const before = new Set(names);
        walk(node.right, guard);
        for (const name of names) if (!before.has(name) && safe.has(name)) { names.delete(name); guarded.add(name); }
        return;
      }
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
  walk(root, false);
  return { names, guarded };
}
