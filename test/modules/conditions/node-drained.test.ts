import assert from 'node:assert/strict';
import { nodeDrained, parseDrainSnapshot } from '../../../src/modules/conditions/node-drained.js';
import { findCondition } from '../../../src/modules/conditions/index.js';
import { scriptedProbes } from '../../support/scripted-probes.js';

/** `docker node ps` and `docker service ls` lines as the lab's dockerd 20.10 printed them during a drain. */
const snapshot = (tasks: string[], services: string[], running: string[] = []) =>
  `${tasks.map((t) => `${t}\n`).join('')}--- services ---\n${services.join('\n')}\n--- tasks ---\n${running.join('\n')}\n`;

describe('condition node_drained', () => {
  it('is registered for wait steps', () => assert.equal(findCondition('node_drained'), nodeDrained));

  it('reads the tasks still on the node and the services below their count', () => {
    assert.deepEqual(parseDrainSnapshot(snapshot(
      ['g.095td|Shutdown|Running less than a second ago', 'w.3|Shutdown|Shutdown 2 seconds ago', 'w.1|Running|Running 5 minutes ago'],
      ['g 2/2', 'w 3/4', 'h 1/1 (max 1 per node)'],
    )), { onNode: ['g.095td (running)', 'w.1 (running)'], short: ['w 3/4'], unplaceable: [] });
  });

  it('waits while a task runs on the node or a service is short, done once both hold', async () => {
    const poller = nodeDrained.start({ node_id: 'w3', hostname: 'docker03' });
    const host = scriptedProbes([
      snapshot(['w.3|Shutdown|Running less than a second ago'], ['w 3/4']),
      snapshot(['w.3|Shutdown|Shutdown 1 second ago'], ['w 3/4']),
      snapshot(['w.3|Shutdown|Shutdown 3 seconds ago'], ['w 4/4']),
    ]);
    assert.deepEqual(await poller.poll(host, 0), { state: 'waiting', progress: 'on docker03: w.3 (running); below their replica count: w 3/4' });
    assert.deepEqual(await poller.poll(host, 1000), { state: 'waiting', progress: 'below their replica count: w 3/4' });
    assert.deepEqual(await poller.poll(host, 2000), { state: 'done', result: { unplaceable: [] } });
  });

  it('does not wait for a service no other node may run (its task pends with "no suitable node")', async () => {
    const poller = nodeDrained.start({ node_id: 'w3', hostname: 'docker03' });
    const host = scriptedProbes([snapshot(['m.1|Shutdown|Shutdown 2 seconds ago'], ['m 0/1', 'w 6/6'],
      ['m.1|Pending 4 seconds ago|"no suitable node (scheduling constraints not satisfied on 3 nodes)"', 'w.1|Running 3 minutes ago|'])]);
    assert.deepEqual(await poller.poll(host, 0), { state: 'done', result: { unplaceable: ['m 0/1'] } });
  });

  it('times out saying the node stays drained and why a service may not fit elsewhere', async () => {
    const poller = nodeDrained.start({ node_id: 'w3', hostname: 'docker03' });
    await poller.poll(scriptedProbes([snapshot([], ['test 0/3'])]), 0);
    assert.match(poller.timeoutMessage!(300_000, 'below their replica count: test 0/3'),
      /^docker03 is set to drain but not drained after 300 s \(below their replica count: test 0\/3\): a service that only fits this node .*; it stays drained$/);
  });
});
