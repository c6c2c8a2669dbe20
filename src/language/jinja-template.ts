/**
 * The Jinja engine: renders a parsed template (jinja-syntax.ts) against the
 * variables, for playbook values holding `{% %}` and for template files
 * that are not `.hbs`. Expressions are evaluated by evaluator.ts, so the
 * safety rules of expressions.ts hold unchanged: statements only bind
 * names (in Frames, searched before the variables) and repeat text.
 *
 * Why extend our own evaluator rather than use a JavaScript Jinja port
 * (nunjucks): its expressions reach JavaScript objects' prototypes and call
 * any function a value holds; its undefined is silent; its filters are
 * Jinja's, not Ansible's; and whitespace control differs. The audited
 * evaluator already answers all of these; what it lacked was statements.
 *
 * Work is bounded: loop iterations and output size per render, and macro
 * nesting, have limits far above real templates.
 */
import { SwarmplayError, type SourceLocation } from '../errors.js';
import { evaluate } from './evaluator.js';
import { need, runtimeError, type Frame, type Scope } from './scope.js';
import { ANSIBLE_DEFAULTS, BLOCK_BODY_NAME, parseTemplate, type Locate, type ParsedTemplate, type TemplateNode, type TemplateOptions } from './jinja-syntax.js';
import { CallableValue, UndefinedValue, isPlainObject, isTruthy, toTemplateText, typeName } from './values.js';


const MAX_ITERATIONS = 5_000_000;
const MAX_OUTPUT = 64 * 1024 * 1024;
const MAX_MACRO_DEPTH = 100;

interface RenderState {
  vars: Record<string, unknown>;
  stack: readonly string[];
  locate: Locate;
  iterations: number;
  size: number;
  depth: number;
}

function scopeFor(state: RenderState, frame: Frame, source: string, line: number, column: number): Scope {
  return { vars: state.vars, text: source, location: state.locate(line, column), stack: state.stack, locals: frame };
}

/** Jinja's iteration: lists, strings by character, mappings by key. */
function iterate(value: unknown, scope: Scope): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (isPlainObject(value)) return Object.keys(value);
  throw runtimeError(scope, `cannot loop over a ${typeName(value)}`, "A for loop takes a list, a string or a mapping (its keys; '| dict2items' gives key and value).");
}

function bind(frame: Frame, targets: string[], value: unknown, scope: Scope): void {
  if (targets.length === 1) { frame.names.set(targets[0]!, value); return; }
  const items = Array.isArray(value) ? value : typeof value === 'string' ? [...value] : undefined;
  if (!items || items.length !== targets.length) {
    throw runtimeError(scope, `cannot unpack a ${typeName(value)}${items ? ` of ${items.length}` : ''} into ${targets.length} names (${targets.join(', ')})`);
  }
  targets.forEach((t, i) => frame.names.set(t, items[i]));
}

function loopObject(items: unknown[], i: number, cycleScope: () => Scope): Record<string, unknown> {
  const length = items.length;
  const loop: Record<string, unknown> = {
    index: i + 1, index0: i, revindex: length - i, revindex0: length - i - 1,
    first: i === 0, last: i === length - 1, length, depth: 1, depth0: 0,
    cycle: new CallableValue('loop.cycle', (args) => {
      if (args.length === 0) throw runtimeError(cycleScope(), 'loop.cycle() needs at least one value');
      return args[i % args.length];
    }),
  };
  if (i > 0) loop.previtem = items[i - 1];
  if (i < length - 1) loop.nextitem = items[i + 1];
  return loop;
}

function renderNodes(nodes: TemplateNode[], frame: Frame, state: RenderState, out: string[]): void {
  for (const node of nodes) {
    switch (node.type) {
      case 'text':
        out.push(node.text);
        state.size += node.text.length;
        break;
      case 'output': {
        const { expr } = node;
        const scope = scopeFor(state, frame, expr.source, expr.line, expr.column);
        const text = toTemplateText(need(scope, evaluate(expr.node, scope)));
        out.push(text);
        state.size += text.length;
        break;
      }
      case 'if': {
        const taken = node.branches.find(({ test }) => {
          const scope = scopeFor(state, frame, test.source, test.line, test.column);
          return isTruthy(need(scope, evaluate(test.node, scope)));
        });
        if (taken) renderNodes(taken.body, frame, state, out);
        else if (node.otherwise) renderNodes(node.otherwise, frame, state, out);
        break;
      }
      case 'for': {
        const { iterable, filter } = node;
        const scope = scopeFor(state, frame, iterable.source, iterable.line, iterable.column);
        let items = iterate(need(scope, evaluate(iterable.node, scope)), scope);
        if (filter) {
          // The filter sees the loop variable, not `loop`: Jinja filters before counting.
          items = items.filter((item) => {
            const inner: Frame = { names: new Map(), parent: frame };
            const filterScope = scopeFor(state, inner, filter.source, filter.line, filter.column);
            bind(inner, node.targets, item, filterScope);
            return isTruthy(need(filterScope, evaluate(filter.node, filterScope)));
          });
        }
        if (items.length === 0) {
          if (node.otherwise) renderNodes(node.otherwise, frame, state, out);
          break;
        }
        for (let i = 0; i < items.length; i++) {
          if (++state.iterations > MAX_ITERATIONS || state.size > MAX_OUTPUT) {
            throw runtimeError(scope, `the template does too much work (more than ${MAX_ITERATIONS} loop turns or ${MAX_OUTPUT / 1024 / 1024} MB of text)`);
          }
          const inner: Frame = { names: new Map(), parent: frame };
          bind(inner, node.targets, items[i], scope);
          inner.names.set('loop', loopObject(items, i, () => scope));
          renderNodes(node.body, inner, state, out);
        }
        break;
      }
      case 'set': {
        const { value } = node;
        const scope = scopeFor(state, frame, value.source, value.line, value.column);
        bind(frame, node.targets, need(scope, evaluate(value.node, scope)), scope);
        break;
      }
      case 'setBlock':
        frame.names.set(node.target, renderBlock(node.body, node.filter, frame, state));
        break;
      case 'filterBlock': {
        const text = String(renderBlock(node.body, node.filter, frame, state));
        out.push(text);
        state.size += text.length;
        break;
      }
      case 'macro':
        frame.names.set(node.name, macroOf(node, frame, state));
        break;
    }
  }
}

function renderBlock(body: TemplateNode[], filter: { node: import('./parser.js').ExpressionNode; source: string; line: number; column: number } | undefined, frame: Frame, state: RenderState): unknown {
  const parts: string[] = [];
  renderNodes(body, frame, state, parts);
  const text = parts.join('');
  if (!filter) return text;
  const inner: Frame = { names: new Map([[BLOCK_BODY_NAME, text]]), parent: frame };
  const scope = scopeFor(state, inner, filter.source, filter.line, filter.column);
  return toTemplateText(need(scope, evaluate(filter.node, scope)));
}

function macroOf(node: Extract<TemplateNode, { type: 'macro' }>, defined: Frame, state: RenderState): CallableValue {
  return new CallableValue(node.name, (args, kwargs) => {
    if (state.depth >= MAX_MACRO_DEPTH) {
      throw new SwarmplayError('EXPRESSION_ERROR', `macro '${node.name}' nested deeper than ${MAX_MACRO_DEPTH} calls`, { location: state.locate(1, 1) });
    }
    if (args.length > node.params.length) {
      throw new SwarmplayError('EXPRESSION_ERROR', `macro '${node.name}' takes ${node.params.length} arguments, ${args.length} given`, { location: state.locate(1, 1) });
    }
    const frame: Frame = { names: new Map(), parent: defined };
    node.params.forEach((param, i) => {
      if (i < args.length) frame.names.set(param.name, args[i]);
      else if (Object.hasOwn(kwargs, param.name)) frame.names.set(param.name, kwargs[param.name]);
      else if (param.dflt) {
        const scope = scopeFor(state, frame, param.dflt.source, param.dflt.line, param.dflt.column);
        frame.names.set(param.name, need(scope, evaluate(param.dflt.node, scope)));
      } else frame.names.set(param.name, new UndefinedValue(param.name, `'${param.name}' is undefined (macro '${node.name}' was called without it)`));
    });
    for (const key of Object.keys(kwargs)) {
      if (!node.params.some((p) => p.name === key)) {
        throw new SwarmplayError('EXPRESSION_ERROR', `macro '${node.name}' has no parameter '${key}'`, { location: state.locate(1, 1) });
      }
    }
    const out: string[] = [];
    state.depth++;
    try {
      renderNodes(node.body, frame, state, out);
    } finally {
      state.depth--;
    }
    return out.join('');
  });
}

export interface CompiledTemplate {
  /** Renders with the variables; `stack` is the chain of variables being templated (lazy `{{ }}` in variables). */
  render(vars: Record<string, unknown>, stack?: readonly string[]): string;
}

const compiled = new Map<string, CompiledTemplate>();
const COMPILED_LIMIT = 2000;

/**
 * Compiles a template once per text, options and place: a template task
 * renders the same file on every host, a `{% %}` value every time it is read.
 * `file` names a template file (errors point at its lines); otherwise errors
 * point at `location`, the playbook value holding the text.
 */
export function compileTemplate(source: string, where: { file?: string; location?: SourceLocation }, options: TemplateOptions = ANSIBLE_DEFAULTS): CompiledTemplate {
  const key = `${where.file ?? ''}\0${where.location ? `${where.location.file}:${where.location.line}` : ''}\0${options.trimBlocks}${options.lstripBlocks}\0${source}`;
  let template = compiled.get(key);
  if (template) return template;
  const locate: Locate = where.file !== undefined
    ? (line, column) => ({ file: where.file!, line, column })
    : () => where.location;
  const parsed: ParsedTemplate = parseTemplate(source, options, locate);
  template = {
    render(vars, stack = []) {
      const state: RenderState = { vars, stack, locate, iterations: 0, size: 0, depth: 0 };
      const out: string[] = [];
      renderNodes(parsed.nodes, { names: new Map() }, state, out);
      let text = out.join('');
      // Ansible puts back the newlines at the end of the source that the render lost.
      const have = /\n*$/.exec(text)![0].length;
      if (parsed.trailingNewlines > have) text += '\n'.repeat(parsed.trailingNewlines - have);
      return text;
    },
  };
  if (compiled.size >= COMPILED_LIMIT) compiled.clear();
  compiled.set(key, template);
  return template;
}

/** The parsed tree, for the static name check. */
export function parseTemplateTree(source: string, where: { file?: string; location?: SourceLocation }, options: TemplateOptions = ANSIBLE_DEFAULTS): ParsedTemplate {
  const locate: Locate = where.file !== undefined ? (line, column) => ({ file: where.file!, line, column }) : () => where.location;
  return parseTemplate(source, options, locate);
}
