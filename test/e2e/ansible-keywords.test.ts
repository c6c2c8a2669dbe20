/**
 * Play and task keywords on a real lab (two plain sshd hosts): async/poll and
 * async_status, add_host, group_by, throttle, module_defaults, collections,
 * delegate_facts, setup (filter, gather_subset), meta (flush_handlers, reset_connection, refresh_inventory,
 * clear_facts, end_host, end_play), ignore_unreachable and any_errors_fatal on
 * a block. The same playbook (test/fixtures/keywords/keywords.yaml) runs under
 * swarmplay and ansible-playbook at once, each writing under /root/kw-<tool>;
 * the recaps and exit codes must be equal, and so must every file each tool
 * left on each host, read with OpenSSH's client.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, recapOf, runCli } from '../support/cli.js';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { runAnsiblePlaybook } from '../support/ansible-playbook.js';

const exec = promisify(execFile);
const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/keywords/keywords.yaml');

describe('play and task keywords: swarmplay and ansible-playbook on the same lab hosts', function () {
  this.timeout(240_000);
  let lab: TestLab;
  /** The playbook, copied beside the lab's inventory: the retry file swarmplay writes stays out of the repository. */
  let PLAYBOOK: string;

  before(async () => {
    lab = await bringUpLab({ name: 'kwe', subnet: '10.203.30.0/24', hosts: 2, docker: false });
    PLAYBOOK = path.join(lab.dir, 'keywords.yaml');
    await copyFile(FIXTURE, PLAYBOOK);
  });

  after(async () => {
    await exec('rm', ['-rf', '/var/tmp/kw-throttle-swarmplay', '/var/tmp/kw-throttle-ansible']);
    await lab?.down();
  });

  function ansible() {
    return runAnsiblePlaybook([PLAYBOOK, '-i', lab.inventory, '-e', 'tool=ansible'], {
      env: {
        ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_PIPELINING: 'True', ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_DEPRECATION_WARNINGS: 'False',
        // Its own SSH control sockets: one left by an earlier lab on these addresses would reach a host that is gone.
        ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(lab.dir, 'ssh-control'),
        // Every lab gets new host keys: none is kept in root's known_hosts.
        ANSIBLE_SSH_EXTRA_ARGS: '-o UserKnownHostsFile=/dev/null',
      },
    });
  }

  /** Every file a tool left in /root/kw-<tool> on a host: name, mode and content. */
  async function filesOf(host: string, tool: string): Promise<string> {
    return lab.ssh(host, `cd /root/kw-${tool} && for f in *; do printf '%s %s %s\\n' "$f" "$(stat -c %a "$f")" "$(tr '\\n' '|' < "$f")"; done`);
  }

  it('gives the same recap, exit code and files as ansible-playbook', async () => {
    const [ours, theirs] = await Promise.all([
      runCli(['run', PLAYBOOK, '-i', lab.inventory, '-e', 'tool=swarmplay', '--json'], { timeoutMs: 180_000 }),
      ansible(),
    ]);
    const recap = recapOf(ours.stdout);
    assert.deepEqual(recap, theirs.recap, `PLAY RECAP\n${theirs.output.match(/"msg": "[^"]*"/g)?.slice(0, 5).join("\n")}`);
    assert.equal(ours.code, theirs.code, 'exit code');
    assert.equal(ours.code, 2, 'docker02 failed in the any_errors_fatal block');
    // The ignored unreachable host stays in its play: both of its tasks were tried.
    assert.deepEqual(recap.kwghost, { ok: 2, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 2 });

    for (const host of ['docker01', 'docker02']) {
      const mine = await filesOf(host, 'swarmplay');
      assert.equal(mine, await filesOf(host, 'ansible'), `the files on ${host}`);
      assert.match(mine, new RegExp(`^waited-result 644 ${host} rc=0 finished=1\\|$`, 'm'), 'poll > 0 waited for the job');
      assert.match(mine, /^job-result 644 finished=1 rc=0 started=0\|$/m, 'poll 0 returned at once, async_status found the end');
      assert.match(mine, /^background 644 background\|$/m);
      assert.match(mine, /^late-result 644 async task did not complete within the requested time - 2s\|$/m);
      assert.match(mine, /^defaulted 640 $/m, "module_defaults gave file its mode");
      assert.match(mine, /^groups 644 \['kwextra'\] \['docker01'\] \['docker01', 'docker02'\]\|$/m, 'add_host and group_by');
      assert.match(mine, /^handler 644 flushed\|after-flush\|$/m, 'flush_handlers ran the handler before the next task');
      assert.doesNotMatch(mine, /after-end-play|after-fatal/);
      assert.match(mine, new RegExp(`^setup 644 \\['ansible_distribution', 'ansible_os_family'\\] Debian Debian \\['ansible_all_ipv4_addresses'\\] \\[.*'${lab.hosts[host]!.replace(/\./g, '\\.')}'.*\\]$`, 'm'),
        'setup with filter and gather_subset');
    }
    const second = await filesOf('docker02', 'swarmplay');
    assert.match(second, /^seen-kwextra 644 blue none \['added'\]\|$/m, 'a later play ran on the added host with its variables');
    assert.match(second, /^seen-docker02 644 none docker01 \['kind_other', 'kinds', 'workers'\]\|$/m, 'delegate_facts gave docker02 the fact');
    assert.doesNotMatch(second, /after-end-host/, 'end_host ended docker02');
    assert.match(await filesOf('docker01', 'swarmplay'), /^after-end-host 644 docker01\|$/m);
    // The job folders are where the README says, the user's only.
    assert.equal((await lab.ssh('docker01', 'stat -c %a /root/.swarmplay_async')).trim(), '700');
  });
});
