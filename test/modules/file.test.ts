import assert from 'node:assert/strict';
import { file } from '../../src/modules/file.js';
import type { Step, CommandStep } from '../../src/modules/types.js';
import { fakeHost } from '../support/fake-host.js';
import { recordInvocations, HOSTILE_VALUES } from '../support/shell-argv.js';

const parse = (args: unknown) => file.schema.parse(args);
const commands = (steps: Step[]) => steps.map((change) => (change.kind === 'command' ? change.command : `(${change.kind})`));
const DIRECTORY = { type: 'directory', mode: '755' };

describe('file module', () => {
  describe('arguments', () => {
    it('takes path or its aliases dest and name', () => {
      assert.equal(parse({ dest: '/a', state: 'directory' }).path, '/a');
      assert.equal(parse({ name: '/b', state: 'absent' }).path, '/b');
      assert.equal(file.schema.safeParse({ path: '/a', dest: '/a' }).success, false);
      assert.equal(file.schema.safeParse({ state: 'directory' }).success, false);
    });

    it('rejects unknown arguments, unknown states, bad modes and link without src', () => {
      assert.equal(file.schema.safeParse({ path: '/a', sate: 'directory' }).success, false);
      assert.equal(file.schema.safeParse({ path: '/a', state: 'hard' }).success, false);
      assert.equal(file.schema.safeParse({ path: '/a', mode: 999 }).success, false);
      assert.equal(file.schema.safeParse({ path: '/a', state: 'link' }).success, false);
      assert.equal(file.schema.safeParse({ path: '/a', state: 'directory', src: '/b' }).success, false);
      assert.equal(file.schema.safeParse({ path: '/a', state: 'directory', recurse: true, mode: 'a+rX' }).success, false);
      assert.equal(file.schema.safeParse({ path: 5 }).success, false);
    });
  });

  describe('state: directory', () => {
    it('is ok when the directory is there with the right attributes', async () => {
      const host = fakeHost({ stats: { '/srv': { ...DIRECTORY, owner: 'app' } } });
      const plan = await file.plan(host, parse({ path: '/srv', state: 'directory', mode: '0755', owner: 'app' }));
      assert.deepEqual(plan.steps, []);
    });

    it('creates a missing directory, then sets the asked mode and owner', async () => {
      const plan = await file.plan(fakeHost(), parse({ path: '/srv/data', state: 'directory', mode: '0750', owner: 'app', group: 'app' }));
      assert.deepEqual(commands(plan.steps), ['mkdir -p -- /srv/data', 'chmod 0750 -- /srv/data', 'chown app:app -- /srv/data']);
    });

    it('fixes only the attribute that differs', async () => {
      const host = fakeHost({ stats: { '/srv': { ...DIRECTORY, mode: '700' } } });
      const plan = await file.plan(host, parse({ path: '/srv', state: 'directory', mode: 'u=rwx,go=rx', owner: 'root' }));
      assert.deepEqual(commands(plan.steps), ['chmod 0755 -- /srv']);
    });

    it('fails when a file is in the way', async () => {
      const host = fakeHost({ files: { '/srv': 'x' } });
      const plan = await file.plan(host, parse({ path: '/srv', state: 'directory' }));
      assert.match(plan.failed!, /\/srv already exists as a file, not a directory/);
    });

    it('with recurse, changes the tree only where find reports a difference', async () => {
      const findMode = "if [ -n \"$(find /srv '!' -type l '!' -perm 0755 -print -quit)\" ]; then echo mode; fi";
      const findOwner = "if [ -n \"$(find /srv '!' -user app -print -quit)\" ]; then echo owner; fi";
      const probe = `${findMode}\n${findOwner}`;
      const allRight = fakeHost({ stats: { '/srv': DIRECTORY }, probes: { [probe]: '' } });
      const args = parse({ path: '/srv', state: 'directory', recurse: true, mode: '0755', owner: 'app' });
      assert.deepEqual((await file.plan(allRight, args)).steps, []);
      const ownerDiffers = fakeHost({ stats: { '/srv': DIRECTORY }, probes: { [probe]: 'owner\n' } });
      assert.deepEqual(commands((await file.plan(ownerDiffers, args)).steps), ['chown -R app -- /srv']);
    });
  });

  describe('state: absent', () => {
    it('removes what exists, and is ok when nothing is there', async () => {
      const present = fakeHost({ stats: { '/tmp/old': DIRECTORY } });
      assert.deepEqual(commands((await file.plan(present, parse({ path: '/tmp/old', state: 'absent' }))).steps), ['rm -rf -- /tmp/old']);
      assert.deepEqual((await file.plan(fakeHost(), parse({ path: '/tmp/old', state: 'absent' }))).steps, []);
    });
  });

  describe('state: link', () => {
    it('is ok when the link points at src, and relinks when it does not', async () => {
      const host = fakeHost({
        stats: { '/usr/local/bin/tool': { type: 'symbolic link', mode: '777' } },
        probes: { 'readlink -- /usr/local/bin/tool': '/opt/tool/bin/tool\n' },
      });
      assert.deepEqual((await file.plan(host, parse({ path: '/usr/local/bin/tool', state: 'link', src: '/opt/tool/bin/tool' }))).steps, []);
      const relink = await file.plan(host, parse({ path: '/usr/local/bin/tool', state: 'link', src: '/opt/other' }));
      assert.deepEqual(commands(relink.steps), ['ln -sfn -- /opt/other /usr/local/bin/tool']);
    });

    it('refuses to replace a file unless forced, and a directory always', async () => {
      const host = fakeHost({ files: { '/etc/x': 'x' }, stats: { '/etc/d': DIRECTORY } });
      assert.match((await file.plan(host, parse({ path: '/etc/x', state: 'link', src: '/y' }))).failed!, /force: true/);
      const forced = await file.plan(host, parse({ path: '/etc/x', state: 'link', src: '/y', force: true }));
      assert.deepEqual(commands(forced.steps), ['rm -f -- /etc/x', 'ln -sfn -- /y /etc/x']);
      assert.match((await file.plan(host, parse({ path: '/etc/d', state: 'link', src: '/y', force: true }))).failed!, /directory/);
    });
  });

  describe('state: touch and file', () => {
    it('touch creates a missing file; on an existing file it updates times (changed), unless both are preserved', async () => {
      assert.deepEqual(commands((await file.plan(fakeHost(), parse({ path: '/f', state: 'touch', mode: 'u=rw' }))).steps), [
        'touch -- /f',
        'chmod 0644 -- /f',
      ]);
      const host = fakeHost({ files: { '/f': '' } });
      assert.deepEqual(commands((await file.plan(host, parse({ path: '/f', state: 'touch' }))).steps), ['touch -- /f']);
      const preserved = parse({ path: '/f', state: 'touch', access_time: 'preserve', modification_time: 'preserve' });
      assert.deepEqual((await file.plan(host, preserved)).steps, []);
    });

    it('state file (the default) sets attributes of an existing file and fails on a missing one', async () => {
      const host = fakeHost({ files: { '/f': '' }, stats: { '/f': { mode: '600' } } });
      assert.deepEqual(commands((await file.plan(host, parse({ path: '/f', mode: '0644' }))).steps), ['chmod 0644 -- /f']);
      assert.equal((await file.plan(fakeHost(), parse({ path: '/nope', mode: '0644' }))).failed, 'file (/nope) is absent, cannot continue');
    });

    it('without state, keeps a directory a directory', async () => {
      const host = fakeHost({ stats: { '/srv': { ...DIRECTORY, mode: '700' } } });
      const plan = await file.plan(host, parse({ path: '/srv', mode: '0755' }));
      assert.deepEqual(commands(plan.steps), ['chmod 0755 -- /srv']);
      assert.equal(plan.result?.state, 'directory');
    });
  });

  it('passes hostile paths, link targets and owners as single literal words', async () => {
    for (const value of HOSTILE_VALUES) {
      const created = await file.plan(fakeHost(), parse({ path: value, state: 'directory', mode: '0700', owner: value }));
      assert.deepEqual(recordInvocations(commands(created.steps).join('\n'), ['mkdir', 'chmod', 'chown']), [
        { program: 'mkdir', args: ['-p', '--', value] },
        { program: 'chmod', args: ['0700', '--', value] },
        { program: 'chown', args: [value, '--', value] },
      ]);
      const linked = await file.plan(fakeHost(), parse({ path: value, state: 'link', src: value }));
      assert.deepEqual(recordInvocations(commands(linked.steps).join('\n'), ['ln']), [{ program: 'ln', args: ['-sfn', '--', value, value] }]);
      const host = fakeHost({ stats: { [value]: DIRECTORY }, probes: (command) => (command.includes('find') ? '' : undefined) });
      await file.plan(host, parse({ path: value, state: 'directory', recurse: true, owner: value }));
      const find = host.probed.find((command) => command.includes('find'));
      assert.ok(find, 'a find probe was made');
      const expectedPath = value.startsWith('-') ? `./${value}` : value;
      assert.deepEqual(recordInvocations(find!, ['find']), [{ program: 'find', args: [expectedPath, '!', '-user', value, '-print', '-quit'] }]);
    }
  });
});
