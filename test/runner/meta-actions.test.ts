/**
 * meta actions over memory hosts: end_play, end_host and end_batch as
 * ansible-playbook 2.14 does them (checked with local hosts), and end_role
 * (Ansible 2.18; the ansible-core of this machine is older): the rest of the
 * role is left out for the hosts that reached it, the play goes on after the
 * role, and a meta: end_role outside a role is refused when the playbook loads.
 */
import assert from 'node:assert/strict';
import { MemoryNetwork } from '../support/memory-connection.js';
import { runInMemory } from '../support/memory-run.js';

const hosts = (...names: string[]) => MemoryNetwork.withHosts(names);

function ranOn(run: Awaited<ReturnType<typeof runInMemory>>, task: string): string[] {
  return run.results(task).filter((r) => r.status !== 'skipped').map((r) => r.host).sort();
}

describe('meta: end_play, end_host, end_batch', () => {
  it('meta: end_play ends this play; the next play runs', async () => {
    const run = await runInMemory(hosts('h1', 'h2'), {
      playbook: `
- hosts: all
  gather_facts: false
  tasks:
    - { name: before, debug: { msg: a } }
    - meta: end_play
    - { name: after, debug: { msg: b } }
- hosts: all
  gather_facts: false
  tasks:
    - { name: next play, debug: { msg: c } }
`,
    });
    assert.deepEqual(ranOn(run, 'before'), ['h1', 'h2']);
    assert.deepEqual(ranOn(run, 'after'), []);
    assert.deepEqual(ranOn(run, 'next play'), ['h1', 'h2']);
  });

  it('meta: end_host ends the play for the hosts its when picks, without failing them', async () => {
    const run = await runInMemory(hosts('h1', 'h2', 'h3'), {
      playbook: `
- hosts: all
  gather_facts: false
  tasks:
    - meta: end_host
      when: inventory_hostname == 'h1'
    - { name: after end_host, debug: { msg: go } }
`,
    });
    assert.deepEqual(ranOn(run, 'after end_host'), ['h2', 'h3']);
    assert.equal(run.recap.h1!.failed, 0);
    assert.equal(run.exitCode, 0);
  });

  it('meta: end_batch ends the batch; the next batch runs from the start', async () => {
    const run = await runInMemory(hosts('h1', 'h2', 'h3'), {
      playbook: `
- hosts: all
  gather_facts: false
  serial: 2
  tasks:
    - { name: first, debug: { msg: one } }
    - meta: end_batch
    - { name: after end_batch, debug: { msg: two } }
`,
    });
    assert.deepEqual(ranOn(run, 'first'), ['h1', 'h2', 'h3']);
    assert.deepEqual(ranOn(run, 'after end_batch'), []);
  });
});

describe('meta: end_role', () => {
  it('ends the role for the hosts that reach it; the play goes on after the role', async () => {
    const run = await runInMemory(hosts('n1', 'n2'), {
      playbook: `
- hosts: all
  gather_facts: false
  roles:
    - gate
  tasks:
    - name: after the role
      debug: {msg: "play goes on"}
`,
      files: {
        'roles/gate/tasks/main.yml': `
- name: first
  debug: {msg: "first"}
- meta: end_role
  when: inventory_hostname == 'n1'
- name: rest of the role
  debug: {msg: "rest"}
`,
      },
    });
    assert.equal(run.exitCode, 0);
    assert.deepEqual(run.results('gate : rest of the role').map((r) => r.host), ['n2']);
    assert.deepEqual(run.results('after the role').map((r) => r.host).sort(), ['n1', 'n2']);
  });

  it('outside a role it is refused before any host is touched, naming the line', async () => {
    await assert.rejects(runInMemory(hosts('n1'), {
      playbook: `
- hosts: all
  gather_facts: false
  tasks:
    - meta: end_role
`,
    }), (error: Error & { code?: string; location?: { line: number } }) => {
      assert.match(error.message, /end_role is only for a role's tasks/);
      assert.equal(error.location?.line, 5);
      return true;
    });
  });
});
