import assert from 'node:assert/strict';
import { judgeBalance, meetsConstraint } from '../../src/modules/service-balance.js';
import type { SwarmNode } from '../../src/facts/swarm-nodes.js';
import type { TaskLine } from '../../src/facts/swarm-service.js';

const node = (hostname: string, extra: Partial<SwarmNode> = {}): SwarmNode => ({
  id: `id-${hostname}`, hostname, role: 'worker', availability: 'active', labels: {}, status: 'ready', addr: '', leader: false, engineVersion: '', engineLabels: {}, nanoCpus: 0, memoryBytes: 0, ...extra,
});
const task = (hostname: string, state = 'running', desiredState = 'running'): TaskLine =>
  ({ id: '', name: 'w.1', node: hostname, image: 'httpd', desiredState, state, currentState: state, error: '', ports: '' }) as TaskLine;

describe('service balance (docker_service rebalance)', () => {
  const nodes = [node('docker01', { role: 'manager' }), node('docker02', { role: 'manager' }), node('docker03', { labels: { mem: 'max' } })];

  it('a node that came back with no task makes the spread uneven', () => {
    const tasks = ['docker01', 'docker01', 'docker01', 'docker02', 'docker02', 'docker02'].map((h) => task(h));
    assert.deepEqual(judgeBalance(nodes, [], tasks), { balanced: false, spread: 'docker01 3, docker02 3, docker03 0' });
  });

  it('counts only running tasks swarm wants, and only nodes that may run the service', () => {
    const tasks = [task('docker01'), task('docker02'), task('docker03'), task('docker03', 'shutdown', 'shutdown'), task('docker03', 'running', 'shutdown')];
    assert.equal(judgeBalance(nodes, [], tasks).balanced, true);
    assert.deepEqual(judgeBalance(nodes, ['node.labels.mem==max'], [task('docker03'), task('docker03')]), { balanced: true, spread: 'docker03 2' });
    assert.deepEqual(judgeBalance(nodes, ['node.role == manager'], [task('docker01'), task('docker01')]), { balanced: false, spread: 'docker01 2, docker02 0' });
    const drained = [nodes[0]!, nodes[1]!, { ...nodes[2]!, availability: 'drain' as const }];
    assert.equal(judgeBalance(drained, [], [task('docker01'), task('docker02')]).balanced, true);
  });

  it('judges hostname, id, role and label constraints; takes others as met', () => {
    assert.equal(meetsConstraint(nodes[2]!, 'node.hostname!=docker03'), false);
    assert.equal(meetsConstraint(nodes[2]!, 'node.id==id-docker03'), true);
    assert.equal(meetsConstraint(nodes[0]!, 'node.labels.mem==max'), false);
    assert.equal(meetsConstraint(nodes[0]!, 'engine.labels.disk==ssd'), true);
  });
});
