/**
 * The play runner over memory hosts: facts fresh after a change (and not read
 * again without one, dropped by meta: clear_facts), strategy free,
 * max_fail_percentage, --start-at-task, delegate_to with run_once.
 */
import assert from 'node:assert/strict';
import { z } from 'zod';
import { MemoryNetwork } from '../support/memory-connection.js';
import { runInMemory } from '../support/memory-run.js';
import { defineModule } from '../../src/modules/types.js';
import { defineFact } from '../../src/facts/types.js';

/** /etc/motd, as a named fact. */
const motd = defineFact<Record<string, never>, string>({
  name: 'motd',
  command: () => 'cat /etc/motd',
  parse: (result) => result.stdout.trim(),
});

/** A test module that only reads the motd fact and returns it. */
const readMotd = defineModule({
  name: 'read_motd',
  schema: z.object({}).strict(),
  async plan(ctx) {
    return { steps: [], result: { motd: await ctx.fact(motd, {}) } };
  },
});

const delay = (ms: number) => new Promise<void>((resolve) => { setTimeout(resolve, ms).unref(); });

const hosts = (...names: string[]) => MemoryNetwork.withHosts(names, { '/etc/motd': 'old\n' });

function msgOf(run: Awaited<ReturnType<typeof runInMemory>>, task: string, host: string): unknown {
  return run.results(task).find((r) => r.host === host)?.result?.msg;
}

function ranOn(run: Awaited<ReturnType<typeof runInMemory>>, task: string): string[] {
  return run.results(task).filter((r) => r.status !== 'skipped').map((r) => r.host).sort();
}

describe('play runner over memory hosts', () => {
  describe('facts', () => {
    const renaming = `
- hosts: all
  tasks:
    - name: before
      debug: { msg: "{{ ansible_hostname }}" }
    - name: rename
      copy: { content: "renamed\\n", dest: /etc/hostname }
      when: inventory_hostname == 'h1'
    - name: after
      debug: { msg: "{{ ansible_facts.hostname }}" }
    - name: only when renamed
      debug: { msg: yes }
      when: ansible_hostname == 'renamed'
    - name: later
      debug: { msg: "{{ ansible_hostname }}" }
`;

    it('ansible_* in templates and when: show the host as it is after a change', async () => {
      const network = hosts('h1', 'h2');
      const run = await runInMemory(network, { playbook: renaming });
      assert.equal(run.exitCode, 0);
      assert.equal(msgOf(run, 'before', 'h1'), 'h1');
      assert.equal(msgOf(run, 'after', 'h1'), 'renamed');
      assert.equal(msgOf(run, 'after', 'h2'), 'h2');
      assert.deepEqual(ranOn(run, 'only when renamed'), ['h1']);
      // Gathered again once after the change, not once per later task; never on the unchanged host.
      assert.equal(network.gatherings('h1'), 2);
      assert.equal(network.gatherings('h2'), 1);
    });

    it('nothing changed: facts are gathered once for the whole play', async () => {
      const network = hosts('h1');
      network.host('h1').write('/etc/hostname', 'renamed\n');
      const run = await runInMemory(network, { playbook: renaming });
      assert.deepEqual(run.statuses('rename'), { h1: 'ok' });
      assert.equal(network.gatherings('h1'), 1);
    });

    it('a module reading a named fact after a changed task sees the new state; unchanged, it is not read again', async () => {
      const network = hosts('h1');
      const run = await runInMemory(network, {
        modules: [readMotd],
        playbook: `
- hosts: all
  gather_facts: false
  tasks:
    - { name: first, read_motd: {} }
    - { name: again, read_motd: {} }
    - { name: change, copy: { content: "new\\n", dest: /etc/motd } }
    - { name: after, read_motd: {} }
    - { name: after again, read_motd: {} }
`,
      });
      const seen = (task: string) => run.results(task)[0]?.result?.motd;
      assert.deepEqual([seen('first'), seen('again'), seen('after'), seen('after again')], ['old', 'old', 'new', 'new']);
      const reads = network.calls.filter((c) => c.kind === 'run' && c.command === 'cat /etc/motd').length;
      assert.equal(reads, 2);
      assert.equal(network.gatherings('h1'), 0, 'gather_facts: false gathers nothing');
    });

    it('meta: clear_facts drops them: the next task gathers again, and sees what changed behind the runner', async () => {
      const network = hosts('h1');
      network.host('h1').commands.push({
        match: 'rename-quietly',
        answer: (_command, host) => { host.write('/etc/hostname', 'quiet\n'); return ''; },
      });
      const run = await runInMemory(network, {
        playbook: `
- hosts: all
  tasks:
    - name: rename
      command: rename-quietly
      changed_when: false
    - name: stale
      debug: { msg: "{{ ansible_hostname }}" }
    - meta: clear_facts
    - name: fresh
      debug: { msg: "{{ ansible_hostname }}" }
    - name: still fresh
      debug: { msg: "{{ ansible_hostname }}" }
`,
      });
      assert.equal(msgOf(run, 'stale', 'h1'), 'h1', 'an unchanged task keeps the cached facts');
      assert.equal(msgOf(run, 'fresh', 'h1'), 'quiet');
      assert.equal(network.gatherings('h1'), 2);
    });
  });

  it('strategy: free lets a host run ahead of a slow one', async () => {
    const network = hosts('slow', 'fast');
    let fastDone!: () => void;
    const fastFinished = new Promise<void>((resolve) => { fastDone = resolve; });
    network.host('fast').commands.push({ match: 'last-step', answer: () => { fastDone(); return ''; } });
    network.host('slow').commands.push(
      { match: 'last-step', answer: '' },
      // The slow host's first step ends when the fast host has reached its last one (or after a while: linear never lets it).
      { match: 'first-step', answer: async () => { await Promise.race([fastFinished, delay(1_000)]); return ''; } },
    );
    network.host('fast').commands.push({ match: 'first-step', answer: '' });
    const playbook = (strategy: string) => `
- hosts: all
  gather_facts: false
  strategy: ${strategy}
  tasks:
    - { name: one, command: first-step }
    - { name: two, command: last-step }
`;
    await runInMemory(network, { playbook: playbook('free') });
    const order = network.calls.filter((c) => c.kind === 'run').map((c) => `${c.host} ${(c as { command: string }).command}`);
    assert.ok(order.indexOf('fast last-step') < order.indexOf('slow last-step'), order.join(', '));
    assert.equal(order.length, 4);
  });

  describe('max_fail_percentage', () => {
    const playbook = (failing: string[]) => `
- hosts: all
  gather_facts: false
  max_fail_percentage: 25
  tasks:
    - name: may fail
      fail: { msg: broken }
      when: inventory_hostname in ${JSON.stringify(failing)}
    - name: next
      debug: { msg: go on }
`;

    it('stops the play when more than the given share of hosts failed', async () => {
      const run = await runInMemory(hosts('h1', 'h2', 'h3', 'h4'), { playbook: playbook(['h1', 'h2']) });
      assert.deepEqual(ranOn(run, 'next'), []);
      assert.equal(run.exitCode, 2);
    });

    it('goes on at exactly the given share', async () => {
      const run = await runInMemory(hosts('h1', 'h2', 'h3', 'h4'), { playbook: playbook(['h1']) });
      assert.deepEqual(ranOn(run, 'next'), ['h2', 'h3', 'h4']);
    });
  });

  it('--start-at-task skips the tasks before the named one', async () => {
    const network = hosts('h1');
    const run = await runInMemory(network, {
      settings: { startAtTask: 'second' },
      playbook: `
- hosts: all
  gather_facts: false
  tasks:
    - { name: first, copy: { content: "1\\n", dest: /tmp/first } }
    - { name: second, copy: { content: "2\\n", dest: /tmp/second } }
    - { name: third, copy: { content: "3\\n", dest: /tmp/third } }
`,
    });
    assert.deepEqual(run.results().map((r) => r.task), ['second', 'third']);
    assert.equal(network.host('h1').read('/tmp/first'), undefined);
    assert.equal(network.host('h1').read('/tmp/third'), '3\n');
  });

  it('delegate_to with run_once: runs once, on the delegate; every host gets the result; the delegate\'s facts are refreshed', async () => {
    const network = hosts('h1', 'h2', 'h3');
    const run = await runInMemory(network, {
      playbook: `
- hosts: all
  tasks:
    - name: once
      copy: { content: "from {{ inventory_hostname }}\\n", dest: /etc/hostname }
      run_once: true
      delegate_to: h3
      register: once
    - name: seen
      debug: { msg: "{{ once.changed }} {{ ansible_hostname }}" }
`,
    });
    const once = run.results('once');
    assert.equal(once.length, 1);
    assert.equal(once[0]!.host, 'h1');
    assert.equal(once[0]!.delegatedTo, 'h3');
    assert.equal(network.host('h3').read('/etc/hostname'), 'from h1\n');
    assert.equal(network.host('h1').read('/etc/hostname'), 'h1\n');
    assert.equal(network.host('h2').read('/etc/hostname'), 'h2\n');
    assert.deepEqual(Object.fromEntries(run.results('seen').map((r) => [r.host, r.result?.msg])),
      { h1: 'True h1', h2: 'True h2', h3: 'True from h1' });
    // The delegate changed, so its facts are read again; h1, for whom the task ran, did not change.
    assert.equal(network.gatherings('h3'), 2);
    assert.equal(network.gatherings('h1'), 1);
  });
});
