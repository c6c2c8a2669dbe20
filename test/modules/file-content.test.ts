import assert from 'node:assert/strict';
import { planFileContent, statCommand, parseStat } from '../../src/modules/file-content.js';
import { fakeHost, applyWrites } from '../support/fake-host.js';
import { recordInvocations, HOSTILE_VALUES } from '../support/shell-argv.js';

describe('planFileContent', () => {
  it('plans nothing when bytes, mode and owners already match', async () => {
    const host = fakeHost({ files: { '/etc/app.conf': 'a=1\n' }, stats: { '/etc/app.conf': { mode: '640', owner: 'app', group: 'app' } } });
    const plan = await planFileContent(host, { path: '/etc/app.conf', content: 'a=1\n', mode: '0640', owner: 'app', group: 'app' });
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.diffs, undefined);
  });

  it('does not stat when no attribute is asked for', async () => {
    const host = fakeHost({ files: { '/x': 'same' } });
    const plan = await planFileContent(host, { path: '/x', content: 'same' });
    assert.deepEqual(plan.steps, []);
    assert.deepEqual(host.probed, []);
  });

  it('plans one write with a diff when the bytes differ, then nothing after it is applied', async () => {
    const host = fakeHost({ files: { '/etc/app.conf': 'a=1\n' } });
    const wanted = { path: '/etc/app.conf', content: 'a=2\n', mode: '0600', owner: 'root', backup: true };
    const plan = await planFileContent(host, wanted);
    assert.equal(plan.steps.length, 1);
    const [write] = plan.steps;
    assert.equal(write!.kind, 'write');
    if (write!.kind !== 'write') return;
    assert.equal(write.path, '/etc/app.conf');
    assert.equal(write.content, 'a=2\n');
    assert.equal(write.mode, '0600');
    assert.equal(write.owner, 'root');
    assert.equal(write.backup, true);
    assert.deepEqual(plan.diffs, [{ path: '/etc/app.conf', before: 'a=1\n', after: 'a=2\n' }]);
    applyWrites(host, plan);
    assert.deepEqual((await planFileContent(host, wanted)).steps, []);
  });

  it('creates a missing file with an empty before in the diff, and no backup', async () => {
    const host = fakeHost();
    const plan = await planFileContent(host, { path: '/new', content: 'x', backup: true });
    assert.equal(plan.steps[0]!.kind, 'write');
    assert.equal((plan.steps[0] as { backup?: boolean }).backup, undefined);
    assert.deepEqual(plan.diffs, [{ path: '/new', before: '', after: 'x' }]);
  });

  it('fixes only attributes with chmod/chown when the bytes match', async () => {
    const host = fakeHost({ files: { '/f': 'x' }, stats: { '/f': { mode: '644', owner: 'root', group: 'root' } } });
    const plan = await planFileContent(host, { path: '/f', content: 'x', mode: '0600', owner: 'app', group: 'staff' });
    assert.deepEqual(
      plan.steps.map((change) => (change.kind === 'command' ? change.command : change.kind)),
      ['chmod 0600 -- /f', 'chown app:staff -- /f'],
    );
    assert.equal(plan.diffs, undefined);
  });

  it('matches numeric owner ids as stat reports them', async () => {
    const host = fakeHost({ files: { '/f': 'x' }, stats: { '/f': { owner: 'app', uid: 1000, group: 'root' } } });
    assert.deepEqual((await planFileContent(host, { path: '/f', content: 'x', owner: '1000', group: '0' })).steps, []);
  });

  it('leaves an existing file alone with force: false', async () => {
    const host = fakeHost({ files: { '/f': 'old' } });
    assert.deepEqual((await planFileContent(host, { path: '/f', content: 'new', force: false })).steps, []);
  });

  it('shows binary content as a placeholder in the diff', async () => {
    const host = fakeHost({ files: { '/bin.dat': Buffer.from([0, 1, 2]) } });
    const plan = await planFileContent(host, { path: '/bin.dat', content: Buffer.from([0xff, 0xfe]) });
    assert.deepEqual(plan.diffs, [{ path: '/bin.dat', before: '(binary content, 3 bytes)\n', after: '(binary content, 2 bytes)\n' }]);
  });

  it('parses stat output, types with spaces included', () => {
    assert.deepEqual(parseStat('755 0 0 root root directory\n'), { kind: 'directory', mode: 0o755, uid: 0, gid: 0, owner: 'root', group: 'root' });
    assert.equal(parseStat('644 0 0 root root regular empty file')!.kind, 'file');
    assert.equal(parseStat('777 0 0 root root symbolic link')!.kind, 'link');
    assert.equal(parseStat('garbage'), undefined);
  });

  it('passes hostile paths to stat, chmod and chown as one literal word each', async () => {
    for (const path of HOSTILE_VALUES) {
      assert.deepEqual(recordInvocations(statCommand(path), ['stat']), [{ program: 'stat', args: ['-c', '%a %u %g %U %G %F', '--', path] }]);
      const host = fakeHost({ files: { [path]: 'x' }, stats: { [path]: { mode: '600' } } });
      const plan = await planFileContent(host, { path, content: 'x', mode: '0644', owner: '$(id)' });
      const commands = plan.steps.map((change) => (change.kind === 'command' ? change.command : '')).join('\n');
      assert.deepEqual(recordInvocations(commands, ['chmod', 'chown']), [
        { program: 'chmod', args: ['0644', '--', path] },
        { program: 'chown', args: ['$(id)', '--', path] },
      ]);
    }
  });
});
