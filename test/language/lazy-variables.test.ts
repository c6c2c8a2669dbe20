import assert from 'node:assert/strict';
import { evaluateCondition, markRawData } from '../../src/language/expressions.js';
import { at, ev, expectError } from './expression-support.js';

describe('lazy templating of variables', () => {
  it('a variable holding {{ }} is rendered when read, keeping its type', () => {
    const v = { base: [1, 2], alias: '{{ base }}', text: 'n={{ base | length }}', nested: { k: '{{ base[0] + 1 }}' } };
    assert.deepEqual(ev('alias', v), [1, 2]);
    assert.equal(ev('alias | length', v), 2);
    assert.equal(ev('text', v), 'n=2');
    assert.equal(ev('nested.k', v), 2);
    assert.deepEqual(ev('nested', v), { k: 2 });
    assert.equal(evaluateCondition('alias', v, at), true);
  });
  it('a dict may refer to its own other keys', () => {
    const v = { d: { a: 1, b: '{{ d.a + 1 }}' } };
    assert.equal(ev('d.b', v), 2);
    assert.deepEqual(ev('d', v), { a: 1, b: 2 });
  });
  it('a recursive loop is a clear error naming the chain', () => {
    const error = expectError(() => ev('a', { a: '{{ b }}', b: '{{ a }}' }), 'EXPRESSION_ERROR', /recursive loop in templating: a -> b -> a/);
    assert.deepEqual(error.location, at);
    expectError(() => ev('self', { self: '{{ self | default(1) }}' }), 'EXPRESSION_ERROR', /recursive/);
  });
  it('a long chain stops at the depth limit', () => {
    const v: Record<string, unknown> = { v0: 'end' };
    for (let i = 1; i <= 30; i++) v[`v${i}`] = `{{ v${i - 1} }}`;
    expectError(() => ev('v30', v), 'EXPRESSION_ERROR', /deeper than 20/);
    assert.equal(ev('v15', v), 'end');
  });
  it('an undefined variable deep in the chain names it and the variable being templated', () => {
    expectError(() => ev('a', { a: 'x{{ b }}' }), 'UNDEFINED_VARIABLE', /'b' is undefined.*while templating variable 'a'/);
  });
  it('data marked raw (registered results) is never templated', () => {
    const result = markRawData({ stdout: "{{ '{{' }} not a template {{ x }}", lines: ['{{ y }}'] });
    assert.equal(ev('r.stdout', { r: result }), "{{ '{{' }} not a template {{ x }}");
    assert.deepEqual(ev('r.lines', { r: result }), ['{{ y }}']);
    assert.deepEqual(ev('r', { r: result }), result);
  });
});
