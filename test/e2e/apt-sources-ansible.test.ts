/**
 * apt_key and apt_repository beside ansible-playbook on a bare lab with python
 * (its own Debian root per host, apt only from the lab's mirror):
 * test/fixtures/system/apt-sources.yaml runs under swarmplay on docker01 and
 * under ansible-playbook (Debian's ansible-core 2.14) on docker02, at the same
 * time, twice. Each task must end ok or changed alike under both tools, in
 * both runs; then the files each wrote under /etc/apt (keyrings, trusted.gpg.d,
 * sources.list.d, sources.list) are read over OpenSSH: names, modes, owners
 * and sha256 must be the same on both hosts, but for one documented choice:
 * the keyrings' bytes (apt-key's keyring beside swarmplay's dearmored key).
 * Last, each tool runs on the other's host and changes nothing.
 * deb822_repository arrived in ansible-core 2.15, which Debian 12 does not
 * ship: it is not compared here.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { jsonEvents, recapOf, REPO_ROOT, runCli } from '../support/cli.js';

const exec = promisify(execFile);
const PLAYBOOK = path.join(REPO_ROOT, 'test', 'fixtures', 'system', 'apt-sources.yaml');
const KEY_FILE = path.join(REPO_ROOT, 'test', 'fixtures', 'system', 'apt-sources-key.asc');
const KEY_FINGERPRINT = '8257EDF0D3A940EBF6A12D7AFF5AA1858CAEA4AB';

/** Task name -> ok | changed | failed ..., in the playbook's order. */
type TaskStatuses = [string, string][];

describe('apt_key and apt_repository beside ansible-playbook on a bare lab', function () {
  this.timeout(600_000);
  let lab: TestLab;
  let extraVars: string[];

  before(async () => {
    lab = await bringUpLab({ name: 'bbkeys', subnet: '10.203.45.0/24', hosts: 2, bare: true, withPython: true });
    const mirrorUrl = `http://${lab.hosts.docker01!.replace(/\.\d+$/, '.1')}/debian`;
    extraVars = ['-e', `key_file=${KEY_FILE}`, '-e', `key_fingerprint=${KEY_FINGERPRINT}`, '-e', `mirror_url=${mirrorUrl}`];
  });
  after(async () => {
    await lab?.down();
  });

  async function swarmplay(host = 'docker01'): Promise<TaskStatuses> {
    const result = await runCli(['run', PLAYBOOK, '-i', lab.inventory, '--limit', host, '--json', ...extraVars], { timeoutMs: 300_000 });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(Object.keys(recapOf(result.stdout)).length, 1);
    return jsonEvents(result.stdout).filter((event) => event.event === 'host_result').map((event) => [String(event.task), String(event.status)]);
  }

  async function ansible(host = 'docker02'): Promise<TaskStatuses> {
    const result = await exec('ansible-playbook', ['-i', lab.inventory, '--limit', host, PLAYBOOK, ...extraVars], {
      env: {
        ...process.env, ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_PIPELINING: 'True',
        ANSIBLE_DEPRECATION_WARNINGS: 'False',
        // Every lab up makes new host keys: never record them in the machine's own known_hosts.
        ANSIBLE_SSH_ARGS: '-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no',
      },
      maxBuffer: 16 * 1024 * 1024,
    }).then((r) => ({ code: 0, stdout: r.stdout }), (e) => ({ code: e.code as number, stdout: String(e.stdout) }));
    assert.equal(result.code, 0, result.stdout);
    const statuses: TaskStatuses = [];
    let task = '';
    for (const line of result.stdout.split('\n')) {
      const heading = /^TASK \[(.*)\] \**$/.exec(line);
      if (heading) task = heading[1]!;
      const outcome = new RegExp(`^(ok|changed|failed|skipping): \\[${host}\\]`).exec(line);
      if (outcome && task !== 'Gathering Facts') statuses.push([task, outcome[1] === 'skipping' ? 'skipped' : outcome[1]!]);
    }
    return statuses;
  }

  /**
   * Every file under /etc/apt a task may write, read with OpenSSH: name, mode and owner, then size and
   * sha256, but for keyrings (*.gpg) the fingerprints gpg reads in them (their bytes differ: see below).
   */
  async function aptFiles(host: string): Promise<string[]> {
    const listing = await lab.ssh(host, [
      'cd /etc/apt && for f in sources.list sources.list.d/* keyrings/* trusted.gpg.d/*; do',
      '  [ -e "$f" ] || continue',
      '  case "$f" in',
      '    *.gpg) echo "$f $(stat -c "%a %U:%G" "$f") $(gpg --show-keys --with-colons "$f" | grep ^fpr | cut -d: -f10 | tr "\\n" " ")" ;;',
      '    *) echo "$f $(stat -c "%a %U:%G %s" "$f") $(sha256sum < "$f" | cut -c1-64)" ;;',
      '  esac',
      'done; true',
    ].join('\n'));
    return listing.trim().split('\n').map((line) => line.trimEnd());
  }

  const sha256Of = async (host: string, file: string) => (await lab.ssh(host, `sha256sum < ${file}`)).trim().slice(0, 64);

  it('a first run: every task ok or changed alike under both tools', async () => {
    const [ours, theirs] = await Promise.all([swarmplay(), ansible()]);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours, [
      ['gpg and gpg-agent, which apt_key runs', 'changed'],
      ['the key as a file on the host', 'changed'],
      ['the key from data into a keyring in /etc/apt/keyrings', 'changed'],
      ['the key from the host\'s file into trusted.gpg.d', 'changed'],
      ['the key by its fingerprint, already in the keyring', 'ok'],
      ['the mirror under a second address form, then the package lists refreshed (before the sources apt cannot reach)', 'changed'],
      ['a one-line source signed by that keyring, in a file of its own', 'changed'],
      ['a one-line source in the file named after its address', 'changed'],
      ['the mirror\'s own line, already in sources.list', 'ok'],
    ]);
  });

  it('the same files under /etc/apt on both hosts, read over SSH; the keyrings hold the same key', async () => {
    const [mine, theirs] = await Promise.all([aptFiles('docker01'), aptFiles('docker02')]);
    // A documented choice: Ansible's apt_key runs apt-key, whose gpg --import into an empty keyring file
    // writes a GnuPG keyring (the key and gpg's trust packets) and leaves an empty FILE~ beside it;
    // swarmplay writes the key dearmored, as `gpg --dearmor` and Debian's own instructions do. Same
    // key, same fingerprint, same mode; apt reads both.
    const backups = theirs.filter((line) => /^\S+~ /.test(line));
    assert.deepEqual(backups.map((line) => line.split(' ').slice(0, 3).join(' ')), ['keyrings/lab-data.gpg~ 644 root:root', 'trusted.gpg.d/lab-file.gpg~ 644 root:root']);
    assert.deepEqual(mine, theirs.filter((line) => !backups.includes(line)));
    assert.ok(mine.includes(`keyrings/lab-data.gpg 644 root:root ${KEY_FINGERPRINT}`), mine.join('\n'));
    const dearmored = (await exec('sh', ['-c', `gpg --dearmor < '${KEY_FILE}' | sha256sum`])).stdout.slice(0, 64);
    assert.equal(await sha256Of('docker01', '/etc/apt/keyrings/lab-data.gpg'), dearmored);
    assert.notEqual(await sha256Of('docker02', '/etc/apt/keyrings/lab-data.gpg'), dearmored);
  });

  it('a second run: every task ok under both tools', async () => {
    const [ours, theirs] = await Promise.all([swarmplay(), ansible()]);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours.filter(([, status]) => status !== 'ok'), []);
  });

  it('each tool finds what the other wrote and changes nothing', async () => {
    const [ours, theirs] = await Promise.all([swarmplay('docker02'), ansible('docker01')]);
    assert.deepEqual(ours.filter(([, status]) => status !== 'ok'), []);
    assert.deepEqual(theirs.filter(([, status]) => status !== 'ok'), []);
  });

  // Ansible's apt_repository fails here too ("Failed to update apt cache"): python-apt's cache.update()
  // raises on a source it cannot fetch, where plain apt-get update only warns.
  it('a source apt cannot fetch fails the refresh, naming it', async () => {
    const file = path.join(lab.dir, 'unreachable-source.yaml');
    writeFileSync(file, `- hosts: docker01
  gather_facts: false
  tasks:
    - ansible.builtin.apt_repository:
        repo: "deb [trusted=yes] http://apt.lab.invalid/more ./"
        filename: lab-unreachable
        update_cache_retries: 1
`);
    const result = await runCli(['run', file, '-i', lab.inventory], { timeoutMs: 120_000 });
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stdout, /failed: \[docker01\] => Failed to update apt cache.*apt\.lab\.invalid/s);
  });
});
