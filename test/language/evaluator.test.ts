import assert from 'node:assert/strict';
import { evaluateCondition } from '../../src/language/expressions.js';
import { at, ev, expectError, vars } from './expression-support.js';

describe('expressions: undefined variables', () => {
  it('names a missing variable and carries the location', () => {
    const error = expectError(() => ev('missing'), 'UNDEFINED_VARIABLE', /'missing' is undefined/);
    assert.deepEqual(error.location, at);
    assert.match(error.hint ?? '', /default|is defined/);
  });
  it('names the missing attribute and the value that lacks it', () => {
    expectError(() => ev('d.zzz'), 'UNDEFINED_VARIABLE', /'d' \(a dict\) has no attribute "zzz"/);
    expectError(() => ev("hostvars['docker02']['init']['token']"), 'UNDEFINED_VARIABLE', /has no attribute "init"/);
  });
  it('fails when an undefined value is used in an operation, a filter, a comparison or a condition', () => {
    expectError(() => ev('missing + 1'), 'UNDEFINED_VARIABLE', /'missing'/);
    expectError(() => ev('missing | upper'), 'UNDEFINED_VARIABLE', /'missing'/);
    expectError(() => ev('missing == 1'), 'UNDEFINED_VARIABLE', /'missing'/);
    expectError(() => ev("'a' in missing"), 'UNDEFINED_VARIABLE', /'missing'/);
    expectError(() => evaluateCondition('missing', vars, at), 'UNDEFINED_VARIABLE', /'missing'/);
    expectError(() => ev('missing.attr'), 'UNDEFINED_VARIABLE', /'missing' is undefined/);
    expectError(() => ev('[] | first'), 'UNDEFINED_VARIABLE', /empty list/);
  });
  it('an index out of range is undefined, not an empty value', () => {
    expectError(() => ev('lst[10]'), 'UNDEFINED_VARIABLE', /no attribute "10"/);
    assert.equal(ev("lst[10] | default('none')"), 'none');
  });
  it('mandatory fails with its own message', () => {
    expectError(() => ev("missing | mandatory('set the token first')"), 'UNDEFINED_VARIABLE', /set the token first/);
  });
});
