/**
 * The lexer: expression text to tokens (numbers, 'strings', names,
 * operators). Also the EXPRESSION_SYNTAX error with a caret under the
 * offending character, which the parser raises too.
 */
import { SwarmplayError, type SourceLocation } from '../errors.js';

export type TokenKind = 'number' | 'string' | 'name' | 'op' | 'end';
export interface Token {
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

export function tokenize(text: string, location?: SourceLocation): Token[] {
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

export function syntaxError(text: string, pos: number, what: string, location?: SourceLocation): SwarmplayError {
  const caret = `  ${text}\n  ${' '.repeat(pos)}^`;
  return new SwarmplayError('EXPRESSION_SYNTAX', `${what} in expression '${text}' (at character ${pos + 1})`, {
    location,
    hint: `${caret}\nExpressions use Jinja syntax as in Ansible: names, 'strings', [lists], {'dicts': 1}, ` +
      `==, and/or/not, in, is defined, x | filter(args).`,
  });
}
