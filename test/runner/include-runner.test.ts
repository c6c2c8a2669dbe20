/**
 * include_tasks / include_role at run time, over memory hosts: each host
 * runs the file or role its own variables name, loop items in order with
 * their loop variables, an include_role's handlers join the play, and a file
 * that cannot be read fails only the hosts that named it. The playbook and
 * the recap figures were checked against ansible-playbook 2.14 (local hosts).
 */
import assert from 'node:assert/strict';
import { MemoryNetwork } from '../support/memory-connection.js';
import { runInMemory } from '../support/memory-run.js';

const inventory = JSON.stringify({
  all: { vars: { role_name: 'greeter' }, hosts: { h1: { kind: 'web' }, h2: { kind: 'db' }, h3: { kind: 'missing' } } },
});

const files = {
  'web.yml': '- name: web task\n  debug: {msg: "web on {{ inventory_hostname }}"}\n',
  'db.yml': '- name: db task\n  debug: {msg: "db on {{ inventory_hostname }}"}\n',
  'item.yml': '- name: item task\n  debug: {msg: "{{ fruit }} {{ n }}"}\n',
  'roles/greeter/tasks/main.yml': '- name: greet\n  debug: {msg: hello}\n  changed_when: true\n  notify: greeted\n',
  'roles/greeter/handlers/main.yml': '- name: greeted\n  debug: {msg: handler ran}\n',
};

const playbook = `
- hosts: all
  gather_facts: false
  tasks:
    - name: per item
      include_tasks: item.yml
      loop: [apple, pear]
      loop_control: {loop_var: fruit, index_var: n}
      when: inventory_hostname != 'h3'
    - name: a role named by a variable
      include_role: {name: "{{ role_name }}"}
      when: inventory_hostname == 'h1'
    - name: per host
      include_tasks: "{{ kind }}.yml"
    - name: last
      debug: {msg: still here}
`;

describe('includes at run time', () => {
  let run: Awaited<ReturnType<typeof runInMemory>>;
  before(async () => {
    run = await runInMemory(MemoryNetwork.withHosts(['h1', 'h2', 'h3']), { inventory, files, playbook });
  });

  const messages = (task: string) => run.results(task).filter((r) => r.status !== 'skipped').map((r) => `${r.host} ${r.result?.msg}`);

  it('a looped include runs its tasks item by item, with the loop and index variables', () => {
    assert.deepEqual(messages('item task'), ['h1 apple 0', 'h2 apple 0', 'h1 pear 1', 'h2 pear 1']);
    assert.deepEqual(run.statuses('per item'), { h1: 'ok', h2: 'ok', h3: 'skipped' });
  });

  it('each host runs the file its own variables name', () => {
    assert.deepEqual(messages('web task'), ['h1 web on h1']);
    assert.deepEqual(messages('db task'), ['h2 db on h2']);
  });

  it('an include_role named by a variable runs the role, and its handlers join the play', () => {
    assert.deepEqual(run.statuses('greeter : greet'), { h1: 'changed' });
    assert.deepEqual(messages('greeter : greeted'), ['h1 handler ran']);
  });

  it('a file that cannot be read fails only the host that named it; the others go on', () => {
    assert.equal(run.statuses('per host').h3, 'failed');
    assert.deepEqual(messages('last').sort(), ['h1 still here', 'h2 still here']);
    assert.equal(run.exitCode, 2);
  });

  it('counts an include_tasks once per loop item and an include_role not at all, as Ansible does', () => {
    const recap = Object.fromEntries(Object.entries(run.recap).map(([host, c]) => [host, [c.ok, c.changed, c.failed, c.skipped]]));
    assert.deepEqual({ h1: recap.h1, h2: recap.h2 }, { h1: [9, 1, 0, 0], h2: [7, 0, 0, 1] });
    // Ansible counts no ok for an include whose file is missing.
    assert.deepEqual(recap.h3, [0, 0, 1, 2]);
  });
});
