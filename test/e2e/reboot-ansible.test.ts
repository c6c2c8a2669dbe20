/**
 * reboot on a bare lab beside ansible-playbook's. The lab's hosts share this
 * machine's kernel, so their shutdown emulates a reboot (src/lab/assets/power.mjs):
 * every session drops, the host is unreachable for a while, /run starts
 * empty and the boot id is new. swarmplay reboots docker01 while Ansible
 * reboots docker02, from test/fixtures/reboot; read over OpenSSH: --check
 * reboots neither, a run reboots both (a new boot id, the /run mark gone,
 * the disk's kept) with the same recap and the same registered result, and
 * the reboots that cannot happen as asked fail with the same messages.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { REPO_ROOT } from '../support/cli.js';
import { assertSameCounts, runSideBySide } from '../support/side-by-side.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'reboot');
const HOSTS = ['docker01', 'docker02'] as const;

describe('reboot on a bare lab beside ansible-playbook (an emulated reboot: sessions drop, a new boot id)', function () {
  this.timeout(600_000);
  let lab: TestLab;

  before(async () => {
    lab = await bringUpLab({ name: 'rebootab', subnet: '10.203.54.0/24', hosts: 2, bare: true, withPython: true });
  });
  after(async () => { await lab?.down(); });

  const bootIds = () => Promise.all(HOSTS.map(async (host) => (await lab.ssh(host, 'cat /proc/sys/kernel/random/boot_id')).trim()));

  it('gives each lab host a boot id of its own', async () => {
    const [first, second] = await bootIds();
    assert.match(first!, /^[0-9a-f-]{36}$/);
    assert.notEqual(first, second);
  });

  it('--check reports what Ansible reports and reboots neither host', async () => {
    const before = await bootIds();
    assertSameCounts(await runSideBySide(lab, path.join(FIXTURE, 'playbook.yaml'), ['--check']), 'check');
    assert.deepEqual(await bootIds(), before);
  });

  it('a run reboots both hosts mid-play, with the same recap and result; /run is empty after it, the disk kept', async () => {
    const before = await bootIds();
    const run = await runSideBySide(lab, path.join(FIXTURE, 'playbook.yaml'));
    assertSameCounts(run, 'run');
    assert.equal(run.ours.changed, 3, JSON.stringify(run.ours));
    const after = await bootIds();
    for (const [index, host] of HOSTS.entries()) assert.notEqual(after[index], before[index], `${host} has the boot id it had before`);
    const results = await Promise.all(HOSTS.map((host) => lab.ssh(host, 'cat /var/tmp/lab-reboot-result; ls /run/lab-reboot-mark 2>&1 || true')));
    assert.equal(results[0], results[1]);
    assert.match(results[0]!, /^rebooted=True elapsed-is-a-number=True\n\/var\/tmp\/lab-reboot-mark\n/);
    assert.match(results[0]!, /cannot access '\/run\/lab-reboot-mark': No such file or directory/);
  });

  it('a failing reboot command, a missing shutdown and a time-out fail as under Ansible, with its messages', async () => {
    const run = await runSideBySide(lab, path.join(FIXTURE, 'failures.yaml'));
    assertSameCounts(run, 'failures', ['ok', 'changed', 'failed', 'skipped', 'ignored']);
    assert.equal(run.ours.ignored, 3, JSON.stringify(run.ours));
    const messages = await Promise.all(HOSTS.map((host) => lab.ssh(host, 'cat /var/tmp/lab-reboot-failures')));
    assert.equal(messages[0], messages[1]);
    assert.equal(messages[0], [
      'Unable to find command "shutdown" in search paths: [\'/opt/no-such-folder\']',
      'Timed out waiting for last boot time check (timeout=1)',
      'command failed: True rebooted: False',
      '',
    ].join('\n'));
  });
});
