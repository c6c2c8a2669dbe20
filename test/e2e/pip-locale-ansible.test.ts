/**
 * locale_gen and pip on a bare lab beside ansible-playbook: swarmplay runs
 * test/fixtures/pip-locale/playbook.yaml on docker01 while ansible-playbook
 * runs it on docker02, both hosts prepared alike (locales, pip and venv from
 * the lab's mirror; wheels built on the host, since no package index is
 * reachable). In check mode, in a first and a second run: the same outcome
 * per task and the same recap; read over OpenSSH (locale -a, /etc/locale.gen,
 * each virtualenv's and the system's pip list): check mode changed nothing,
 * and the hosts end the same. Then a check on the finished hosts: swarmplay
 * says what the run did, where Ansible's pip reports changed for every task
 * with extra_args, requirements or state latest (a documented choice).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { REPO_ROOT } from '../support/cli.js';
import { assertSameCounts, runSideBySide, type SideBySide } from '../support/side-by-side.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'pip-locale');
const PLAYBOOK = path.join(FIXTURE, 'playbook.yaml');

/** The same outcome for every task under both tools. */
function assertSameTasks(run: SideBySide, what: string): void {
  assert.deepEqual(run.ourTasks, run.theirTasks, `${what}: swarmplay (actual) and Ansible (expected) differ`);
}

describe('locale_gen and pip on a bare lab beside ansible-playbook', function () {
  this.timeout(900_000);
  let lab: TestLab;

  before(async () => {
    lab = await bringUpLab({ name: 'pipl', subnet: '10.203.51.0/24', hosts: 2, bare: true, withPython: true });
    const prepare = await readFile(path.join(FIXTURE, 'prepare.sh'), 'utf8');
    await Promise.all(['docker01', 'docker02'].map((host) => lab.ssh(host, prepare)));
  });
  after(async () => { await lab?.down(); });

  // What the playbook changes, read from outside both tools.
  const state = async (host: string) => (await lab.ssh(host, [
    'locale -a | sort', "echo '-- locale.gen'", "grep -v '^#' /etc/locale.gen | grep .", "stat -c '%a %U %G' /etc/locale.gen",
    'for venv in /opt/piplvenv /opt/piplrelative /opt/piploldvenv; do echo "-- $venv"; '
      + '[ -x $venv/bin/pip ] && $venv/bin/pip list --format=freeze --disable-pip-version-check | grep -i pipl; '
      + 'cat $venv/lib/python3*/site-packages/pipltiny.py 2>/dev/null; done; true',
    "echo '-- system'", 'python3 -m pip list --format=freeze --disable-pip-version-check 2>/dev/null | grep -i pipl; true',
    "stat -c '%a %n' /opt/piplprivate /opt/piplprivate/lib/python3*/site-packages/pipltwo.py 2>/dev/null; true",
    'ls ~/piplrelative 2>/dev/null; true', "echo '-- refusals'", 'cat /etc/pipl-refusals 2>/dev/null; true',
  ].join('; '))).trim();

  it('--check gives the same outcome per task as Ansible and changes nothing', async () => {
    const [before1, before2] = await Promise.all([state('docker01'), state('docker02')]);
    assert.equal(before1, before2);
    assert.match(before1, /nl_NL\.utf8/);
    const check = await runSideBySide(lab, PLAYBOOK, ['--check']);
    assertSameTasks(check, 'check');
    assertSameCounts(check, 'check');
    assert.equal(await state('docker01'), before1);
    assert.equal(await state('docker02'), before2);
  });

  it('a run gives the same outcome per task and the same locales and packages; a second run changes only the reinstall', async () => {
    const first = await runSideBySide(lab, PLAYBOOK);
    assertSameTasks(first, 'first run');
    assertSameCounts(first, 'first run');
    // Debian 12's python refuses a system-wide install: both fail the task (ignored), and neither counts it changed.
    assert.equal(first.ourTasks["into the system's python, which Debian 12 marks as managed by apt"], 'failed');
    const [state1, state2] = await Promise.all([state('docker01'), state('docker02')]);
    assert.equal(state1, state2);
    assert.match(state1, /^de_CH\.utf8$/m);
    assert.match(state1, /^fr_FR\.iso88591$/m);
    assert.doesNotMatch(state1, /nl_NL/);
    assert.match(state1, /-- locale\.gen\nde_CH\.UTF-8 UTF-8\nfr_FR ISO-8859-1\n644 root root\n/);
    assert.match(state1, /-- \/opt\/piplvenv\npiplreq==0\.3\npipltiny==1\.0\npipltwo==2\.0\nVERSION = "1\.0"\n/);
    assert.match(state1, /-- \/opt\/piplrelative\npipltiny==1\.1\nVERSION = "1\.1"\n/);
    assert.match(state1, /-- \/opt\/piploldvenv\npipltiny==1\.1\nVERSION = "1\.1"\n-- system\npipltwo==2\.0\n/);
    assert.match(state1, /^700 \/opt\/piplprivate\n600 \/opt\/piplprivate\/lib\/python3\.11\/site-packages\/pipltwo\.py$/m);
    // Both said why, read from what each registered.
    assert.match(state1, /-- refusals\nTrue The locale you've entered is not available on your system\.\nTrue False True$/);

    const second = await runSideBySide(lab, PLAYBOOK);
    assertSameTasks(second, 'second run');
    assertSameCounts(second, 'second run');
    assert.deepEqual(Object.entries(second.ourTasks).filter(([, status]) => status === 'changed').map(([task]) => task), ['installed again every time']);
    assert.equal(await state('docker01'), state1);

    // On hosts that are done, swarmplay's check says what the second run did; Ansible's pip says
    // changed for every task with extra_args, requirements or state latest.
    const check = await runSideBySide(lab, PLAYBOOK, ['--check']);
    for (const [task, status] of Object.entries(second.ourTasks)) {
      // A refusal is only met when the command runs; the last task does not run in check mode.
      if (status !== 'failed' && check.ourTasks[task] !== 'skipped') assert.equal(check.ourTasks[task], status, `check on done hosts: ${task}`);
    }
    const differing = Object.keys(check.ourTasks).filter((task) => check.ourTasks[task] !== check.theirTasks[task]);
    assert.deepEqual(differing.map((task) => [task, check.ourTasks[task], check.theirTasks[task]]), [
      'a pinned version into a new virtualenv', 'present is met by the version there', 'a range written with a comma',
      'a version that is a specifier', 'from a requirements file', 'a relative virtualenv under chdir',
      'the newest the folder holds, over an older one', 'a virtualenv and its packages made under a umask', "into the system's python all the same",
    ].map((task) => [task, 'ok', 'changed']));
  });
});
