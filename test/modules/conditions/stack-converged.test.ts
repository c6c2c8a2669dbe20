/**
 * The `stack_converged` poller on scripted answers (outputs captured on the
 * lab, edited where a test needs a state) and a scripted clock, as the
 * runner's wait drives it: services the deploy did not change count at
 * once, a one-shot service is done when its new task completed and fails
 * with its error, a rollback by swarm fails naming the service.
 */
import assert from 'node:assert/strict';
import { stackConverged, type StackConvergedArgs } from '../../../src/modules/conditions/stack-converged.js';
import { stackRemoved } from '../../../src/modules/conditions/stack-removed.js';
import { parseStackState, stackStateCommand } from '../../../src/facts/stack-state.js';
import { servicePsCommand } from '../../../src/facts/swarm-service.js';
import { snapshotCommand } from '../../../src/modules/service-convergence.js';
import type { ConditionPoller, PollVerdict, ProbeHost } from '../../../src/modules/conditions/types.js';
import { fixture } from '../../fixtures/docker/index.js';
import { serviceFixture } from '../../fixtures/docker-service/index.js';

const SHOP = fixture('stack-state-shop.txt');
const ONCE_COMPLETE = fixture('service-ps-shop-once.txt');
const ONCE_PREPARING = ONCE_COMPLETE.replace(/"CurrentState":"Complete [^"]*"/, '"CurrentState":"Preparing 1 second ago"');
const ONCE_FAILED = ONCE_COMPLETE
  .replace(/"CurrentState":"Complete [^"]*"/, '"CurrentState":"Failed 2 seconds ago"')
  .replace(/"Error":""/, '"Error":"task: non-zero exit (3)"');

/** Polls every 500 ms of a scripted clock until done or failed (at most 20 polls); answers from `answers`, each list in turn, its last answer again. */
async function runWait(poller: ConditionPoller, answers: Record<string, string[]>): Promise<{ verdict: PollVerdict; progress: string[]; probed: string[] }> {
  const next = new Map<string, number>();
  const probed: string[] = [];
  const host: ProbeHost = {
    host: 'docker01',
    async probe(command) {
      probed.push(command);
      const list = answers[command];
      if (!list) throw new Error(`unexpected command: ${command}`);
      const index = next.get(command) ?? 0;
      next.set(command, index + 1);
      return { stdout: list[Math.min(index, list.length - 1)]!, stderr: '', exitCode: 0 };
    },
  };
  const progress: string[] = [];
  for (let clock = 0; clock < 10_000; clock += 500) {
    const verdict = await poller.poll(host, clock);
    if (verdict.state !== 'waiting') return { verdict, progress, probed };
    progress.push(verdict.progress);
  }
  throw new Error(`still waiting: ${progress.at(-1)}`);
}

const start = (args: StackConvergedArgs) => stackConverged.start(stackConverged.schema.parse(args));
const servicesBefore = (text: string) => parseStackState(text).services.map((service) => ({
  name: service.name, templateKey: service.templateKey, updateStatus: service.updateStatus, taskIds: [] as string[],
}));

describe('stack_converged and stack_removed conditions', () => {
  it('services whose tasks the deploy did not touch count at once, without reading their tasks', async () => {
    const before = servicesBefore(SHOP).map((service) => ({ ...service, taskIds: service.name === 'shop_once' ? ['x'] : [] }));
    const { verdict, probed } = await runWait(
      start({ stack: 'shop', services: [{ name: 'shop_web', oneShot: false }, { name: 'shop_once', oneShot: true }], before }),
      { [stackStateCommand('shop')]: [SHOP] },
    );
    assert.equal(verdict.state, 'done');
    assert.deepEqual((verdict as { result: Record<string, unknown> }).result.services, { web: 'unchanged', once: 'unchanged' });
    assert.deepEqual(probed, [stackStateCommand('shop')]);
  });

  it('a new one-shot service is done when its task completed', async () => {
    const { verdict, progress } = await runWait(
      start({ stack: 'shop', services: [{ name: 'shop_once', oneShot: true }] }),
      { [stackStateCommand('shop')]: [SHOP], [servicePsCommand('shop_once')]: ['', ONCE_PREPARING, ONCE_COMPLETE] },
    );
    assert.equal(verdict.state, 'done');
    assert.deepEqual(progress, ['shop: once 0/1 completed', 'shop: once 0/1 completed (1 preparing)']);
    assert.deepEqual((verdict as { result: Record<string, unknown> }).result, { services: { once: '1/1 completed' }, rolledOut: ['once'], seconds: 1 });
  });

  it('a one-shot service whose task failed (restart condition none) fails the wait with the task\'s error', async () => {
    const { verdict, progress } = await runWait(
      start({ stack: 'shop', services: [{ name: 'shop_once', oneShot: true }] }),
      { [stackStateCommand('shop')]: [SHOP], [servicePsCommand('shop_once')]: ['', ONCE_FAILED] },
    );
    assert.deepEqual(progress, ['shop: once 0/1 completed']);
    assert.deepEqual(verdict, { state: 'failed', message: 'stack shop, service once: one-shot service shop_once failed: task: non-zero exit (3)' });
  });

  it('an update swarm rolled back fails the wait naming the service and swarm\'s message', async () => {
    const rolledBack = serviceFixture('snapshot-update-rolled-back.txt');
    const web = rolledBack.slice(0, rolledBack.indexOf('\n--swarmplay-tasks--'));
    const stack = `${web}\n--swarmplay-stack-networks--\nabc\n`;
    const { verdict } = await runWait(
      start({ stack: 'shop', services: [{ name: 'web', oneShot: false }], before: [{ name: 'web', templateKey: 'the spec before', updateStatus: null }] }),
      { [stackStateCommand('shop')]: [stack], [snapshotCommand('web')]: [serviceFixture('snapshot-update-rollback-started.txt'), rolledBack] },
    );
    assert.equal(verdict.state, 'failed');
    assert.match((verdict as { message: string }).message,
      /^stack shop, service web: the update of web failed and swarm rolled it back to the previous spec \(rollback completed\): update rolled back due to failure/);
  });

  it('a removal is done once neither services nor networks are left', async () => {
    const gone = '--swarmplay-stack-networks--\n';
    const { verdict, progress } = await runWait(stackRemoved.start({ stack: 'shop' }), {
      [stackStateCommand('shop')]: [SHOP, `${gone}wi8xfuk1vva4\n`, gone],
    });
    assert.equal(verdict.state, 'done');
    assert.deepEqual(progress, [
      'shop: 2 services (shop_once, shop_web) and 2 networks still being removed',
      'shop: 1 network still being removed',
    ]);
  });
});
