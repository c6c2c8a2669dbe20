import assert from 'node:assert/strict';
import { referencedNames, templateNames } from '../../src/language/names.js';

const namesOf = (expr: string) => {
  const { names, guarded } = referencedNames(expr);
  return { names: [...names].sort(), guarded: [...guarded].sort() };
};

describe('names: the variables an expression reads', () => {
  it('takes the root of attribute and item reads, and the names used as keys', () => {
    assert.deepEqual(namesOf("a.b[c]['d'] ~ e | join(sep)"), { names: ['a', 'c', 'e', 'sep'], guarded: [] });
  });
  it('literals and called functions are not variables', () => {
    assert.deepEqual(namesOf('true and none or range(n)'), { names: ['n'], guarded: [] });
  });
  it('names under is defined, default and a conditional branch are guarded', () => {
    assert.deepEqual(namesOf('x is defined and (y | default(z))'), { names: ['z'], guarded: ['x', 'y'] });
    assert.deepEqual(namesOf('p if q else r'), { names: ['q'], guarded: ['p', 'r'] });
  });
  it('follows short-circuits: a name proven defined on the left is guarded on the right', () => {
    assert.deepEqual(namesOf('x is defined and x | bool'), { names: [], guarded: ['x'] });
    assert.deepEqual(namesOf('x is undefined or x | bool'), { names: [], guarded: ['x'] });
    assert.deepEqual(namesOf('not (x is not defined) and x > 1'), { names: [], guarded: ['x'] });
    assert.deepEqual(namesOf('x is defined or x | bool'), { names: ['x'], guarded: ['x'] });
  });
  it('template statements: bound names are not variables, {% if x is defined %} guards its body', () => {
    const of = (text: string) => { const r = templateNames(text); return { names: [...r.names].sort(), guarded: [...r.guarded].sort() }; };
    assert.deepEqual(of('{% for h in hosts %}{{ h }}{{ loop.index }}{{ other }}{% endfor %}{% set s = 1 %}{{ s }}'), { names: ['hosts', 'other'], guarded: [] });
    assert.deepEqual(of('{% if x is defined %}{{ x }}{% else %}{{ y }}{% endif %}{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1) }}'), { names: ['y'], guarded: ['x'] });
    assert.deepEqual(of('{% if x is undefined %}none{% else %}{{ x }}{% endif %}'), { names: [], guarded: ['x'] });
  });
});
