import assert from 'node:assert/strict';
import { lineinfile } from '../../src/modules/lineinfile.js';
import { blockinfile } from '../../src/modules/blockinfile.js';
import type { Plan } from '../../src/modules/types.js';
import { fakeHost, applyWrites } from '../support/fake-host.js';

const parseLine = (args: unknown) => lineinfile.schema.parse(args);
const parseBlock = (args: unknown) => blockinfile.schema.parse(args);
const written = (plan: Plan) => {
  assert.equal(plan.steps.length, 1, 'one write');
  const [change] = plan.steps;
  assert.equal(change!.kind, 'write');
  return String((change as { content: string }).content);
};

const HOSTS = '127.0.0.1 localhost\n192.168.20.6 docker01\n';

describe('lineinfile module', () => {
  describe('arguments', () => {
    it('rejects unknown arguments, a bad regexp, a missing line, and both insert positions', () => {
      assert.equal(lineinfile.schema.safeParse({ path: '/a', line: 'x', regex: 'y' }).success, false);
      assert.equal(lineinfile.schema.safeParse({ path: '/a', line: 'x', regexp: '(' }).success, false);
      assert.equal(lineinfile.schema.safeParse({ path: '/a' }).success, false);
      assert.equal(lineinfile.schema.safeParse({ path: '/a', state: 'absent' }).success, false);
      assert.equal(lineinfile.schema.safeParse({ line: 'x' }).success, false);
      assert.equal(lineinfile.schema.safeParse({ path: '/a', line: 'x', insertafter: 'a', insertbefore: 'b' }).success, false);
      assert.equal(parseLine({ dest: '/a', line: 'x' }).path, '/a');
    });
  });

  it('is ok when the line is already there', async () => {
    const host = fakeHost({ files: { '/etc/hosts': HOSTS } });
    assert.deepEqual((await lineinfile.plan(host, parseLine({ path: '/etc/hosts', line: '192.168.20.6 docker01' }))).steps, []);
  });

  it('appends a missing line at the end with a diff, then is ok', async () => {
    const host = fakeHost({ files: { '/etc/hosts': HOSTS } });
    const args = parseLine({ path: '/etc/hosts', line: '192.168.20.7 docker02' });
    const plan = await lineinfile.plan(host, args);
    assert.equal(written(plan), `${HOSTS}192.168.20.7 docker02\n`);
    assert.deepEqual(plan.diffs, [{ path: '/etc/hosts', before: HOSTS, after: `${HOSTS}192.168.20.7 docker02\n` }]);
    applyWrites(host, plan);
    assert.deepEqual((await lineinfile.plan(host, args)).steps, []);
  });

  it('replaces the last line matching regexp', async () => {
    const host = fakeHost({ files: { '/etc/ssh/sshd_config': '#PermitRootLogin no\nPort 22\nPermitRootLogin no\n' } });
    const plan = await lineinfile.plan(host, parseLine({ path: '/etc/ssh/sshd_config', regexp: '^#?PermitRootLogin', line: 'PermitRootLogin yes' }));
    assert.equal(written(plan), '#PermitRootLogin no\nPort 22\nPermitRootLogin yes\n');
  });

  it('does not add the line again when regexp matches nothing but the line is there', async () => {
    const host = fakeHost({ files: { '/f': 'a\nkey=1\n' } });
    assert.deepEqual((await lineinfile.plan(host, parseLine({ path: '/f', regexp: '^nomatch', line: 'key=1' }))).steps, []);
  });

  it('inserts after or before a matching line, at BOF, and at EOF when the pattern matches nothing', async () => {
    const host = fakeHost({ files: { '/f': 'a\nb\na\n' } });
    assert.equal(written(await lineinfile.plan(host, parseLine({ path: '/f', line: 'x', insertafter: '^a' }))), 'a\nb\na\nx\n');
    assert.equal(written(await lineinfile.plan(host, parseLine({ path: '/f', line: 'x', insertafter: '^a', firstmatch: true }))), 'a\nx\nb\na\n');
    assert.equal(written(await lineinfile.plan(host, parseLine({ path: '/f', line: 'x', insertbefore: '^b' }))), 'a\nx\nb\na\n');
    assert.equal(written(await lineinfile.plan(host, parseLine({ path: '/f', line: 'x', insertbefore: 'BOF' }))), 'x\na\nb\na\n');
    assert.equal(written(await lineinfile.plan(host, parseLine({ path: '/f', line: 'x', insertafter: '^zzz' }))), 'a\nb\na\nx\n');
  });

  it('removes every matching line with state absent, ok when none matches', async () => {
    const host = fakeHost({ files: { '/f': 'keep\ndrop 1\nkeep too\ndrop 2\n' } });
    const plan = await lineinfile.plan(host, parseLine({ path: '/f', regexp: '^drop', state: 'absent' }));
    assert.equal(written(plan), 'keep\nkeep too\n');
    assert.equal(plan.result?.found, 2);
    assert.deepEqual((await lineinfile.plan(host, parseLine({ path: '/f', line: 'nothing', state: 'absent' }))).steps, []);
    assert.deepEqual((await lineinfile.plan(fakeHost(), parseLine({ path: '/missing', line: 'x', state: 'absent' }))).steps, []);
  });

  it('expands backrefs, Python named groups included, and changes nothing without a match', async () => {
    const host = fakeHost({ files: { '/f': 'ExecStart=/usr/bin/dockerd -H fd://\n' } });
    const args = parseLine({ path: '/f', regexp: '^ExecStart=(?P<bin>\\S+) (.*)$', line: 'ExecStart=\\g<bin> --insecure-registry r:5000 \\2', backrefs: true });
    assert.equal(written(await lineinfile.plan(host, args)), 'ExecStart=/usr/bin/dockerd --insecure-registry r:5000 -H fd://\n');
    const noMatch = parseLine({ path: '/f', regexp: '^Nope(.*)', line: 'x\\1', backrefs: true });
    assert.deepEqual((await lineinfile.plan(host, noMatch)).steps, []);
  });

  it('fails on a missing file unless create is set', async () => {
    assert.match((await lineinfile.plan(fakeHost(), parseLine({ path: '/new', line: 'x' }))).failed!, /\/new does not exist/);
    const plan = await lineinfile.plan(fakeHost(), parseLine({ path: '/new', line: 'x', create: true, mode: '0600' }));
    assert.equal(written(plan), 'x\n');
    assert.equal((plan.steps[0] as { mode?: string }).mode, '0600');
  });

  it('keeps a file without a final newline untouched when nothing changes', async () => {
    const host = fakeHost({ files: { '/f': 'a\nb' } });
    assert.deepEqual((await lineinfile.plan(host, parseLine({ path: '/f', line: 'b' }))).steps, []);
  });
});

describe('blockinfile module', () => {
  const BLOCK = 'a\nb';
  const MANAGED = '# BEGIN SWARMPLAY MANAGED BLOCK\na\nb\n# END SWARMPLAY MANAGED BLOCK\n';

  it('rejects unknown arguments and a marker without {mark}', () => {
    assert.equal(blockinfile.schema.safeParse({ path: '/f', block: 'x', markers: 'y' }).success, false);
    assert.equal(blockinfile.schema.safeParse({ path: '/f', block: 'x', marker: '# managed' }).success, false);
    assert.equal(blockinfile.schema.safeParse({ block: 'x' }).success, false);
    assert.equal(parseBlock({ path: '/f', content: 'x' }).block, 'x');
  });

  it('appends the block with SWARMPLAY markers, then is ok', async () => {
    const host = fakeHost({ files: { '/f': 'top\n' } });
    const args = parseBlock({ path: '/f', block: BLOCK });
    const plan = await blockinfile.plan(host, args);
    assert.equal(written(plan), `top\n${MANAGED}`);
    applyWrites(host, plan);
    assert.deepEqual((await blockinfile.plan(host, args)).steps, []);
  });

  it('replaces the lines between existing markers', async () => {
    const host = fakeHost({ files: { '/f': `top\n${MANAGED}bottom\n` } });
    assert.equal(written(await blockinfile.plan(host, parseBlock({ path: '/f', block: 'c\n' }))),
      'top\n# BEGIN SWARMPLAY MANAGED BLOCK\nc\n# END SWARMPLAY MANAGED BLOCK\nbottom\n');
  });

  it('removes the block with state absent or an empty block, ok when it is not there', async () => {
    const host = fakeHost({ files: { '/f': `top\n${MANAGED}bottom\n` } });
    assert.equal(written(await blockinfile.plan(host, parseBlock({ path: '/f', state: 'absent' }))), 'top\nbottom\n');
    assert.equal(written(await blockinfile.plan(host, parseBlock({ path: '/f', block: '' }))), 'top\nbottom\n');
    const without = fakeHost({ files: { '/f': 'top\n' } });
    assert.deepEqual((await blockinfile.plan(without, parseBlock({ path: '/f', state: 'absent' }))).steps, []);
  });

  it('uses custom markers and insert positions', async () => {
    const host = fakeHost({ files: { '/f': 'first\nsecond\n' } });
    const plan = await blockinfile.plan(host, parseBlock({
      path: '/f', block: 'x', marker: '// {mark} ours', marker_begin: 'start', marker_end: 'stop', insertbefore: '^second',
    }));
    assert.equal(written(plan), 'first\n// start ours\nx\n// stop ours\nsecond\n');
    assert.equal(written(await blockinfile.plan(host, parseBlock({ path: '/f', block: 'x', insertbefore: 'BOF' }))),
      '# BEGIN SWARMPLAY MANAGED BLOCK\nx\n# END SWARMPLAY MANAGED BLOCK\nfirst\nsecond\n');
  });

  it('fails on a missing file unless create is set', async () => {
    assert.match((await blockinfile.plan(fakeHost(), parseBlock({ path: '/n', block: 'x' }))).failed!, /does not exist/);
    assert.equal(written(await blockinfile.plan(fakeHost(), parseBlock({ path: '/n', block: 'x', create: true }))),
      '# BEGIN SWARMPLAY MANAGED BLOCK\nx\n# END SWARMPLAY MANAGED BLOCK\n');
  });
});
