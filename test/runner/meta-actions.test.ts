/**
 * meta: end_role (Ansible 2.18; the ansible-core of this machine is older,
 * so it is checked here over memory hosts): the rest of the role is left out
 * for the hosts that reached it, the play goes on after the role, and a
 * meta: end_role outside a role is refused when the playbook loads.
 */
import assert from 'node:assert/strict';
import { MemoryNetwork } from '../support/memory-connection.js';
import { runInMemory } from '../support/memory-run.js';

function hosts(...names: string[]): MemoryNetwork {
  const network = new MemoryNetwork();
  for (const name of names) network.add(name, { files: { '/etc/hostname': `${name}\n` } });
  return network;
}

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
