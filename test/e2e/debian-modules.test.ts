/**
 * script, debconf, dpkg_selections and service_facts on a bare lab beside
 * ansible-playbook: swarmplay runs test/fixtures/debian-modules/playbook.yaml
 * on one host while ansible-playbook runs it on the other. In check mode,
 * in a first run and in a second one: the same ok/changed/skipped per run;
 * read over OpenSSH (debconf-show, dpkg --get-selections, the script's
 * file, the services service_facts found, written to a file by the
 * playbook): check mode changed nothing, and the hosts end the same.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { recapOf, REPO_ROOT, runCli } from '../support/cli.js';
import { assertCheckChangesNothing, assertSecondRunChangesNothing, firstRunAlike } from '../support/side-by-side.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'debian-modules');
const PLAYBOOK = path.join(FIXTURE, 'playbook.yaml');

describe('script, debconf, dpkg_selections and service_facts on a bare lab beside ansible-playbook', function () {
  this.timeout(600_000);
  let lab: TestLab;

  before(async () => {
    lab = await bringUpLab({ name: 'm2deb', subnet: '10.203.49.0/24', hosts: 2, bare: true, withPython: true });
  });
  after(async () => { await lab?.down(); });

  // What the playbook changes, read from outside both tools.
  const state = async (host: string) => (await lab.ssh(host, [
    'cat /etc/debian-modules-script /etc/debian-modules-report 2>/dev/null || echo no-script-file',
    'debconf-show tzdata | grep Areas', 'debconf-show dmtest | sort',
    'dpkg --get-selections tzdata cron',
    'cat /etc/debian-modules-services 2>/dev/null || echo no-services-file',
  ].join('; '))).trim();

  it('--check reports what Ansible reports and changes nothing', () => assertCheckChangesNothing(lab, PLAYBOOK, state));

  it('a run gives the same recap and the same answers, selections and files; a second run changes nothing', async () => {
    const state1 = await firstRunAlike(lab, PLAYBOOK, state);
    assert.match(state1, /^two words second\|\/tmp\n0 args: one two three\|user: root\n\* tzdata\/Areas: Europe\n/);
    assert.match(state1, /dmtest\/enabled: true/);
    assert.match(state1, /\* dmtest\/motd: hello from the lab/);
    assert.match(state1, /tzdata\s+hold\ncron\s+deinstall\n/);
    // The bare lab's PID 1 is no systemd: both read the init scripts (service --status-all).
    assert.match(state1, /^ssh ssh \w+ sysv -$/m);
    await assertSecondRunChangesNothing(lab, PLAYBOOK);
  });

  it('sets a password answer once and never shows it', async () => {
    const secret = 'lab-secret-7f3a';
    const run = () => runCli(['run', path.join(FIXTURE, 'password.yaml'), '-i', lab.inventory, '--limit', 'docker01', '--json', '-v', '--diff',
      '-e', `dmtest_secret=${secret}`], { timeoutMs: 120_000 });
    const first = await run();
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(recapOf(first.stdout).docker01!.changed, 1, first.stdout);
    const again = await run();
    assert.equal(recapOf(again.stdout).docker01!.changed, 0, again.stdout);
    for (const output of [first, again]) assert.ok(!(output.stdout + output.stderr).includes(secret), 'the password is in the output');
    assert.match(await lab.ssh('docker01', 'grep -A3 "^Name: dmtest/secret" /var/cache/debconf/passwords.dat'), new RegExp(`Value: ${secret}`));
  });
});
