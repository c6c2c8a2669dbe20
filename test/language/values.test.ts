import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SwarmplayError } from '../../src/errors.js';
import { ev, expectError } from './expression-support.js';

describe('expressions: no access to JavaScript internals', () => {
  const probes = [
    "''.constructor", 'x.constructor', "x['constructor']", 'x.__proto__', "x['__proto__']", 'lst.constructor',
    "lst['constructor']", 's.constructor', 'num.constructor', 'd.prototype', "x['const' ~ 'ructor']",
    "d['__proto__']['constructor']", 'x.toString', 'x.hasOwnProperty', 's.length', 'lst.length', 'lst.push', 's.at',
    "hostvars.__proto__", "(1).constructor", "[].constructor", "{}.constructor", 'x.valueOf', "d['__defineGetter__']",
  ];
  for (const probe of probes) {
    it(`${probe} is undefined, never a function`, () => {
      expectError(() => ev(probe), 'UNDEFINED_VARIABLE');
      assert.equal(ev(`${probe} is defined`), false);
      assert.equal(ev(`${probe} | default('safe')`), 'safe');
    });
  }
  it('calls only reach the listed functions and methods', () => {
    expectError(() => ev("s.constructor('alert')"), 'EXPRESSION_ERROR', /no method 'constructor'/);
    expectError(() => ev('x.toString()'), 'EXPRESSION_ERROR', /no method 'toString'/);
    expectError(() => ev('eval(1)'), 'EXPRESSION_ERROR', /unknown function 'eval'/);
    expectError(() => ev("lookup('shell_out', 'id')"), 'EXPRESSION_ERROR', /unknown lookup 'shell_out'/);
    expectError(() => ev('process.exit()'), 'UNDEFINED_VARIABLE', /'process' is undefined/);
    expectError(() => ev('globalThis'), 'UNDEFINED_VARIABLE');
    expectError(() => ev('require'), 'UNDEFINED_VARIABLE');
  });
  it('inherited properties of a variables object are invisible', () => {
    const inherited = Object.create({ secret: 'from the prototype' }) as Record<string, unknown>;
    expectError(() => ev('secret', inherited), 'UNDEFINED_VARIABLE');
    expectError(() => ev('toString', {}), 'UNDEFINED_VARIABLE');
    expectError(() => ev('constructor', {}), 'UNDEFINED_VARIABLE');
  });
  it('a dict literal cannot set __proto__', () => {
    expectError(() => ev("{'__proto__': {'polluted': 1}}"), 'EXPRESSION_ERROR', /cannot be a dict key/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
  it('no result of any probe is ever a function (property-based)', () => {
    const names = ['constructor', '__proto__', 'prototype', 'toString', 'valueOf', 'call', 'apply', 'bind', 'length', 'name', 'a', 'b', '0'];
    const bases = ["''", 'x', 'lst', 'd', 's', 'num', '[]', '{}', 'hostvars', "(1)", 'true', 'none'];
    fc.assert(
      fc.property(fc.constantFrom(...bases), fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }), fc.boolean(), (base, chain, brackets) => {
        const expr = base + chain.map((n) => (brackets ? `['${n}']` : /^\d/.test(n) ? `[${n}]` : `.${n}`)).join('');
        let value: unknown;
        try {
          value = ev(`${expr} | default(none)`);
        } catch (error) {
          assert.ok(error instanceof SwarmplayError, String(error));
          return;
        }
        assert.notEqual(typeof value, 'function', `${expr} gave a function`);
      }),
      { numRuns: 300 },
    );
  });
});
