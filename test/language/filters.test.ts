import assert from 'node:assert/strict';
import { ev } from './expression-support.js';

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
    ['"it\'s" | quote', `'it'"'"'s'`],
    ['lst | length', 3], ['d | length', 2], ['s | length', 11], ['lst | count', 3],
    ["'ABC' | lower", 'abc'], ["'abc' | upper", 'ABC'],
    ["'42' | int", 42], ["'abc' | int", 0], ["'3.7' | int", 3], ['3.7 | int', 3], ["'ff' | int(base=16)", 255], ["'x' | int(7)", 7],
    ["'5' | float", 5], ["'2.5' | float", 2.5],
    ["'yes' | bool", true], ["'no' | bool", false], ["'on' | bool", true], ["'1' | bool", true], ["'foo' | bool", false], ['0 | bool', false], ['true | bool', true],
    ['5 | string', '5'], ['true | string', 'True'],
    ['d | to_json', '{"a": 1, "b": ["x", "y"]}'],
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
    ['d | to_yaml', 'a: 1\nb: [x, y]\n'],
    ['-3 | abs', 3],
  ];
  for (const [expr, expected] of cases) {
    it(`${expr} => ${JSON.stringify(expected)}`, () => assert.deepEqual(ev(expr), expected));
  }
});
