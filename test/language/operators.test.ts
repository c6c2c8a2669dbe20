import assert from 'node:assert/strict';
import { ev, expectError } from './expression-support.js';

describe('expressions: values and operators', () => {
  const cases: [string, unknown][] = [
    ['lst', [1, 2, 3]],
    ['num', 5],
    ['d.b[1]', 'y'],
    ['d.b.1', 'y'],
    ["d['b'][0]", 'x'],
    ["hostvars[groups['managers'][0]]['init']['token']", 'SWMTKN-1-abc'],
    ['hostvars[groups.managers[0]].init.token', 'SWMTKN-1-abc'],
    ['lst[-1]', 3],
    ['s[0:5]', 'hello'],
    ['lst[::-1]', [3, 2, 1]],
    ['true', true], ['True', true], ['false', false], ['False', false], ['none', null], ['None', null],
    ['1 + 2 * 3', 7], ['(1 + 2) * 3', 9], ['7 / 2', 3.5], ['7 // 2', 3], ['7 % 3', 1], ['2 ** 10', 1024], ['-num', -5],
    ["'a' ~ 1 ~ none ~ true", 'a1NoneTrue'],
    ["'ab' + 'cd'", 'abcd'],
    ['[1] + [2]', [1, 2]],
    ["'ab' * 2", 'abab'],
    ['num > 3 and num < 10', true],
    ['num > 3 and num > 10', false],
    ["empty or 'fallback'", 'fallback'],
    ["s and 'second'", 'second'],
    ['not empty', true],
    ['2 in lst', true],
    ['9 not in lst', true],
    ["'ell' in s", true],
    ["'a' in d", true],
    ["'zz' in d", false],
    ["inventory_hostname in groups['workers']", true],
    ["inventory_hostname not in groups.managers", true],
    ['lst == [1, 2, 3]', true],
    ["d == {'a': 1, 'b': ['x', 'y']}", true],
    ["'1' == 1", false],
    ['1 == 1.0', true],
    ["'a' if num > 3 else 'b'", 'a'],
    ["'a' if num > 30 else 'b'", 'b'],
    ["'a' if num > 30", null],
    ["{'k': num, 'l': [1, 'two']}", { k: 5, l: [1, 'two'] }],
    ['(1, 2)', [1, 2]],
    ["'it''s'", 'its'],
    ["\"tab\\there\"", 'tab\there'],
    ["s.split(' ')", ['hello', 'world']],
    ["'a,b,c'.split(',', 1)", ['a', 'b,c']],
    ['s.upper()', 'HELLO WORLD'],
    ["s.startswith('hell')", true],
    ["'  x '.strip()", 'x'],
    ['d.keys()', ['a', 'b']],
    ["d.get('zz', 4)", 4],
    ['range(3)', [0, 1, 2]],
    ['1 < 2 < 3', true],
  ];
  for (const [expr, expected] of cases) {
    it(`${expr} => ${JSON.stringify(expected)}`, () => assert.deepEqual(ev(expr), expected));
  }
});

describe('expressions: runtime type errors', () => {
  it('explains a comparison of different types', () => {
    const error = expectError(() => ev("num < 'a'"), 'EXPRESSION_ERROR', /cannot compare a int with a string/);
    assert.match(error.hint ?? '', /\| int/);
  });
  it('explains arithmetic on strings', () => expectError(() => ev("'a' - 1"), 'EXPRESSION_ERROR', /needs numbers/));
  it('division by zero', () => expectError(() => ev('1 / 0'), 'EXPRESSION_ERROR', /division by zero/));
  it('a bad regular expression', () => expectError(() => ev("s | regex_search('(')"), 'EXPRESSION_ERROR', /bad regular expression/));
  it('huge repetition is refused', () => expectError(() => ev("'x' * 100000000"), 'EXPRESSION_ERROR', /too large/));
});
