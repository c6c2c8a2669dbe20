import assert from 'node:assert/strict';
import { nodeReachableManager } from '../../../src/modules/conditions/node-reachable-manager.js';
import { findCondition } from '../../../src/modules/conditions/index.js';
import { jsonFixture } from '../../fixtures/docker/index.js';
import { scriptedProbes } from '../../support/scripted-probes.js';

/** docker03 just promoted, its manager status as given (none: not in the raft yet). */
const promoted = (reachability?: string) => jsonFixture('node-inspect-leader.json', (node) => {
  node.ID = 'w3';
  node.Description.Hostname = 'docker03';
  if (reachability === undefined) delete node.ManagerStatus;
  else node.ManagerStatus = { Leader: false, Reachability: reachability, Addr: '10.251.0.3:2377' };
});

describe('condition node_reachable_manager', () => {
  it('is registered for wait steps', () => assert.equal(findCondition('node_reachable_manager'), nodeReachableManager));

  it('waits until the promoted node reads reachable', async () => {
    const poller = nodeReachableManager.start({ node_id: 'w3' });
    const host = scriptedProbes([promoted(), promoted('unknown'), promoted('reachable')]);
    assert.deepEqual(await poller.poll(host, 0), { state: 'waiting', progress: 'reachability: none' });
    assert.deepEqual(await poller.poll(host, 500), { state: 'waiting', progress: 'reachability: unknown' });
    assert.deepEqual(await poller.poll(host, 1000), { state: 'done', result: { reachability: 'reachable' } });
    assert.equal(host.probed[0], "docker node inspect w3 --format '{{json .}}'");
  });

  it('keeps waiting through a manager\'s error answer; fails at once when the node is gone', async () => {
    const poller = nodeReachableManager.start({ node_id: 'w3' });
    const busy = await poller.poll(scriptedProbes([{ stdout: '', stderr: 'Error response from daemon: rpc error: code = Unknown desc = The swarm does not have a leader.', exitCode: 1 }]), 0);
    assert.equal(busy.state, 'waiting');
    assert.deepEqual(await poller.poll(scriptedProbes([{ stdout: '', stderr: 'Error: No such node: w3', exitCode: 1 }]), 0),
      { state: 'failed', message: 'node w3 (w3) left the swarm while it was being promoted' });
  });

  it('times out naming the node, its last reachability and what to check', async () => {
    const poller = nodeReachableManager.start({ node_id: 'w3' });
    await poller.poll(scriptedProbes([promoted('unreachable')]), 0);
    assert.equal(poller.timeoutMessage!(60_000, 'reachability: unreachable'),
      'docker03 was promoted but is not a reachable manager after 60 s (reachability: unreachable): check that it reaches the other managers on port 2377');
  });
});
