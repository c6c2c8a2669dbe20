/**
 * swarm_node's label logic and its quoting. What it plans for each node
 * state is in test/modules/cases/swarm_node/.
 */
import assert from 'node:assert/strict';
import { swarmNode, labelFlags } from '../../src/modules/swarm-node.js';
import { fakeHost } from '../support/fake-host.js';
import { recordInvocations } from '../support/shell-argv.js';
import { fixture, jsonFixture } from '../fixtures/docker/index.js';

describe('swarm_node module', () => {
  it('sets labels exactly, or removes the given keys', () => {
    assert.deepEqual(labelFlags({ a: '1', b: '2' }, { a: '1', c: '3' }, 'exact'), ['--label-add', 'c=3', '--label-rm', 'b']);
    assert.deepEqual(labelFlags({ a: '1', b: '2' }, { b: '', x: '' }, 'absent'), ['--label-rm', 'b']);
    assert.deepEqual(labelFlags({ a: '1' }, { a: '2' }, 'merge'), ['--label-add', 'a=2']);
  });

  it('quotes label values', async () => {
    const docker03 = jsonFixture('node-inspect-leader.json', (node) => {
      node.ID = 'w3';
      node.Description.Hostname = 'docker03';
      node.Spec = { Labels: {}, Role: 'worker', Availability: 'active' };
      delete node.ManagerStatus;
    });
    const host = fakeHost({ factOutputs: { docker_info: fixture('info-manager.json'), node_list: 'w3\tdocker03\tReady\n', 'node_inspect {"node":"w3"}': docker03 } });
    const plan = await swarmNode.plan(host, swarmNode.schema.parse({ node: 'docker03', labels: { zone: "a b'; rm -rf /" } }));
    const step = plan.steps[0]!;
    assert.equal(step.kind, 'command');
    assert.deepEqual(recordInvocations(step.kind === 'command' ? step.command : '', ['docker']), [
      { program: 'docker', args: ['node', 'update', '--label-add', "zone=a b'; rm -rf /", 'w3'] },
    ]);
  });
});
