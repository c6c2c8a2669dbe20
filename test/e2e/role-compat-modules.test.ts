/**
 * Modules and arguments public roles use (validate, ini_file, getent, raw),
 * on a bare lab: swarmplay runs
 * test/fixtures/role-compat/modules.yaml on one host while ansible-playbook
 * runs it on the other; same recap, same files read over OpenSSH, and the
 * sudoers line visudo refused is in neither file (nor a temp file beside it).
 * A second swarmplay run changes only what always changes (raw).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { recapOf, REPO_ROOT, runCli } from '../support/cli.js';
import { assertSameCounts, runSideBySide } from '../support/side-by-side.js';

const PLAYBOOK = path.join(REPO_ROOT, 'test', 'fixtures', 'role-compat', 'modules.yaml');

describe('modules public roles use, on a bare lab beside ansible-playbook', function () {
  this.timeout(300_000);
  let lab: TestLab;

  before(async () => {
    lab = await bringUpLab({ name: 'compat', subnet: '10.203.40.0/24', hosts: 2, bare: true, withPython: true });
  });
  after(async () => { await lab?.down(); });

  const endState = async (host: string) => (await lab.ssh(host, [
    'cat /etc/sudoers.d/compat', 'stat -c %a /etc/sudoers.d/compat', 'ls -A /etc/sudoers.d', 'od -An -c /etc/compat.ini', 'stat -c %a /etc/compat.ini',
    'cat /etc/compat-home /etc/compat-raw',
  ].join('; '))).trim();

  it('gives the same recap and the same files as ansible-playbook; a second run changes only raw', async () => {
    assertSameCounts(await runSideBySide(lab, PLAYBOOK), 'first run', ['ok', 'changed', 'failed', 'ignored']);
    const [state1, state2] = await Promise.all([endState('docker01'), endState('docker02')]);
    assert.equal(state1, state2);
    assert.match(state1, /^admin ALL=\(ALL\) NOPASSWD: ALL\n440\n(README\n)?compat\n/);
    assert.doesNotMatch(state1, /not sudoers|swarmplay/);
    const again = await runCli(['run', PLAYBOOK, '-i', lab.inventory, '--limit', 'docker01', '--json'], { timeoutMs: 120_000 });
    assert.equal(recapOf(again.stdout).docker01!.changed, 1, again.stdout);
  });
});
