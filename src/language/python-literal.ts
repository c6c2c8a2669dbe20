/**
 * The typing of INI inventory values: Python's ast.literal_eval, which
 * ansible-core's ini plugin applies to every `key=value` (2.14,
 * InventoryModule._parse_value). `8080` is a number, `True` a boolean,
 * `[1, 2]` a list, `{'a': 1}` a mapping, `'x'` or "x" a string; anything
 * literal_eval refuses (`yes`, `10.0.0.1`, `0644`) stays the text it was.
 *
 * Supported: ints (decimal, 0x, 0o, 0b, `_` separators), floats, strings
 * (single, double and triple quotes, r/u/b prefixes, escapes, adjacent
 * strings joined), True/False/None, lists, tuples (as lists), dicts, unary
 * minus and plus, and a trailing `# comment`. Complex numbers and sets,
 * which JSON cannot hold either, are left as text.
 */

class NotALiteral extends Error {}

/** literal_eval(text), or the text itself when Python would refuse it. */
export function parsePythonLiteral(text: string): unknown {
  try {
    const parser = new LiteralParser(text.replace(/^[ \t]+/, ''));
    const value = parser.expression();
    parser.end();
    return value;
  } catch (error) {
    if (error instanceof NotALiteral) return text;
    throw error;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

class LiteralParser {
  private pos = 0;

  constructor(private readonly src: string) {}

  private fail(): never {
    throw new NotALiteral();
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || c === '\f') this.pos++;
      else if (c === '#') this.pos = this.src.length;
      else return;
    }
  }

  private peek(): string | undefined {
    this.skipSpace();
    return this.src[this.pos];
  }

  private eat(c: string): boolean {
    if (this.peek() === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  end(): void {
    if (this.peek() !== undefined) this.fail();
  }

  expression(): unknown {
    const c = this.peek();
    if (c === undefined) this.fail();
    if (c === '-' || c === '+') {
      this.pos++;
      const operand = this.expression();
      if (typeof operand !== 'number') this.fail();
      return c === '-' ? -operand : operand;
    }
    if (c === '[') return this.sequence(']');
    if (c === '(') return this.parenthesized();
    if (c === '{') return this.dict();
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(this.src[this.pos + 1] ?? ''))) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos))?.[0];
    if (word !== undefined) {
      const next = this.src[this.pos + word.length];
      if (/^[rRuUbB]{1,2}$/.test(word) && (next === "'" || next === '"')) return this.strings();
      this.pos += word.length;
      if (word === 'True') return true;
      if (word === 'False') return false;
      if (word === 'None') return null;
      this.fail();
    }
    if (c === "'" || c === '"') return this.strings();
    this.fail();
  }

  private sequence(close: string): unknown[] {
    this.pos++;
    const items: unknown[] = [];
    while (!this.eat(close)) {
      items.push(this.expression());
      if (!this.eat(',')) {
        if (!this.eat(close)) this.fail();
        break;
      }
    }
    return items;
  }

  private parenthesized(): unknown {
    this.pos++;
    if (this.eat(')')) return [];
    const first = this.expression();
    if (this.eat(')')) return first;
    if (!this.eat(',')) this.fail();
    const items = [first];
    while (!this.eat(')')) {
      items.push(this.expression());
      if (!this.eat(',')) {
        if (!this.eat(')')) this.fail();
        break;
      }
    }
    return items;
  }

  private dict(): Record<string, unknown> {
    this.pos++;
    const out: Record<string, unknown> = {};
    while (!this.eat('}')) {
      const key = this.expression();
      // {a, b} is a set: JSON cannot hold it, so the text stays text.
      if (!this.eat(':')) this.fail();
      if (key !== null && typeof key === 'object') this.fail(); // unhashable
      out[key === null ? 'null' : typeof key === 'boolean' ? (key ? 'true' : 'false') : String(key)] = this.expression();
      if (!this.eat(',')) {
        if (!this.eat('}')) this.fail();
        break;
      }
    }
    return out;
  }

  private number(): number {
    const rest = this.src.slice(this.pos);
    const based = /^0([xX](?:_?[0-9a-fA-F])+|[oO](?:_?[0-7])+|[bB](?:_?[01])+)(?![0-9A-Za-z_.])/.exec(rest);
    if (based) {
      this.pos += based[0].length;
      const digits = based[1]!.slice(1).replace(/_/g, '');
      const radix = { x: 16, o: 8, b: 2 }[based[1]![0]!.toLowerCase() as 'x' | 'o' | 'b'];
      return parseInt(digits, radix);
    }
    const digits = '[0-9](?:_?[0-9])*';
    const float = new RegExp(`^(?:(?:${digits})?\\.${digits}|${digits}\\.?)(?:[eE][+-]?${digits})?`).exec(rest);
    if (!float) this.fail();
    const literal = float[0];
    const after = rest[literal.length];
    if (after !== undefined && /[0-9A-Za-z_.]/.test(after)) this.fail(); // 1.2.3, 12abc, 1j (complex)
    this.pos += literal.length;
    const isInt = /^[0-9_]+$/.test(literal);
    // Python 3 refuses leading zeros in a decimal int ("0644"), but not "000".
    if (isInt && /^0/.test(literal) && /[1-9]/.test(literal)) this.fail();
    return Number(literal.replace(/_/g, ''));
  }

  /** One or more adjacent string literals, joined ('a' "b" is 'ab'). */
  private strings(): string {
    let out = '';
    let kind: 'text' | 'bytes' | undefined;
    for (;;) {
      this.skipSpace();
      const prefix = /^[rRuUbB]{0,2}(?=['"])/.exec(this.src.slice(this.pos))?.[0];
      if (prefix === undefined) break;
      const lower = prefix.toLowerCase();
      if (!['', 'r', 'u', 'b', 'br', 'rb'].includes(lower)) this.fail();
      const thisKind = lower.includes('b') ? 'bytes' : 'text';
      if (kind && kind !== thisKind) this.fail(); // Python cannot join bytes and text
      kind = thisKind;
      this.pos += prefix.length;
      out += this.string(lower.includes('r'));
    }
    if (kind === undefined) this.fail();
    return out;
  }

  private string(raw: boolean): string {
    const quote = this.src[this.pos]!;
    const triple = this.src.startsWith(quote.repeat(3), this.pos);
    const close = triple ? quote.repeat(3) : quote;
    this.pos += close.length;
    let out = '';
    for (;;) {
      if (this.pos >= this.src.length) this.fail();
      if (this.src.startsWith(close, this.pos)) {
        this.pos += close.length;
        return out;
      }
      const c = this.src[this.pos]!;
      if (c === '\n' && !triple) this.fail();
      if (c !== '\\') {
        out += c;
        this.pos++;
        continue;
      }
      const next = this.src[this.pos + 1];
      if (next === undefined) this.fail();
      if (raw) {
        out += c + next;
        this.pos += 2;
        continue;
      }
      this.pos += 2;
      if (next in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[next];
      else if (/[0-7]/.test(next)) {
        const oct = /^[0-7]{0,2}/.exec(this.src.slice(this.pos))![0];
        this.pos += oct.length;
        out += String.fromCharCode(parseInt(next + oct, 8));
      } else if (next === 'x' || next === 'u' || next === 'U') {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = this.src.slice(this.pos, this.pos + length);
        if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hex)) this.fail();
        this.pos += length;
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) this.fail();
        out += String.fromCodePoint(code);
      } else {
        out += c + next;
      }
    }
  }
}
