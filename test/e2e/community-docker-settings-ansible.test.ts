/**
 * community.docker's swarm settings (autolock_managers with the unlock key,
 * task history, dispatcher heartbeat), the info modules' *_filters and
 * docker_image's archive_path: swarmplay on a lab's docker01, ansible-playbook
 * with the real collection on its docker02, at the same time, each host its
 * own one-node swarm. The same ok/changed/skipped task by task in --check, in
 * a first and a second run (changed=0), the same settings and archives read
 * from outside with docker over OpenSSH, and the unlock key in no output of
 * swarmplay's.
 *
 * The playbook states every setting it keeps in each settings task: the
 * collection sends docker a partial swarm spec, which resets every setting
 * not given (autolock off, task history 0); swarmplay's `docker swarm
 * update` keeps them. `force` with present is checked on swarmplay alone:
 * theirs runs --force-new-cluster on every run (on an autolocked manager
 * docker then refuses, and the node is left in no swarm).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { jsonEvents, recapOf, REPO_ROOT, runCli } from '../support/cli.js';
import { runAnsiblePlaybook, type AnsibleRun } from '../support/ansible-playbook.js';
import { LAB_ANSIBLE_ENV } from '../support/side-by-side.js';

const exec = promisify(execFile);
const PLAYBOOK = path.join(REPO_ROOT, 'test', 'fixtures', 'community-docker-settings', 'playbook.yaml');

/** Each task's outcome in order, as "name: status". */
type Statuses = string[];

function ourStatuses(stdout: string): Statuses {
  return jsonEvents(stdout).filter((e) => e.event === 'host_result').map((e) => `${e.task}: ${e.status}`);
}

function theirStatuses(run: AnsibleRun, host: string): Statuses {
  return run.report.plays.flatMap((play) => play.tasks).flatMap(({ task, hosts }) => {
    const result = hosts[host];
    if (!result) return [];
    const status = result.failed ? 'failed' : result.skipped ? 'skipped' : result.changed ? 'changed' : 'ok';
    return [`${task.name}: ${status}`];
  });
}

describe('community.docker swarm settings, info filters and image archive beside ansible-playbook', function () {
  this.timeout(600_000);
  let lab: TestLab;

  /** Both tools at once, each on its host: their statuses task by task, and swarmplay's whole output. */
  const sideBySide = async (extra: string[] = []) => {
    const [ours, theirs] = await Promise.all([
      runCli(['run', PLAYBOOK, '-i', lab.inventory, '--limit', 'docker01', '--json', '-v', ...extra], { timeoutMs: 240_000 }),
      runAnsiblePlaybook(['-i', lab.inventory, '--limit', 'docker02', ...extra, PLAYBOOK], { env: { ...LAB_ANSIBLE_ENV } }),
    ]);
    assert.equal(ours.code, 0, ours.stdout + ours.stderr);
    assert.equal(theirs.code, 0, theirs.output);
    const statuses = { ours: ourStatuses(ours.stdout), theirs: theirStatuses(theirs, 'docker02') };
    assert.deepEqual(statuses.ours, statuses.theirs, 'the same outcome task by task');
    return { recap: recapOf(ours.stdout).docker01!, output: ours.stdout + ours.stderr };
  };

  /** What the playbook set, read with docker over OpenSSH. */
  const endState = async (host: string) => (await lab.ssh(host, [
    "docker info --format '{{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}} {{.Swarm.Cluster.Spec.EncryptionConfig.AutoLockManagers}} {{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}}'",
    'docker swarm unlock-key -q | grep -c "^SWMKEY-1-"',
    'for f in /root/dset-*.tar; do echo "$f $(stat -c %a "$f") $(tar -xOf "$f" manifest.json | python3 -c \'import json,sys; m=json.load(sys.stdin); print([(e["Config"], e["RepoTags"]) for e in m])\')"; done',
  ].join('; '))).trim();

  before(async () => {
    // The collection needs the Docker SDK: a machine without it fails here, loudly.
    await exec('/usr/bin/python3', ['-c', 'import docker']).catch(() => { throw new Error('python3-docker is not installed: run scripts/setup-machine.sh'); });
    lab = await bringUpLab({ name: 'dset', subnet: '10.203.52.0/24', hosts: 2 });
    // The lab's images are on docker01 only: the twin gets the same ones (same IDs) through the controller.
    const ssh = (host: string) => `sshpass -e ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o PubkeyAuthentication=no root@${lab.hosts[host]}`;
    await exec('sh', ['-c', `${ssh('docker01')} docker save httpd nginx | ${ssh('docker02')} docker load`], { env: { ...process.env, SSHPASS: lab.password } });
    // Archives from before: one that is no tar, one of another image (docker save -o makes it 0600).
    await Promise.all(['docker01', 'docker02'].map((host) => lab.ssh(host, 'umask 022; echo "not a tar" > /root/dset-unreadable.tar; docker save nginx:latest -o /root/dset-other.tar')));
  });
  after(async () => { await lab?.down(); });

  it('--check: the same outcome task by task, and nothing changes', async () => {
    const { recap } = await sideBySide(['--check']);
    assert.ok(recap.changed! > 0, JSON.stringify(recap));
    for (const host of ['docker01', 'docker02']) {
      assert.match(await lab.ssh(host, "docker info --format '{{.Swarm.LocalNodeState}}'"), /inactive/);
    }
  });

  it('a run: the same outcome task by task and the same settings and archives, the unlock key in no output', async () => {
    const { output } = await sideBySide();
    const [ours, theirs] = await Promise.all([endState('docker01'), endState('docker02')]);
    assert.equal(ours, theirs);
    assert.match(ours, /^10 true 10s\n1\n/);
    assert.match(ours, /\/root\/dset-other\.tar 600 \[\('[0-9a-f]{64}\.json', \['httpd:latest'\]\)\]/);
    assert.match(ours, /\/root\/dset-unreadable\.tar 644 \[\('[0-9a-f]{64}\.json', \['nginx:latest'\]\)\]/);
    const key = (await lab.ssh('docker01', 'docker swarm unlock-key -q')).trim();
    assert.match(key, /^SWMKEY-1-/);
    assert.ok(!output.includes(key), 'the unlock key is in swarmplay\'s output');
    assert.match(output, /"UnlockKey":"\*{8}"/);
  });

  it('a second run changes nothing under either tool', async () => {
    const { recap } = await sideBySide();
    assert.equal(recap.changed, 0, JSON.stringify(recap));
  });

  it('force with present on a healthy manager: swarmplay has nothing to recover and keeps the swarm', async () => {
    const playbook = path.join(lab.dir, 'force.yaml');
    await writeFile(playbook, '- hosts: docker01\n  gather_facts: false\n  tasks:\n    - community.docker.docker_swarm: { state: present, force: true }\n');
    const cluster = async () => (await lab.ssh('docker01', "docker info --format '{{.Swarm.Cluster.ID}} {{.Swarm.Cluster.Spec.EncryptionConfig.AutoLockManagers}}'")).trim();
    const before = await cluster();
    const run = await runCli(['run', playbook, '-i', lab.inventory, '--json'], { timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(recapOf(run.stdout).docker01!.changed, 0);
    assert.equal(await cluster(), before);
  });
});
