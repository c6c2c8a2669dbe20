/** Host ranges in inventory names, as Ansible writes them: `web[01:03]`, `db[a:c]`. */

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Ansible's expand_hostname_range: `web[01:03]` -> web01 web02 web03,
 * `db[a:c]`, a step `[1:9:2]`, several ranges in one name. Throws a plain
 * Error with Ansible's wording; the caller adds the location.
 */
export function expandHostRange(pattern: string): string[] {
  if (!pattern.includes('[')) return [pattern];
  const open = pattern.indexOf('[');
  const close = pattern.indexOf(']', open);
  if (close < 0) throw new Error(`unclosed '[' in host range '${pattern}'`);
  const head = pattern.slice(0, open);
  const range = pattern.slice(open + 1, close);
  const tail = pattern.slice(close + 1);
  const bounds = range.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new Error('host range must be begin:end or begin:end:step');
  const begin = bounds[0] || '0';
  const end = bounds[1]!;
  const step = bounds.length === 3 ? Number(bounds[2]) : 1;
  if (!end) throw new Error('host range must specify end value');
  if (!Number.isInteger(step) || step <= 0) throw new Error(`host range step must be a positive integer, not '${bounds[2]}'`);
  let width = 0;
  if (begin[0] === '0' && begin.length > 1) {
    if (begin.length !== end.length) throw new Error('host range must specify equal-length begin and end formats');
    width = begin.length;
  }
  const sequence: string[] = [];
  const letterBegin = begin.length === 1 ? ASCII_LETTERS.indexOf(begin) : -1;
  const letterEnd = end.length === 1 ? ASCII_LETTERS.indexOf(end) : -1;
  if (letterBegin >= 0 && letterEnd >= 0) {
    if (letterBegin > letterEnd) throw new Error('host range must have begin <= end');
    for (let i = letterBegin; i <= letterEnd; i += step) sequence.push(ASCII_LETTERS[i]!);
  } else {
    if (!/^[0-9]+$/.test(begin) || !/^[0-9]+$/.test(end)) {
      throw new Error(`host range '[${range}]' must be numbers (01:10) or single letters (a:f)`);
    }
    for (let i = Number(begin); i <= Number(end); i += step) sequence.push(String(i).padStart(width, '0'));
  }
  return sequence.flatMap((item) => expandHostRange(head + item + tail));
}
