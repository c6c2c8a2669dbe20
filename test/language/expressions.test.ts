import assert from 'node:assert/strict';
import { evaluateCondition } from '../../src/language/expressions.js';
import { at, vars } from './expression-support.js';

describe('evaluateCondition: Ansible truthiness', () => {
  const cases: [string | boolean, boolean][] = [
    [true, true], [false, false], ['true', true], ['False', false],
    ['num', true], ['0', false], ['empty', false], ['lst', true], ['[]', false], ['{}', false], ['nothing', false],
    // As in ansible-core 2.14: a non-empty string is true even when it reads "false".
    ['f_str', true], ['no_str', true],
    ['{{ num > 3 }}', true], ['  {{ missing is defined }}  ', false],
    ["f_str | bool", false], ["'yes' | bool", true],
  ];
  for (const [cond, expected] of cases) {
    it(`${JSON.stringify(cond)} => ${expected}`, () => assert.equal(evaluateCondition(cond, { ...vars, f_str: 'false', no_str: 'no' }, at), expected));
  }
});
