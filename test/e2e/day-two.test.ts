/**
 * Day two on one lab swarm (daytwo, 10.203.28.0/24), bootstrapped once; each
 * scenario leaves the cluster whole for the next:
 *
 * 1. a worker dies (docker03's dockerd SIGKILLed): its tasks move to the
 *    others; back, it gets none by itself; playbooks/rebalance.yaml spreads
 *    them again, and a second run changes nothing;
 * 2. playbooks/maintenance.yaml on docker03: drained (no container left on
 *    it while the maintenance command runs, the service back to its count
 *    elsewhere), then active again;
 * 3. quorum: with three managers and docker03 unreachable (its dockerd
 *    stopped with SIGSTOP: from raft's side the same as a dead daemon, and
 *    back at once with SIGCONT), demoting docker02 and docker02 leaving are
 *    refused and change nothing; with docker03 back, demoting it works and
 *    warns about the even count left;
 * 4. join tokens rotated: old tokens refused by docker, no token in any
 *    output; docker03 leaves (its entry stays, Down) and bootstrap joins it
 *    again with the new token: its stale entry removed, each host listed
 *    once, its label back, the service pinned to that label running there.
 *
 * Every check is made with docker over OpenSSH, outside swarmplay. The
 * services are made by hand (docker service create), as a user's would be:
 * "w" (6 replicas, spread) and "m" (pinned to the label mem=max, docker03's).
 */
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { labSuite, until, tasksRunningOn, swarmNodeLines, DOCKERD_PID } from '../support/lab.js';
import { recapOf, jsonEvents } from '../support/cli.js';
import { EXIT } from '../../src/errors.js';

describe('day two on the lab: worker loss and rebalance, maintenance, quorum, token rotation and rejoin', function () {
  this.timeout(600_000);
  const lab = labSuite({ lab: { name: 'daytwo', subnet: '10.203.28.0/24' }, bootstrap: true, controllerKey: true, timingsName: 'day-two' });
  const { run, output, manager, timings } = lab;
  let registry: string;

  /** Nodes running a task of the service (desired and current state running), sorted. */
  const runningOn = (service: string) => tasksRunningOn(manager, service);
  const count = (nodes: string[], host: string) => nodes.filter((n) => n === host).length;
  const nodeLines = () => swarmNodeLines(manager);

  /** A playbook of the test's own, in the lab folder. */
  async function playbook(name: string, text: string): Promise<string> {
    const file = path.join(lab.dir, `${name}.yaml`);
    await writeFile(file, text);
    return file;
  }

  before(async () => {
    registry = `${lab.hosts.docker01}:5000`;
    const started = Date.now();
    // Quick rollouts: busybox httpd ignores SIGTERM, so a short grace period; three tasks replaced at a time.
    // Down nodes noticed within seconds instead of swarm's default 5 s heartbeat times its grace (~25 s).
    await manager('docker swarm update --dispatcher-heartbeat 1s');
    const common = `--quiet --stop-grace-period 1s --update-parallelism 3 --update-monitor 1s ${registry}/httpd:latest`;
    await manager(`docker service create --name w --replicas 6 ${common}`);
    await manager(`docker service create --name m --replicas 1 --constraint node.labels.mem==max ${common}`);
    timings.services = Date.now() - started;
    assert.deepEqual(await runningOn('w'), ['docker01', 'docker01', 'docker02', 'docker02', 'docker03', 'docker03']);
    assert.deepEqual(await runningOn('m'), ['docker03']);
  });

  it('a worker dies: its tasks move; back, it gets none by itself; rebalance.yaml spreads them again, once', async () => {
    let started = Date.now();
    assert.match((await lab.ssh('docker03', `${DOCKERD_PID}\nkill -KILL "$pid" && echo "$pid"`)).trim(), /^\d+$/);
    await until('w runs its 6 tasks on docker01 and docker02', 90_000, async () => {
      const nodes = await runningOn('w');
      return nodes.length === 6 && count(nodes, 'docker03') === 0 ? true : undefined;
    });
    timings.tasksMoved = Date.now() - started;

    started = Date.now();
    await lab.ssh('docker03', 'systemctl start docker');
    await until('docker03 Ready again', 90_000, async () => (await nodeLines()).includes('docker03 Ready') ? true : undefined);
    timings.workerBack = Date.now() - started;
    const back = await runningOn('w');
    assert.equal(count(back, 'docker03'), 0, `nothing moves back by itself: ${back.join(' ')}`);

    const mTask = async () => (await manager("docker service ps m --filter desired-state=running --format '{{.ID}}'")).trim();
    const mBefore = await until('m runs on docker03 again', 30_000, async () => ((await runningOn('m')).join() === 'docker03' ? mTask() : undefined));
    const rebalance = await run('rebalance', 'playbooks/rebalance.yaml');
    assert.equal(rebalance.code, 0, output(rebalance));
    assert.deepEqual(await runningOn('w'), ['docker01', 'docker01', 'docker02', 'docker02', 'docker03', 'docker03']);
    assert.equal(await mTask(), mBefore, 'the pinned service, the only one it may run on, is not restarted');

    const again = await run('rebalanceAgain', 'playbooks/rebalance.yaml');
    assert.equal(again.code, 0, output(again));
    assert.equal(recapOf(again.stdout).docker01?.changed, 0, output(again));
  });

  it('maintenance.yaml drains docker03 (nothing runs there during the maintenance, w back to 6 elsewhere), then makes it active', async () => {
    const result = await run('maintenance', 'playbooks/maintenance.yaml', ['--limit', 'docker03',
      '-e', JSON.stringify({ maintenance_command: 'docker ps -q | wc -l > /root/containers-while-drained' })]);
    assert.equal(result.code, 0, output(result));
    assert.equal((await lab.ssh('docker03', 'cat /root/containers-while-drained')).trim(), '0', 'no container on docker03 while maintained');
    const drain = jsonEvents(result.stdout).find((e) => e.event === 'host_result' && /drain the node/.test(e.task));
    assert.match(drain?.msg ?? '', /no other node may run m 0\/1/, 'the pinned service is named, not waited for');
    assert.ok((await nodeLines()).includes('docker03 Ready'));
    assert.equal((await manager("docker node inspect docker03 --format '{{.Spec.Availability}}'")).trim(), 'active');
    const w = await runningOn('w');
    assert.equal(w.length, 6, w.join(' '));
    assert.equal(count(w, 'docker03'), 0, 'the drained tasks stay where they went');
    await until('m runs on docker03 again', 30_000, async () => ((await runningOn('m')).join() === 'docker03' ? true : undefined));
  });

  it('quorum: with docker03 an unreachable manager, demoting docker02 and docker02 leaving are refused; back, demoting docker03 warns of the even count', async () => {
    await manager('docker node promote docker03');
    await until('docker03 a reachable manager', 60_000, async () => (await nodeLines()).includes('docker03 Ready Reachable') ? true : undefined);
    const pid = (await lab.ssh('docker03', `${DOCKERD_PID}\nkill -STOP "$pid" && echo "$pid"`)).trim();
    try {
      const started = Date.now();
      await until('docker03 unreachable', 60_000, async () => /docker03 \w+ Unreachable/.test((await nodeLines()).join('\n')) ? true : undefined);
      timings.managerUnreachable = Date.now() - started;
      const demote = await run('demoteRefused', await playbook('demote-docker02', [
        '- hosts: managers[0]', '  gather_facts: false', '  tasks:', '    - swarm_node: { node: docker02, role: worker }'].join('\n')));
      assert.equal(demote.code, EXIT.HOST_FAILED, output(demote));
      assert.match(demote.stdout, /demoting docker02 would leave 1 reachable of 2 managers, below the quorum of 2.*unreachable now: docker03/);
      const leave = await run('leaveRefused', await playbook('leave-docker02', [
        '- hosts: docker02', '  gather_facts: false', '  tasks:', '    - swarm_leave: { force: true }'].join('\n')));
      assert.equal(leave.code, EXIT.HOST_FAILED, output(leave));
      assert.match(leave.stdout, /docker02 leaving the swarm would leave 1 reachable of 2 managers/);
      assert.match((await lab.ssh('docker02', "docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'")).trim(), /^active true$/,
        'docker02 is still a manager of the swarm');
    } finally {
      await lab.ssh('docker03', `kill -CONT ${pid}`);
    }
    await until('docker03 reachable again', 60_000, async () => (await nodeLines()).includes('docker03 Ready Reachable') ? true : undefined);
    const demote = await run('demote', await playbook('demote-docker03', [
      '- hosts: managers[0]', '  gather_facts: false', '  tasks:', '    - swarm_node: { node: docker03, role: worker }'].join('\n')));
    assert.equal(demote.code, 0, output(demote));
    const warnings = jsonEvents(demote.stdout).filter((e) => e.event === 'warning').map((e) => e.msg);
    assert.deepEqual(warnings, ['demoting docker03 leaves 2 managers, an even number: they survive the loss of 0, no more than 1 would; prefer an odd number of managers']);
    assert.deepEqual(await nodeLines(), ['docker01 Ready Leader', 'docker02 Ready Reachable', 'docker03 Ready']);
  });

  it('join tokens rotated: old ones refused, none in any output; docker03 leaves and bootstrap joins it again, listed once with its label', async () => {
    const tokens = async () => ({
      worker: (await manager('docker swarm join-token -q worker')).trim(),
      manager: (await manager('docker swarm join-token -q manager')).trim(),
    });
    const old = await tokens();
    const rotate = await run('rotate', await playbook('rotate', [
      '- hosts: managers[0]', '  gather_facts: false', '  tasks:', '    - swarm_init: { rotate_tokens: both }', '      register: rotated',
      '    - debug: { var: rotated }'].join('\n')), ['-v']);
    assert.equal(rotate.code, 0, output(rotate));
    const now = await tokens();
    assert.notEqual(now.worker, old.worker);
    assert.notEqual(now.manager, old.manager);

    // docker03 leaves as a host being reinstalled would: its entry stays, Down.
    await lab.ssh('docker03', 'docker swarm leave');
    await until('docker03 Down', 60_000, async () => (await nodeLines()).includes('docker03 Down') ? true : undefined);
    const refused = await lab.ssh('docker03', `docker swarm join --token ${old.worker} ${lab.hosts.docker01}:2377 2>&1; echo "rc=$?"; docker info --format '{{.Swarm.LocalNodeState}}'`);
    assert.match(refused, /valid join token is necessary[\s\S]*rc=1\ninactive/, refused);

    const bootstrap = await run('rejoin', 'playbooks/bootstrap.yaml');
    assert.equal(bootstrap.code, 0, output(bootstrap));
    const removal = jsonEvents(bootstrap.stdout).find((e) => e.event === 'host_result' && e.host === 'docker03' && /stale Down entries/.test(e.task));
    assert.equal(removal?.status, 'changed', output(bootstrap));
    assert.deepEqual(await nodeLines(), ['docker01 Ready Leader', 'docker02 Ready Reachable', 'docker03 Ready']);
    assert.equal((await manager("docker node inspect docker03 --format '{{json .Spec.Labels}}'")).trim(), '{"mem":"max"}');
    await until('m runs on docker03 again', 60_000, async () => ((await runningOn('m')).join() === 'docker03' ? true : undefined));

    for (const [what, result] of [['rotate', rotate], ['bootstrap', bootstrap]] as const) {
      for (const token of [old.worker, old.manager, now.worker, now.manager]) {
        assert.ok(!result.stdout.includes(token) && !result.stderr.includes(token), `a join token in the ${what} run's output`);
        assert.ok(!result.stdout.includes(token.slice(-25)), `a join token's secret part in the ${what} run's output`);
      }
    }
  });
});
