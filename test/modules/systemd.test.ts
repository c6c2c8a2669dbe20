import assert from 'node:assert/strict';
import { systemd } from '../../src/modules/systemd.js';
import type { Step, CommandStep } from '../../src/modules/types.js';
import { fakeHost } from '../support/fake-host.js';
import { recordInvocations } from '../support/shell-argv.js';

const parse = (args: unknown) => systemd.schema.parse(args);
const commands = (steps: Step[]) => steps.map((change) => (change.kind === 'command' ? change.command : change.kind));

/** A host whose docker unit is in the given state. */
function hostWith(active: string, enabled: string) {
  return fakeHost({
    probes: {
      'systemctl is-active docker': { stdout: `${active}\n`, stderr: '', exitCode: active === 'active' ? 0 : 3 },
      'systemctl is-enabled docker': { stdout: `${enabled}\n`, stderr: '', exitCode: enabled === 'enabled' ? 0 : 1 },
    },
  });
}

describe('systemd module', () => {
  describe('arguments', () => {
    it('rejects unknown arguments, unknown states, option-like names, and nothing to do', () => {
      assert.equal(systemd.schema.safeParse({ name: 'docker', state: 'started', masked: true }).success, false);
      assert.equal(systemd.schema.safeParse({ name: 'docker', state: 'running' }).success, false);
      assert.equal(systemd.schema.safeParse({ name: '--now', state: 'started' }).success, false);
      assert.equal(systemd.schema.safeParse({ name: 'docker' }).success, false);
      assert.equal(systemd.schema.safeParse({ state: 'started' }).success, false);
      assert.equal(parse({ service: 'docker', enabled: 'yes' }).name, 'docker');
      assert.equal(parse({ daemon_reload: true }).name, undefined);
    });
  });

  it('is ok when the unit is already started and enabled', async () => {
    const host = hostWith('active', 'enabled');
    assert.deepEqual((await systemd.plan(host, parse({ name: 'docker', state: 'started', enabled: true }))).steps, []);
    assert.deepEqual(host.probed, ['systemctl is-active docker', 'systemctl is-enabled docker']);
  });

  it('starts and enables what is not', async () => {
    const plan = await systemd.plan(hostWith('inactive', 'disabled'), parse({ name: 'docker', state: 'started', enabled: true }));
    assert.deepEqual(commands(plan.steps), ['systemctl start docker', 'systemctl enable docker']);
  });

  it('stops only a running unit', async () => {
    assert.deepEqual(commands((await systemd.plan(hostWith('active', 'enabled'), parse({ name: 'docker', state: 'stopped' }))).steps), ['systemctl stop docker']);
    assert.deepEqual((await systemd.plan(hostWith('inactive', 'enabled'), parse({ name: 'docker', state: 'stopped' }))).steps, []);
  });

  it('always restarts, after a daemon-reload when asked', async () => {
    const plan = await systemd.plan(hostWith('active', 'enabled'), parse({ name: 'docker', state: 'restarted', daemon_reload: true }));
    assert.deepEqual(commands(plan.steps), ['systemctl daemon-reload', 'systemctl restart docker']);
  });

  it('reloaded starts an inactive unit and restarts an active one (the lab systemctl has no reload)', async () => {
    assert.deepEqual(commands((await systemd.plan(hostWith('inactive', 'enabled'), parse({ name: 'docker', state: 'reloaded' }))).steps), ['systemctl start docker']);
    assert.deepEqual(commands((await systemd.plan(hostWith('active', 'enabled'), parse({ name: 'docker', state: 'reloaded' }))).steps), ['systemctl restart docker']);
  });

  it('treats static units as enabled and disables only an enabled one', async () => {
    assert.deepEqual((await systemd.plan(hostWith('active', 'static'), parse({ name: 'docker', enabled: true }))).steps, []);
    assert.deepEqual(commands((await systemd.plan(hostWith('active', 'enabled'), parse({ name: 'docker', enabled: false }))).steps), ['systemctl disable docker']);
  });

  it('quotes a hostile unit name into one word', async () => {
    const name = "x; touch /tmp/pwned $(id) 'q'\nnext";
    const host = fakeHost({ probes: () => ({ stdout: 'inactive\n', stderr: '', exitCode: 3 }) });
    const plan = await systemd.plan(host, parse({ name, state: 'started' }));
    assert.deepEqual(recordInvocations([host.probed[0], ...commands(plan.steps)].join('\n'), ['systemctl']), [
      { program: 'systemctl', args: ['is-active', name] },
      { program: 'systemctl', args: ['start', name] },
    ]);
  });
});
