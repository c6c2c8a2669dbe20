import assert from 'node:assert/strict';
import { ev, vars } from './expression-support.js';

describe('expressions: tests (is ...)', () => {
  const cases: [string, boolean][] = [
    ['missing is defined', false],
    ['missing is not defined', true],
    ['missing is undefined', true],
    ['num is defined', true],
    ['d.zzz is defined', false],
    ['missing.deeper.still is defined', false],
    ["hostvars['docker02'].init is defined", false],
    ['nothing is none', true],
    ['num is none', false],
    ['not missing is defined', true],
    ['s is string', true],
    ['num is number', true],
    ['d is mapping', true],
    ['lst is iterable', true],
    ['num is odd', true],
    ['num is divisibleby 5', true],
    ['2 is in lst', true],
    ['true is true', true],
    ["s is match('hel')", true],
    ["s is search('world')", true],
    ['r is changed', true],
    ['r is failed', false],
    ['r is succeeded', true],
    ['r is skipped', false],
  ];
  for (const [expr, expected] of cases) {
    it(`${expr} => ${expected}`, () => assert.equal(ev(expr, { ...vars, r: { changed: true, failed: false, rc: 0 } }), expected));
  }
});
