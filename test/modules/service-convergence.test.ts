/**
 * judgeConvergence on captured `docker service inspect`/`ps` snapshots
 * (src/modules/service-convergence.ts). The wait itself is tested in
 * conditions/service-converged.test.ts.
 */
import assert from 'node:assert/strict';
import { parseServiceObject } from '../../src/facts/swarm-service.js';
import { judgeConvergence, parseSnapshot, type ConvergenceGoal } from '../../src/modules/service-convergence.js';
import {
  serviceFixture, serviceInspectText, serviceObject, serviceSnapshot,
} from '../fixtures/docker-service/index.js';

const REGISTRY = '10.203.6.11:5000';

describe('judgeConvergence', () => {
  const before = (fixture: string) => parseServiceObject(serviceObject(fixture)).updateStatus;
  const judge = (text: string, goal: ConvergenceGoal) => {
    const { service, tasks } = parseSnapshot(text);
    return judgeConvergence(service, tasks, goal);
  };

  it('a new service converges when all its replicas run', () => {
    const verdict = judge(serviceSnapshot(serviceInspectText('inspect-newnginx-created.json'), serviceFixture('ps-newnginx-converged.jsonl')),
      { kind: 'create', statusBefore: null, expectRollout: false });
    assert.deepEqual(verdict, { outcome: 'converged', summary: `3/3 running ${REGISTRY}/httpd:latest` });
  });

  it('a new service whose image does not exist fails with the tasks\' error', () => {
    const verdict = judge(serviceFixture('snapshot-create-no-such-image.txt'), { kind: 'create', statusBefore: null, expectRollout: false });
    assert.equal(verdict.outcome, 'failed');
    assert.match((verdict as { reason: string }).reason, /bad cannot start its tasks: 6 attempts failed, 0\/2 running/);
    assert.deepEqual((verdict as { errors: string[] }).errors, [`No such image: ${REGISTRY}/nosuch:1.0 (6 tasks)`]);
  });

  it('an update that swarm is rolling back is still waiting, then fails once rolled back', () => {
    const goal: ConvergenceGoal = { kind: 'update', statusBefore: before('inspect-web-rolled-back.json'), expectRollout: true };
    const rolling = judge(serviceFixture('snapshot-update-rollback-started.txt'), goal);
    assert.equal(rolling.outcome, 'waiting');
    assert.match((rolling as { progress: string }).progress, /^rolling back: /);
    const done = judge(serviceFixture('snapshot-update-rolled-back.txt'), { kind: 'update', statusBefore: null, expectRollout: true });
    assert.equal(done.outcome, 'failed');
    assert.match((done as { reason: string }).reason, /the update of web failed and swarm rolled it back/);
  });

  it('a paused update fails with the rejected tasks\' errors', () => {
    const text = serviceSnapshot(serviceInspectText('inspect-newnginx-update-paused.json'), serviceFixture('ps-newnginx-update-paused-all.jsonl'));
    const verdict = judge(text, { kind: 'update', statusBefore: null, expectRollout: true });
    assert.equal(verdict.outcome, 'failed');
    assert.match((verdict as { reason: string }).reason, /update of newnginx is paused: update paused due to failure/);
    assert.deepEqual((verdict as { errors: string[] }).errors, [`No such image: ${REGISTRY}/testnginx:9.9 (2 tasks)`]);
  });

  it('never calls the old tasks converged before swarm reports the rollout', () => {
    const paused = serviceObject('inspect-newnginx-update-paused.json', (service) => {
      service.UpdateStatus = { State: 'updating', StartedAt: '2026-11-25T09:30:31Z', Message: 'update in progress' };
    });
    const statusBefore = parseServiceObject(paused).updateStatus;
    const verdict = judge(serviceSnapshot(JSON.stringify(paused), serviceFixture('ps-newnginx-update-paused-all.jsonl')), { kind: 'update', statusBefore, expectRollout: true });
    assert.equal(verdict.outcome, 'waiting');
    assert.match((verdict as { progress: string }).progress, /waiting for swarm to start the rollout/);
  });

  it('tasks that cannot be placed keep it waiting, with the scheduler\'s reason', () => {
    const verdict = judge(serviceSnapshot(serviceFixture('inspect-full-options.json'), serviceFixture('ps-full-host-ports.jsonl')), { kind: 'create', statusBefore: null, expectRollout: false });
    assert.equal(verdict.outcome, 'waiting');
    assert.match((verdict as { progress: string }).progress, /^1\/3 running \(2 pending\): no suitable node \(scheduling constraints not satisfied on 2 nodes; host-mode port already in use on 1 node\) \(2 tasks\)/);
  });

  it('a global service rejected on most nodes fails; one without any task yet waits', () => {
    const goal: ConvergenceGoal = { kind: 'create', statusBefore: null, expectRollout: false };
    const verdict = judge(serviceSnapshot(serviceFixture('inspect-global.json'), serviceFixture('ps-global-no-image.jsonl')), goal);
    assert.equal(verdict.outcome, 'failed');
    assert.match((verdict as { errors: string[] }).errors[0]!, /No such image: nginx:latest/);
    assert.deepEqual(judge(serviceSnapshot(serviceFixture('inspect-global.json'), ''), goal), { outcome: 'waiting', progress: 'no task scheduled yet', errors: [], noTasks: true });
  });

  it('new tasks all running while swarm still reports the rollout are steady', () => {
    const updating = serviceInspectText('inspect-newnginx-update-paused.json', (service) => {
      service.Spec.TaskTemplate.ContainerSpec.Image = `${REGISTRY}/testnginx:2.0@sha256:aa`;
      service.UpdateStatus = { State: 'updating', StartedAt: '2026-11-25T10:00:00Z', Message: 'update in progress' };
    });
    const newTasks = serviceFixture('ps-newnginx-converged.jsonl').replace(/httpd:latest@sha256:[0-9a-f]+/g, 'testnginx:2.0@sha256:aa');
    assert.deepEqual(judge(serviceSnapshot(updating, newTasks), { kind: 'update', statusBefore: null, expectRollout: true, image: `${REGISTRY}/testnginx:2.0` }),
      { outcome: 'waiting', progress: 'updating: 3/3 running', errors: [], steady: true });
  });
});
