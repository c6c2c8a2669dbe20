/**
 * community.general.ufw beside Ansible's on a bare lab: swarmplay runs
 * test/fixtures/ufw on docker01 while ansible-playbook runs it on docker02
 * (ufw from the lab's mirror). Read from outside over OpenSSH: ufw's own
 * `ufw status verbose` and its rules files. --check changes nothing, a
 * first run gives the same recap and the same firewall, a second changes
 * nothing; deleting rules and turning ufw off end the same too.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { REPO_ROOT } from '../support/cli.js';
import { assertCheckChangesNothing, assertSameCounts, assertSecondRunChangesNothing, firstRunAlike, runSideBySide } from '../support/side-by-side.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'ufw');

describe('community.general.ufw on a bare lab beside ansible-playbook', function () {
  this.timeout(600_000);
  let lab: TestLab;

  before(async () => {
    lab = await bringUpLab({ name: 'ufwab', subnet: '10.203.55.0/24', hosts: 2, bare: true, withPython: true });
  });
  after(async () => { await lab?.down(); });

  // ufw's own view, and its rules as it stores them (comments included), read over ssh.
  const firewall = async (host: string) => (await lab.ssh(host, [
    'if command -v ufw >/dev/null; then ufw status verbose; grep -h "^### tuple" /etc/ufw/user.rules /etc/ufw/user6.rules; grep -h "^ENABLED\\|^LOGLEVEL" /etc/ufw/ufw.conf; else echo no ufw; fi',
  ].join('; '))).trim();

  it('--check reports what Ansible reports and changes nothing', async () => {
    // ufw installed (not enabled) first: a check run judges each rule with ufw's own dry run, which needs ufw there.
    await Promise.all(['docker01', 'docker02'].map((host) => lab.ssh(host, 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ufw >/dev/null')));
    await assertCheckChangesNothing(lab, path.join(FIXTURE, 'playbook.yaml'), firewall);
  });

  it('a run gives the same recap and the same firewall; a second run changes nothing', async () => {
    const state = await firstRunAlike(lab, path.join(FIXTURE, 'playbook.yaml'), firewall);
    assert.match(state, /^Status: active$/m);
    assert.match(state, /^Default: deny \(incoming\), allow \(outgoing\)/m);
    assert.match(state, /^Logging: on \(low\)$/m);
    assert.match(state, /^2377\/tcp\s+ALLOW IN\s+Anywhere\s+# docker swarm$/m);
    assert.match(state, /^4789\/udp\s+ALLOW IN\s+Anywhere\s+# docker swarm$/m);
    assert.match(state, /^8000:8010\/tcp\s+ALLOW IN\s+10\.203\.0\.0\/16\s*$/m);
    assert.match(state, /^Anywhere\s+DENY IN\s+192\.0\.2\.7\s*$/m);
    await assertSecondRunChangesNothing(lab, path.join(FIXTURE, 'playbook.yaml'));
  });

  it('deleting rules and turning ufw off end the same under both', async () => {
    const run = await runSideBySide(lab, path.join(FIXTURE, 'remove.yaml'));
    assertSameCounts(run, 'remove');
    assert.equal(run.ours.changed, 2, JSON.stringify(run.ours));
    const [ours, theirs] = await Promise.all([firewall('docker01'), firewall('docker02')]);
    assert.equal(ours, theirs);
    assert.match(ours, /^Status: inactive$/m);
    assert.doesNotMatch(ours, /8000:8010/);
  });
});
