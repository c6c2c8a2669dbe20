import assert from 'node:assert/strict';
import { systemd } from '../../src/modules/systemd.js';
import type { Step } from '../../src/modules/types.js';
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

  // What each state plans: test/modules/cases/systemd/.
  it('reads the unit\'s state with two probes', async () => {
    const host = hostWith('active', 'enabled');
    assert.deepEqual((await systemd.plan(host, parse({ name: 'docker', state: 'started', enabled: true }))).steps, []);
    assert.deepEqual(host.probed, ['systemctl is-active docker', 'systemctl is-enabled docker']);
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
