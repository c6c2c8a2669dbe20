/**
 * ansible.posix.firewalld beside Ansible's on a bare lab: firewalld from the
 * lab's mirror on two twin hosts, started as its unit would start it (the
 * lab's hosts run no systemd: the system bus and firewalld are started by
 * hand), then test/fixtures/firewalld under swarmplay on docker01 and
 * ansible-playbook on docker02. Read from outside with firewall-cmd over
 * OpenSSH, runtime and permanent: --check changes nothing, a first run gives
 * the same recap and the same zones, a second run changes nothing.
 */
import path from 'node:path';
import assert from 'node:assert/strict';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { REPO_ROOT } from '../support/cli.js';
import { assertCheckChangesNothing, assertSecondRunChangesNothing, firstRunAlike } from '../support/side-by-side.js';

const PLAYBOOK = path.join(REPO_ROOT, 'test', 'fixtures', 'firewalld', 'playbook.yaml');

describe('ansible.posix.firewalld on a bare lab beside ansible-playbook', function () {
  this.timeout(600_000);
  let lab: TestLab;

  before(async () => {
    lab = await bringUpLab({ name: 'fwdab', subnet: '10.203.56.0/24', hosts: 2, bare: true, withPython: true });
    await Promise.all(['docker01', 'docker02'].map((host) => lab.ssh(host, [
      'apt-get update -qq', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firewalld >/dev/null 2>&1',
      'mkdir -p /run/dbus', 'dbus-daemon --system --fork', 'firewalld',
      'for i in $(seq 1 100); do firewall-cmd --state >/dev/null 2>&1 && break; sleep 0.1; done', 'firewall-cmd --state',
    ].join(' && '))));
  });
  after(async () => { await lab?.down(); });

  // Both configurations of the zones the playbook touches, as firewall-cmd lists them.
  const zones = async (host: string) => (await lab.ssh(host, ['', '--permanent '].flatMap((scope) => ['public', 'trusted']
    .map((zone) => `echo "== ${scope}${zone}"; firewall-cmd ${scope}--zone=${zone} --list-all | grep -v '^  \\(icmp-block-inversion\\|forward\\|target\\):'`)).join('; '))).trim();

  it('--check reports what Ansible reports and changes nothing', async () => {
    await assertCheckChangesNothing(lab, PLAYBOOK, zones);
  });

  it('a run gives the same recap and the same zones, runtime and permanent; a second run changes nothing', async () => {
    const state = await firstRunAlike(lab, PLAYBOOK, zones);
    const [runtimePublic, , permanentPublic] = state.split('== ').slice(1);
    assert.match(runtimePublic!, /ports: 2377\/tcp 7946\/tcp 7946\/udp 4789\/udp/);
    assert.match(runtimePublic!, /services: http ssh\n/);
    assert.match(runtimePublic!, /masquerade: yes/);
    assert.match(permanentPublic!, /services: ssh\n/);
    assert.match(permanentPublic!, /rule family="ipv4" source address="192.0.2.7" reject/);
    assert.match(state, /== trusted[\s\S]*sources: 10\.203\.0\.0\/16/);
    await assertSecondRunChangesNothing(lab, PLAYBOOK);
  });
});
