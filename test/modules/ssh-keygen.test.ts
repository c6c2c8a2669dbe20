import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sshKeygen } from '../../src/modules/ssh-keygen.js';
import type { ApplyContext, Change } from '../../src/modules/types.js';
import { fakeHost } from '../support/fake-host.js';

const PUB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly root@docker01';
const parse = (args: unknown) => sshKeygen.schema.parse(args);
const home = { 'printf "%s\\n" "$HOME"': '/root\n' };

/** An ApplyContext running commands in the local shell: ssh-keygen for real, in a temp folder. */
function localApply(): ApplyContext {
  return {
    host: 'local',
    async run(command) {
      const r = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status ?? 1 };
    },
    async putFile() { throw new Error('not used'); },
    async getFile(file) { return existsSync(file) ? readFileSync(file) : null; },
  };
}

describe('ssh_keygen module', () => {
  it('is ok and returns the public key when the pair exists (~ expanded)', async () => {
    const host = fakeHost({ files: { '/root/.ssh/id_ed25519.pub': `${PUB}\n` }, probes: { ...home, 'test -e /root/.ssh/id_ed25519': '' } });
    const plan = await sshKeygen.plan(host, parse({}));
    assert.deepEqual(plan.steps, []);
    assert.deepEqual(plan.result, { path: '/root/.ssh/id_ed25519', pub_path: '/root/.ssh/id_ed25519.pub', type: 'ed25519', public_key: PUB });
  });

  it('generates a pair where none exists: a real ssh-keygen, no passphrase, private folder and key', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ssh-keygen-'));
    try {
      const keyPath = path.join(dir, 'new', 'id_ed25519');
      const host = fakeHost({ probes: { [`test -e ${keyPath}`]: { stdout: '', stderr: '', exitCode: 1 }, 'command -v ssh-keygen': '/usr/bin/ssh-keygen\n' } });
      const plan = await sshKeygen.plan(host, parse({ path: keyPath, comment: 'swarmplay test' }));
      assert.equal(plan.steps.length, 1);
      assert.equal(existsSync(keyPath), false, 'planning generated nothing');
      const applied = await (plan.steps[0] as Extract<Change, { kind: 'apply' }>).apply(localApply());
      assert.match(String(applied!.public_key), /^ssh-ed25519 AAAA\S+ swarmplay test$/);
      assert.equal(statSync(keyPath).mode & 0o777, 0o600);
      assert.equal(statSync(path.dirname(keyPath)).mode & 0o777, 0o700);
      assert.deepEqual(sshKeygen.finish!(parse({}), [{ change: plan.steps[0]!, applied: applied! }], plan), applied);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('derives a missing public half, never replacing the private key', async () => {
    const host = fakeHost({ probes: { ...home, 'test -e /root/.ssh/id_ed25519': '', 'command -v ssh-keygen': '/usr/bin/ssh-keygen' } });
    const plan = await sshKeygen.plan(host, parse({}));
    assert.match(plan.steps[0]!.description, /derive \/root\/.ssh\/id_ed25519.pub/);
  });

  it('says when ssh-keygen is missing', async () => {
    const host = fakeHost({ probes: { ...home, 'test -e /root/.ssh/id_ed25519': { stdout: '', stderr: '', exitCode: 1 }, 'command -v ssh-keygen': { stdout: '', stderr: '', exitCode: 1 } } });
    assert.match((await sshKeygen.plan(host, parse({}))).failed!, /ssh-keygen is not installed on fake01/);
  });
});
