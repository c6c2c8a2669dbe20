/**
 * Jinja template syntax: template text to a tree of text, `{{ }}` outputs
 * and `{% %}` statements, with Jinja's whitespace rules (`-` strips,
 * trim_blocks, lstrip_blocks, one trailing newline dropped) and Ansible's
 * defaults and `#jinja2:` first-line overrides. Expressions inside tags are
 * parsed by parser.ts, so a template holds exactly the language `when:`
 * holds. See jinja-template.ts for the engine as a whole.
 */
import { SwarmplayError, snippetAt, type SourceLocation } from '../errors.js';
import { statementParser, type ExpressionNode, type Parser } from './parser.js';

export interface TemplateOptions {
  /** Drop the first newline after a block tag: on in Ansible, off in plain Jinja. */
  trimBlocks: boolean;
  /** Drop spaces and tabs before a block tag at the start of a line. */
  lstripBlocks: boolean;
}

export const ANSIBLE_DEFAULTS: TemplateOptions = { trimBlocks: true, lstripBlocks: false };

/** Where a tag is, for messages: a line of a template file, or a playbook value's own location. */
export type Locate = (line: number, column: number) => SourceLocation | undefined;

interface Expr { node: ExpressionNode; source: string; line: number; column: number }

export interface MacroParameter { name: string; dflt?: Expr }

export type TemplateNode =
  | { type: 'text'; text: string }
  | { type: 'output'; expr: Expr }
  | { type: 'if'; branches: { test: Expr; body: TemplateNode[] }[]; otherwise?: TemplateNode[] }
  | { type: 'for'; targets: string[]; iterable: Expr; filter?: Expr; body: TemplateNode[]; otherwise?: TemplateNode[] }
  | { type: 'set'; targets: string[]; value: Expr }
  | { type: 'setBlock'; target: string; filter?: Expr; body: TemplateNode[] }
  | { type: 'filterBlock'; filter: Expr; body: TemplateNode[] }
  | { type: 'macro'; name: string; params: MacroParameter[]; body: TemplateNode[] };

export interface ParsedTemplate {
  nodes: TemplateNode[];
  /** Newlines at the very end of the source: Ansible puts back those the render lost. */
  trailingNewlines: number;
}

/** The name bound to a `{% set x | filter %}` body and a `{% filter %}` body while their filters run. */
export const BLOCK_BODY_NAME = 'caller_body';

const STATEMENTS = ['if', 'elif', 'else', 'endif', 'for', 'endfor', 'set', 'endset', 'macro', 'endmacro', 'raw', 'filter', 'endfilter'];

type Lexeme =
  | { kind: 'text'; text: string }
  | { kind: 'output' | 'block'; inner: string; line: number; column: number };

function syntaxError(what: string, hint: string, locate: Locate, source: string, line: number, column: number, sourceLine: number): SwarmplayError {
  const location = locate(line, column);
  return new SwarmplayError('TEMPLATE_SYNTAX', what, {
    location,
    snippet: location && location.line === line ? snippetAt(source, sourceLine, column) : undefined,
    hint,
  });
}

/** Ansible's `#jinja2: trim_blocks: False, lstrip_blocks: True` first line. */
function readOverrides(source: string, options: TemplateOptions, locate: Locate): { body: string; options: TemplateOptions; lineOffset: number } {
  if (!source.startsWith('#jinja2:')) return { body: source, options, lineOffset: 0 };
  const eol = source.indexOf('\n');
  const header = source.slice('#jinja2:'.length, eol < 0 ? source.length : eol);
  const out = { ...options };
  for (const pair of header.split(',')) {
    const at = pair.indexOf(':');
    const key = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    const flag = value === 'True' ? true : value === 'False' ? false : undefined;
    if (at < 0 || flag === undefined || (key !== 'trim_blocks' && key !== 'lstrip_blocks')) {
      throw syntaxError(`unsupported '#jinja2:' override '${pair.trim()}'`,
        "swarmplay reads 'trim_blocks: True|False' and 'lstrip_blocks: True|False' here, separated by commas.", locate, source, 1, 1, 1);
    }
    if (key === 'trim_blocks') out.trimBlocks = flag; else out.lstripBlocks = flag;
  }
  return { body: eol < 0 ? '' : source.slice(eol + 1), options: out, lineOffset: 1 };
}

/**
 * The end of a tag: the first `close` outside a quoted string and outside
 * brackets, so `{{ {'a': {'b': 1}} }}` ends at its last `}}` as in Jinja.
 */
export function tagEnd(text: string, from: number, close: string, quotes: boolean): number {
  let quote: string | null = null;
  let depth = 0;
  for (let j = from; j < text.length; j++) {
    const ch = text[j]!;
    if (quote) {
      if (ch === '\\') j++;
      else if (ch === quote) quote = null;
    } else if (quotes && (ch === '"' || ch === "'")) {
      quote = ch;
    } else if (quotes && depth > 0 && (ch === '}' || ch === ']' || ch === ')')) {
      depth--;
    } else if (text.startsWith(close, j)) {
      return j;
    } else if (quotes && (ch === '{' || ch === '[' || ch === '(')) {
      depth++;
    }
  }
  return -1;
}

function lex(source: string, options: TemplateOptions, locate: Locate, lineOffset: number): Lexeme[] {
  const out: Lexeme[] = [];
  let pos = 0;
  let lineStarting = true;
  /** What the previous tag asked of the text after it. */
  let stripNext: 'none' | 'all' | 'newline' = 'none';
  const lineAt = (offset: number): number => { let n = 1; for (let k = source.indexOf('\n'); k >= 0 && k < offset; k = source.indexOf('\n', k + 1)) n++; return n; };
  const columnAt = (offset: number): number => offset - source.lastIndexOf('\n', offset - 1);
  const fail = (what: string, hint: string, offset: number): never => {
    const line = lineAt(offset);
    throw syntaxError(what, hint, locate, source, line + lineOffset, columnAt(offset), line);
  };
  const pushText = (raw: string, opener: string | undefined, sign: string): void => {
    let text = raw;
    if (stripNext === 'all') text = text.replace(/^\s+/, '');
    else if (stripNext === 'newline' && text.startsWith('\n')) text = text.slice(1);
    if (sign === '-') {
      text = text.replace(/\s+$/, '');
    } else if (sign !== '+' && options.lstripBlocks && opener !== undefined && opener !== '{{') {
      const lineStart = text.lastIndexOf('\n') + 1;
      if ((lineStart > 0 || lineStarting) && /^[ \t]*$/.test(text.slice(lineStart))) text = text.slice(0, lineStart);
    }
    if (text !== '') out.push({ kind: 'text', text });
  };
  while (pos < source.length) {
    // A `{#` never closed is text (shell's `${#array[@]}`); Jinja would refuse the whole template.
    const starts = ['{{', '{%', '{#'].map((o) => source.indexOf(o, pos))
      .filter((i) => i >= 0 && (source[i + 1] !== '#' || source.indexOf('#}', i + 2) >= 0));
    if (starts.length === 0) { pushText(source.slice(pos), undefined, ''); break; }
    const at = Math.min(...starts);
    const opener = source.slice(at, at + 2);
    const sign = source[at + 2] === '-' || source[at + 2] === '+' ? source[at + 2]! : '';
    pushText(source.slice(pos, at), opener, sign);
    const innerStart = at + 2 + sign.length;
    const closer = opener === '{{' ? '}}' : opener === '{%' ? '%}' : '#}';
    const end = tagEnd(source, innerStart, closer, opener !== '{#');
    if (end < 0) {
      fail(`'${opener}' is not closed by '${closer}'`,
        opener === '{#' ? "A comment '{# ... #}' must be closed." : `Close it with '${closer}'. To write '${opener}' literally use {% raw %}${opener}{% endraw %}.`, at);
    }
    const stripAfter = source[end - 1] === '-' && end - 1 >= innerStart;
    const inner = source.slice(innerStart, stripAfter ? end - 1 : end);
    let next = end + 2;
    if (opener === '{{') {
      out.push({ kind: 'output', inner, line: lineAt(at) + lineOffset, column: columnAt(at) });
      stripNext = stripAfter ? 'all' : 'none';
    } else if (opener === '{#') {
      stripNext = stripAfter ? 'all' : options.trimBlocks ? 'newline' : 'none';
    } else if (/^\s*raw\s*$/.test(inner)) {
      // Everything up to {% endraw %} is text, exactly as written.
      const endRaw = /\{%([-+]?)\s*endraw\s*(-?)%\}/g;
      endRaw.lastIndex = next;
      const found = endRaw.exec(source);
      if (!found) fail("'{% raw %}' is not closed by '{% endraw %}'", 'Close it with {% endraw %}.', at);
      let body = source.slice(next, found!.index);
      if (stripAfter) body = body.replace(/^\s+/, '');
      else if (options.trimBlocks && body.startsWith('\n')) body = body.slice(1);
      if (found![1] === '-') body = body.replace(/\s+$/, '');
      if (body !== '') out.push({ kind: 'text', text: body });
      next = found!.index + found![0].length;
      stripNext = found![2] === '-' ? 'all' : options.trimBlocks ? 'newline' : 'none';
    } else {
      out.push({ kind: 'block', inner, line: lineAt(at) + lineOffset, column: columnAt(at) });
      stripNext = stripAfter ? 'all' : options.trimBlocks ? 'newline' : 'none';
    }
    // What the tag consumed after itself decides whether the next text starts a line.
    const after = source.slice(next);
    const consumed = stripNext === 'all' ? /^\s*/.exec(after)![0] : stripNext === 'newline' && after.startsWith('\n') ? '\n' : '';
    lineStarting = consumed.endsWith('\n');
    pos = next;
  }
  return out;
}

/** Splits a template into text, outputs and statements. Throws TEMPLATE_SYNTAX or EXPRESSION_SYNTAX at the tag's line. */
export function parseTemplate(rawSource: string, options: TemplateOptions, locate: Locate): ParsedTemplate {
  let trailingNewlines = 0;
  while (trailingNewlines < rawSource.length && rawSource.charCodeAt(rawSource.length - 1 - trailingNewlines) === 10) trailingNewlines++;
  const header = readOverrides(rawSource, options, locate);
  // Jinja reads every newline as \n and drops one at the very end (keep_trailing_newline off).
  const source = header.body.replace(/\r\n|\r/g, '\n').replace(/\n$/, '');
  const lexemes = lex(source, header.options, locate, header.lineOffset);
  let index = 0;

  const expr = (parser: Parser, text: string, line: number, column: number, node: () => ExpressionNode): Expr => ({ node: node(), source: text.trim(), line, column });
  const parserFor = (text: string, line: number, column: number): Parser => statementParser(text.trim(), locate(line, column));

  /** Parses nodes until one of the `until` statements; returns the nodes and the statement that ended them. */
  const parseBody = (until: string[], opened?: { name: string; line: number; column: number }): { nodes: TemplateNode[]; end?: { word: string; parser: Parser; line: number; column: number; text: string } } => {
    const nodes: TemplateNode[] = [];
    while (index < lexemes.length) {
      const lexeme = lexemes[index++]!;
      if (lexeme.kind === 'text') { nodes.push({ type: 'text', text: lexeme.text }); continue; }
      const { line, column } = lexeme;
      if (lexeme.kind === 'output') {
        if (lexeme.inner.trim() === '') throw syntaxError("empty '{{ }}'", "Put an expression inside, e.g. '{{ inventory_hostname }}'.", locate, source, line, column, line - header.lineOffset);
        if (/^\s*[#/]/.test(lexeme.inner)) {
          throw syntaxError(`'{{${lexeme.inner}}}' is Handlebars, but this template is read by Jinja`,
            "Write {% if x %}...{% endif %} / {% for x in xs %}...{% endfor %}, or give the file the .hbs extension to render it with Handlebars.",
            locate, source, line, column, line - header.lineOffset);
        }
        const parser = parserFor(lexeme.inner, line, column);
        nodes.push({ type: 'output', expr: expr(parser, lexeme.inner, line, column, () => parser.parse()) });
        continue;
      }
      const text = lexeme.inner.trim();
      const word = /^[A-Za-z_]+/.exec(text)?.[0] ?? '';
      if (!STATEMENTS.includes(word)) {
        throw syntaxError(`unknown statement '{% ${text.split(/\s/)[0]} %}'`,
          `The statements swarmplay's Jinja reads: if/elif/else, for (with else and 'if' filtering), set (and {% set x %}...{% endset %}), macro, raw, filter, and {# comments #}.`,
          locate, source, line, column, line - header.lineOffset);
      }
      const parser = parserFor(text.slice(word.length), line, column);
      if (until.includes(word)) return { nodes, end: { word, parser, line, column, text } };
      if (word.startsWith('end') || word === 'elif' || word === 'else') {
        throw syntaxError(`unexpected '{% ${word} %}'${opened ? ` inside '{% ${opened.name} %}' opened at line ${opened.line}` : ''}`,
          opened ? `Expected one of: ${until.map((w) => `{% ${w} %}`).join(', ')}.` : `There is no open block for it to ${word.startsWith('end') ? 'close' : 'continue'}.`,
          locate, source, line, column, line - header.lineOffset);
      }
      nodes.push(parseStatement(word, parser, text, line, column));
    }
    if (opened) {
      throw syntaxError(`'{% ${opened.name} %}' opened at line ${opened.line} is not closed`, `Close it with {% ${until[until.length - 1]} %}.`,
        locate, source, opened.line, opened.column, opened.line - header.lineOffset);
    }
    return { nodes };
  };

  const endOf = (parser: Parser): void => parser.expectEnd();

  const parseStatement = (word: string, parser: Parser, text: string, line: number, column: number): TemplateNode => {
    const opened = { name: word, line, column };
    const at = (node: () => ExpressionNode): Expr => ({ node: node(), source: text, line, column });
    switch (word) {
      case 'if': {
        const branches: { test: Expr; body: TemplateNode[] }[] = [];
        let test = at(() => { const n = parser.expression(); endOf(parser); return n; });
        for (;;) {
          const { nodes, end } = parseBody(['elif', 'else', 'endif'], opened);
          branches.push({ test, body: nodes });
          if (end!.word === 'elif') { const p = end!.parser; test = { node: p.expression(), source: end!.text, line: end!.line, column: end!.column }; endOf(p); continue; }
          if (end!.word === 'else') {
            endOf(end!.parser);
            const rest = parseBody(['endif'], opened);
            endOf(rest.end!.parser);
            return { type: 'if', branches, otherwise: rest.nodes };
          }
          endOf(end!.parser);
          return { type: 'if', branches };
        }
      }
      case 'for': {
        const targets = [parser.targetName()];
        while (parser.isOp(',')) { parser.next(); targets.push(parser.targetName()); }
        parser.expectWord('in');
        const iterable = at(() => parser.or());
        let filter: Expr | undefined;
        if (parser.isWord('if')) { parser.next(); filter = at(() => parser.expression()); }
        if (parser.isWord('recursive')) throw parser.error(parser.peek(), "recursive loops are not supported");
        endOf(parser);
        const { nodes, end } = parseBody(['else', 'endfor'], opened);
        endOf(end!.parser);
        if (end!.word === 'else') {
          const rest = parseBody(['endfor'], opened);
          endOf(rest.end!.parser);
          return { type: 'for', targets, iterable, filter, body: nodes, otherwise: rest.nodes };
        }
        return { type: 'for', targets, iterable, filter, body: nodes };
      }
      case 'set': {
        const targets = [parser.targetName()];
        while (parser.isOp(',')) { parser.next(); targets.push(parser.targetName()); }
        if (parser.isOp('=')) {
          parser.next();
          const value = at(() => { const n = parser.expression(); endOf(parser); return n; });
          return { type: 'set', targets, value };
        }
        if (targets.length > 1) throw parser.error(parser.peek(), "a block '{% set %}' assigns one name");
        let filter: Expr | undefined;
        if (parser.isOp('|')) filter = filterOf(text.slice(text.indexOf('|')), line, column);
        else endOf(parser);
        const { nodes, end } = parseBody(['endset'], opened);
        endOf(end!.parser);
        return { type: 'setBlock', target: targets[0]!, filter, body: nodes };
      }
      case 'filter': {
        const filter = filterOf(`|${text.slice('filter'.length)}`, line, column);
        const { nodes, end } = parseBody(['endfilter'], opened);
        endOf(end!.parser);
        return { type: 'filterBlock', filter, body: nodes };
      }
      case 'macro': {
        const name = parser.targetName();
        parser.expectOp('(');
        const params: MacroParameter[] = [];
        while (!parser.isOp(')')) {
          const param: MacroParameter = { name: parser.targetName() };
          if (parser.isOp('=')) { parser.next(); param.dflt = at(() => parser.expression()); }
          params.push(param);
          if (!parser.isOp(',')) break;
          parser.next();
        }
        parser.expectOp(')');
        endOf(parser);
        const { nodes, end } = parseBody(['endmacro'], opened);
        endOf(end!.parser);
        return { type: 'macro', name, params, body: nodes };
      }
    }
    throw new SwarmplayError('INTERNAL', `statement ${word} has no parser`);
  };

  /** `| upper | replace('a', 'b')` applied to the block's text. */
  const filterOf = (filters: string, line: number, column: number): Expr => {
    const text = `${BLOCK_BODY_NAME} ${filters.trim()}`;
    const parser = parserFor(text, line, column);
    return { node: parser.parse(), source: text, line, column };
  };

  const { nodes } = parseBody([]);
  return { nodes, trailingNewlines };
}
