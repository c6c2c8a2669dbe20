import assert from 'node:assert/strict';
import { referencedNames } from '../../src/language/names.js';

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
});
