/**
 * The playbook of test/e2e/community-docker.test.ts, written only with
 * community.docker's names, under ansible-playbook with the real collection
 * (its Docker SDK, python3-docker, on the machine's /usr, which the lab
 * hosts share) and under swarmplay, on the same 3-node lab one after the
 * other: the same PLAY RECAP, the same swarm read from outside (nodes,
 * labels, network, registry container, pushed image, service, login), and
 * each tool finds the other's work done (changed=0).
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { recapOf, runCli } from '../support/cli.js';
import { COMMUNITY_PLAYBOOK, LOGIN_PASSWORD, readSwarm, resetHosts, type SwarmState } from '../support/community-docker-swarm.js';

const exec = promisify(execFile);

type Counts = Record<string, { ok: number; changed: number; failed: number; skipped: number }>;

describe('community.docker names: swarmplay and ansible-playbook build the same swarm', function () {
  this.timeout(400_000);
  let lab: TestLab;
  let swarmplayRecap: Counts;
  let swarmplayState: SwarmState;

  const swarmplay = async () => {
    const run = await runCli(['run', COMMUNITY_PLAYBOOK, '-i', lab.inventory, '--json'], { timeoutMs: 240_000 });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    return Object.fromEntries(Object.entries(recapOf(run.stdout)).map(([host, c]) => [host, { ok: c.ok!, changed: c.changed!, failed: c.failed!, skipped: c.skipped! }]));
  };
  const ansible = async () => {
    const env = {
      ...process.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False',
      ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_PIPELINING: 'True', ANSIBLE_DEPRECATION_WARNINGS: 'False',
      ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
      ANSIBLE_SSH_ARGS: '-o ControlMaster=auto -o ControlPersist=120s -o UserKnownHostsFile=/dev/null',
    };
    const { stdout } = await exec('ansible-playbook', ['-i', lab.inventory, COMMUNITY_PLAYBOOK], { env, maxBuffer: 64 << 20 })
      .catch((error) => { throw new Error(`ansible-playbook failed:\n${error.stdout}\n${error.stderr}`); });
    const report = JSON.parse(stdout.slice(stdout.indexOf('{')));
    return Object.fromEntries(Object.entries<any>(report.stats).map(([host, s]) => [host, { ok: s.ok, changed: s.changed, failed: s.failures, skipped: s.skipped }])) as Counts;
  };

  before(async () => {
    // Needs the collection's Docker SDK: a machine without it fails here, loudly (scripts/setup-machine.sh installs it).
    await exec('python3', ['-c', 'import docker']).catch(() => { throw new Error('python3-docker is not installed: run scripts/setup-machine.sh'); });
    lab = await bringUpLab({ name: 'dnb', subnet: '10.203.32.0/24', hosts: 3 });
  });
  after(async () => {
    await lab?.down();
  });

  it('swarmplay builds the swarm', async () => {
    swarmplayRecap = await swarmplay();
    swarmplayState = await readSwarm(lab);
    assert.deepEqual(Object.values(swarmplayRecap).map((c) => c.failed), [0, 0, 0]);
  });

  it('ansible-playbook with community.docker finds it done, then builds it again from scratch the same way', async () => {
    const onBuilt = await ansible();
    for (const [host, counts] of Object.entries(onBuilt)) assert.equal(counts.changed, 0, `${host}: ansible-playbook changed swarmplay's swarm`);

    await resetHosts(lab);
    const fromScratch = await ansible();
    assert.deepEqual(fromScratch, swarmplayRecap, 'the same PLAY RECAP');
    const state = await readSwarm(lab);
    assert.deepEqual(state.members, swarmplayState.members);
    assert.equal(state.manager, swarmplayState.manager, 'the same swarm, read from outside');
    assert.ok(!(await lab.ssh('docker01', 'cat /root/.docker/config.json')).includes(LOGIN_PASSWORD));

    const again = await swarmplay();
    for (const [host, counts] of Object.entries(again)) assert.equal(counts.changed, 0, `${host}: swarmplay changed ansible-playbook's swarm`);
  });
});
