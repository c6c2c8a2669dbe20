import assert from 'node:assert/strict';
import { swarmJoin } from '../../src/modules/swarm-join.js';
import { DOCKER_INFO_COMMAND } from '../../src/modules/docker-cli.js';
import { tcpConnectProbe } from '../../src/facts/tcp-http.js';
import type { Change } from '../../src/modules/types.js';
import { fakeHost } from '../support/fake-host.js';
import { recordInvocations } from '../support/shell-argv.js';
import { fixture, jsonFixture, fakeApply, ok, fail } from '../fixtures/docker/index.js';

const TOKEN = 'SWMTKN-1-1111111111111111111111111111111111111111111111111-aaaaaaaaaaaaaaaaaaaaaaaaa';
const REACH = tcpConnectProbe('10.251.0.1', 2377, 3);
const parse = (args: unknown) => swarmJoin.schema.parse({ manager_addr: '10.251.0.1', token: TOKEN, ...(args as object) });
/** What docker info says on a worker of the fixture's swarm. */
const workerInfo = jsonFixture('info-manager.json', (info) => { info.Swarm.ControlAvailable = false; delete info.Swarm.Cluster; });
const applyOf = (change: Change) => change as Extract<Change, { kind: 'apply' }>;

describe('swarm_join module', () => {
  it('joins an inactive node after checking the manager is reachable; the token stays out of descriptions', async () => {
    const host = fakeHost({ probes: { [DOCKER_INFO_COMMAND]: fixture('info-inactive.json'), [REACH]: '' } });
    const plan = await swarmJoin.plan(host, parse({}));
    assert.equal(plan.failed, undefined);
    assert.equal(plan.steps.length, 1);
    assert.deepEqual(host.probed, [DOCKER_INFO_COMMAND, REACH]);
    assert.doesNotMatch(JSON.stringify({ d: plan.steps.map((c) => c.description), msg: plan.msg, result: plan.result }), /SWMTKN/);
    assert.deepEqual(swarmJoin.secretArgs, ['token']);

    const apply = fakeApply((command) => (command.startsWith('docker swarm join') ? ok('This node joined a swarm as a worker.') : command === DOCKER_INFO_COMMAND ? ok(workerInfo) : undefined));
    const applied = await applyOf(plan.steps[0]!).apply(apply);
    assert.deepEqual(applied, { node_id: '9a8l30g1qbxzon92yoa4oz88h', role: 'worker' });
    assert.deepEqual(recordInvocations(apply.ran[0]!, ['docker']), [{ program: 'docker', args: ['swarm', 'join', '--token', TOKEN, '10.251.0.1:2377'] }]);
  });

  it('is ok when already a member of this swarm, whatever the role asked', async () => {
    const host = fakeHost({ probes: { [DOCKER_INFO_COMMAND]: workerInfo } });
    const plan = await swarmJoin.plan(host, parse({}));
    assert.deepEqual(plan.steps, []);
    assert.match(plan.msg!, /already a worker of this swarm/);
    const asManager = await swarmJoin.plan(fakeHost({ probes: { [DOCKER_INFO_COMMAND]: workerInfo } }), parse({ role: 'manager' }));
    assert.deepEqual(asManager.steps, []);
    assert.match(asManager.msg!, /asked: manager.*swarm_node/);
  });

  it('recognises its swarm by cluster ID when the manager address differs', async () => {
    const plan = await swarmJoin.plan(fakeHost({ probes: { [DOCKER_INFO_COMMAND]: fixture('info-manager.json') } }), parse({ manager_addr: '10.0.0.99', cluster_id: 'lmnaf1pffqmyelw64zozlhvez' }));
    assert.deepEqual(plan.steps, []);
  });

  it('fails on a member of another swarm, or leaves and joins with force', async () => {
    const other = { [DOCKER_INFO_COMMAND]: fixture('info-manager.json'), [tcpConnectProbe('10.0.0.99', 2377, 3)]: '' };
    const refused = await swarmJoin.plan(fakeHost({ probes: other }), parse({ manager_addr: '10.0.0.99' }));
    assert.deepEqual(refused.steps, []);
    assert.match(refused.failed!, /already in another swarm \(managers: 10\.251\.0\.1:2377\), not the one at 10\.0\.0\.99:2377.*force: true/);
    const forced = await swarmJoin.plan(fakeHost({ probes: other }), parse({ manager_addr: '10.0.0.99', force: true }));
    assert.deepEqual(forced.steps.map((c) => c.kind), ['command', 'apply']);
    assert.equal((forced.steps[0] as Extract<Change, { kind: 'command' }>).command, 'docker swarm leave --force');
  });

  it('fails before changing anything when the manager is unreachable', async () => {
    const host = fakeHost({ probes: { [DOCKER_INFO_COMMAND]: fixture('info-inactive.json'), [REACH]: { stdout: '', stderr: '', exitCode: 1 } } });
    const plan = await swarmJoin.plan(host, parse({}));
    assert.deepEqual(plan.steps, []);
    assert.match(plan.failed!, /fake01 cannot reach the swarm manager at 10\.251\.0\.1:2377 .*2377\/tcp.*was not changed/);
  });

  it('cancels a pending join when docker swarm join fails (no half-joined host)', async () => {
    const host = fakeHost({ probes: { [DOCKER_INFO_COMMAND]: fixture('info-inactive.json'), [REACH]: '' } });
    const plan = await swarmJoin.plan(host, parse({}));
    const apply = fakeApply((command) => {
      if (command.startsWith('docker swarm join')) return fail(fixture('swarm-join-unreachable.txt').split('\n')[0]!);
      if (command === DOCKER_INFO_COMMAND) return ok(fixture('info-pending.json'));
      if (command === 'docker swarm leave --force') return ok('Node left the swarm.');
      return undefined;
    });
    await assert.rejects(applyOf(plan.steps[0]!).apply(apply), /could not join the swarm at 10\.251\.0\.1:2377: Error response from daemon: Timeout was reached.*pending join was cancelled/);
    assert.equal(apply.ran.at(-1), 'docker swarm leave --force');
  });

  it('cancels a join left pending by an earlier run before joining again', async () => {
    const host = fakeHost({ probes: { [DOCKER_INFO_COMMAND]: fixture('info-pending.json'), [REACH]: '' } });
    const plan = await swarmJoin.plan(host, parse({}));
    assert.equal((plan.steps[0] as Extract<Change, { kind: 'command' }>).command, 'docker swarm leave --force');
  });

  it('waits for a member reconnecting after a daemon restart ("pending" with a node ID), never making it leave', async () => {
    const reconnecting = jsonFixture('info-manager.json', (info) => { info.Swarm.LocalNodeState = 'pending'; info.Swarm.ControlAvailable = false; delete info.Swarm.Cluster; });
    let readings = 0;
    const host = fakeHost({ probes: (command) => (command === DOCKER_INFO_COMMAND ? (readings++ === 0 ? reconnecting : workerInfo) : undefined) });
    const plan = await swarmJoin.plan(host, parse({ reconnect_timeout: 5 }));
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.failed, undefined);
    assert.match(plan.msg!, /already a worker of this swarm/);
    assert.equal(readings, 2);
  });

  it('fails without touching a member that stays "pending" (managers without quorum)', async () => {
    const stuck = jsonFixture('info-manager.json', (info) => { info.Swarm.LocalNodeState = 'pending'; info.Swarm.ControlAvailable = false; delete info.Swarm.Cluster; });
    const host = fakeHost({ probes: { [DOCKER_INFO_COMMAND]: stuck } });
    const plan = await swarmJoin.plan(host, parse({ reconnect_timeout: 1 }));
    assert.deepEqual(plan.steps, []);
    assert.match(plan.failed!, /fake01 is a member of a swarm \(node 9a8l30g1qbxzon92yoa4oz88h\) that has not reached its managers \(10\.251\.0\.1:2377\) within 1 s; fake01 was not changed/);
    assert.ok(host.probed.every((command) => command === DOCKER_INFO_COMMAND), 'only docker info was read');
  });

  it('needs a token outside check mode', async () => {
    const probes = { [DOCKER_INFO_COMMAND]: fixture('info-inactive.json'), [REACH]: '' };
    const plan = await swarmJoin.plan(fakeHost({ probes }), parse({ token: '' }));
    assert.match(plan.failed!, /no join token/);
    const checked = await swarmJoin.plan(fakeHost({ probes, checkMode: true }), parse({ token: '' }));
    assert.equal(checked.failed, undefined);
  });
});
