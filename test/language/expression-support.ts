/** What the expression tests share: a location, variables to read, and an error check. */
import assert from 'node:assert/strict';
import { SwarmplayError } from '../../src/errors.js';
import { evaluateExpression } from '../../src/language/expressions.js';

export const at = { file: 'site.yaml', line: 7, column: 9 };

export const vars: Record<string, unknown> = {
  lst: [1, 2, 3],
  num: 5,
  s: 'hello world',
  d: { a: 1, b: ['x', 'y'] },
  empty: '',
  nothing: null,
  x: {},
  hostvars: { docker01: { init: { token: 'SWMTKN-1-abc' } }, docker02: {} },
  groups: { managers: ['docker01'], workers: ['docker02', 'docker03'] },
  inventory_hostname: 'docker02',
  users: [{ name: 'ann', admin: true }, { name: 'bob', admin: false }],
};

export const ev = (expr: string, v: Record<string, unknown> = vars) => evaluateExpression(expr, v, at);

export function expectError(fn: () => unknown, code: string, message?: RegExp): SwarmplayError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SwarmplayError, `expected a SwarmplayError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}
