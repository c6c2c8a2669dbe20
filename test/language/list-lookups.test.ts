/**
 * The lookups the with_* loops are, and the role-aware search of
 * first_found. Each expected value is what ansible-core 2.14 gives for the
 * same query (read with `ansible-playbook` and the json callback).
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ev } from './expression-support.js';
import { loopLookupItems } from '../../src/language/lookups.js';

const asData = (value: unknown) => JSON.parse(JSON.stringify(value));

describe('list lookups: the with_* loops', () => {
  const users = [{ name: 'a', auth: { keys: ['k1', 'k2'] } }, { name: 'b', auth: { keys: ['k3'] } }, { name: 'c' }];
  const cases: [string, unknown][] = [
    ["query('sequence', '4-8/2:host%02x')", ['host04', 'host06', 'host08']],
    ["query('sequence', 'start=10 end=0 stride=-5')", ['10', '5', '0']],
    ["query('sequence', 'count=3 start=0x10 format=%x')", ['10', '11', '12']],
    ["query('together', [1, 2, 3], ['a'])", [[1, 'a'], [2, null], [3, null]]],
    ["query('nested', [1, 2], ['a', 'b'], ['x'])", [[1, 'a', 'x'], [1, 'b', 'x'], [2, 'a', 'x'], [2, 'b', 'x']]],
    ["query('items', [[1, [2]], 3])", [[1, [2]], 3]],
    ["query('subelements', users, 'auth.keys', {'skip_missing': true})", [[{ name: 'a', auth: {} }, 'k1'], [{ name: 'a', auth: {} }, 'k2'], [{ name: 'b', auth: {} }, 'k3']]],
    ["query('dict', {'x': 1, 'y': [2]})", [{ key: 'x', value: 1 }, { key: 'y', value: [2] }]],
    ["query('indexed_items', ['p', 'q'])", [[0, 'p'], [1, 'q']]],
    ["query('flattened', [1, [2, [3, [4]]]])", [1, 2, 3, 4]],
    ["query('first_found', ['nope1', 'nope2'], skip=True)", []],
  ];
  for (const [expr, expected] of cases) {
    it(expr, () => assert.deepEqual(asData(ev(expr, { users })), expected));
  }

  it('with_items flattens one level of the templated terms; a single value is a list of one', () => {
    const at = { file: '/x/site.yml', line: 1, column: 1 };
    assert.deepEqual(loopLookupItems('items', [['a', 'b'], 'c', [['d']]], {}, at), ['a', 'b', 'c', ['d']]);
    assert.deepEqual(loopLookupItems('items', 'solo', {}, at), ['solo']);
    assert.deepEqual(loopLookupItems('sequence', 'start=1 end=2', {}, at), ['1', '2']);
  });

  it('with_subelements without skip_missing names the missing list', () => {
    const at = { file: '/x/site.yml', line: 3, column: 1 };
    assert.throws(() => loopLookupItems('subelements', [users, 'auth.keys'], {}, at), /has no 'auth.keys'/);
  });
});

describe('first_found: the role first, then the task file, then the playbook', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-first-found-'));
    for (const sub of ['roles/r/vars', 'roles/r/tasks', 'roles/r/files', 'vars', 'files']) await mkdir(path.join(dir, sub), { recursive: true });
    await writeFile(path.join(dir, 'roles/r/vars/Debian.yml'), 'x: 1\n');
    await writeFile(path.join(dir, 'vars/Debian.yml'), 'x: 2\n');
    await writeFile(path.join(dir, 'vars/only-play.yml'), 'x: 3\n');
    await writeFile(path.join(dir, 'roles/r/tasks/debian.yml'), '[]\n');
    await writeFile(path.join(dir, 'files/f.txt'), 'play\n');
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  const inRole = () => ({ vars: { playbook_dir: dir, role_path: path.join(dir, 'roles/r') }, at: { file: path.join(dir, 'roles/r/tasks/main.yml'), line: 1, column: 1 } });

  it("with_first_found on include_vars searches the role's vars/ before the playbook's", () => {
    const { vars, at } = inRole();
    assert.deepEqual(loopLookupItems('first_found', ['Plan9.yml', 'Debian.yml'], vars, at, 'include_vars'), [path.join(dir, 'roles/r/vars/Debian.yml')]);
    assert.deepEqual(loopLookupItems('first_found', ['only-play.yml'], vars, at, 'include_vars'), [path.join(dir, 'vars/only-play.yml')]);
  });

  it('paths are joined to each file; a task file beside the including one is found', () => {
    const { vars, at } = inRole();
    assert.deepEqual(loopLookupItems('first_found', [{ files: ['debian.yml'], paths: ['.'] }], vars, at), [path.join(dir, 'roles/r/tasks/debian.yml')]);
    assert.deepEqual(loopLookupItems('first_found', [{ files: ['Debian.yml'], paths: ['../vars'] }], vars, at), [path.join(dir, 'roles/r/vars/Debian.yml')]);
  });

  it('none found is an error naming the candidates, unless skip', () => {
    const { vars, at } = inRole();
    assert.throws(() => loopLookupItems('first_found', ['a.yml', 'b.yml'], vars, at), /none of a\.yml, b\.yml was found/);
    assert.deepEqual(loopLookupItems('first_found', [{ files: ['a.yml'], skip: true }], vars, at), []);
  });
});

describe('pipe and lines: a command on the controller', () => {
  it('pipe gives the output without trailing newlines; lines one item a line; a failing command names itself', () => {
    assert.equal(ev("lookup('pipe', 'printf \"a\\nb\\n\\n\"')", {}), 'a\nb');
    assert.deepEqual(ev("query('lines', 'printf \"x\\ny\\n\"')", {}), ['x', 'y']);
    assert.equal(ev("lookup('ansible.builtin.pipe', 'echo ok')", {}), 'ok');
    assert.throws(() => ev("lookup('pipe', 'exit 3')", {}), /lookup command 'exit 3' failed \(exit 3\)/);
  });
});
