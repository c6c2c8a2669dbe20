import assert from 'node:assert/strict';
import { closestName, didYouMean, editDistance } from '../../src/language/suggest.js';

describe('suggest: "did you mean"', () => {
  it('editDistance counts inserts, deletes and changes', () => {
    assert.equal(editDistance('', ''), 0);
    assert.equal(editDistance('copy', 'copy'), 0);
    assert.equal(editDistance('cpoy', 'copy'), 2);
    assert.equal(editDistance('dets', 'dest'), 2);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('closestName picks the nearest known name, case aside', () => {
    assert.equal(closestName('whenn', ['when', 'tags', 'name']), 'when');
    assert.equal(closestName('COPPY', ['copy', 'command']), 'copy');
  });

  it('a tie goes to the name sharing more letters in order', () => {
    assert.equal(closestName('taks', ['tags', 'tasks']), 'tasks');
    assert.equal(closestName('taks', ['tasks', 'tags']), 'tasks');
  });

  it('a name too far from every known one has no suggestion', () => {
    assert.equal(closestName('xyz', ['hosts', 'children', 'vars']), undefined);
    assert.equal(closestName('anything', []), undefined);
  });

  it('maxDistance bounds how far a suggestion may be', () => {
    // 'childrxyz' is 3 edits from 'children': close enough for a 9-letter name by default, not under 2.
    assert.equal(closestName('childrxyz', ['children']), 'children');
    assert.equal(closestName('childrxyz', ['children'], { maxDistance: 2 }), undefined);
  });

  it('didYouMean says the suggestion, else the sorted known names, else the fallback', () => {
    assert.equal(didYouMean('jion', ['join', 'default']), "Did you mean 'join'?");
    assert.equal(didYouMean('host', ['hosts'], { lowerCase: true }), "did you mean 'hosts'?");
    assert.equal(didYouMean('zzzz', ['upper', 'join'], { listPrefix: 'Known filters: ' }), 'Known filters: join, upper.');
    assert.equal(didYouMean('zzzz', ['upper'], { otherwise: 'See the docs.' }), 'See the docs.');
    assert.equal(didYouMean('zzzz', ['upper']), '');
  });
});
