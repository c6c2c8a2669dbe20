/**
 * The parser: tokens to a syntax tree, by recursive descent in Jinja2's own
 * precedence order (jinja2/parser.py). An unknown filter or test is a syntax
 * error here, so a playbook holding one fails when it loads, before any
 * host. Trees are cached by text: the same `when:` runs on every host.
 */
import { SwarmplayError, type SourceLocation } from '../errors.js';
import { syntaxError, tokenize, type Token } from './lexer.js';
import { FILTERS } from './filters.js';
import { TESTS, TESTS_WITH_ONE_ARGUMENT } from './tests.js';
import { didYouMean } from './suggest.js';

/** A node of the syntax tree; positions are offsets in the expression text, for messages. */
export type ExpressionNode =
  | { type: 'literal'; value: unknown }
  | { type: 'name'; name: string; pos: number }
  | { type: 'attr'; object: ExpressionNode; name: string; pos: number }
  | { type: 'item'; object: ExpressionNode; key: ExpressionNode; pos: number }
  | { type: 'slice'; object: ExpressionNode; start?: ExpressionNode; stop?: ExpressionNode; step?: ExpressionNode }
  | { type: 'call'; callee: ExpressionNode; args: ExpressionNode[]; kwargs: Record<string, ExpressionNode>; pos: number }
  | { type: 'filter'; input: ExpressionNode; name: string; args: ExpressionNode[]; kwargs: Record<string, ExpressionNode>; pos: number }
  | { type: 'test'; input: ExpressionNode; name: string; args: ExpressionNode[]; kwargs: Record<string, ExpressionNode>; negated: boolean; pos: number }
  | { type: 'unary'; op: 'not' | '-' | '+'; operand: ExpressionNode }
  | { type: 'binary'; op: string; left: ExpressionNode; right: ExpressionNode; pos: number }
  | { type: 'chain'; first: ExpressionNode; rest: { op: string; right: ExpressionNode; pos: number }[] }
  | { type: 'and' | 'or'; left: ExpressionNode; right: ExpressionNode }
  | { type: 'cond'; test: ExpressionNode; then: ExpressionNode; otherwise?: ExpressionNode }
  | { type: 'list'; items: ExpressionNode[]; tuple?: boolean }
  | { type: 'dict'; entries: [ExpressionNode, ExpressionNode][] };

export const LITERAL_NAMES: Record<string, unknown> = {
  true: true, True: true, false: false, False: false, none: null, None: null, null: null,
};

const COMPARISONS = new Set(['==', '!=', '<', '>', '<=', '>=']);

/**
 * Recursive descent in Jinja2's own precedence order (jinja2/parser.py).
 * Exported for template statements, which parse their parts with it.
 */
export class Parser {
  private index = 0;
  constructor(private readonly text: string, private readonly tokens: Token[], private readonly location?: SourceLocation) {}

  atEnd(): boolean { return this.peek().kind === 'end'; }

  /** A name a statement binds (`for x in`, `set x =`, a macro's parameter). */
  targetName(): string {
    const token = this.next();
    if (token.kind !== 'name' || RESERVED_WORDS.has(token.value) || Object.hasOwn(LITERAL_NAMES, token.value)) {
      throw this.error(token, token.kind === 'end' ? 'expected a name but the statement ended' : `expected a name but found '${token.value}'`);
    }
    return token.value;
  }

  expectWord(word: string): void {
    if (!this.isWord(word)) {
      const token = this.peek();
      throw this.error(token, token.kind === 'end' ? `expected '${word}' but the statement ended` : `expected '${word}' but found '${token.value}'`);
    }
    this.next();
  }

  expectEnd(): void {
    const rest = this.peek();
    if (rest.kind !== 'end') throw this.error(rest, `unexpected '${rest.value}'`);
  }

  parse(): ExpressionNode {
    if (this.peek().kind === 'end') throw this.error(this.peek(), 'empty expression');
    const node = this.expression();
    const rest = this.peek();
    if (rest.kind !== 'end') throw this.error(rest, `unexpected '${rest.value}'`);
    return node;
  }

  peek(offset = 0): Token { return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!; }
  next(): Token { return this.tokens[this.index++]!; }
  isOp(value: string, offset = 0): boolean { const t = this.peek(offset); return t.kind === 'op' && t.value === value; }
  isWord(value: string, offset = 0): boolean { const t = this.peek(offset); return t.kind === 'name' && t.value === value; }
  expectOp(value: string): Token {
    const token = this.peek();
    if (token.kind !== 'op' || token.value !== value) {
      throw this.error(token, token.kind === 'end' ? `expected '${value}' but the expression ended` : `expected '${value}' but found '${token.value}'`);
    }
    return this.next();
  }
  error(token: Token, what: string): SwarmplayError { return syntaxError(this.text, token.pos, what, this.location); }

  expression(): ExpressionNode {
    const value = this.or();
    if (this.isWord('if')) {
      this.next();
      const test = this.or();
      let otherwise: ExpressionNode | undefined;
      if (this.isWord('else')) { this.next(); otherwise = this.expression(); }
      return { type: 'cond', test, then: value, otherwise };
    }
    return value;
  }

  or(): ExpressionNode {
    let left = this.and();
    while (this.isWord('or')) { this.next(); left = { type: 'or', left, right: this.and() }; }
    return left;
  }

  private and(): ExpressionNode {
    let left = this.not();
    while (this.isWord('and')) { this.next(); left = { type: 'and', left, right: this.not() }; }
    return left;
  }

  private not(): ExpressionNode {
    if (this.isWord('not')) { this.next(); return { type: 'unary', op: 'not', operand: this.not() }; }
    return this.compare();
  }

  /** Comparisons chain as in Python: `1 < x < 3` is `1 < x and x < 3`. */
  private compare(): ExpressionNode {
    const first = this.math1();
    const rest: { op: string; right: ExpressionNode; pos: number }[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === 'op' && COMPARISONS.has(token.value)) {
        this.next();
        rest.push({ op: token.value, right: this.math1(), pos: token.pos });
      } else if (this.isWord('in')) {
        this.next();
        rest.push({ op: 'in', right: this.math1(), pos: token.pos });
      } else if (this.isWord('not') && this.isWord('in', 1)) {
        this.next(); this.next();
        rest.push({ op: 'not in', right: this.math1(), pos: token.pos });
      } else {
        break;
      }
    }
    if (rest.length === 0) return first;
    if (rest.length === 1) return { type: 'binary', op: rest[0]!.op, left: first, right: rest[0]!.right, pos: rest[0]!.pos };
    return { type: 'chain', first, rest };
  }

  private math1(): ExpressionNode {
    let left = this.concat();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next();
      left = { type: 'binary', op: op.value, left, right: this.concat(), pos: op.pos };
    }
    return left;
  }

  private concat(): ExpressionNode {
    let left = this.math2();
    while (this.isOp('~')) {
      const op = this.next();
      left = { type: 'binary', op: '~', left, right: this.math2(), pos: op.pos };
    }
    return left;
  }

  private math2(): ExpressionNode {
    let left = this.pow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const op = this.next();
      left = { type: 'binary', op: op.value, left, right: this.pow(), pos: op.pos };
    }
    return left;
  }

  private pow(): ExpressionNode {
    let left = this.unary(true);
    while (this.isOp('**')) {
      const op = this.next();
      left = { type: 'binary', op: '**', left, right: this.unary(true), pos: op.pos };
    }
    return left;
  }

  private unary(withFilters: boolean): ExpressionNode {
    let node: ExpressionNode;
    if (this.isOp('-') || this.isOp('+')) {
      const op = this.next().value as '-' | '+';
      node = { type: 'unary', op, operand: this.unary(false) };
    } else {
      node = this.postfix(this.primary());
    }
    return withFilters ? this.filters(node) : node;
  }

  private primary(): ExpressionNode {
    const token = this.next();
    switch (token.kind) {
      case 'number': return { type: 'literal', value: token.num };
      case 'string': {
        // Adjacent strings join, as in Python and Jinja.
        let value = token.value;
        while (this.peek().kind === 'string') value += this.next().value;
        return { type: 'literal', value };
      }
      case 'name':
        if (Object.hasOwn(LITERAL_NAMES, token.value)) return { type: 'literal', value: LITERAL_NAMES[token.value] };
        if (RESERVED_WORDS.has(token.value)) throw this.error(token, `unexpected '${token.value}'`);
        return { type: 'name', name: token.value, pos: token.pos };
      case 'op':
        if (token.value === '(') {
          if (this.isOp(')')) { this.next(); return { type: 'list', items: [], tuple: true }; }
          const first = this.expression();
          if (this.isOp(',')) return { ...(this.sequenceRest(first, ')') as Extract<ExpressionNode, { type: 'list' }>), tuple: true };
          this.expectOp(')');
          return first;
        }
        if (token.value === '[') {
          if (this.isOp(']')) { this.next(); return { type: 'list', items: [] }; }
          return this.sequenceRest(this.expression(), ']');
        }
        if (token.value === '{') return this.dict();
        throw this.error(token, `unexpected '${token.value}'`);
      case 'end':
        throw this.error(token, 'the expression ended too early');
    }
  }

  /** The rest of a list or tuple after its first item (tuples become lists). */
  private sequenceRest(first: ExpressionNode, close: string): ExpressionNode {
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.isOp(close)) break;
      items.push(this.expression());
    }
    this.expectOp(close);
    return { type: 'list', items };
  }

  private dict(): ExpressionNode {
    const entries: [ExpressionNode, ExpressionNode][] = [];
    while (!this.isOp('}')) {
      const key = this.expression();
      this.expectOp(':');
      entries.push([key, this.expression()]);
      if (!this.isOp(',')) break;
      this.next();
    }
    this.expectOp('}');
    return { type: 'dict', entries };
  }

  private postfix(start: ExpressionNode): ExpressionNode {
    let node = start;
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const token = this.next();
        if (token.kind === 'name') node = { type: 'attr', object: node, name: token.value, pos: token.pos };
        else if (token.kind === 'number' && Number.isInteger(token.num)) node = { type: 'item', object: node, key: { type: 'literal', value: token.num }, pos: token.pos };
        else throw this.error(token, "expected an attribute name after '.'");
      } else if (this.isOp('[')) {
        const open = this.next();
        node = this.subscript(node, open.pos);
      } else if (this.isOp('(')) {
        const open = this.next();
        const { args, kwargs } = this.callArguments();
        node = { type: 'call', callee: node, args, kwargs, pos: open.pos };
      } else {
        return node;
      }
    }
  }

  private subscript(object: ExpressionNode, pos: number): ExpressionNode {
    const parts: (ExpressionNode | undefined)[] = [undefined];
    let isSlice = false;
    while (!this.isOp(']')) {
      if (this.isOp(':')) { this.next(); isSlice = true; parts.push(undefined); continue; }
      if (parts[parts.length - 1] !== undefined) throw this.error(this.peek(), `expected ']' but found '${this.peek().value}'`);
      parts[parts.length - 1] = this.expression();
    }
    this.expectOp(']');
    if (!isSlice) {
      if (!parts[0]) throw this.error(this.peek(-1), 'empty subscript []');
      return { type: 'item', object, key: parts[0], pos };
    }
    if (parts.length > 3) throw this.error(this.peek(-1), 'a slice has at most three parts');
    return { type: 'slice', object, start: parts[0], stop: parts[1], step: parts[2] };
  }

  private callArguments(): { args: ExpressionNode[]; kwargs: Record<string, ExpressionNode> } {
    const args: ExpressionNode[] = [];
    const kwargs: Record<string, ExpressionNode> = {};
    while (!this.isOp(')')) {
      if (this.peek().kind === 'name' && this.isOp('=', 1)) {
        const name = this.next().value;
        this.next();
        kwargs[name] = this.expression();
      } else {
        if (Object.keys(kwargs).length > 0) throw this.error(this.peek(), 'a positional argument cannot follow a keyword argument');
        args.push(this.expression());
      }
      if (!this.isOp(',')) break;
      this.next();
    }
    this.expectOp(')');
    return { args, kwargs };
  }

  /**
   * A filter or test named with its collection (`ansible.builtin.to_json`,
   * `ansible.utils.ipaddr`): the dotted name is read whole, and the
   * collections whose plugins swarmplay has under their short names are dropped.
   */
  private pluginName(first: Token): Token {
    if (first.kind !== 'name') return first;
    let name = first.value;
    while (this.isOp('.') && this.peek(1).kind === 'name') {
      this.next();
      name += `.${this.next().value}`;
    }
    const prefix = PLUGIN_COLLECTIONS.find((p) => name.startsWith(p));
    return { ...first, value: prefix ? name.slice(prefix.length) : name };
  }

  private filters(start: ExpressionNode): ExpressionNode {
    let node = start;
    for (;;) {
      if (this.isOp('|')) {
        this.next();
        const nameToken = this.pluginName(this.next());
        if (nameToken.kind !== 'name') throw this.error(nameToken, "expected a filter name after '|'");
        if (!Object.hasOwn(FILTERS, nameToken.value)) {
          // Old roles still write tests as filters ('result | changed', '| version_compare(...)'): Ansible 2.9 dropped that spelling too.
          const isTest = Object.hasOwn(TESTS, nameToken.value);
          throw new SwarmplayError('EXPRESSION_SYNTAX', `unknown filter '${nameToken.value}' in expression '${this.text}'`, {
            location: this.location,
            hint: isTest ? `'${nameToken.value}' is a test, not a filter (Ansible stopped taking it as a filter in 2.9): write 'VALUE is ${nameToken.value}' in place of 'VALUE | ${nameToken.value}'.`
              : didYouMean(nameToken.value, Object.keys(FILTERS), { listPrefix: 'Known filters: ' }),
          });
        }
        let args: ExpressionNode[] = [];
        let kwargs: Record<string, ExpressionNode> = {};
        if (this.isOp('(')) { this.next(); ({ args, kwargs } = this.callArguments()); }
        node = { type: 'filter', input: node, name: nameToken.value, args, kwargs, pos: nameToken.pos };
      } else if (this.isWord('is')) {
        this.next();
        let negated = false;
        if (this.isWord('not')) { this.next(); negated = true; }
        const nameToken = this.pluginName(this.next());
        if (nameToken.kind !== 'name' && !(nameToken.kind === 'op' && ['==', '!=', '<', '>', '<=', '>='].includes(nameToken.value))) {
          throw this.error(nameToken, "expected a test name after 'is' (defined, none, string, ...)");
        }
        const testName = nameToken.kind === 'name' ? nameToken.value : nameToken.value;
        if (!Object.hasOwn(TESTS, testName) && !Object.hasOwn(LITERAL_NAMES, testName)) {
          throw new SwarmplayError('EXPRESSION_SYNTAX', `unknown test '${testName}' in expression '${this.text}'`, {
            location: this.location,
            hint: didYouMean(testName, Object.keys(TESTS), { listPrefix: 'Known tests: ' }),
          });
        }
        let args: ExpressionNode[] = [];
        let kwargs: Record<string, ExpressionNode> = {};
        if (this.isOp('(')) { this.next(); ({ args, kwargs } = this.callArguments()); }
        else if (TESTS_WITH_ONE_ARGUMENT.has(testName) && startsOperand(this.peek())) args = [this.unary(false)];
        node = { type: 'test', input: node, name: LITERAL_TEST_NAMES[testName] ?? testName, args, kwargs, negated, pos: nameToken.pos };
      } else {
        return node;
      }
    }
  }
}

const RESERVED_WORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);

function startsOperand(token: Token): boolean {
  if (token.kind === 'number' || token.kind === 'string') return true;
  if (token.kind === 'name') return !RESERVED_WORDS.has(token.value);
  return token.kind === 'op' && ['(', '[', '{', '-'].includes(token.value);
}

/** Collections whose filters and tests a playbook may name in full. */
const PLUGIN_COLLECTIONS = ['ansible.builtin.', 'ansible.legacy.', 'ansible.utils.', 'ansible.netcommon.', 'community.general.'];

/** `x is true`, `x is none`: test names that are also literals. */
const LITERAL_TEST_NAMES: Record<string, string> = {
  true: 'true', True: 'true', false: 'false', False: 'false', none: 'none', None: 'none',
};

const parseCache = new Map<string, ExpressionNode>();
const PARSE_CACHE_LIMIT = 2000;

/** A parser over the text of one template statement (`for x in xs if x`). */
export function statementParser(text: string, location?: SourceLocation): Parser {
  return new Parser(text, tokenize(text, location), location);
}

/** The syntax tree of an expression; throws EXPRESSION_SYNTAX (unknown filters and tests included). */
export function parseExpression(expr: string, location?: SourceLocation): ExpressionNode {
  let node = parseCache.get(expr);
  if (!node) {
    node = new Parser(expr.trim(), tokenize(expr.trim(), location), location).parse();
    if (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.clear();
    parseCache.set(expr, node);
  }
  return node;
}
