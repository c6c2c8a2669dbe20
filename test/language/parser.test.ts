import assert from 'node:assert/strict';
import { checkExpressionSyntax } from '../../src/language/expressions.js';
import { at, ev, expectError } from './expression-support.js';

describe('expressions: syntax errors', () => {
  const bad = ['1 +', 'a |', 'a | ', '(a', "'unterminated", 'a b', 'a ? b : c', 'x is', '[1, 2', "{'a' 1}", 'a.', 'a[]', '', '   ', 'a && b', 'not'];
  for (const expr of bad) {
    it(`${JSON.stringify(expr)} is EXPRESSION_SYNTAX with the location`, () => {
      const error = expectError(() => checkExpressionSyntax(expr, at), 'EXPRESSION_SYNTAX');
      assert.deepEqual(error.location, at);
      expectError(() => ev(expr), 'EXPRESSION_SYNTAX');
    });
  }
  it('an unknown filter is a syntax error with a suggestion', () => {
    const error = expectError(() => checkExpressionSyntax('lst | jion(",")', at), 'EXPRESSION_SYNTAX', /unknown filter 'jion'/);
    assert.match(error.hint ?? '', /did you mean 'join'/i);
  });
  it('an unknown test is a syntax error with a suggestion', () => {
    const error = expectError(() => checkExpressionSyntax('x is defiend', at), 'EXPRESSION_SYNTAX', /unknown test 'defiend'/);
    assert.match(error.hint ?? '', /did you mean 'defined'/i);
  });
  it('points at the character', () => {
    const error = expectError(() => checkExpressionSyntax('a == == b', at), 'EXPRESSION_SYNTAX', /at character 6/);
    assert.match(error.hint ?? '', /a == == b\n\s+\^/);
  });
  it('valid expressions pass the static check', () => {
    for (const expr of ['a is defined and b', "x | default('y') | upper", "hostvars[groups['m'][0]]['t']", 'a not in b']) {
      checkExpressionSyntax(expr, at);
    }
  });
});
