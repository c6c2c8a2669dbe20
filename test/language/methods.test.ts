/**
 * Methods of strings, lists and dicts read as attributes, as Python's getattr
 * finds them (the comparison with ansible-playbook is the `attributes` project
 * of ansible-compat.test.ts); here: calling them, and the ones not supported.
 */
import assert from 'node:assert/strict';
import { ev, expectError } from './expression-support.js';

describe('methods read as attributes', () => {
  it('a method name is a defined, callable attribute of every dict, and wins over an item of that name', () => {
    assert.equal(ev('d.keys is defined'), true);
    assert.equal(ev('d.update is defined'), true);
    assert.equal(ev("{'keys': 1}.keys is callable"), true);
    assert.equal(ev("{'keys': 1}['keys']"), 1);
    assert.deepEqual(ev("{'keys': 1}.keys()"), ['keys']);
  });
  it('brackets read the item first, then the method', () => {
    assert.equal(ev("d['items'] is callable"), true);
    assert.equal(ev("s['upper']()"), 'HELLO WORLD');
  });
  it('a method Python has but expressions do not support is defined, and calling it names the supported ones', () => {
    assert.equal(ev('lst.append is defined'), true);
    expectError(() => ev('lst.append(4)'), 'EXPRESSION_ERROR', /the list method 'append' is not supported/);
  });
  it('a name that is no method of the value stays undefined', () => {
    assert.equal(ev('s.keys is defined'), false);
    expectError(() => ev('s.keys()'), 'EXPRESSION_ERROR', /a string has no method 'keys'/);
  });
  it('a method as a whole value reads as Python prints it, without the address', () => {
    assert.equal(ev('d.keys | string'), '<built-in method keys of dict object>');
  });
});
