/**
 * docker_service through the task runner on a scripted connection: the
 * command step, the service_converged wait found by name, finish() building
 * the result, and a message only the wait could give (the rollout an
 * earlier run started). Every snapshot converges at once: no poll sleeps.
 */
import assert from 'node:assert/strict';
import { runTask, type TaskRunEnv } from '../../src/runner/task-runner.js';
import { dockerService } from '../../src/modules/docker-service.js';
import { serviceInspect, serviceInspectCommand } from '../../src/facts/swarm-service.js';
import { snapshotCommand } from '../../src/modules/service-convergence.js';
import type { ModuleTask } from '../../src/language/playbook.js';
import type { Connection, RunResult } from '../../src/transport/types.js';
import { serviceFixture, serviceObject } from '../fixtures/docker-service/index.js';

const REGISTRY = '10.203.6.11:5000';

function task(args: Record<string, unknown>): ModuleTask {
  return {
    kind: 'module', module: 'docker_service', args: args as ModuleTask['args'], location: { file: 'play.yaml', line: 1, column: 1 },
    when: [], tags: [], ignoreErrors: false, noLog: false, runOnce: false, vars: {}, notify: [], loopVar: 'item', retries: 3, delay: 5,
  };
}

/** A manager answering `docker service inspect` with `inspect`, the snapshot with `snapshot`, anything else with exit 0. */
function env(args: Record<string, unknown>, inspect: string, snapshot: string) {
  const ran: string[] = [];
  const conn: Connection = {
    host: 'docker01',
    async run(command): Promise<RunResult> {
      ran.push(command);
      if (command === serviceInspectCommand('newnginx')) return { stdout: inspect, stderr: '', exitCode: 0 };
      if (command === snapshotCommand('newnginx')) return { stdout: snapshot, stderr: '', exitCode: 0 };
      return { stdout: 'newnginx\n', stderr: '', exitCode: 0 };
    },
    async putFile() { throw new Error('not expected'); },
    async getFile() { return null; },
    async close() {},
  };
  const runEnv: TaskRunEnv = {
    module: dockerService, task: task(args), host: 'docker01', vars: {}, checkMode: false, diffMode: false, playbookDir: '/',
    connect: async () => conn,
    facts: async () => { throw new Error('not expected'); },
    fact: async (reader, factArgs) => reader.parse(await conn.run(reader.command(factArgs)), factArgs, 'docker01'),
    addSecret() {},
  };
  return { runEnv, ran };
}

describe('docker_service run by the task runner', () => {
  const converged = `${JSON.stringify(serviceObject('inspect-newnginx-created.json'))}\n--swarmplay-tasks--\n${serviceFixture('ps-newnginx-converged.jsonl')}`;

  it('runs the update, then waits until the service converged, and reports it', async () => {
    const { runEnv, ran } = env({ name: 'newnginx', replicas: 3 }, JSON.stringify(serviceObject('inspect-newnginx-created.json', (s) => {
      s.Spec.Mode.Replicated.Replicas = 2;
    })), converged);
    const outcome = await runTask(runEnv);
    assert.equal(outcome.status, 'changed', outcome.msg);
    assert.deepEqual(ran, [serviceInspect.command({ name: 'newnginx' }), 'docker service update --detach --replicas 3 newnginx', snapshotCommand('newnginx')]);
    assert.equal(outcome.msg, 'newnginx: replicas 2 -> 3');
    assert.equal(outcome.result.converged, true);
    assert.equal(outcome.result.convergence, `3/3 running ${REGISTRY}/httpd:latest`);
    assert.deepEqual(outcome.steps, ['run: docker service update --detach --replicas 3 newnginx', 'wait: newnginx to converge (up to 300 s)']);
  });

  it('a rollout already in progress: ok, waited read-only, with the message of what it found', async () => {
    const updating = JSON.stringify(serviceObject('inspect-newnginx-created.json', (s) => {
      s.UpdateStatus = { State: 'updating', StartedAt: '2026-11-25T10:00:00Z', Message: 'update in progress' };
    }));
    const completed = JSON.stringify(serviceObject('inspect-newnginx-created.json', (s) => {
      s.UpdateStatus = { State: 'completed', StartedAt: '2026-11-25T10:00:00Z', CompletedAt: '2026-11-25T10:00:20Z', Message: 'update completed' };
    }));
    const { runEnv, ran } = env({ name: 'newnginx', replicas: 3 }, updating,
      `${completed}\n--swarmplay-tasks--\n${serviceFixture('ps-newnginx-converged.jsonl')}`);
    const outcome = await runTask(runEnv);
    assert.equal(outcome.status, 'ok', outcome.msg);
    assert.deepEqual(ran, [serviceInspect.command({ name: 'newnginx' }), snapshotCommand('newnginx')]);
    assert.equal(outcome.msg, `newnginx: the rollout already in progress finished: 3/3 running ${REGISTRY}/httpd:latest`);
    assert.equal(outcome.result.msg, outcome.msg);
    assert.equal(outcome.result.update_status, 'completed');
  });
});
