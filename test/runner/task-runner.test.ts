/**
 * The task runner over memory hosts: check mode executes no step of any kind
 * and reports what a real run would change; a plan that waits for the host to
 * settle is planned again after its wait.
 */
import assert from 'node:assert/strict';
import { z } from 'zod';
import { MemoryNetwork, type Call } from '../support/memory-connection.js';
import { runInMemory } from '../support/memory-run.js';
import { defineModule, type Plan } from '../../src/modules/types.js';
import { defineFact } from '../../src/facts/types.js';

/** What /var/lib/app/state says: "settling" while the app starts, then "ready". */
const appState = defineFact<Record<string, never>, string>({
  name: 'app_state',
  command: () => 'cat /var/lib/app/state',
  parse: (result) => result.stdout.trim(),
});

/** A test module: waits while the app settles, then plans again and starts it when it is not running. */
const appReady = defineModule({
  name: 'app_ready',
  schema: z.object({}).strict(),
  async plan(ctx): Promise<Plan> {
    const state = await ctx.fact(appState, {});
    if (state === 'settling') {
      return {
        steps: [{
          kind: 'wait', description: 'wait for the app to settle', condition: 'command_succeeds',
          args: { command: 'app-settled' }, intervalMs: 10, timeoutMs: 5_000, waitingFor: 'the app to settle',
        }],
        planAgain: true,
        result: { seen: state },
      };
    }
    if (state === 'ready') return { steps: [], result: { seen: state } };
    return { steps: [{ kind: 'command', description: 'start the app', command: 'app-start' }], result: { seen: state } };
  },
});

/** The app host: `app-settled` is the read-only probe that sees it settle; `app-start` starts it. */
function appHost(network: MemoryNetwork, name: string, state: string): void {
  network.add(name, {
    files: { '/var/lib/app/state': `${state}\n` },
    commands: [
      {
        match: 'app-settled',
        probe: true,
        answer: (_command, host) => {
          host.write('/var/lib/app/state', 'ready\n');
          return 'settled\n';
        },
      },
      { match: 'app-start', answer: (_command, host) => { host.write('/var/lib/app/state', 'ready\n'); return ''; } },
    ],
  });
}

const EVERY_KIND = `
- hosts: all
  gather_facts: false
  tasks:
    - name: folder
      file: { path: /srv/app, state: directory, mode: "0750" }
    - name: config
      copy: { content: "port=8080\\n", dest: /etc/app.conf, mode: "0640" }
    - name: rendered
      template: { src: motd.hbs, dest: /etc/motd }
    - name: line
      lineinfile: { path: /etc/hosts, line: "10.0.0.5 registry" }
    - name: marker
      command: touch /etc/app.done creates=/etc/app.done
    - name: free command
      command: app-start
    - name: app
      app_ready: {}
`;

function everyKindNetwork(): MemoryNetwork {
  const network = new MemoryNetwork();
  for (const name of ['h1', 'h2']) {
    appHost(network, name, 'settling');
    network.host(name).write('/etc/hosts', '127.0.0.1 localhost\n');
  }
  return network;
}

const TEMPLATES = { 'templates/motd.hbs': 'Welcome to {{inventory_hostname}}\n' };

function describeCall(call: Call): string {
  return call.kind === 'run' ? `run ${call.command}` : `${call.kind} ${call.path}`;
}

describe('task runner over memory hosts', () => {
  describe('check mode', () => {
    it('executes no step of any kind: only read-only probes, no write, no wait', async () => {
      const network = everyKindNetwork();
      const before = network.snapshot();
      const run = await runInMemory(network, {
        playbook: EVERY_KIND, files: TEMPLATES, modules: [appReady], settings: { checkMode: true },
      });
      assert.equal(run.exitCode, 0, JSON.stringify(run.results().filter((r) => r.status === 'failed')));
      assert.deepEqual(network.effects().map(describeCall), []);
      assert.ok(network.calls.every((c) => c.kind !== 'putFile'));
      // The wait's probe is never polled, and the plan is made once.
      assert.ok(!network.calls.some((c) => c.kind === 'run' && c.command === 'app-settled'), 'no wait');
      assert.equal(network.snapshot(), before, 'no host changed');
    });

    it('reports changed exactly where a real run changes, and lists the steps a real run takes', async () => {
      const checked = await runInMemory(everyKindNetwork(), {
        playbook: EVERY_KIND, files: TEMPLATES, modules: [appReady], settings: { checkMode: true },
      });
      const realNetwork = everyKindNetwork();
      const real = await runInMemory(realNetwork, { playbook: EVERY_KIND, files: TEMPLATES, modules: [appReady] });
      assert.equal(real.exitCode, 0, JSON.stringify(real.results().filter((r) => r.status === 'failed')));
      for (const task of ['folder', 'config', 'rendered', 'line', 'marker']) {
        assert.deepEqual(checked.statuses(task), { h1: 'changed', h2: 'changed' }, task);
        assert.deepEqual(real.statuses(task), { h1: 'changed', h2: 'changed' }, task);
        for (const host of ['h1', 'h2']) {
          const said = (r: typeof real) => r.results(task).find((e) => e.host === host)?.steps;
          assert.deepEqual(said(checked), said(real), `${task} on ${host}: the same steps`);
        }
      }
      // A command without creates/removes cannot be predicted: skipped in check mode, run for real.
      assert.deepEqual(checked.statuses('free command'), { h1: 'skipped', h2: 'skipped' });
      assert.deepEqual(real.statuses('free command'), { h1: 'changed', h2: 'changed' });
      // What the real run did.
      const h1 = realNetwork.host('h1');
      assert.equal(h1.read('/etc/app.conf'), 'port=8080\n');
      assert.equal(h1.files.get('/etc/app.conf')?.mode, 0o640);
      assert.equal(h1.files.get('/srv/app')?.kind, 'directory');
      assert.equal(h1.read('/etc/motd'), 'Welcome to h1\n');
      assert.equal(h1.read('/etc/hosts'), '127.0.0.1 localhost\n10.0.0.5 registry\n');
      assert.ok(h1.files.has('/etc/app.done'));
    });

    it('a second real run changes nothing, and check mode agrees', async () => {
      const network = everyKindNetwork();
      await runInMemory(network, { playbook: EVERY_KIND, files: TEMPLATES, modules: [appReady] });
      const again = await runInMemory(network, {
        playbook: EVERY_KIND.replace(/    - name: free command\n      command: app-start\n/, ''),
        files: TEMPLATES, modules: [appReady], settings: { checkMode: true },
      });
      for (const host of ['h1', 'h2']) assert.equal(again.recap[host]!.changed, 0, JSON.stringify(again.recap));
    });

    it('task-level check_mode: true only reports in a real run; check_mode: false runs under --check', async () => {
      const playbook = `
- hosts: all
  gather_facts: false
  tasks:
    - name: dry
      copy: { content: "dry\\n", dest: /etc/dry }
      check_mode: true
    - name: wet
      copy: { content: "wet\\n", dest: /etc/wet }
      check_mode: false
`;
      for (const checkMode of [false, true]) {
        const network = new MemoryNetwork();
        network.add('h1');
        const run = await runInMemory(network, { playbook, settings: { checkMode } });
        assert.deepEqual(run.statuses('dry'), { h1: 'changed' });
        assert.deepEqual(run.statuses('wet'), { h1: 'changed' });
        assert.equal(network.host('h1').read('/etc/dry'), undefined, `check_mode: true wrote (--check ${checkMode})`);
        assert.equal(network.host('h1').read('/etc/wet'), 'wet\n', `check_mode: false did not write (--check ${checkMode})`);
      }
    });
  });

  describe('a step that changes nothing when it fails', () => {
    /**
     * A test module: optionally prepares a folder (a step that counts, or one itself marked, as a reboot's command
     * before its wait), then installs with a command that may refuse (as pip does).
     */
    const install = defineModule({
      name: 'install_refused',
      schema: z.object({ prepare: z.enum(['none', 'counted', 'marked']) }).strict(),
      async plan(_ctx, args): Promise<Plan> {
        return {
          steps: [
            ...(args.prepare === 'none' ? [] : [{
              kind: 'command' as const, description: 'prepare', command: 'app-prepare', ...(args.prepare === 'marked' && { unchangedWhenFailing: true as const }),
            }]),
            { kind: 'command', description: 'install', command: 'app-install', unchangedWhenFailing: true },
          ],
        };
      },
    });
    const cases = [
      ['none', false, 'unchanged when it is the only step'],
      ['counted', true, 'changed, after an earlier step changed the host'],
      ['marked', false, 'unchanged when the earlier step is marked too'],
    ] as const;
    for (const [prepare, changed, title] of cases) {
      it(`fails ${title}`, async () => {
        const network = new MemoryNetwork();
        network.add('h1', {
          commands: [
            { match: 'app-prepare', answer: '' },
            { match: 'app-install', answer: { stdout: '', stderr: 'refused', exitCode: 1 } },
          ],
        });
        const run = await runInMemory(network, {
          playbook: `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: install\n      install_refused: { prepare: ${prepare} }\n      ignore_errors: true\n`,
          modules: [install],
        });
        assert.deepEqual(run.statuses('install'), { h1: 'failed' });
        assert.equal(run.results('install')[0]!.result?.changed, changed);
        assert.equal(run.recap.h1!.changed, changed ? 1 : 0, JSON.stringify(run.recap));
      });
    }
  });

  describe('a plan that waits for the host to settle', () => {
    it('is planned again after its wait, with facts read again', async () => {
      const network = new MemoryNetwork();
      appHost(network, 'h1', 'settling');
      const run = await runInMemory(network, {
        playbook: '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: app\n      app_ready: {}\n      register: app\n',
        modules: [appReady],
      });
      const commands = network.calls.filter((c) => c.kind === 'run').map((c) => (c as { command: string }).command);
      assert.deepEqual(commands, ['cat /var/lib/app/state', 'app-settled', 'cat /var/lib/app/state']);
      // Waiting changes nothing, and the second plan found the app ready.
      assert.deepEqual(run.statuses('app'), { h1: 'ok' });
      assert.equal(run.results('app')[0]!.result?.seen, 'ready');
    });

    it('a host already settled is planned once', async () => {
      const network = new MemoryNetwork();
      appHost(network, 'h1', 'stopped');
      const run = await runInMemory(network, {
        playbook: '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: app\n      app_ready: {}\n',
        modules: [appReady],
      });
      const commands = network.calls.filter((c) => c.kind === 'run').map((c) => (c as { command: string }).command);
      assert.deepEqual(commands, ['cat /var/lib/app/state', 'app-start']);
      assert.deepEqual(run.statuses('app'), { h1: 'changed' });
    });
  });
});
