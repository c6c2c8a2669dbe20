import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SwarmplayError } from '../../src/errors.js';
import { checkExpressionSyntax, evaluateCondition, evaluateExpression, markRawData } from '../../src/language/expressions.js';
import { parseTemplateString, renderTemplateString } from '../../src/language/template-string.js';

const at = { file: 'site.yaml', line: 7, column: 9 };

const vars: Record<string, unknown> = {
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

const ev = (expr: string, v: Record<string, unknown> = vars) => evaluateExpression(expr, v, at);

function expectError(fn: () => unknown, code: string, message?: RegExp): SwarmplayError {
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

describe('expressions: values and operators', () => {
  const cases: [string, unknown][] = [
    ['lst', [1, 2, 3]],
    ['num', 5],
    ['d.b[1]', 'y'],
    ['d.b.1', 'y'],
    ["d['b'][0]", 'x'],
    ["hostvars[groups['managers'][0]]['init']['token']", 'SWMTKN-1-abc'],
    ['hostvars[groups.managers[0]].init.token', 'SWMTKN-1-abc'],
    ['lst[-1]', 3],
    ['s[0:5]', 'hello'],
    ['lst[::-1]', [3, 2, 1]],
    ['true', true], ['True', true], ['false', false], ['False', false], ['none', null], ['None', null],
    ['1 + 2 * 3', 7], ['(1 + 2) * 3', 9], ['7 / 2', 3.5], ['7 // 2', 3], ['7 % 3', 1], ['2 ** 10', 1024], ['-num', -5],
    ["'a' ~ 1 ~ none ~ true", 'a1NoneTrue'],
    ["'ab' + 'cd'", 'abcd'],
    ['[1] + [2]', [1, 2]],
    ["'ab' * 2", 'abab'],
    ['num > 3 and num < 10', true],
    ['num > 3 and num > 10', false],
    ["empty or 'fallback'", 'fallback'],
    ["s and 'second'", 'second'],
    ['not empty', true],
    ['2 in lst', true],
    ['9 not in lst', true],
    ["'ell' in s", true],
    ["'a' in d", true],
    ["'zz' in d", false],
    ["inventory_hostname in groups['workers']", true],
    ["inventory_hostname not in groups.managers", true],
    ['lst == [1, 2, 3]', true],
    ["d == {'a': 1, 'b': ['x', 'y']}", true],
    ["'1' == 1", false],
    ['1 == 1.0', true],
    ["'a' if num > 3 else 'b'", 'a'],
    ["'a' if num > 30 else 'b'", 'b'],
    ["'a' if num > 30", null],
    ["{'k': num, 'l': [1, 'two']}", { k: 5, l: [1, 'two'] }],
    ['(1, 2)', [1, 2]],
    ["'it''s'", 'its'],
    ["\"tab\\there\"", 'tab\there'],
    ["s.split(' ')", ['hello', 'world']],
    ["'a,b,c'.split(',', 1)", ['a', 'b,c']],
    ['s.upper()', 'HELLO WORLD'],
    ["s.startswith('hell')", true],
    ["'  x '.strip()", 'x'],
    ['d.keys()', ['a', 'b']],
    ["d.get('zz', 4)", 4],
    ['range(3)', [0, 1, 2]],
    ['1 < 2 < 3', true],
  ];
  for (const [expr, expected] of cases) {
    it(`${expr} => ${JSON.stringify(expected)}`, () => assert.deepEqual(ev(expr), expected));
  }
});

describe('expressions: filters', () => {
  const cases: [string, unknown][] = [
    ["missing | default('dflt')", 'dflt'],
    ["missing | d('dflt')", 'dflt'],
    ['missing | default', ''],
    ["empty | default('dflt')", ''],
    ["empty | default('dflt', true)", 'dflt'],
    ["nothing | default('dflt')", null],
    ["d.zz | default('no attr')", 'no attr'],
    ["hostvars.docker02.init.token | default('none yet')", 'none yet'],
    ["lst | join(',')", '1,2,3'],
    ['lst | join', '123'],
    ['s | quote', "'hello world'"],
    ['"it\'s" | quote', `'it'\\''s'`],
    ['lst | length', 3], ['d | length', 2], ['s | length', 11], ['lst | count', 3],
    ["'ABC' | lower", 'abc'], ["'abc' | upper", 'ABC'],
    ["'42' | int", 42], ["'abc' | int", 0], ["'3.7' | int", 3], ['3.7 | int', 3], ["'ff' | int(base=16)", 255], ["'x' | int(7)", 7],
    ["'5' | float", 5], ["'2.5' | float", 2.5],
    ["'yes' | bool", true], ["'no' | bool", false], ["'on' | bool", true], ["'1' | bool", true], ["'foo' | bool", false], ['0 | bool', false], ['true | bool', true],
    ['5 | string', '5'], ['true | string', 'True'],
    ['d | to_json', '{"a":1,"b":["x","y"]}'],
    ["'{\"a\": [1]}' | from_json", { a: [1] }],
    ['lst | first', 1], ['lst | last', 3],
    ['[1, 1, 2, 1] | unique', [1, 2]],
    ['[3, 1, 2] | sort', [1, 2, 3]],
    ['[3, 1, 2] | sort(reverse=true)', [3, 2, 1]],
    ["users | sort(attribute='name', reverse=true) | map(attribute='name') | list", ['bob', 'ann']],
    ["users | map(attribute='name') | join(', ')", 'ann, bob'],
    ["['a', 'b'] | map('upper') | list", ['A', 'B']],
    ["users | selectattr('admin') | map(attribute='name') | list", ['ann']],
    ["users | rejectattr('admin') | map(attribute='name') | first", 'bob'],
    ["lst | select('odd') | list", [1, 3]],
    ["lst | reject('even') | list", [1, 3]],
    ["'  pad  ' | trim", 'pad'],
    ["'a-b-c' | replace('-', '_')", 'a_b_c'],
    ["'/etc/docker/daemon.json' | basename", 'daemon.json'],
    ["'/etc/docker/daemon.json' | dirname", '/etc/docker'],
    ["'Docker version 20.10.5, build' | regex_search('[0-9]+\\\\.[0-9]+')", '20.10'],
    ["'a1b22' | regex_replace('([0-9]+)', '<\\\\1>')", 'a<1>b<22>'],
    ['d | dict2items | map(attribute=\'key\') | list', ['a', 'b']],
    ["{'a': 1} | combine({'b': 2})", { a: 1, b: 2 }],
    ['[[1, 2], [3]] | flatten', [1, 2, 3]],
    ['lst | sum', 6], ['lst | max', 3], ['lst | min', 1],
    ["'hi' | b64encode", 'aGk='], ["'aGk=' | b64decode", 'hi'],
    ['d | to_yaml', 'a: 1\nb:\n  - x\n  - y\n'],
    ['-3 | abs', 3],
  ];
  for (const [expr, expected] of cases) {
    it(`${expr} => ${JSON.stringify(expected)}`, () => assert.deepEqual(ev(expr), expected));
  }
});

describe('expressions: tests (is ...)', () => {
  const cases: [string, boolean][] = [
    ['missing is defined', false],
    ['missing is not defined', true],
    ['missing is undefined', true],
    ['num is defined', true],
    ['d.zzz is defined', false],
    ['missing.deeper.still is defined', false],
    ["hostvars['docker02'].init is defined", false],
    ['nothing is none', true],
    ['num is none', false],
    ['not missing is defined', true],
    ['s is string', true],
    ['num is number', true],
    ['d is mapping', true],
    ['lst is iterable', true],
    ['num is odd', true],
    ['num is divisibleby 5', true],
    ['2 is in lst', true],
    ['true is true', true],
    ["s is match('hel')", true],
    ["s is search('world')", true],
    ['r is changed', true],
    ['r is failed', false],
    ['r is succeeded', true],
    ['r is skipped', false],
  ];
  for (const [expr, expected] of cases) {
    it(`${expr} => ${expected}`, () => assert.equal(ev(expr, { ...vars, r: { changed: true, failed: false, rc: 0 } }), expected));
  }
});

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
    expectError(() => ev("lookup('env', 'HOME')"), 'EXPRESSION_ERROR', /unknown function 'lookup'/);
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

describe('expressions: runtime type errors', () => {
  it('explains a comparison of different types', () => {
    const error = expectError(() => ev("num < 'a'"), 'EXPRESSION_ERROR', /cannot compare a int with a string/);
    assert.match(error.hint ?? '', /\| int/);
  });
  it('explains arithmetic on strings', () => expectError(() => ev("'a' - 1"), 'EXPRESSION_ERROR', /needs numbers/));
  it('division by zero', () => expectError(() => ev('1 / 0'), 'EXPRESSION_ERROR', /division by zero/));
  it('a bad regular expression', () => expectError(() => ev("s | regex_search('(')"), 'EXPRESSION_ERROR', /bad regular expression/));
  it('huge repetition is refused', () => expectError(() => ev("'x' * 100000000"), 'EXPRESSION_ERROR', /too large/));
});

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

describe('template strings', () => {
  it('one whole {{ }} keeps the type; mixed text is a string', () => {
    assert.deepEqual(renderTemplateString('{{ lst }}', vars, at), [1, 2, 3]);
    assert.equal(renderTemplateString('{{ num }}', vars, at), 5);
    assert.equal(renderTemplateString('{{ nothing }}', vars, at), null);
    assert.equal(renderTemplateString('n={{ num }}', vars, at), 'n=5');
    assert.equal(renderTemplateString('x{{ nothing }}x {{ true }} {{ d }}', vars, at), 'xx True {"a": 1, "b": ["x", "y"]}');
    assert.equal(renderTemplateString(' {{ num }}', vars, at), ' 5');
  });
  it('a }} inside a quoted string does not end the expression', () => {
    assert.equal(renderTemplateString("{{ '}}' }}", vars, at), '}}');
    assert.equal(renderTemplateString("a{{ '{{' }}b", vars, at), 'a{{b');
  });
  it('rejects {% %}, an unclosed {{ and an empty {{ }}', () => {
    expectError(() => parseTemplateString('{% if x %}y{% endif %}', at), 'TEMPLATE_SYNTAX', /not supported/);
    expectError(() => parseTemplateString('a {{ b', at), 'TEMPLATE_SYNTAX', /not closed/);
    expectError(() => parseTemplateString('a {{ }}', at), 'TEMPLATE_SYNTAX', /empty/);
  });
  it('splits text and expressions', () => {
    assert.deepEqual(parseTemplateString('a {{ b }} c'), [
      { kind: 'text', text: 'a ' }, { kind: 'expression', expression: ' b ', offset: 4 }, { kind: 'text', text: ' c' },
    ]);
  });
  it('leaves shell braces alone', () => {
    assert.equal(renderTemplateString('echo ${#arr[@]} {{ num }}', vars, at), 'echo ${#arr[@]} 5');
  });
});
