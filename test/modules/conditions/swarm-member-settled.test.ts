import assert from 'node:assert/strict';
import { swarmMemberSettled } from '../../../src/modules/conditions/swarm-member-settled.js';
import { findCondition } from '../../../src/modules/conditions/index.js';
import type { RunResult } from '../../../src/transport/types.js';
import { fixture, jsonFixture } from '../../fixtures/docker/index.js';
import { scriptedProbes } from '../../support/scripted-probes.js';

const RECONNECTING = jsonFixture('info-manager.json', (info) => { info.Swarm.LocalNodeState = 'pending'; info.Swarm.ControlAvailable = false; delete info.Swarm.Cluster; });

/** docker02, answering docker info with each of `answers` in turn (the last one again when they run out). */
const scripted = (answers: (string | RunResult)[]) => scriptedProbes(answers, { host: 'docker02' });

describe('condition swarm_member_settled', () => {
  it('is registered for wait steps', () => assert.equal(findCondition('swarm_member_settled'), swarmMemberSettled));

  it('waits while the member reads pending with a node ID, then holds', async () => {
    const poller = swarmMemberSettled.start(swarmMemberSettled.schema.parse({}));
    const host = scripted([RECONNECTING, fixture('info-manager.json')]);
    assert.deepEqual(await poller.poll(host, 0), { state: 'waiting', progress: 'pending, managers 10.251.0.1:2377' });
    assert.deepEqual(await poller.poll(host, 1000), { state: 'done', result: { state: 'active' } });
    assert.deepEqual(host.probed, ["docker info --format '{{json .}}'", "docker info --format '{{json .}}'"]);
  });

  it('holds at once for any state that is not a reconnecting member (a join left pending has no node ID)', async () => {
    for (const file of ['info-inactive.json', 'info-pending.json']) {
      const verdict = await swarmMemberSettled.start({ leaveHint: false }).poll(scripted([fixture(file)]), 0);
      assert.equal(verdict.state, 'done', file);
    }
  });

  it('keeps waiting while docker does not answer (a daemon restarting)', async () => {
    const poller = swarmMemberSettled.start({ leaveHint: false });
    const verdict = await poller.poll(scripted([{ stdout: '', stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?', exitCode: 1 }]), 0);
    assert.equal(verdict.state, 'waiting');
    assert.match(verdict.state === 'waiting' ? verdict.progress : '', /daemon on docker02 does not answer/);
    assert.match(poller.timeoutMessage!(60_000, 'x'), /docker02: docker did not answer within 60 s/);
  });

  it('times out with what to check, never advising swarm_init to leave; swarm_join names the way out', async () => {
    const init = swarmMemberSettled.start({ leaveHint: false });
    await init.poll(scripted([jsonFixture('info-manager.json', (info) => {
      info.Swarm.LocalNodeState = 'pending';
      info.Swarm.Error = 'rpc error: code = Unavailable desc = connection refused';
    })]), 0);
    assert.equal(init.timeoutMessage!(60_000, ''),
      'docker02 is a member of a swarm (node 9a8l30g1qbxzon92yoa4oz88h) that has not reached its managers (10.251.0.1:2377) within 60 s ' +
      '(rpc error: code = Unavailable desc = connection refused); docker02 was not changed: check that docker runs on those managers and that port 2377/tcp is open between the nodes, then run again');
    const join = swarmMemberSettled.start({ leaveHint: true });
    await join.poll(scripted([RECONNECTING]), 0);
    assert.match(join.timeoutMessage!(5_000, ''), /within 5 s; docker02 was not changed: .* then run again \(to drop that membership on purpose: swarm_leave with force: true\)$/);
  });
});
