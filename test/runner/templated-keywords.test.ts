/**
 * Task keywords Ansible templates per host, written as templates in public
 * roles: ignore_errors from a variable (often ansible_check_mode) and
 * retries/delay from role defaults. Judged per host when the task runs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MemoryNetwork } from '../support/memory-connection.js';
import { runInMemory } from '../support/memory-run.js';

const hosts = (...names: string[]) => MemoryNetwork.withHosts(names);

const inventory = JSON.stringify({
  all: { hosts: { lenient: { tolerate: true }, strict: { tolerate: 'no' } } },
});

describe('templated task keywords', () => {
  it('ignore_errors: "{{ var }}" ignores the failure only on hosts where it is true', async () => {
    const run = await runInMemory(hosts('lenient', 'strict'), {
      inventory,
      playbook: `
- hosts: all
  gather_facts: false
  tasks:
    - name: may fail
      fail: { msg: broken on purpose }
      ignore_errors: "{{ tolerate }}"
    - name: afterwards
      debug: { msg: still here }
`,
    });
    assert.equal(run.statuses('may fail').lenient, 'failed');
    assert.equal(run.statuses('afterwards').lenient, 'ok');
    assert.equal(run.statuses('afterwards').strict, undefined);
    assert.equal(run.recap.lenient!.ignored, 1);
    assert.equal(run.recap.strict!.failed, 1);
    assert.notEqual(run.exitCode, 0);
  });

  it('retries and delay may be templates: the attempts follow the variable', async () => {
    const run = await runInMemory(hosts('h1'), {
      playbook: `
- hosts: all
  gather_facts: false
  vars:
    tries: 2
    pause_seconds: "0"
  tasks:
    - name: never true
      debug: { msg: waiting }
      register: probe
      until: probe.msg == 'done'
      retries: "{{ tries }}"
      delay: "{{ pause_seconds }}"
      ignore_errors: true
    - name: count
      debug: { msg: "{{ probe.attempts }}" }
`,
    });
    assert.equal(String(run.results('count')[0]!.result!.msg), '3');
  });

  it('a template that gives no whole number fails the task, naming the keyword', async () => {
    const run = await runInMemory(hosts('h1'), {
      playbook: `
- hosts: all
  gather_facts: false
  tasks:
    - name: bad count
      debug: { msg: waiting }
      register: probe
      until: probe.msg == 'done'
      retries: "{{ 'several' }}"
`,
    });
    assert.equal(run.statuses('bad count').h1, 'failed');
    assert.match(String(run.results('bad count')[0]!.msg), /'retries' must give a whole number/);
  });

  it('ignore_errors: "{{ ... }}" is rendered once for a failed host, for a task and for an include', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-renders-'));
    try {
      // Each rendering appends a line to the host's file on the controller.
      const counted = `"{{ lookup('pipe', 'echo x >> ${dir}/' ~ inventory_hostname ~ '; echo true') }}"`;
      const run = await runInMemory(hosts('h1'), {
        playbook: `
- hosts: all
  gather_facts: false
  vars:
    missing: no-such-file
  tasks:
    - name: may fail
      fail: { msg: broken on purpose }
      ignore_errors: ${counted}
    - name: include
      include_tasks: "{{ missing }}.yml"
      ignore_errors: ${counted}
`,
      });
      assert.deepEqual(run.statuses('may fail'), { h1: 'failed' });
      assert.deepEqual(run.statuses('include'), { h1: 'failed' });
      assert.equal(run.recap.h1!.ignored, 2);
      assert.equal(await readFile(path.join(dir, 'h1'), 'utf8'), 'x\nx\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a condition with '{{ }}' inside is rendered first, then judged, as Ansible 2.x does", async () => {
    const run = await runInMemory(hosts('lenient', 'strict'), {
      inventory,
      playbook: `
- hosts: all
  gather_facts: false
  tasks:
    - name: quoted template
      debug: { msg: matched }
      when: "'{{ tolerate }}' == 'True'"
`,
    });
    assert.equal(run.statuses('quoted template').lenient, 'ok');
    assert.equal(run.statuses('quoted template').strict, 'skipped');
  });
});
