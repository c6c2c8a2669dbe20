import assert from 'node:assert/strict';
import { nodeInspect, nodeList, parseNodeInspect, parseNodeList, nodeInspectCommand } from '../../src/facts/swarm-nodes.js';
import { recordInvocations, HOSTILE_VALUES } from '../support/shell-argv.js';
import { fixture, jsonFixture } from '../fixtures/docker/index.js';

describe('swarm node facts (on real docker 20.10 output)', () => {
  it('reads a node: role, availability, labels, status, leadership', () => {
    const leader = parseNodeInspect(fixture('node-inspect-leader.json'));
    assert.deepEqual(
      { role: leader.role, availability: leader.availability, labels: leader.labels, status: leader.status, leader: leader.leader, hostname: leader.hostname, reachability: leader.reachability },
      { role: 'manager', availability: 'active', labels: {}, status: 'ready', leader: true, hostname: 'vm', reachability: 'reachable' },
    );
    const drained = parseNodeInspect(fixture('node-inspect-leader-drain-labels.json'));
    assert.equal(drained.availability, 'drain');
    assert.deepEqual(drained.labels, { mem: 'max', disk: 'ssd' });
  });

  it('reads a worker, which has no manager status, whether the field is absent or null', () => {
    for (const value of [undefined, null]) {
      const worker = parseNodeInspect(jsonFixture('node-inspect-leader.json', (node) => { node.Spec.Role = 'worker'; node.ManagerStatus = value; }));
      assert.equal(worker.role, 'worker');
      assert.equal(worker.leader, false);
      assert.equal(worker.reachability, undefined);
    }
  });

  it('node_inspect: a node the swarm does not have is null; other errors say where', () => {
    assert.equal(nodeInspect.parse({ stdout: '', stderr: 'Error: No such node: docker09', exitCode: 1 }, { node: 'docker09' }, 'docker01'), null);
    assert.equal(nodeInspect.parse({ stdout: fixture('node-inspect-leader.json'), stderr: '', exitCode: 0 }, { node: 'vm' }, 'docker01')?.hostname, 'vm');
    assert.throws(
      () => nodeInspect.parse({ stdout: '', stderr: 'Error response from daemon: This node is not a swarm manager.', exitCode: 1 }, { node: 'x' }, 'docker02'),
      /cannot inspect swarm node x on docker02: Error response from daemon: This node is not a swarm manager\./,
    );
  });

  it('node_list: reads docker node ls lines, a just-joined node with no hostname yet too; a failure says where', () => {
    assert.deepEqual(parseNodeList('abc\tdocker01\tReady\tLeader\nxyz\tdocker03\tDown\t\nm2\tdocker02\tReady\tUnreachable\nnew\t\tUnknown\t\n\n'), [
      { id: 'abc', hostname: 'docker01', status: 'Ready', managerStatus: 'Leader' },
      { id: 'xyz', hostname: 'docker03', status: 'Down', managerStatus: '' },
      { id: 'm2', hostname: 'docker02', status: 'Ready', managerStatus: 'Unreachable' },
      { id: 'new', hostname: '', status: 'Unknown', managerStatus: '' },
    ]);
    assert.throws(() => nodeList.parse({ stdout: '', stderr: 'Error response from daemon: This node is not a swarm manager.', exitCode: 1 }, {}, 'docker02'),
      /cannot list the swarm's nodes on docker02: Error response/);
  });

  it('quotes node names as single words', () => {
    for (const value of HOSTILE_VALUES) {
      assert.deepEqual(recordInvocations(nodeInspect.command({ node: value }), ['docker']), [{ program: 'docker', args: ['node', 'inspect', value, '--format', '{{json .}}'] }]);
      assert.equal(nodeInspectCommand(value), nodeInspect.command({ node: value }));
    }
  });
});
