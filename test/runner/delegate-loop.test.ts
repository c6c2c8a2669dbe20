/**
 * delegate_to naming the loop variable (`delegate_to: "{{ item }}"` over a
 * group, as swarm roles write it): each item's command runs on that item's
 * host, checked in the memory hosts' own call logs.
 */
import assert from 'node:assert/strict';
import { MemoryNetwork } from '../support/memory-connection.js';
import { runInMemory } from '../support/memory-run.js';

describe('delegate_to the loop variable', () => {
  it("runs each item's command on the item's host", async () => {
    const network = new MemoryNetwork();
    for (const name of ['m1', 'w1', 'w2']) network.add(name, { commands: [{ match: /^echo joined/, answer: 'ok' }] });
    const run = await runInMemory(network, {
      playbook: `
- hosts: m1
  gather_facts: false
  tasks:
    - name: join each worker
      command: echo joined {{ item }}
      delegate_to: "{{ item }}"
      loop: [w1, w2]
`,
    });
    assert.equal(run.exitCode, 0, JSON.stringify(run.events.filter((e) => e.event === 'host_result')));
    const ran = network.calls.filter((c) => c.kind === 'run' && c.command.includes('echo joined')).map((c) => `${c.host}: ${(c as { command: string }).command}`);
    assert.equal(ran.length, 2, ran.join('\n'));
    assert.match(ran[0]!, /^w1: .*echo joined w1/);
    assert.match(ran[1]!, /^w2: .*echo joined w2/);
  });
});
