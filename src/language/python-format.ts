/**
 * Python's string formatting as templates use it: the `%` operator
 * (`'%s-%02d' % (name, n)`, `'%(k)s' % d`) and the `format` filter, which
 * is the same printf style. Only data goes in and text comes out.
 */
import { runtimeError, type Scope } from './scope.js';
import { isPlainObject, numberText, pythonRepr, toText, typeName } from './values.js';

const SPEC = /%(?:\(([^)]*)\))?([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXeEfFgGcrsa%])/g;

function pad(text: string, flags: string, width: number | undefined): string {
  if (width === undefined || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (flags.includes('0') && /^[-+ ]?[0-9.]/.test(text)) {
    const sign = /^[-+ ]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

function asNumber(value: unknown, conversion: string, scope: Scope): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw runtimeError(scope, `%${conversion} format: a number is required, not ${typeName(value)}`);
}

function signed(text: string, n: number, flags: string): string {
  if (n < 0 || Object.is(n, -0)) return text;
  return flags.includes('+') ? `+${text}` : flags.includes(' ') ? ` ${text}` : text;
}

/** `format % values`, Python's printf-style formatting. */
export function printf(format: string, values: unknown, scope: Scope): string {
  const list = Array.isArray(values) ? values : [values];
  let next = 0;
  const take = (): unknown => {
    if (next >= list.length) throw runtimeError(scope, 'not enough arguments for format string');
    return list[next++];
  };
  let usedMapping = false;
  const out = format.replace(SPEC, (_all, key: string | undefined, flags: string, widthText: string | undefined, precisionText: string | undefined, conversion: string) => {
    if (conversion === '%') return '%';
    const width = widthText === '*' ? Number(take()) : widthText === undefined ? undefined : Number(widthText);
    const precision = precisionText === '*' ? Number(take()) : precisionText === undefined ? undefined : Number(precisionText);
    let value: unknown;
    if (key !== undefined) {
      if (!isPlainObject(values)) throw runtimeError(scope, 'format requires a mapping');
      if (!Object.hasOwn(values, key)) throw runtimeError(scope, `format: no key '${key}' in the mapping`);
      value = values[key];
      usedMapping = true;
    } else {
      value = take();
    }
    let text: string;
    switch (conversion) {
      case 's': text = toText(value); if (precision !== undefined) text = text.slice(0, precision); break;
      case 'r': case 'a': text = pythonRepr(value); break;
      case 'c': text = typeof value === 'number' ? String.fromCodePoint(value) : toText(value); break;
      case 'd': case 'i': case 'u': { const n = Math.trunc(asNumber(value, conversion, scope)); text = signed(numberText(n), n, flags); break; }
      case 'x': case 'X': case 'o': {
        const n = Math.trunc(asNumber(value, conversion, scope));
        let digits = Math.abs(n).toString(conversion === 'o' ? 8 : 16);
        if (flags.includes('#')) digits = (conversion === 'o' ? '0o' : '0x') + digits;
        if (conversion === 'X') digits = digits.toUpperCase();
        text = signed(n < 0 ? `-${digits}` : digits, n, flags);
        break;
      }
      case 'e': case 'E': {
        const n = asNumber(value, conversion, scope);
        const [m, e] = n.toExponential(precision ?? 6).split('e') as [string, string];
        text = signed(`${m}e${e.startsWith('-') ? '-' : '+'}${e.replace(/^[-+]/, '').padStart(2, '0')}`, n, flags);
        if (conversion === 'E') text = text.toUpperCase();
        break;
      }
      case 'f': case 'F': { const n = asNumber(value, conversion, scope); text = signed(n.toFixed(precision ?? 6), n, flags); break; }
      default: { // g, G
        const n = asNumber(value, conversion, scope);
        const p = precision === 0 ? 1 : precision ?? 6;
        const exponent = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
        text = exponent < -4 || exponent >= p
          ? n.toExponential(p - 1).replace(/\.?0+e/, 'e').replace(/e([-+])(\d)$/, 'e$10$2')
          : String(Number(n.toPrecision(p)));
        text = signed(text, n, flags);
        if (conversion === 'G') text = text.toUpperCase();
      }
    }
    return pad(text, flags, width);
  });
  if (!usedMapping && Array.isArray(values) && next < list.length) throw runtimeError(scope, 'not all arguments converted during string formatting');
  if (!usedMapping && !Array.isArray(values) && next === 0 && !isPlainObject(values)) throw runtimeError(scope, 'not all arguments converted during string formatting');
  return out;
}
