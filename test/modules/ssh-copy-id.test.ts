import assert from 'node:assert/strict';
import { sshCopyId, keyIdentity, withKeys } from '../../src/modules/ssh-copy-id.js';
import type { CommandStep, Step, WriteStep } from '../../src/modules/types.js';
import { fakeHost, applyWrites } from '../support/fake-host.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly controller';
const OTHER = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQOther someone@else';
const ACCOUNT = `u=$(id -un) && g=$(id -gn) && h=$(getent passwd "$u" | cut -d: -f6) && printf '%s\\n%s\\n%s\\n' "$u" "$g" "\${h:-$HOME}"`;
const parse = (args: unknown) => sshCopyId.schema.parse(args);
const descriptions = (steps: Step[]) => steps.map((c) => c.description);

describe('ssh_copy_id module', () => {
  it('creates ~/.ssh (700) and authorized_keys (600) owned by the user', async () => {
    const host = fakeHost({ probes: { [ACCOUNT]: 'root\nroot\n/root\n' } });
    const plan = await sshCopyId.plan(host, parse({ key: KEY }));
    assert.deepEqual(descriptions(plan.steps), ['create /root/.ssh (700, root:root)', 'create /root/.ssh/authorized_keys']);
    const write = plan.steps[1] as WriteStep;
    assert.deepEqual({ content: write.content, mode: write.mode, owner: write.owner, group: write.group }, { content: `${KEY}\n`, mode: '0600', owner: 'root', group: 'root' });
  });

  it('adds only missing keys, keeps other lines, fixes modes; a second run changes nothing', async () => {
    const host = fakeHost({
      probes: { [ACCOUNT]: 'root\nroot\n/root\n' },
      files: { '/root/.ssh/authorized_keys': `# admins\n${OTHER}` },
      stats: { '/root/.ssh': { mode: '755', type: 'directory' }, '/root/.ssh/authorized_keys': { mode: '644' } },
    });
    const plan = await sshCopyId.plan(host, parse({ key: KEY }));
    assert.deepEqual(descriptions(plan.steps), ['set mode 0700 on /root/.ssh', 'update /root/.ssh/authorized_keys']);
    assert.equal((plan.steps[1] as WriteStep).content, `# admins\n${OTHER}\n${KEY}\n`);
    applyWrites(host, plan);
    host.stats.set('/root/.ssh', { mode: '700', type: 'directory' });
    assert.deepEqual((await sshCopyId.plan(host, parse({ key: KEY }))).steps, []);
  });

  it('counts a key present with options or another comment as present', () => {
    assert.equal(keyIdentity(`from="10.0.0.0/8",no-pty ${KEY.replace('controller', 'x')}`), keyIdentity(KEY));
    assert.equal(withKeys(`restrict ${KEY.replace('controller', 'old')}\n`, [KEY]), `restrict ${KEY.replace('controller', 'old')}\n`);
    assert.equal(keyIdentity('# comment'), undefined);
  });

  it('refuses something that is not a public key (a private key pasted by mistake)', async () => {
    const plan = await sshCopyId.plan(fakeHost(), parse({ key: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n' }));
    assert.match(plan.failed!, /not an OpenSSH public key line/);
    assert.doesNotMatch(plan.failed!, /b3BlbnNzaC1rZXktdjEAAAAA/);
  });

  it('installs for a named user in that user\'s home', async () => {
    const probe = `u=$(id -un deploy) && g=$(id -gn deploy) && h=$(getent passwd "$u" | cut -d: -f6) && printf '%s\\n%s\\n%s\\n' "$u" "$g" "\${h:-$HOME}"`;
    const plan = await sshCopyId.plan(fakeHost({ probes: { [probe]: 'deploy\nstaff\n/home/deploy\n' } }), parse({ key: KEY, user: 'deploy' }));
    assert.equal((plan.steps[1] as WriteStep).path, '/home/deploy/.ssh/authorized_keys');
    assert.match((plan.steps[0] as CommandStep).command, /chown deploy:staff -- \/home\/deploy\/.ssh/);
    assert.equal(sshCopyId.schema.safeParse({ key: KEY, user: 'x; rm -rf /' }).success, false);
  });
});
