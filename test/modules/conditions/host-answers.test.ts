/**
 * The wait behind reboot and wait_for_connection, without a host to reboot
 * (the lab's hosts share this machine's kernel, so their boot id never
 * changes): the condition on scripted answers and times, then the whole
 * reboot plan through the step executor over scripted connections that
 * drop, refuse, come back with the old boot id, then with a new one.
 */
import assert from 'node:assert/strict';
import { hostAnswers } from '../../../src/modules/conditions/host-answers.js';
import { reboot } from '../../../src/modules/reboot.js';
import { executeSteps } from '../../../src/runner/step-executor.js';
import { SwarmplayError } from '../../../src/errors.js';
import type { Connection, RunResult } from '../../../src/transport/types.js';
import { fakeHost } from '../../support/fake-host.js';

const OLD = '3f1e6c2a-6a7e-4f43-9a43-2f5c9ab0f4a1';
const NEW = '9b0d7c55-1d6e-4d0f-8f7b-6a1f0e2c3d44';

function scripted(answers: RunResult[]) {
  return { host: 'docker01', async probe() { return answers.shift() ?? { stdout: '', stderr: '', exitCode: 1 }; } };
}

describe('host_answers condition (reboot, wait_for_connection)', () => {
  it('waits through refused connections and the old boot id, then settles for post_reboot_delay', async () => {
    const poller = hostAnswers.start(hostAnswers.schema.parse({ testCommand: 'whoami', bootIdBefore: OLD, settleMs: 5000 }));
    const host = scripted([
      { stdout: '', stderr: 'docker01: connection refused (10.203.25.11:22)', exitCode: 255 },
      { stdout: `__boot_id__:${OLD}\nroot\n`, stderr: '', exitCode: 0 },
      { stdout: `__boot_id__:${NEW}\nroot\n`, stderr: '', exitCode: 0 },
    ]);
    assert.deepEqual(await poller.poll(host, 0), { state: 'waiting', progress: 'no connection: docker01: connection refused (10.203.25.11:22)' });
    assert.deepEqual(await poller.poll(host, 2000), { state: 'waiting', progress: 'answers with the same boot id: not rebooted yet' });
    assert.deepEqual(await poller.poll(host, 30_000), { state: 'waiting', progress: 'answered; post-reboot delay 5 s' });
    assert.deepEqual(await poller.poll(host, 35_000), { state: 'done', result: { elapsed: 35, boot_id: NEW } });
  });

  it('a failing test command keeps it waiting; delay comes before the first try', async () => {
    const poller = hostAnswers.start(hostAnswers.schema.parse({ testCommand: 'systemctl is-system-running', delayMs: 3000 }));
    const host = scripted([{ stdout: 'starting\n', stderr: '', exitCode: 1 }, { stdout: 'running\n', stderr: '', exitCode: 0 }]);
    assert.deepEqual(await poller.poll(host, 0), { state: 'waiting', progress: 'delay 3 s' });
    assert.deepEqual(await poller.poll(host, 3000), { state: 'waiting', progress: 'test command exit 1: starting' });
    assert.deepEqual(await poller.poll(host, 4000), { state: 'done', result: { elapsed: 4 } });
  });
});

describe('reboot through the step executor, over connections that drop and come back', () => {
  /** A connection whose commands get `answer`; the program of each command run goes to `ran`. */
  const connection = (answer: (command: string) => Promise<RunResult>, ran: string[] = []): Connection => ({
    host: 'docker01',
    run: async (command) => { ran.push(command.split(' ')[0]!); return answer(command); },
    putFile: async () => ({}),
    getFile: async () => null,
    close: async () => undefined,
  });
  /** The host before its reboot: the old boot id, shutdown found in /sbin. */
  const beforeReboot = () => fakeHost({ probes: (command) => (command.startsWith('cat ') ? `${OLD}\n` : '/sbin/shutdown\n') });

  it('the dropped connection is success, the wait reconnects until the boot id changed', async function () {
    this.timeout(20_000);
    const args = reboot.schema.parse({ test_command: 'whoami' });
    const plan = await reboot.plan(beforeReboot(), args);
    // Makes the waits quick: the plan's 2 s interval is the module's; the executor's logic is what is tested.
    const steps = plan.steps.map((step) => (step.kind === 'wait' ? { ...step, intervalMs: 10 } : step));
    const ran: string[] = [];
    const old = connection(async () => { throw new SwarmplayError('CONNECTION_LOST', 'docker01: connection lost while running: shutdown'); }, ran);
    const comebacks: (() => Promise<Connection>)[] = [
      async () => { throw new SwarmplayError('CONNECT_FAILED', 'docker01: connection refused'); },
      async () => connection(async () => ({ stdout: `__boot_id__:${OLD}\nroot\n`, stderr: '', exitCode: 0 }), ran),
      async () => connection(async () => ({ stdout: `__boot_id__:${NEW}\nroot\n`, stderr: '', exitCode: 0 }), ran),
    ];
    let reconnects = 0;
    const result = await executeSteps({ host: 'docker01', conn: old, reconnect: () => comebacks[Math.min(reconnects++, 2)]!() }, steps);
    assert.equal(result.failedMsg, undefined);
    assert.equal(reconnects, 3, 'a new connection after the refusal, and again after the old boot id');
    assert.deepEqual(result.outcomes.at(-1)!.waited, { elapsed: 0, boot_id: NEW });
    assert.equal(ran[0], '/sbin/shutdown');
    assert.equal(reboot.finish!(args, { all: result.outcomes, byId: (id) => result.outcomes.find((o) => o.step.id === id) }, plan).rebooted, true);
  });

  it('a reboot command that ends with an error fails the task at once, without waiting for the host', async () => {
    const args = reboot.schema.parse({ reboot_command: '/bin/false' });
    const plan = await reboot.plan(fakeHost({ probes: { 'cat /proc/sys/kernel/random/boot_id': `${OLD}\n` } }), args);
    let reconnects = 0;
    const conn = connection(async () => ({ stdout: '', stderr: 'not allowed\n', exitCode: 1 }));
    const result = await executeSteps({ host: 'docker01', conn, reconnect: async () => { reconnects++; return conn; } }, plan.steps);
    assert.equal(result.failedMsg, 'Reboot command failed: not allowed');
    assert.equal(reconnects, 0);
  });

  it('no poll starts once reboot_timeout is over: a host still down at the deadline fails the task, its connection forgotten', async () => {
    const args = reboot.schema.parse({ reboot_timeout: 0.3 });
    const plan = await reboot.plan(beforeReboot(), args);
    const steps = plan.steps.map((step) => (step.kind === 'wait' ? { ...step, intervalMs: 200 } : step));
    const old = connection(async () => ({ stdout: '', stderr: '', exitCode: 0 }));
    let reconnects = 0;
    let forgotten = 0;
    const result = await executeSteps({
      host: 'docker01',
      conn: old,
      reconnect: async () => { reconnects++; throw new SwarmplayError('CONNECT_FAILED', 'docker01: no route to host'); },
      forgetConnection: async () => { forgotten++; },
    }, steps);
    assert.equal(forgotten, 1, 'the connection from before the reboot is forgotten: the next task connects anew');
    assert.match(result.failedMsg ?? '', /^Timed out waiting for last boot time check \(timeout=0\.3\) \(last seen: no connection: docker01: no route to host\)$/);
    assert.equal(reconnects, 2, 'polls at 0 and 200 ms, none at or after 300 ms');
  });
});
