/**
 * The `service_converged` poller fed scripted snapshots (captured `docker
 * service inspect`/`ps` outputs of a lab swarm, edited where a test needs a
 * state) and a scripted clock: the loop below does what the runner's wait
 * does (poll, progress, timeout), without sleeping.
 */
import assert from 'node:assert/strict';
import { NODE_STATUS_COMMAND, serviceConverged, type ServiceConvergedArgs } from '../../../src/modules/conditions/service-converged.js';
import { snapshotCommand } from '../../../src/modules/service-convergence.js';
import type { ProbeHost } from '../../../src/modules/conditions/types.js';
import type { RunResult } from '../../../src/transport/types.js';
import { serviceFixture, serviceInspectText, serviceObject, serviceSnapshot } from '../../fixtures/docker-service/index.js';

const REGISTRY = '10.203.6.11:5000';

interface Scripted {
  /** The snapshots answered in turn; the last one again once they run out. */
  snapshots: string[];
  /** `docker node ls` answer. */
  nodes?: string;
}

interface WaitRun {
  outcome: { state: 'done'; result: Record<string, any> } | { state: 'failed'; message: string } | { state: 'timeout'; message: string };
  progress: string[];
  /** The clock (ms since the wait started) when the wait ended. */
  endedAt: number;
  polls: number;
  nodeChecksAt: number[];
}

/** Runs the poller as the runner's wait step does, on a scripted host and clock: poll every intervalMs until done, failed or timeoutMs. */
async function runWait(args: ServiceConvergedArgs, script: Scripted, timeoutMs = 300_000, intervalMs = 500): Promise<WaitRun> {
  const poller = serviceConverged.start(serviceConverged.schema.parse(args));
  let clock = 0;
  let polls = 0;
  let next = 0;
  const nodeChecksAt: number[] = [];
  const host: ProbeHost = {
    host: 'docker01',
    async probe(command): Promise<RunResult> {
      if (command === snapshotCommand(args.service)) {
        polls++;
        const answer = script.snapshots[Math.min(next++, script.snapshots.length - 1)]!;
        return { stdout: answer, stderr: '', exitCode: 0 };
      }
      if (command === NODE_STATUS_COMMAND && script.nodes !== undefined) {
        nodeChecksAt.push(clock);
        return { stdout: script.nodes, stderr: '', exitCode: 0 };
      }
      throw new Error(`unexpected command: ${command}`);
    },
  };
  const progress: string[] = [];
  for (;;) {
    const verdict = await poller.poll(host, clock);
    if (verdict.state === 'done') return { outcome: { state: 'done', result: verdict.result ?? {} }, progress, endedAt: clock, polls, nodeChecksAt };
    if (verdict.state === 'failed') return { outcome: verdict, progress, endedAt: clock, polls, nodeChecksAt };
    if (verdict.progress !== progress.at(-1)) progress.push(verdict.progress);
    if (clock >= timeoutMs) {
      return { outcome: { state: 'timeout', message: poller.timeoutMessage!(timeoutMs, progress.at(-1) ?? '') }, progress, endedAt: clock, polls, nodeChecksAt };
    }
    clock += intervalMs;
  }
}

function failure(run: WaitRun): string {
  assert.notEqual(run.outcome.state, 'done', 'the wait converged');
  return (run.outcome as { message: string }).message;
}

const converged = serviceSnapshot(serviceInspectText('inspect-newnginx-created.json'), serviceFixture('ps-newnginx-converged.jsonl'));
const starting = converged.replace(/"CurrentState":"Running 5 seconds ago"/, '"CurrentState":"Starting 1 second ago"');

describe('service_converged condition', () => {
  it('converges with progress lines, and hands the tasks and the service to finish()', async () => {
    const run = await runWait({ service: 'newnginx', kind: 'create', expectRollout: false }, { snapshots: [starting, starting, converged] });
    assert.equal(run.outcome.state, 'done');
    const result = (run.outcome as { result: Record<string, any> }).result;
    assert.equal(result.summary, `3/3 running ${REGISTRY}/httpd:latest`);
    assert.equal(result.seconds, 1);
    assert.deepEqual(result.tasks.map((task: { node: string }) => task.node), ['docker03', 'docker01', 'docker02']);
    assert.equal(result.service.name, 'newnginx');
    assert.deepEqual(run.progress, ['newnginx: 2/3 running (1 starting)']);
  });

  it('times out with the service\'s last state and the errors it saw', async () => {
    const stuck = serviceSnapshot(serviceFixture('inspect-full-options.json'), serviceFixture('ps-full-host-ports.jsonl'));
    const run = await runWait({ service: 'full', kind: 'create', expectRollout: false, blockedGraceMs: 600_000 }, { snapshots: [stuck] }, 2000);
    assert.equal(run.outcome.state, 'timeout');
    assert.match(failure(run), /^full did not converge within 2 s: 1\/3 running \(2 pending\): no suitable node .*; task errors: no suitable node \(scheduling constraints not satisfied on 2 nodes/);
    assert.equal(run.endedAt, 2000);
  });

  it('a new service whose image does not exist fails with the tasks\' error, before the timeout', async () => {
    const run = await runWait({ service: 'bad', kind: 'create', expectRollout: false, image: `${REGISTRY}/nosuch:1.0` },
      { snapshots: [serviceFixture('snapshot-create-no-such-image.txt')] });
    assert.equal(run.outcome.state, 'failed');
    assert.equal(failure(run), `bad cannot start its tasks: 6 attempts failed, 0/2 running; task errors: No such image: ${REGISTRY}/nosuch:1.0`);
    assert.equal(run.endedAt, 0);
  });

  it('a paused update fails with the rejected tasks\' errors', async () => {
    const paused = serviceSnapshot(serviceInspectText('inspect-newnginx-update-paused.json'), serviceFixture('ps-newnginx-update-paused-all.jsonl'));
    const run = await runWait({ service: 'newnginx', kind: 'update', expectRollout: true, image: `${REGISTRY}/testnginx:9.9` }, { snapshots: [paused] });
    assert.match(failure(run), /^the update of newnginx is paused: update paused due to failure.*; task errors: No such image: 10\.203\.6\.11:5000\/testnginx:9\.9$/);
  });

  it('an automatic rollback fails with the reason and the errors seen while it ran, once the previous tasks run again', async () => {
    const rolledBack = serviceFixture('snapshot-update-rolled-back.txt');
    // The last old task still starting when swarm says "rollback completed": the wait goes on for it.
    const lastStarting = rolledBack.replace(/"CurrentState":"Running ([^"]*)","DesiredState":"Running"/, '"CurrentState":"Starting $1","DesiredState":"Running"');
    const run = await runWait({ service: 'web', kind: 'update', expectRollout: true, image: `${REGISTRY}/nosuch:4.0` },
      { snapshots: [serviceFixture('snapshot-update-rollback-started.txt'), lastStarting, rolledBack] });
    const message = failure(run);
    assert.match(message, /^the update of web failed and swarm rolled it back .*: update rolled back due to failure or early termination of task/);
    assert.match(message, /; the previous tasks run again \(3\/3 running 10\.203\.6\.11:5000\/httpd:latest\)/);
    assert.match(message, new RegExp(`task errors: .*No such image: ${REGISTRY.replace(/\./g, '\\.')}/nosuch:4\\.0`));
    assert.match(run.progress[0]!, /^web: rolling back: /);
    assert.match(run.progress.at(-1)!, /^web: rolled back, 2\/3 running \(1 starting\)/);
    assert.equal(run.endedAt, 1000);
  });

  it('a rollback that times out while the previous tasks start says so', async () => {
    const rolledBack = serviceFixture('snapshot-update-rolled-back.txt');
    const lastStarting = rolledBack.replace(/"CurrentState":"Running ([^"]*)","DesiredState":"Running"/, '"CurrentState":"Starting $1","DesiredState":"Running"');
    const run = await runWait({ service: 'web', kind: 'update', expectRollout: true, image: `${REGISTRY}/nosuch:4.0` },
      { snapshots: [serviceFixture('snapshot-update-rollback-started.txt'), lastStarting] }, 5000);
    assert.equal(run.outcome.state, 'timeout');
    assert.match(failure(run), /^the update of web failed and swarm rolled it back .*; the previous tasks are not all running: 2\/3 running \(1 starting\); task errors: /);
  });

  it('a global service matching no node is done once no task was scheduled for the grace period', async () => {
    const run = await runWait({ service: 'glob', kind: 'create', expectRollout: false }, { snapshots: [serviceSnapshot(serviceFixture('inspect-global.json'), '')] });
    assert.equal(run.outcome.state, 'done');
    assert.equal((run.outcome as { result: Record<string, any> }).result.summary, "no task: no node matches glob's placement");
    assert.equal(run.endedAt, 3000);
  });

  it('calls a rollout converged once its new tasks ran for the monitor period, as docker --detach=false does', async () => {
    const updating = serviceInspectText('inspect-newnginx-update-paused.json', (service) => {
      service.Spec.TaskTemplate.ContainerSpec.Image = `${REGISTRY}/testnginx:2.0@sha256:aa`;
      service.UpdateStatus = { State: 'updating', StartedAt: '2026-11-25T10:00:00Z', Message: 'update in progress' };
    });
    const newTasks = serviceFixture('ps-newnginx-converged.jsonl').replace(/httpd:latest@sha256:[0-9a-f]+/g, 'testnginx:2.0@sha256:aa');
    const run = await runWait({ service: 'newnginx', kind: 'update', expectRollout: true, image: `${REGISTRY}/testnginx:2.0` },
      { snapshots: [serviceSnapshot(updating, newTasks)] });
    assert.match((run.outcome as { result: Record<string, any> }).result.summary, /^3\/3 running .*testnginx:2\.0 \(steady for the 5 s monitor period\)$/);
    assert.equal(run.endedAt, 5000, 'the monitor period of the service (5 s), not longer');
    assert.equal(run.polls, 11);
    assert.deepEqual(run.progress, ['newnginx: updating: 3/3 running']);
  });

  it('waits for swarm to start the rollout, then takes the tasks as they are after the grace (a change no task needed)', async () => {
    const before = serviceObject('inspect-newnginx-update-paused.json', (service) => {
      service.UpdateStatus = { State: 'updating', StartedAt: '2026-11-25T09:30:31Z', Message: 'update in progress' };
    });
    const run = await runWait({
      service: 'newnginx', kind: 'update', expectRollout: true,
      statusBefore: { state: 'updating', startedAt: '2026-11-25T09:30:31Z', message: 'update in progress' },
    }, { snapshots: [serviceSnapshot(serviceInspectText('inspect-newnginx-created.json', (service) => { service.UpdateStatus = before.UpdateStatus; }),
      serviceFixture('ps-newnginx-converged.jsonl'))] });
    assert.equal(run.progress[0], 'newnginx: waiting for swarm to start the rollout: 3/3 running');
    assert.equal(run.outcome.state, 'done');
    assert.equal(run.endedAt, 3000);
  });

  it('a rollout resumed from an earlier run says so when it fails', async () => {
    const stuck = serviceSnapshot(serviceFixture('inspect-full-options.json'), serviceFixture('ps-full-host-ports.jsonl'));
    const run = await runWait({ service: 'full', kind: 'update', expectRollout: false, resumed: true, blockedGraceMs: 600_000 }, { snapshots: [stuck] }, 1000);
    assert.match(failure(run), /^full was already being rolled out to this spec and did not converge: full did not converge within 1 s: /);
  });

  it('fails when the service cannot be read', async () => {
    const poller = serviceConverged.start(serviceConverged.schema.parse({ service: 'web', kind: 'create', expectRollout: false }));
    const verdict = await poller.poll({ host: 'docker01', probe: async () => ({ stdout: '', stderr: 'Error: no such service: web\n', exitCode: 1 }) }, 0);
    assert.deepEqual(verdict, { state: 'failed', message: 'cannot read the state of service web on docker01: Error: no such service: web' });
  });

  describe('a rollout blocked by a task swarm cannot place', () => {
    const BLOCKED = 'no suitable node (host-mode port already in use on 2 nodes; 1 node not available for new tasks)';
    /** newnginx rolling out testnginx:2.0: slots 2 and 3 run it, slot 1 (docker03's) is pending with the scheduler's error. */
    const blocked = serviceSnapshot(
      serviceInspectText('inspect-newnginx-update-paused.json', (service) => {
        service.Spec.TaskTemplate.ContainerSpec.Image = `${REGISTRY}/testnginx:2.0@sha256:aa`;
        service.UpdateStatus = { State: 'updating', StartedAt: '2026-11-25T10:00:00Z', Message: 'update in progress' };
      }),
      serviceFixture('ps-newnginx-converged.jsonl')
        .replace(/httpd:latest@sha256:[0-9a-f]+/g, 'testnginx:2.0@sha256:aa')
        .replace(/"CurrentState":"Running 5 seconds ago","DesiredState":"Running","Error":"","ID":"l7onj8spptvua9kgh7woqk5ua"(.*)"Node":"docker03"/,
          `"CurrentState":"Pending 3 seconds ago","DesiredState":"Running","Error":${JSON.stringify(JSON.stringify(BLOCKED))},"ID":"l7onj8spptvua9kgh7woqk5ua"$1"Node":""`),
    );
    const args: ServiceConvergedArgs = { service: 'newnginx', kind: 'update', expectRollout: true, image: `${REGISTRY}/testnginx:2.0` };

    it('fails after the grace naming the service and the down node, not at the timeout', async () => {
      const run = await runWait(args, { snapshots: [blocked], nodes: 'docker01 Ready\ndocker02 Ready\ndocker03 Down\n' }, 600_000);
      assert.equal(run.outcome.state, 'failed');
      const message = failure(run);
      assert.match(message, /^newnginx cannot converge while node docker03 is down: swarm cannot place 1 task elsewhere \(updating: 2\/3 running \(1 pending\)/);
      assert.match(message, /; bring the node back \(its dockerd\) and run again; task errors: no suitable node \(host-mode port already in use on 2 nodes/);
      assert.deepEqual(run.nodeChecksAt, [10_000], 'the nodes are asked about once the task was pending for the grace period, not before');
      assert.equal(run.endedAt, 10_000);
      assert.deepEqual(run.progress, [`newnginx: updating: 2/3 running (1 pending): ${BLOCKED}`]);
    });

    it('keeps waiting (until the timeout) while every node is Ready, asking again every 5 s', async () => {
      const run = await runWait(args, { snapshots: [blocked], nodes: 'docker01 Ready\ndocker02 Ready\ndocker03 Ready\n' }, 30_000);
      assert.equal(run.outcome.state, 'timeout');
      const message = failure(run);
      assert.match(message, /^newnginx did not converge within 30 s: updating: 2\/3 running \(1 pending\)/);
      assert.doesNotMatch(message, /cannot converge while node/);
      assert.deepEqual(run.nodeChecksAt, [10_000, 15_000, 20_000, 25_000, 30_000]);
    });
  });
});
