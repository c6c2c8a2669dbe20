/**
 * The expression language of playbooks: what `when:`, changed_when,
 * failed_when, until and every `{{ }}` hold. It is the subset of Jinja that
 * Ansible users write, evaluated by a small parser and tree walker of our own.
 *
 * Why not jexl (it is installed and was the first choice): checked against
 * jexl 2.3.0, `x['constructor']` returns the Object constructor (its property
 * lookup reads through prototypes and its evaluator has no hook to stop it),
 * a missing name is silently `undefined` (we must fail naming the variable,
 * except under `is defined` / `default`, which needs the operand evaluated
 * lazily, and jexl transforms get their operand already evaluated), and
 * `list.attr` reads the first element. Jinja's `is`, `not in`,
 * `x if c else y`, `~`, slices and method calls would need a preprocessor that
 * is itself a tokenizer. A parser of ~600 lines that only knows plain data is
 * easier to prove safe than a patched general one.
 *
 * Safety: nothing here ever runs JavaScript built from playbook text. Values
 * are only read through `readProperty`, which sees own properties of plain
 * objects, array indexes and string indexes; `__proto__`, `constructor` and
 * `prototype` are never readable. Calls are limited to a fixed list of
 * functions, filters, tests and string/dict/list methods written here.
 *
 * Differences from Ansible (ansible-core 2.14, checked by hand) kept on purpose:
 *
 * | case                              | Ansible                     | swarmplay                               |
 * |-----------------------------------|-----------------------------|-----------------------------------------|
 * | dict/list inside a mixed string   | Python repr `{'a': 1}`      | JSON with spaces `{"a": 1}`             |
 * | whole `"{{ none }}"`              | `""`                        | `null` (type kept, like other values)   |
 * | `'5' \| float` rendered in text    | `5.0`                       | `5` (JS has one number type)            |
 * | `'0x1A' \| int`                   | `0`                         | `0` (same; base argument supported)     |
 * | `True == 1`                       | True                        | false (no bool/number crossing)         |
 * | `missing.attr is defined`         | error in plain Jinja        | false: the chain stays undefined        |
 * | `{% %}` / `{# #}`                 | Jinja statements            | TEMPLATE_SYNTAX error                   |
 * | integer vs float division `7 / 2` | 3.5                         | 3.5 (same); `//` floors                 |
 *
 * Same as Ansible: booleans render as `True`/`False` inside text, `none` as
 * the empty string inside text (but `'a' ~ none` is `aNone`), a non-empty
 * string is truthy even when it reads "false" or "no", `quote` is POSIX
 * shell quoting, `default(x)` only replaces undefined unless its second
 * argument is true, `int` of a non-number is 0, `in` works on lists, strings
 * and dict keys.
 */
import { SwarmplayError, type SourceLocation } from '../errors.js';
import { quote as shellQuote } from '../transport/shell-quote.js';
import { stringify as yamlStringify } from 'yaml';
import { didYouMean } from './suggest.js';

// ---------------------------------------------------------------------------
// Undefined: a value that remembers which name was missing. It flows through
// `is defined` and `default`; anything else that touches it fails.

export class UndefinedValue {
  constructor(
    /** The path as written: `hostvars.docker01.init`. */
    readonly path: string,
    /** Why: "'x' is undefined" or "'x' has no attribute 'y'". */
    readonly reason: string,
  ) {}
}

function isUndefined(value: unknown): value is UndefinedValue {
  return value instanceof UndefinedValue || value === undefined;
}

// ---------------------------------------------------------------------------
// Tokens

type TokenKind = 'number' | 'string' | 'name' | 'op' | 'end';
interface Token {
  kind: TokenKind;
  value: string;
  /** Offset in the expression text, for messages. */
  pos: number;
  num?: number;
}

const OPERATORS = [
  '**', '//', '==', '!=', '<=', '>=',
  '<', '>', '+', '-', '*', '/', '%', '~', '|', '(', ')', '[', ']', '{', '}', ',', ':', '.', '=',
];

function tokenize(text: string, location?: SourceLocation): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) { i++; continue; }
    if (/[0-9]/.test(ch)) {
      const match = /^(?:0[xX][0-9a-fA-F]+|[0-9][0-9_]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)/.exec(text.slice(i))!;
      const raw = match[0];
      tokens.push({ kind: 'number', value: raw, pos: i, num: Number(raw.replace(/_/g, '')) });
      i += raw.length;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const raw = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))![0];
      tokens.push({ kind: 'name', value: raw, pos: i });
      i += raw.length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const start = i;
      let out = '';
      i++;
      while (i < text.length && text[i] !== ch) {
        if (text[i] === '\\' && i + 1 < text.length) {
          const next = text[i + 1]!;
          out += ({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[next] ?? `\\${next}`;
          i += 2;
        } else {
          out += text[i];
          i++;
        }
      }
      if (i >= text.length) throw syntaxError(text, start, 'unterminated string', location);
      i++;
      tokens.push({ kind: 'string', value: out, pos: start });
      continue;
    }
    const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
    if (!op) throw syntaxError(text, i, `unexpected character '${ch}'`, location);
    tokens.push({ kind: 'op', value: op, pos: i });
    i += op.length;
  }
  tokens.push({ kind: 'end', value: '', pos: text.length });
  return tokens;
}

function syntaxError(text: string, pos: number, what: string, location?: SourceLocation): SwarmplayError {
  const caret = `  ${text}\n  ${' '.repeat(pos)}^`;
  return new SwarmplayError('EXPRESSION_SYNTAX', `${what} in expression '${text}' (at character ${pos + 1})`, {
    location,
    hint: `${caret}\nExpressions use Jinja syntax as in Ansible: names, 'strings', [lists], {'dicts': 1}, ` +
      `==, and/or/not, in, is defined, x | filter(args).`,
  });
}

// ---------------------------------------------------------------------------
// Syntax tree

type Node =
  | { type: 'literal'; value: unknown }
  | { type: 'name'; name: string; pos: number }
  | { type: 'attr'; object: Node; name: string; pos: number }
  | { type: 'item'; object: Node; key: Node; pos: number }
  | { type: 'slice'; object: Node; start?: Node; stop?: Node; step?: Node }
  | { type: 'call'; callee: Node; args: Node[]; kwargs: Record<string, Node>; pos: number }
  | { type: 'filter'; input: Node; name: string; args: Node[]; kwargs: Record<string, Node>; pos: number }
  | { type: 'test'; input: Node; name: string; args: Node[]; negated: boolean; pos: number }
  | { type: 'unary'; op: 'not' | '-' | '+'; operand: Node }
  | { type: 'binary'; op: string; left: Node; right: Node; pos: number }
  | { type: 'chain'; first: Node; rest: { op: string; right: Node; pos: number }[] }
  | { type: 'and' | 'or'; left: Node; right: Node }
  | { type: 'cond'; test: Node; then: Node; otherwise?: Node }
  | { type: 'list'; items: Node[] }
  | { type: 'dict'; entries: [Node, Node][] };

const LITERAL_NAMES: Record<string, unknown> = {
  true: true, True: true, false: false, False: false, none: null, None: null, null: null,
};

const COMPARISONS = new Set(['==', '!=', '<', '>', '<=', '>=']);

/** Recursive descent in Jinja2's own precedence order (jinja2/parser.py). */
class Parser {
  private index = 0;
  constructor(private readonly text: string, private readonly tokens: Token[], private readonly location?: SourceLocation) {}

  parse(): Node {
    if (this.peek().kind === 'end') throw this.error(this.peek(), 'empty expression');
    const node = this.expression();
    const rest = this.peek();
    if (rest.kind !== 'end') throw this.error(rest, `unexpected '${rest.value}'`);
    return node;
  }

  private peek(offset = 0): Token { return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!; }
  private next(): Token { return this.tokens[this.index++]!; }
  private isOp(value: string, offset = 0): boolean { const t = this.peek(offset); return t.kind === 'op' && t.value === value; }
  private isWord(value: string, offset = 0): boolean { const t = this.peek(offset); return t.kind === 'name' && t.value === value; }
  private expectOp(value: string): Token {
    const token = this.peek();
    if (token.kind !== 'op' || token.value !== value) {
      throw this.error(token, token.kind === 'end' ? `expected '${value}' but the expression ended` : `expected '${value}' but found '${token.value}'`);
    }
    return this.next();
  }
  private error(token: Token, what: string): SwarmplayError { return syntaxError(this.text, token.pos, what, this.location); }

  private expression(): Node {
    const value = this.or();
    if (this.isWord('if')) {
      this.next();
      const test = this.or();
      let otherwise: Node | undefined;
      if (this.isWord('else')) { this.next(); otherwise = this.expression(); }
      return { type: 'cond', test, then: value, otherwise };
    }
    return value;
  }

  private or(): Node {
    let left = this.and();
    while (this.isWord('or')) { this.next(); left = { type: 'or', left, right: this.and() }; }
    return left;
  }

  private and(): Node {
    let left = this.not();
    while (this.isWord('and')) { this.next(); left = { type: 'and', left, right: this.not() }; }
    return left;
  }

  private not(): Node {
    if (this.isWord('not')) { this.next(); return { type: 'unary', op: 'not', operand: this.not() }; }
    return this.compare();
  }

  /** Comparisons chain as in Python: `1 < x < 3` is `1 < x and x < 3`. */
  private compare(): Node {
    const first = this.math1();
    const rest: { op: string; right: Node; pos: number }[] = [];
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

  private math1(): Node {
    let left = this.concat();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next();
      left = { type: 'binary', op: op.value, left, right: this.concat(), pos: op.pos };
    }
    return left;
  }

  private concat(): Node {
    let left = this.math2();
    while (this.isOp('~')) {
      const op = this.next();
      left = { type: 'binary', op: '~', left, right: this.math2(), pos: op.pos };
    }
    return left;
  }

  private math2(): Node {
    let left = this.pow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const op = this.next();
      left = { type: 'binary', op: op.value, left, right: this.pow(), pos: op.pos };
    }
    return left;
  }

  private pow(): Node {
    let left = this.unary(true);
    while (this.isOp('**')) {
      const op = this.next();
      left = { type: 'binary', op: '**', left, right: this.unary(true), pos: op.pos };
    }
    return left;
  }

  private unary(withFilters: boolean): Node {
    let node: Node;
    if (this.isOp('-') || this.isOp('+')) {
      const op = this.next().value as '-' | '+';
      node = { type: 'unary', op, operand: this.unary(false) };
    } else {
      node = this.postfix(this.primary());
    }
    return withFilters ? this.filters(node) : node;
  }

  private primary(): Node {
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
          if (this.isOp(')')) { this.next(); return { type: 'list', items: [] }; }
          const first = this.expression();
          if (this.isOp(',')) return this.sequenceRest(first, ')');
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
  private sequenceRest(first: Node, close: string): Node {
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.isOp(close)) break;
      items.push(this.expression());
    }
    this.expectOp(close);
    return { type: 'list', items };
  }

  private dict(): Node {
    const entries: [Node, Node][] = [];
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

  private postfix(start: Node): Node {
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

  private subscript(object: Node, pos: number): Node {
    const parts: (Node | undefined)[] = [undefined];
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

  private callArguments(): { args: Node[]; kwargs: Record<string, Node> } {
    const args: Node[] = [];
    const kwargs: Record<string, Node> = {};
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

  private filters(start: Node): Node {
    let node = start;
    for (;;) {
      if (this.isOp('|')) {
        this.next();
        const nameToken = this.next();
        if (nameToken.kind !== 'name') throw this.error(nameToken, "expected a filter name after '|'");
        if (!Object.hasOwn(FILTERS, nameToken.value)) {
          throw new SwarmplayError('EXPRESSION_SYNTAX', `unknown filter '${nameToken.value}' in expression '${this.text}'`, {
            location: this.location,
            hint: didYouMean(nameToken.value, Object.keys(FILTERS), { listPrefix: 'Known filters: ' }),
          });
        }
        let args: Node[] = [];
        let kwargs: Record<string, Node> = {};
        if (this.isOp('(')) { this.next(); ({ args, kwargs } = this.callArguments()); }
        node = { type: 'filter', input: node, name: nameToken.value, args, kwargs, pos: nameToken.pos };
      } else if (this.isWord('is')) {
        this.next();
        let negated = false;
        if (this.isWord('not')) { this.next(); negated = true; }
        const nameToken = this.next();
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
        let args: Node[] = [];
        if (this.isOp('(')) { this.next(); args = this.callArguments().args; }
        else if (TESTS_WITH_ONE_ARGUMENT.has(testName) && startsOperand(this.peek())) args = [this.unary(false)];
        node = { type: 'test', input: node, name: LITERAL_TEST_NAMES[testName] ?? testName, args, negated, pos: nameToken.pos };
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

/** `x is true`, `x is none`: test names that are also literals. */
const LITERAL_TEST_NAMES: Record<string, string> = {
  true: 'true', True: 'true', false: 'false', False: 'false', none: 'none', None: 'none',
};

// ---------------------------------------------------------------------------
// Values

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const FORBIDDEN_PROPERTIES = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

/**
 * The only way an expression reads into a value: own data of plain objects,
 * array and string indexes (negative from the end, as in Python). Anything
 * else is "no such attribute".
 */
function readProperty(object: unknown, key: unknown): { found: true; value: unknown } | { found: false } {
  if (Array.isArray(object) || typeof object === 'string') {
    const index = typeof key === 'number' ? key : typeof key === 'string' && /^-?\d+$/.test(key) ? Number(key) : NaN;
    if (!Number.isInteger(index)) return { found: false };
    const at = index < 0 ? object.length + index : index;
    if (at < 0 || at >= object.length) return { found: false };
    return { found: true, value: object[at] };
  }
  if (object instanceof Map) {
    return object.has(key) ? { found: true, value: object.get(key) } : { found: false };
  }
  if (isPlainObject(object)) {
    const name = String(key);
    if (FORBIDDEN_PROPERTIES.has(name) || !Object.hasOwn(object, name)) return { found: false };
    const descriptor = Object.getOwnPropertyDescriptor(object, name);
    // A getter is how the runner may expose hostvars lazily; it is code the project wrote, not the playbook.
    return { found: true, value: descriptor && 'value' in descriptor ? descriptor.value : object[name] };
  }
  return { found: false };
}

export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (value instanceof UndefinedValue) return 'undefined';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'dict';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  return 'unsupported';
}

/** Python/Jinja truthiness, which Ansible's `when:` uses. */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

/** JSON with Python's separators (`{"a": 1, "b": [1, 2]}`): close to what Ansible users see, and still JSON. */
export function toDisplayJson(value: unknown): string {
  if (value instanceof Map) return toDisplayJson(Object.fromEntries(value));
  if (Array.isArray(value)) return `[${value.map(toDisplayJson).join(', ')}]`;
  if (isPlainObject(value)) {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${toDisplayJson(v)}`).join(', ')}}`;
  }
  if (value === undefined || value instanceof UndefinedValue) return 'null';
  return JSON.stringify(value) ?? 'null';
}

/** Jinja's str(): what `~` and the `string` filter produce. */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return toDisplayJson(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

// ---------------------------------------------------------------------------
// Evaluation

interface Scope {
  vars: Record<string, unknown>;
  text: string;
  location?: SourceLocation;
  /** Variables being templated right now (lazy `{{ }}` in variables), outermost first. */
  stack: readonly string[];
}

function runtimeError(scope: Scope, what: string, hint?: string): SwarmplayError {
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
function need(scope: Scope, value: unknown): unknown {
  if (isUndefined(value)) throw undefinedError(scope, value instanceof UndefinedValue ? value : undefined);
  if (value !== null && typeof value === 'object') return resolveContainer(scope, value, '(value)', 0);
  return value;
}

function pathOf(node: Node): string {
  switch (node.type) {
    case 'name': return node.name;
    case 'attr': return `${pathOf(node.object)}.${node.name}`;
    case 'item': return `${pathOf(node.object)}[${node.key.type === 'literal' ? JSON.stringify(node.key.value) : '...'}]`;
    case 'literal': return JSON.stringify(node.value);
    default: return '(value)';
  }
}

function evaluate(node: Node, scope: Scope): unknown {
  switch (node.type) {
    case 'literal': return node.value;
    case 'name': {
      const found = readProperty(scope.vars, node.name);
      if (!found.found) return new UndefinedValue(node.name, `'${node.name}' is undefined`);
      return resolveLookup(scope, scope.vars, found.value, node.name);
    }
    case 'attr': case 'item': {
      const object = evaluate(node.object, scope);
      const key = node.type === 'attr' ? node.name : need(scope, evaluate(node.key, scope));
      const path = node.type === 'attr' ? `${pathOf(node.object)}.${node.name}` : `${pathOf(node.object)}[${JSON.stringify(key)}]`;
      if (object instanceof UndefinedValue) return new UndefinedValue(path, object.reason);
      if (object === null || object === undefined) {
        return new UndefinedValue(path, `'${pathOf(node.object)}' is none, it has no attribute ${JSON.stringify(String(key))}`);
      }
      // Jinja tries the attribute, then the item: `d.b.1` and `d['b']` both work.
      const found = readProperty(object, key);
      if (!found.found) {
        return new UndefinedValue(path, `'${pathOf(node.object)}' (a ${typeName(object)}) has no attribute ${JSON.stringify(String(key))}`);
      }
      return resolveLookup(scope, object, found.value, path);
    }
    case 'slice': {
      const object = need(scope, evaluate(node.object, scope));
      if (!Array.isArray(object) && typeof object !== 'string') throw runtimeError(scope, `cannot slice a ${typeName(object)}`);
      const bound = (n: Node | undefined): number | undefined => {
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
      const result = test.apply(input, args, scope);
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
    case 'list': return node.items.map((item) => need(scope, evaluate(item, scope)));
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

function pythonSlice<T extends unknown[] | string>(value: T, start: number | undefined, stop: number | undefined, step: number | undefined, scope: Scope): T {
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

function compareValues(a: unknown, b: unknown, op: string, scope: Scope): number {
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

function contains(container: unknown, item: unknown, scope: Scope): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw runtimeError(scope, `'in <string>' needs a string on the left, got ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => deepEqual(x, item));
  if (container instanceof Map) return container.has(item);
  if (isPlainObject(container)) return (typeof item === 'string' || typeof item === 'number') && readProperty(container, String(item)).found;
  throw runtimeError(scope, `'in' needs a list, string or dict on the right, got ${typeName(container)}`);
}

function binary(op: string, a: unknown, b: unknown, scope: Scope): unknown {
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
    case '%': { const [x, y] = numbers(); if (y === 0) throw runtimeError(scope, 'division by zero'); return ((x % y) + y) % y; }
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

// ---------------------------------------------------------------------------
// Calls: global functions and methods on strings, lists and dicts.

const GLOBAL_FUNCTIONS: Record<string, (args: unknown[], scope: Scope) => unknown> = {
  range(args, scope) {
    const nums = args.map((a) => { if (typeof a !== 'number' || !Number.isInteger(a)) throw runtimeError(scope, 'range() needs integers'); return a; });
    const [start, stop, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
    if (step === 0) throw runtimeError(scope, 'range() step cannot be zero');
    if (Math.abs((stop - start) / step) > 100_000) throw runtimeError(scope, 'range() too large');
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  },
};

type Method = (self: never, args: unknown[], scope: Scope) => unknown;

const STRING_METHODS: Record<string, Method> = {
  split: (s: string, [sep, max]) => {
    if (sep === undefined || sep === null) return s.trim().split(/\s+/).filter((x) => x !== '');
    const separator = String(sep);
    const parts = s.split(separator);
    // Python's maxsplit: at most `max` cuts, the rest stays joined.
    if (typeof max === 'number' && max >= 0 && parts.length > max + 1) return [...parts.slice(0, max), parts.slice(max).join(separator)];
    return parts;
  },
  upper: (s: string) => s.toUpperCase(),
  lower: (s: string) => s.toLowerCase(),
  strip: (s: string, [chars]) => stripChars(s, chars, 'both'),
  lstrip: (s: string, [chars]) => stripChars(s, chars, 'start'),
  rstrip: (s: string, [chars]) => stripChars(s, chars, 'end'),
  startswith: (s: string, [prefix]) => s.startsWith(String(prefix)),
  endswith: (s: string, [suffix]) => s.endsWith(String(suffix)),
  replace: (s: string, [from, to]) => s.split(String(from)).join(String(to)),
  splitlines: (s: string) => s.split(/\r?\n/).filter((line, i, all) => !(i === all.length - 1 && line === '')),
  find: (s: string, [sub]) => s.indexOf(String(sub)),
  isdigit: (s: string) => /^[0-9]+$/.test(s),
  join: (s: string, [items]) => (Array.isArray(items) ? items.map(toText).join(s) : ''),
};

const DICT_METHODS: Record<string, Method> = {
  keys: (d: Record<string, unknown>) => Object.keys(d),
  values: (d: Record<string, unknown>) => Object.values(d),
  items: (d: Record<string, unknown>) => Object.entries(d),
  get: (d: Record<string, unknown>, [key, dflt]) => { const r = readProperty(d, key); return r.found ? r.value : (dflt ?? null); },
};

const LIST_METHODS: Record<string, Method> = {
  index: (l: unknown[], [item], scope) => { const i = l.findIndex((x) => deepEqual(x, item)); if (i < 0) throw runtimeError(scope, `${toText(item)} is not in the list`); return i; },
  count: (l: unknown[], [item]) => l.filter((x) => deepEqual(x, item)).length,
};

function stripChars(s: string, chars: unknown, side: 'both' | 'start' | 'end'): string {
  const set = chars === undefined || chars === null ? null : String(chars);
  const strip = (c: string) => (set === null ? /\s/.test(c) : set.includes(c));
  let start = 0;
  let end = s.length;
  if (side !== 'end') while (start < end && strip(s[start]!)) start++;
  if (side !== 'start') while (end > start && strip(s[end - 1]!)) end--;
  return s.slice(start, end);
}

function evaluateCall(node: Extract<Node, { type: 'call' }>, scope: Scope): unknown {
  if (Object.keys(node.kwargs).length > 0) throw runtimeError(scope, 'keyword arguments are only supported for filters');
  if (node.callee.type === 'name') {
    const fn = Object.hasOwn(GLOBAL_FUNCTIONS, node.callee.name) ? GLOBAL_FUNCTIONS[node.callee.name] : undefined;
    if (!fn) throw runtimeError(scope, `unknown function '${node.callee.name}'`, `Known functions: ${Object.keys(GLOBAL_FUNCTIONS).join(', ')}.`);
    return fn(node.args.map((a) => need(scope, evaluate(a, scope))), scope);
  }
  if (node.callee.type === 'attr') {
    const self = need(scope, evaluate(node.callee.object, scope));
    const table = typeof self === 'string' ? STRING_METHODS : Array.isArray(self) ? LIST_METHODS : isPlainObject(self) ? DICT_METHODS : undefined;
    const method = table && Object.hasOwn(table, node.callee.name) ? table[node.callee.name] : undefined;
    if (!method) {
      throw runtimeError(scope, `a ${typeName(self)} has no method '${node.callee.name}'`,
        table ? `Methods of a ${typeName(self)}: ${Object.keys(table).join(', ')}.` : undefined);
    }
    return method(self as never, node.args.map((a) => need(scope, evaluate(a, scope))), scope);
  }
  throw runtimeError(scope, 'only named functions and methods can be called');
}

// ---------------------------------------------------------------------------
// Filters. Each gets its input (possibly undefined only for `default`), its
// positional arguments and keyword arguments, all already evaluated.

interface FilterDefinition {
  acceptsUndefined?: boolean;
  apply(input: unknown, args: unknown[], kwargs: Record<string, unknown>, scope: Scope): unknown;
}

function asList(value: unknown, filter: string, scope: Scope): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (isPlainObject(value)) return Object.keys(value);
  throw runtimeError(scope, `filter '${filter}' needs a list, got ${typeName(value)}`);
}

function asString(value: unknown, filter: string, scope: Scope): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return toText(value);
  throw runtimeError(scope, `filter '${filter}' needs a string, got ${typeName(value)}`);
}

function toInteger(value: unknown, dflt: unknown, base: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : dflt;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const radix = typeof base === 'number' ? base : 10;
    const text = value.trim();
    if (radix === 10) {
      if (/^[+-]?\d+$/.test(text)) return parseInt(text, 10);
      if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Math.trunc(Number(text));
      return dflt;
    }
    const cleaned = radix === 16 ? text.replace(/^0x/i, '') : radix === 8 ? text.replace(/^0o/i, '') : radix === 2 ? text.replace(/^0b/i, '') : text;
    const n = parseInt(cleaned, radix);
    return Number.isNaN(n) ? dflt : n;
  }
  return dflt;
}

function toFloat(value: unknown, dflt: unknown): unknown {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) return Number(value);
  return dflt;
}

/** Ansible's `bool` filter: yes/on/1/true/y (any case) are true; everything else false. */
function toBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1;
  if (typeof value === 'string') return ['yes', 'on', '1', 'true', 'y', 't'].includes(value.trim().toLowerCase());
  return false;
}

function attributePath(value: unknown, attribute: string): unknown {
  let current = value;
  for (const part of attribute.split('.')) {
    const found = readProperty(current, part);
    if (!found.found) return new UndefinedValue(attribute, `an item has no attribute '${attribute}'`);
    current = found.value;
  }
  return current;
}

function sortKey(scope: Scope, attribute: unknown, caseSensitive: unknown) {
  return (item: unknown): unknown => {
    let v = typeof attribute === 'string' ? need(scope, attributePath(item, attribute)) : item;
    if (typeof v === 'string' && !caseSensitive) v = v.toLowerCase();
    return v;
  };
}

function runTest(name: unknown, input: unknown, args: unknown[], scope: Scope): boolean {
  if (typeof name !== 'string' || !Object.hasOwn(TESTS, name)) throw runtimeError(scope, `unknown test '${String(name)}'`);
  const test = TESTS[name]!;
  if (!test.acceptsUndefined) need(scope, input);
  return test.apply(input, args, scope);
}

function regexOf(pattern: unknown, flags: string, scope: Scope): RegExp {
  try {
    return new RegExp(String(pattern), flags);
  } catch (error) {
    throw runtimeError(scope, `bad regular expression ${JSON.stringify(String(pattern))}: ${(error as Error).message}`);
  }
}

const FILTERS: Record<string, FilterDefinition> = {
  default: {
    acceptsUndefined: true,
    apply: (input, [dflt = '', boolean = false]) => (isUndefined(input) || (boolean && !isTruthy(input)) ? dflt : input),
  },
  quote: { apply: (input, _a, _k, scope) => shellQuote(asString(input, 'quote', scope)) },
  join: {
    apply: (input, [sep = ''], _k, scope) => asList(input, 'join', scope).map((x) => (x === null ? '' : toText(x))).join(toText(sep)),
  },
  length: { apply: (input, _a, _k, scope) => (isPlainObject(input) ? Object.keys(input).length : asList(input, 'length', scope).length) },
  lower: { apply: (input, _a, _k, scope) => asString(input, 'lower', scope).toLowerCase() },
  upper: { apply: (input, _a, _k, scope) => asString(input, 'upper', scope).toUpperCase() },
  capitalize: { apply: (input, _a, _k, scope) => { const s = asString(input, 'capitalize', scope); return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(); } },
  int: { apply: (input, [dflt = 0, base = 10], kwargs) => toInteger(input, kwargs.default ?? dflt, kwargs.base ?? base) },
  float: { apply: (input, [dflt = 0], kwargs) => toFloat(input, kwargs.default ?? dflt) },
  bool: { apply: (input) => toBool(input) },
  string: { apply: (input) => toText(input) },
  to_json: { apply: (input) => JSON.stringify(input, null, 0) },
  to_nice_json: { apply: (input, [indent = 4]) => JSON.stringify(input, null, typeof indent === 'number' ? indent : 4) },
  from_json: {
    apply: (input, _a, _k, scope) => {
      try { return JSON.parse(asString(input, 'from_json', scope)); } catch (error) { throw runtimeError(scope, `from_json: ${(error as Error).message}`); }
    },
  },
  to_yaml: { apply: (input) => yamlStringify(input) },
  first: { apply: (input, _a, _k, scope) => { const l = asList(input, 'first', scope); return l.length ? l[0] : new UndefinedValue('first', "'first' of an empty list is undefined"); } },
  last: { apply: (input, _a, _k, scope) => { const l = asList(input, 'last', scope); return l.length ? l[l.length - 1] : new UndefinedValue('last', "'last' of an empty list is undefined"); } },
  unique: { apply: (input, _a, _k, scope) => asList(input, 'unique', scope).filter((x, i, all) => all.findIndex((y) => deepEqual(x, y)) === i) },
  sort: {
    apply: (input, [reverse = false, caseSensitive = false], kwargs, scope) => {
      const key = sortKey(scope, kwargs.attribute, kwargs.case_sensitive ?? caseSensitive);
      const sorted = [...asList(input, 'sort', scope)].sort((a, b) => compareValues(key(a), key(b), 'sort', scope));
      return (kwargs.reverse ?? reverse) ? sorted.reverse() : sorted;
    },
  },
  reverse: { apply: (input, _a, _k, scope) => (typeof input === 'string' ? [...input].reverse().join('') : [...asList(input, 'reverse', scope)].reverse()) },
  list: { apply: (input, _a, _k, scope) => [...asList(input, 'list', scope)] },
  map: {
    apply: (input, [filterName, ...rest], kwargs, scope) => {
      const items = asList(input, 'map', scope);
      if (typeof kwargs.attribute === 'string') {
        const attribute = kwargs.attribute;
        return items.map((item) => {
          const v = attributePath(item, attribute);
          return isUndefined(v) && Object.hasOwn(kwargs, 'default') ? kwargs.default : need(scope, v);
        });
      }
      if (typeof filterName !== 'string' || !Object.hasOwn(FILTERS, filterName) || filterName === 'map') {
        throw runtimeError(scope, "map needs a filter name or attribute='...'", "e.g. 'users | map(attribute=\"name\")' or 'names | map(\"upper\")'");
      }
      const filter = FILTERS[filterName]!;
      return items.map((item) => filter.apply(item, rest, {}, scope));
    },
  },
  select: { apply: (input, [test, ...args], _k, scope) => asList(input, 'select', scope).filter((x) => (test === undefined ? isTruthy(x) : runTest(test, x, args, scope))) },
  reject: { apply: (input, [test, ...args], _k, scope) => asList(input, 'reject', scope).filter((x) => !(test === undefined ? isTruthy(x) : runTest(test, x, args, scope))) },
  selectattr: {
    apply: (input, [attribute, test, ...args], _k, scope) => asList(input, 'selectattr', scope).filter((x) => {
      const v = attributePath(x, String(attribute));
      return test === undefined ? !isUndefined(v) && isTruthy(v) : runTest(test, v, args, scope);
    }),
  },
  rejectattr: {
    apply: (input, [attribute, test, ...args], _k, scope) => asList(input, 'rejectattr', scope).filter((x) => {
      const v = attributePath(x, String(attribute));
      return !(test === undefined ? !isUndefined(v) && isTruthy(v) : runTest(test, v, args, scope));
    }),
  },
  trim: { apply: (input, _a, _k, scope) => asString(input, 'trim', scope).trim() },
  replace: { apply: (input, [from, to], _k, scope) => asString(input, 'replace', scope).split(toText(from)).join(toText(to ?? '')) },
  regex_search: {
    apply: (input, [pattern], kwargs, scope) => {
      const match = regexOf(pattern, kwargs.ignorecase ? 'i' : '', scope).exec(asString(input, 'regex_search', scope));
      return match ? match[0] : null;
    },
  },
  regex_replace: {
    apply: (input, [pattern, replacement = ''], kwargs, scope) =>
      asString(input, 'regex_replace', scope).replace(regexOf(pattern, kwargs.ignorecase ? 'gi' : 'g', scope),
        // Python's \1 group references become JS's $1.
        toText(replacement).replace(/\$/g, '$$$$').replace(/\\(\d+)/g, '$$$1')),
  },
  split: { apply: (input, [sep], _k, scope) => STRING_METHODS.split!(asString(input, 'split', scope) as never, [sep], scope) },
  basename: { apply: (input, _a, _k, scope) => { const s = asString(input, 'basename', scope); return s.slice(s.lastIndexOf('/') + 1); } },
  dirname: {
    apply: (input, _a, _k, scope) => {
      const s = asString(input, 'dirname', scope);
      const at = s.lastIndexOf('/');
      if (at < 0) return '';
      return at === 0 ? '/' : s.slice(0, at).replace(/\/+$/, '') || '/';
    },
  },
  min: { apply: (input, _a, _k, scope) => { const l = asList(input, 'min', scope); return l.length ? l.reduce((a, b) => (compareValues(a, b, 'min', scope) <= 0 ? a : b)) : null; } },
  max: { apply: (input, _a, _k, scope) => { const l = asList(input, 'max', scope); return l.length ? l.reduce((a, b) => (compareValues(a, b, 'max', scope) >= 0 ? a : b)) : null; } },
  sum: { apply: (input, [start = 0], _k, scope) => asList(input, 'sum', scope).reduce((a, b) => binary('+', a, b, scope), start) },
  abs: { apply: (input, _a, _k, scope) => { if (typeof input !== 'number') throw runtimeError(scope, `filter 'abs' needs a number, got ${typeName(input)}`); return Math.abs(input); } },
  round: {
    apply: (input, [precision = 0], _k, scope) => {
      if (typeof input !== 'number') throw runtimeError(scope, `filter 'round' needs a number, got ${typeName(input)}`);
      const factor = 10 ** Number(precision);
      return Math.round(input * factor) / factor;
    },
  },
  combine: {
    apply: (input, dicts, kwargs, scope) => {
      const merge = (a: unknown, b: unknown): unknown => {
        if (!kwargs.recursive || !isPlainObject(a) || !isPlainObject(b)) return b;
        const out: Record<string, unknown> = { ...a };
        for (const [k, v] of Object.entries(b)) out[k] = Object.hasOwn(out, k) ? merge(out[k], v) : v;
        return out;
      };
      let result: Record<string, unknown> = {};
      for (const d of [input, ...dicts]) {
        if (!isPlainObject(d)) throw runtimeError(scope, `filter 'combine' needs dicts, got ${typeName(d)}`);
        result = kwargs.recursive ? merge(result, d) as Record<string, unknown> : { ...result, ...d };
      }
      return result;
    },
  },
  dict2items: {
    apply: (input, _a, _k, scope) => {
      if (!isPlainObject(input)) throw runtimeError(scope, `filter 'dict2items' needs a dict, got ${typeName(input)}`);
      return Object.entries(input).map(([key, value]) => ({ key, value }));
    },
  },
  items2dict: {
    apply: (input, _a, _k, scope) => {
      const out: Record<string, unknown> = {};
      for (const item of asList(input, 'items2dict', scope)) {
        const key = need(scope, attributePath(item, 'key'));
        if (FORBIDDEN_PROPERTIES.has(String(key))) throw runtimeError(scope, `'${String(key)}' cannot be a dict key`);
        out[String(key)] = need(scope, attributePath(item, 'value'));
      }
      return out;
    },
  },
  b64encode: { apply: (input, _a, _k, scope) => Buffer.from(asString(input, 'b64encode', scope), 'utf8').toString('base64') },
  b64decode: { apply: (input, _a, _k, scope) => Buffer.from(asString(input, 'b64decode', scope), 'base64').toString('utf8') },
  flatten: {
    apply: (input, [levels], _k, scope) => asList(input, 'flatten', scope).flat(typeof levels === 'number' ? levels : Infinity),
  },
  mandatory: {
    acceptsUndefined: true,
    apply: (input, [message], _k, scope) => {
      if (isUndefined(input)) {
        throw new SwarmplayError('UNDEFINED_VARIABLE', typeof message === 'string' ? message : `${input instanceof UndefinedValue ? input.reason : 'a value is undefined'} (mandatory)`, { location: scope.location });
      }
      return input;
    },
  },
};
FILTERS.d = FILTERS.default!;
FILTERS.count = FILTERS.length!;

function applyFilter(node: Extract<Node, { type: 'filter' }>, scope: Scope): unknown {
  const filter = FILTERS[node.name]!;
  const input = evaluate(node.input, scope);
  if (!filter.acceptsUndefined) need(scope, input);
  const args = node.args.map((a) => need(scope, evaluate(a, scope)));
  const kwargs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node.kwargs)) kwargs[k] = need(scope, evaluate(v, scope));
  return filter.apply(input, args, kwargs, scope);
}

// ---------------------------------------------------------------------------
// Tests (`x is defined`). Result tests (changed, failed...) read a registered result.

interface TestDefinition {
  acceptsUndefined?: boolean;
  apply(input: unknown, args: unknown[], scope: Scope): boolean;
}

function resultFlag(input: unknown, flag: string): boolean {
  const found = readProperty(input, flag);
  return found.found && isTruthy(found.value);
}

const TESTS: Record<string, TestDefinition> = {
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
const TESTS_WITH_ONE_ARGUMENT = new Set(['divisibleby', 'in', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'equalto', 'sameas', 'match', 'search', '==', '!=', '<', '<=', '>', '>=']);

// ---------------------------------------------------------------------------
// Lazy templating of variables. Ansible templates a variable when it is
// read, so `a: "{{ b }}"` follows b. We do the same: a string read from the
// variables is rendered at the lookup; a container is rendered when it is
// used whole (need()), its items when they are read one by one. Containers
// that are already rendered, or that hold data that must never be templated
// (a registered command's stdout may contain `{{`), are in RESOLVED.

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

function resolveLookup(scope: Scope, parent: unknown, value: unknown, path: string): unknown {
  if (parent !== null && typeof parent === 'object' && RESOLVED.has(parent)) return value;
  if (typeof value !== 'string' || !containsTemplateMarker(value)) return value;
  return renderVariable(scope, value, path);
}

function resolveContainer(scope: Scope, value: object, path: string, depth: number): unknown {
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

// ---------------------------------------------------------------------------
// Template strings: text with `{{ expression }}` inside.

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'expression'; expression: string; offset: number };

/** Whether a string needs templating: it holds `{{` or a (rejected) `{%`. */
export function containsTemplateMarker(text: string): boolean {
  return text.includes('{{') || text.includes('{%');
}

function templateError(text: string, offset: number, what: string, hint: string, location?: SourceLocation): SwarmplayError {
  return new SwarmplayError('TEMPLATE_SYNTAX', `${what} in ${JSON.stringify(text)} (at character ${offset + 1})`, { location, hint });
}

/**
 * Splits a template string into text and expressions. The end of an
 * expression is the first `}}` outside a quoted string, so `{{ '}}' }}` works.
 */
export function parseTemplateString(text: string, location?: SourceLocation): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let textStart = 0;
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('{%', i)) {
      throw templateError(text, i, "Jinja statements '{% ... %}' are not supported", 
        "Use the task keywords instead: 'when:' for if, 'loop:' for for; inside '{{ }}' use 'a if cond else b' or filters.", location);
    }
    if (!text.startsWith('{{', i)) { i++; continue; }
    if (i > textStart) parts.push({ kind: 'text', text: text.slice(textStart, i) });
    const start = i + 2;
    let j = start;
    let quote: string | null = null;
    while (j < text.length) {
      const ch = text[j]!;
      if (quote) {
        if (ch === '\\') j++;
        else if (ch === quote) quote = null;
      } else if (ch === '"' || ch === "'") {
        quote = ch;
      } else if (text.startsWith('}}', j)) {
        break;
      }
      j++;
    }
    if (j >= text.length) {
      throw templateError(text, i, "'{{' is not closed", "Close it with '}}'. To write braces literally use \"{{ '{{' }}\".", location);
    }
    const expression = text.slice(start, j);
    if (expression.trim() === '') throw templateError(text, i, "empty '{{ }}'", "Put an expression inside, e.g. '{{ inventory_hostname }}'.", location);
    parts.push({ kind: 'expression', expression, offset: start });
    i = j + 2;
    textStart = i;
  }
  if (textStart < text.length) parts.push({ kind: 'text', text: text.slice(textStart) });
  return parts;
}

/** How a value reads inside a larger string, as Ansible renders it (none is empty, booleans True/False). */
export function toTemplateText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return toText(value);
}

/**
 * Renders a string holding `{{ }}`. A string that is one whole `{{ expr }}`
 * keeps the value's type (a list stays a list); otherwise the parts are
 * joined as text. `stack` is the chain of variables being templated.
 */
export function renderTemplateString(text: string, vars: Record<string, unknown>, location?: SourceLocation, stack: readonly string[] = []): unknown {
  const parts = parseTemplateString(text, location);
  const only = parts[0];
  if (parts.length === 1 && only?.kind === 'expression') return evaluateIn(only.expression, vars, location, stack);
  return parts.map((part) => (part.kind === 'text' ? part.text : toTemplateText(evaluateIn(part.expression, vars, location, stack)))).join('');
}

function evaluateIn(expr: string, vars: Record<string, unknown>, location: SourceLocation | undefined, stack: readonly string[]): unknown {
  const node = parse(expr, location);
  const scope: Scope = { vars, text: expr.trim(), location, stack };
  return need(scope, evaluate(node, scope));
}

// ---------------------------------------------------------------------------
// Public API

const parseCache = new Map<string, Node>();
const PARSE_CACHE_LIMIT = 2000;

function parse(expr: string, location?: SourceLocation): Node {
  let node = parseCache.get(expr);
  if (!node) {
    node = new Parser(expr.trim(), tokenize(expr.trim(), location), location).parse();
    if (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.clear();
    parseCache.set(expr, node);
  }
  return node;
}

/** Parses only: throws EXPRESSION_SYNTAX (unknown filters and tests included). For static checks. */
export function checkExpressionSyntax(expr: string, location?: SourceLocation): void {
  parse(expr, location);
}

/**
 * Evaluates one expression (the inside of `{{ }}`, or a `when:`). An
 * undefined result or operand fails with UNDEFINED_VARIABLE naming it.
 * Variables holding `{{ }}` are templated as they are read.
 */
export function evaluateExpression(expr: string, vars: Record<string, unknown>, location?: SourceLocation): unknown {
  return evaluateIn(expr, vars, location, []);
}

/**
 * A condition as Ansible's `when:` takes it: a boolean, or an expression
 * (a `{{ }}` around it is tolerated, as Ansible does with a warning), judged
 * by Jinja truthiness: a non-empty string is true even if it reads "false".
 */
export function evaluateCondition(expr: string | boolean, vars: Record<string, unknown>, location?: SourceLocation): boolean {
  if (typeof expr === 'boolean') return expr;
  return isTruthy(evaluateExpression(unwrapCondition(expr), vars, location));
}

/** `when: "{{ x }}"` means `when: x`. */
export function unwrapCondition(expr: string): string {
  const match = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(expr);
  return match && !match[1]!.includes('{{') && !match[1]!.includes('}}') ? match[1]! : expr;
}

export const filterNames = (): string[] => Object.keys(FILTERS).sort();
export const testNames = (): string[] => Object.keys(TESTS).sort();

/**
 * The variable names an expression reads at its root (`a` in `a.b[c]`, and
 * `c`), for the static undefined-variable check made before any host is
 * touched. `guarded` names are read under `is defined`/`default`, where being
 * undefined is expected.
 */
export function referencedNames(expr: string, location?: SourceLocation): { names: Set<string>; guarded: Set<string> } {
  const names = new Set<string>();
  const guarded = new Set<string>();
  const walk = (node: Node | undefined, guard: boolean): void => {
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
  walk(parse(expr, location), false);
  return { names, guarded };
}
