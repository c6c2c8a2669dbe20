import assert from 'node:assert/strict';
import {
  dockerService, formatDuration, IPVS_PROBE, parseDurationNs, parseMemoryBytes, serviceUpdate, type DockerServiceArgs,
} from '../../src/modules/docker-service.js';
import {
  parseServiceInspect, parseServiceObject, parseServicePs, sameImage, serviceInspectCommand,
} from '../../src/modules/swarm-service-state.js';
import {
  judgeConvergence, parseSnapshot, snapshotCommand, waitForConvergence, type ConvergenceGoal,
} from '../../src/modules/service-convergence.js';
import type { ApplyContext, Change, Plan } from '../../src/modules/types.js';
import type { RunResult } from '../../src/transport/types.js';
import { fakeHost } from '../support/fake-host.js';
import { recordInvocations } from '../support/shell-argv.js';
import { serviceFixture, serviceObject } from '../fixtures/docker-service/index.js';

const REGISTRY = '10.203.6.11:5000';
const parse = (args: unknown): DockerServiceArgs => dockerService.schema.parse(args);
const NO_SUCH_SERVICE: RunResult = { stdout: '[]\n', stderr: 'Error: no such service: newnginx\n', exitCode: 1 };

/** A manager whose `docker service inspect NAME` answers `inspect` (a JSON text, or the no-such-service error). */
function manager(name: string, inspect: string | RunResult, probes: Record<string, string | RunResult> = {}) {
  return fakeHost({ host: 'docker01', probes: { [serviceInspectCommand(name)]: inspect, ...probes } });
}

function inspectText(fixture: string, change?: (service: Record<string, any>) => void): string {
  return JSON.stringify(serviceObject(fixture, change));
}

/** Runs a plan's apply change against a scripted host: the first command is docker's, then snapshots in turn. */
async function applyWith(plan: Plan, snapshots: string[]): Promise<{ ran: string[]; applied: Record<string, unknown> | void; progress: string[] }> {
  const ran: string[] = [];
  const progress: string[] = [];
  let next = 0;
  const host: ApplyContext & { progress(message: string): void } = {
    host: 'docker01',
    async run(command) {
      ran.push(command);
      if (command.startsWith('docker service inspect')) {
        const snapshot = snapshots[Math.min(next++, snapshots.length - 1)]!;
        return { stdout: snapshot, stderr: '', exitCode: 0 };
      }
      return { stdout: 'created\n', stderr: '', exitCode: 0 };
    },
    async putFile() { throw new Error('not expected'); },
    async getFile() { return null; },
    progress(message) { progress.push(message); },
  };
  const change = plan.steps[0] as Extract<Change, { kind: 'apply' }>;
  const applied = await change.apply(host);
  return { ran, applied, progress };
}

function snapshot(inspect: string, ps: string): string {
  return `${inspect}\n--swarmplay-tasks--\n${ps}`;
}

describe('swarm service state readers', () => {
  it('reads every setting docker_service compares from a real inspect', () => {
    const service = parseServiceInspect(serviceFixture('inspect-full-options.json'));
    assert.equal(service.name, 'full');
    assert.equal(service.mode, 'replicated');
    assert.equal(service.replicas, 3);
    assert.deepEqual(service.constraints, ['node.labels.mem==max', 'node.role!=manager']);
    assert.deepEqual(service.preferences, ['node.labels.zone']);
    assert.deepEqual(service.labels, { tier: 'front' });
    assert.deepEqual(service.containerLabels, { app: 'nginx' });
    assert.deepEqual(service.env, ['A=1', 'B=two']);
    assert.deepEqual(service.networkIds, ['vlo68njiwxr7k1979hli4s2hz']);
    assert.deepEqual(service.publish, [{ published: 8081, target: 80, protocol: 'tcp', mode: 'host' }]);
    assert.deepEqual(service.updateConfig, { parallelism: 2, delayNs: 10e9, failureAction: 'rollback', monitorNs: 3e9, maxFailureRatio: 0, order: 'start-first' });
    assert.deepEqual(service.limits, { nanoCpus: 5e8, memoryBytes: 64 * 1024 ** 2 });
    assert.deepEqual(service.reservations, { nanoCpus: 2.5e8, memoryBytes: 32 * 1024 ** 2 });
    assert.equal(service.hasPreviousSpec, false);
    assert.equal(service.updateStatus, null);
  });

  it('reads the update status and the previous spec', () => {
    const paused = parseServiceInspect(serviceFixture('inspect-newnginx-update-paused.json'));
    assert.equal(paused.updateStatus?.state, 'paused');
    assert.match(paused.updateStatus!.message, /update paused due to failure/);
    assert.equal(paused.hasPreviousSpec, true);
    assert.match(paused.previousImage!, /httpd:latest@sha256:/);
    const global = parseServiceInspect(serviceFixture('inspect-global.json'));
    assert.equal(global.mode, 'global');
    assert.equal(global.replicas, undefined);
  });

  it('reads task lines: state word, slot, unquoted error', () => {
    const tasks = parseServicePs(serviceFixture('ps-newnginx-update-paused-all.jsonl'));
    assert.equal(tasks.length, 5);
    const rejected = tasks.find((task) => task.state === 'rejected')!;
    assert.equal(rejected.error, `No such image: ${REGISTRY}/testnginx:9.9`);
    assert.equal(rejected.slot, 3);
    assert.equal(tasks[0]!.state, 'running');
    assert.equal(tasks[0]!.desiredState, 'running');
    assert.equal(tasks[0]!.node, 'docker03');
  });

  it('matches an image with or without the digest docker pinned', () => {
    assert.ok(sameImage(`${REGISTRY}/httpd:latest@sha256:e3e0`, `${REGISTRY}/httpd:latest`));
    assert.ok(sameImage('nginx:latest', 'nginx'));
    assert.ok(!sameImage(`${REGISTRY}/testnginx:1.0@sha256:aa`, `${REGISTRY}/testnginx:2.0`));
    assert.ok(!sameImage(`${REGISTRY}/httpd:latest@sha256:aa`, `${REGISTRY}/httpd:latest@sha256:bb`));
  });
});

describe('docker_service arguments', () => {
  it('parses durations and memory sizes as docker does', () => {
    assert.equal(parseDurationNs('1m30s'), 90e9);
    assert.equal(parseDurationNs('500ms'), 5e8);
    assert.equal(parseDurationNs(10), 10e9);
    assert.equal(parseDurationNs('10 minutes'), undefined);
    assert.equal(formatDuration(60e9), '60s');
    assert.equal(formatDuration(5e8), '500ms');
    assert.equal(parseMemoryBytes('64M'), 64 * 1024 ** 2);
    assert.equal(parseMemoryBytes('1g'), 1024 ** 3);
    assert.equal(parseMemoryBytes('512mb'), 512 * 1024 ** 2);
    assert.equal(parseMemoryBytes('lots'), undefined);
  });

  it('refuses rollback with spec arguments, and replicas on a global service', () => {
    assert.throws(() => parse({ name: 'web', rollback: true, image: 'x:1' }), /takes only name, wait and timeout/);
    assert.throws(() => parse({ name: 'web', mode: 'global', replicas: 2 }), /global service/);
    assert.throws(() => parse({ name: 'web', update_config: { delay: 'soon' } }), /duration/);
    assert.throws(() => parse({ name: 'web', rollback_config: { failure_action: 'rollback' } }));
  });

  it('takes null as "leave it as it is" and env as a mapping or a list', () => {
    const args = parse({ name: 'web', replicas: null, env: ['A=1', 'B=x=y'] });
    assert.equal(args.replicas, undefined);
    assert.deepEqual(args.env, { A: '1', B: 'x=y' });
  });
});

describe('docker_service plan', () => {
  it('creates the service when it is absent, and waits until its tasks run', async () => {
    const host = manager('newnginx', NO_SUCH_SERVICE);
    const plan = await dockerService.plan(host, parse({
      name: 'newnginx', image: `${REGISTRY}/httpd:latest`, replicas: 3,
      publish: [{ published: 80, target: 80, mode: 'host' }],
      update_config: { parallelism: 2, delay: '10s', failure_action: 'rollback' },
    }));
    assert.equal(plan.steps.length, 1);
    const { ran, applied } = await applyWith(plan, [
      snapshot(inspectText('inspect-newnginx-created.json'), serviceFixture('ps-newnginx-converged.jsonl')),
    ]);
    assert.deepEqual(recordInvocations(ran[0]!, ['docker']), [{
      program: 'docker',
      args: [
        'service', 'create', '--detach', '--name', 'newnginx', '--replicas', '3',
        '--publish', 'published=80,target=80,protocol=tcp,mode=host',
        '--update-parallelism', '2', '--update-delay', '10s', '--update-failure-action', 'rollback',
        `${REGISTRY}/httpd:latest`,
      ],
    }]);
    assert.equal(ran[1], snapshotCommand('newnginx'));
    assert.equal((applied as Record<string, unknown>).converged, true);
    assert.equal((applied as Record<string, unknown>).convergence, `3/3 running ${REGISTRY}/httpd:latest`);
  });

  it('changes nothing when the service is as asked (a second run restarts no task)', async () => {
    const host = manager('newnginx', inspectText('inspect-newnginx-created.json'));
    const plan = await dockerService.plan(host, parse({
      name: 'newnginx', image: `${REGISTRY}/httpd:latest`, replicas: 3, mode: 'replicated',
      publish: [{ published: 80, target: 80, mode: 'host' }],
      update_config: { parallelism: 1, failure_action: 'pause', order: 'stop-first' },
    }));
    assert.deepEqual(plan.steps, []);
    assert.deepEqual(host.probed, [serviceInspectCommand('newnginx')]);
  });

  it('changes nothing on the fully configured service given the same settings', async () => {
    const host = manager('full', serviceFixture('inspect-full-options.json'), {
      "docker network inspect my_net1 --format '{{.Id}}'": 'vlo68njiwxr7k1979hli4s2hz\n',
    });
    const plan = await dockerService.plan(host, parse({
      name: 'full', image: `${REGISTRY}/httpd:latest`, replicas: 3,
      constraints: ['node.labels.mem == max', 'node.role!=manager'],
      placement_preferences: ['spread=node.labels.zone'],
      labels: { tier: 'front' }, container_labels: { app: 'nginx' }, env: { A: 1, B: 'two' }, networks: ['my_net1'],
      publish: [{ published: 8081, target: 80, protocol: 'tcp', mode: 'host' }],
      update_config: { parallelism: 2, delay: '10s', failure_action: 'rollback', monitor: '3s', order: 'start-first' },
      rollback_config: { parallelism: 3, delay: 1 },
      resources: { limits: { cpus: 0.5, memory: '64M' }, reservations: { cpus: '0.25', memory: '32m' } },
    }));
    assert.deepEqual(plan.steps, [], JSON.stringify(plan.result));
  });

  it('updates only what differs: image, replicas, one constraint', () => {
    const current = parseServiceInspect(serviceFixture('inspect-full-options.json'));
    const update = serviceUpdate(current, parse({
      name: 'full', image: `${REGISTRY}/testnginx:2.0`, replicas: 6,
      constraints: ['node.labels.mem==max', 'node.hostname==docker03'],
      env: { A: '1', B: 'two' },
    }));
    assert.deepEqual(update.flags, [
      '--image', `${REGISTRY}/testnginx:2.0`,
      '--replicas', '6',
      '--constraint-rm', 'node.role!=manager', '--constraint-add', 'node.hostname==docker03',
    ]);
    assert.equal(update.rollout, true);
  });

  it('a replicas change alone expects no rollout; update settings only the flags that differ', () => {
    const current = parseServiceInspect(serviceFixture('inspect-newnginx-created.json'));
    const update = serviceUpdate(current, parse({ name: 'newnginx', replicas: 9, update_config: { parallelism: 3, delay: '1m', order: 'stop-first' } }));
    assert.deepEqual(update.flags, ['--replicas', '9', '--update-parallelism', '3', '--update-delay', '60s']);
    assert.equal(update.rollout, false);
  });

  it('replaces ports, labels, env and networks key by key', () => {
    const current = parseServiceInspect(serviceFixture('inspect-full-options.json'));
    const update = serviceUpdate(current, parse({
      name: 'full', publish: [{ published: 80, target: 80, mode: 'host' }],
      labels: { tier: 'back' }, env: { A: '1' }, networks: [],
    }), new Map());
    assert.deepEqual(update.flags, [
      '--label-add', 'tier=back',
      '--env-rm', 'B',
      '--network-rm', 'vlo68njiwxr7k1979hli4s2hz',
      '--publish-rm', 'published=8081,target=80,protocol=tcp,mode=host',
      '--publish-add', 'published=80,target=80,protocol=tcp,mode=host',
    ]);
  });

  it('leaves a manual scale alone when replicas is not given', async () => {
    const scaled = inspectText('inspect-newnginx-created.json', (service) => { service.Spec.Mode.Replicated.Replicas = 9; });
    const plan = await dockerService.plan(manager('newnginx', scaled), parse({
      name: 'newnginx', image: `${REGISTRY}/httpd:latest`, publish: [{ published: 80, target: 80, mode: 'host' }],
    }));
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.result?.replicas, 9);
  });

  it('a rerun whose spec swarm is still rolling out waits for that rollout (read-only), except in check mode', async () => {
    const withStatus = (state: string) => inspectText('inspect-newnginx-created.json', (service) => {
      service.UpdateStatus = { State: state, StartedAt: '2026-11-25T10:00:00Z', Message: `update ${state === 'updating' ? 'in progress' : 'completed'}` };
    });
    const stillStarting = snapshot(withStatus('updating'),
      serviceFixture('ps-newnginx-converged.jsonl').replace(/"CurrentState":"Running 5 seconds ago"/, '"CurrentState":"Starting 1 second ago"'));
    const finished = snapshot(withStatus('completed'), serviceFixture('ps-newnginx-converged.jsonl'));
    const snapshots = [stillStarting, finished];
    const sameSpec = {
      name: 'newnginx', image: `${REGISTRY}/httpd:latest`, replicas: 3,
      publish: [{ published: 80, target: 80, mode: 'host' }],
    };
    // Every answer is to a read-only probe: an unexpected command (an update) makes the fake host throw.
    const host = fakeHost({
      host: 'docker01',
      probes: (command) => {
        if (command === serviceInspectCommand('newnginx')) return withStatus('updating');
        if (command === snapshotCommand('newnginx')) return snapshots.shift() ?? finished;
        return undefined;
      },
    });
    const plan = await dockerService.plan(host, parse(sameSpec));
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.failed, undefined);
    assert.match(plan.msg!, new RegExp(`^newnginx: the rollout already in progress finished: 3/3 running ${REGISTRY.replace(/\./g, '\\.')}/httpd:latest$`));
    assert.equal(plan.result?.update_status, 'completed');
    assert.deepEqual(host.probed, [serviceInspectCommand('newnginx'), snapshotCommand('newnginx'), snapshotCommand('newnginx')]);

    const checking = fakeHost({ host: 'docker01', checkMode: true, probes: { [serviceInspectCommand('newnginx')]: withStatus('updating') } });
    const checked = await dockerService.plan(checking, parse(sameSpec));
    assert.deepEqual(checked.steps, []);
    assert.equal(checked.msg, undefined);
    assert.deepEqual(checking.probed, [serviceInspectCommand('newnginx')], 'check mode does not wait');
  });

  it('refuses a rollback when the service has no previous spec', async () => {
    const plan = await dockerService.plan(manager('newnginx', inspectText('inspect-newnginx-created.json')), parse({ name: 'newnginx', rollback: true }));
    assert.deepEqual(plan.steps, []);
    assert.match(plan.failed!, /cannot roll back service newnginx: it has no previous spec/);
  });

  it('rolls back to the previous spec, and does not roll back twice', async () => {
    const paused = await dockerService.plan(manager('newnginx', inspectText('inspect-newnginx-update-paused.json')), parse({ name: 'newnginx', rollback: true }));
    assert.equal(paused.steps.length, 1);
    assert.match(paused.steps[0]!.description, /docker service update --rollback newnginx \(back to 10\.203\.6\.11:5000\/httpd:latest\)/);
    const again = await dockerService.plan(manager('web', inspectText('inspect-web-rolled-back.json')), parse({ name: 'web', rollback: true }));
    assert.deepEqual(again.steps, []);
    assert.match(again.msg!, /already rolled back/);
  });

  it('warns plainly when ingress publishing meets a kernel without IP_VS', async () => {
    const host = manager('newnginx', NO_SUCH_SERVICE, { [IPVS_PROBE]: 'absent\n' });
    const plan = await dockerService.plan(host, parse({ name: 'newnginx', image: 'nginx', publish: [{ published: 80, target: 80 }] }));
    assert.match(plan.msg!, /published in ingress mode, but the kernel of docker01 has no IP_VS/);
    assert.match(plan.msg!, /mode: host/);
    const fine = await dockerService.plan(manager('newnginx', NO_SUCH_SERVICE, { [IPVS_PROBE]: 'present\n' }),
      parse({ name: 'newnginx', image: 'nginx', publish: [{ published: 80, target: 80 }] }));
    assert.equal(fine.msg, undefined);
  });

  it('fails clearly for a missing network, a mode change, no image, and off a manager', async () => {
    const missing = await dockerService.plan(manager('web', NO_SUCH_SERVICE, {
      "docker network inspect nonet --format '{{.Id}}'": { stdout: '', stderr: 'Error: No such network: nonet', exitCode: 1 },
    }), parse({ name: 'web', image: 'nginx', networks: ['nonet'] }));
    assert.match(missing.failed!, /network nonet does not exist/);
    const mode = await dockerService.plan(manager('newnginx', inspectText('inspect-newnginx-created.json')), parse({ name: 'newnginx', mode: 'global' }));
    assert.match(mode.failed!, /cannot change a service's mode/);
    const noImage = await dockerService.plan(manager('web', NO_SUCH_SERVICE), parse({ name: 'web', replicas: 2 }));
    assert.match(noImage.failed!, /give image to create it/);
    const worker = await dockerService.plan(manager('web', {
      stdout: '', stderr: 'Error response from daemon: This node is not a swarm manager. Worker nodes can\'t be used to view or modify cluster state.', exitCode: 1,
    }), parse({ name: 'web', image: 'nginx' }));
    assert.match(worker.failed!, /must run on a swarm manager/);
  });

  it('removes a service that is there, and only then', async () => {
    const present = await dockerService.plan(manager('newnginx', inspectText('inspect-newnginx-created.json')), parse({ name: 'newnginx', state: 'absent' }));
    assert.deepEqual(present.steps.map((change) => (change as Extract<Change, { kind: 'command' }>).command), ['docker service rm newnginx']);
    const absent = await dockerService.plan(manager('newnginx', NO_SUCH_SERVICE), parse({ name: 'newnginx', state: 'absent' }));
    assert.deepEqual(absent.steps, []);
  });

  it('quotes every value it puts on the command line', async () => {
    const hostile = "x'; touch /tmp/pwned; echo '";
    const plan = await dockerService.plan(manager('web', NO_SUCH_SERVICE), parse({
      name: 'web', image: 'nginx', env: { MESSAGE: hostile }, labels: { note: '$(id)' }, constraints: [`node.labels.zone==${hostile}`],
    }));
    const { ran } = await applyWith(plan, [snapshot(inspectText('inspect-newnginx-created.json'), serviceFixture('ps-newnginx-converged.jsonl'))]).catch(() => ({ ran: [] as string[] }));
    const words = recordInvocations(ran[0] ?? '', ['docker'])[0]!.args;
    assert.ok(words.includes(`MESSAGE=${hostile}`));
    assert.ok(words.includes('note=$(id)'));
    assert.ok(words.includes(`node.labels.zone==${hostile}`));
  });
});

describe('service convergence', () => {
  const before = (fixture: string) => parseServiceObject(serviceObject(fixture)).updateStatus;
  const judge = (text: string, goal: ConvergenceGoal) => {
    const { service, tasks } = parseSnapshot(text);
    return judgeConvergence(service, tasks, goal);
  };

  it('a new service converges when all its replicas run', () => {
    const verdict = judge(snapshot(inspectText('inspect-newnginx-created.json'), serviceFixture('ps-newnginx-converged.jsonl')),
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
    const rolledBackGoal: ConvergenceGoal = { kind: 'update', statusBefore: null, expectRollout: true };
    const done = judge(serviceFixture('snapshot-update-rolled-back.txt'), rolledBackGoal);
    assert.equal(done.outcome, 'failed');
    assert.match((done as { reason: string }).reason, /the update of web failed and swarm rolled it back/);
  });

  it('a paused update fails with the rejected tasks\' errors', () => {
    const text = snapshot(inspectText('inspect-newnginx-update-paused.json'), serviceFixture('ps-newnginx-update-paused-all.jsonl'));
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
    const verdict = judge(snapshot(JSON.stringify(paused), serviceFixture('ps-newnginx-update-paused-all.jsonl')), { kind: 'update', statusBefore, expectRollout: true });
    assert.equal(verdict.outcome, 'waiting');
    assert.match((verdict as { progress: string }).progress, /waiting for swarm to start the rollout/);
  });

  it('tasks that cannot be placed keep it waiting, with the scheduler\'s reason', () => {
    const verdict = judge(snapshot(serviceFixture('inspect-full-options.json'), serviceFixture('ps-full-host-ports.jsonl')), { kind: 'create', statusBefore: null, expectRollout: false });
    assert.equal(verdict.outcome, 'waiting');
    assert.match((verdict as { progress: string }).progress, /^1\/3 running \(2 pending\): no suitable node \(scheduling constraints not satisfied on 2 nodes; host-mode port already in use on 1 node\) \(2 tasks\)/);
  });

  it('a global service rejected on most nodes fails', () => {
    const verdict = judge(snapshot(serviceFixture('inspect-global.json'), serviceFixture('ps-global-no-image.jsonl')), { kind: 'create', statusBefore: null, expectRollout: false });
    assert.equal(verdict.outcome, 'failed');
    assert.match((verdict as { errors: string[] }).errors[0]!, /No such image: nginx:latest/);
  });

  it('a global service is not converged before swarm scheduled a task, unless no node matches for a while', async () => {
    const text = snapshot(serviceFixture('inspect-global.json'), '');
    const goal: ConvergenceGoal = { kind: 'create', statusBefore: null, expectRollout: false };
    assert.deepEqual(judge(text, goal), { outcome: 'waiting', progress: 'no task scheduled yet', errors: [], noTasks: true });
    let clock = 0;
    const host = {
      host: 'docker01',
      async run() { return { stdout: text, stderr: '', exitCode: 0 }; },
      async putFile() { return {}; },
      async getFile() { return null; },
    };
    const report = await waitForConvergence(host, 'glob', goal, { timeoutMs: 60_000, now: () => clock, sleep: async (ms) => { clock += ms; } });
    assert.equal(report.summary, "no task: no node matches glob's placement");
    assert.equal(clock, 3000);
  });

  it('waits with progress, then returns; times out with the errors it saw', async () => {
    const converged = snapshot(inspectText('inspect-newnginx-created.json'), serviceFixture('ps-newnginx-converged.jsonl'));
    const starting = converged.replace(/"CurrentState":"Running 5 seconds ago"/, '"CurrentState":"Starting 1 second ago"');
    const answers = [starting, starting, converged];
    const progress: string[] = [];
    let clock = 0;
    const host = {
      host: 'docker01',
      async run() { return { stdout: answers.shift() ?? converged, stderr: '', exitCode: 0 }; },
      async putFile() { return {}; },
      async getFile() { return null; },
      progress: (message: string) => progress.push(message),
    };
    const report = await waitForConvergence(host, 'newnginx', { kind: 'create', statusBefore: null, expectRollout: false },
      { timeoutMs: 10_000, now: () => clock, sleep: async (ms) => { clock += ms; } });
    assert.equal(report.summary, `3/3 running ${REGISTRY}/httpd:latest`);
    assert.deepEqual(progress, ['newnginx: 2/3 running (1 starting)']);
    assert.equal(report.tasks.length, 3);

    const stuck = snapshot(serviceFixture('inspect-full-options.json'), serviceFixture('ps-full-host-ports.jsonl'));
    clock = 0;
    const stuckHost = { ...host, async run() { return { stdout: stuck, stderr: '', exitCode: 0 }; } };
    await assert.rejects(
      waitForConvergence(stuckHost, 'full', { kind: 'create', statusBefore: null, expectRollout: false },
        { timeoutMs: 2000, now: () => clock, sleep: async (ms) => { clock += ms; } }),
      /full did not converge within 2 s: 1\/3 running \(2 pending\).*task errors: no suitable node/,
    );
  });

  it('calls a rollout converged once its new tasks ran for the monitor period, as docker --detach=false does', async () => {
    const updating = serviceObject('inspect-newnginx-update-paused.json', (service) => {
      service.Spec.TaskTemplate.ContainerSpec.Image = `${REGISTRY}/testnginx:2.0@sha256:aa`;
      service.UpdateStatus = { State: 'updating', StartedAt: '2026-11-25T10:00:00Z', Message: 'update in progress' };
    });
    const newTasks = serviceFixture('ps-newnginx-converged.jsonl').replace(/httpd:latest@sha256:[0-9a-f]+/g, 'testnginx:2.0@sha256:aa');
    const text = snapshot(JSON.stringify(updating), newTasks);
    const goal: ConvergenceGoal = { kind: 'update', statusBefore: null, expectRollout: true, image: `${REGISTRY}/testnginx:2.0` };
    assert.deepEqual(judge(text, goal), { outcome: 'waiting', progress: 'updating: 3/3 running', errors: [], steady: true });
    let clock = 0;
    let polls = 0;
    const host = {
      host: 'docker01',
      async run() { polls++; return { stdout: text, stderr: '', exitCode: 0 }; },
      async putFile() { return {}; },
      async getFile() { return null; },
    };
    const report = await waitForConvergence(host, 'newnginx', goal, { timeoutMs: 60_000, now: () => clock, sleep: async (ms) => { clock += ms; } });
    assert.match(report.summary, /3\/3 running .*testnginx:2\.0 \(steady for the 5 s monitor period\)/);
    assert.equal(clock, 5000, 'the monitor period of the service (5 s), not longer');
    assert.equal(polls, 11);
  });

  it('reads again when swarm wrote the service between docker\'s read and write (update out of sequence)', async () => {
    const plan = await dockerService.plan(manager('newnginx', inspectText('inspect-newnginx-created.json')), parse({ name: 'newnginx', replicas: 4, wait: false }));
    const ran: string[] = [];
    const host = {
      host: 'docker01',
      async run(command: string) {
        ran.push(command);
        return ran.length === 1
          ? { stdout: '', stderr: 'Error response from daemon: rpc error: code = Unknown desc = update out of sequence', exitCode: 1 }
          : { stdout: 'newnginx\n', stderr: '', exitCode: 0 };
      },
      async putFile() { return {}; },
      async getFile() { return null; },
    };
    const applied = await (plan.steps[0] as Extract<Change, { kind: 'apply' }>).apply(host);
    assert.deepEqual(ran, ['docker service update --detach --replicas 4 newnginx', 'docker service update --detach --replicas 4 newnginx']);
    assert.deepEqual(applied, { converged: null });
  });

  it('an automatic rollback fails the task with the reason and the errors seen while it ran', async () => {
    const rolledBack = serviceFixture('snapshot-update-rolled-back.txt');
    // The last old task still starting when swarm says "rollback completed": the task waits for it.
    const lastStarting = rolledBack.replace(/"CurrentState":"Running ([^"]*)","DesiredState":"Running"/, '"CurrentState":"Starting $1","DesiredState":"Running"');
    const answers = [serviceFixture('snapshot-update-rollback-started.txt'), rolledBack, lastStarting];
    let clock = 0;
    const host = {
      host: 'docker01',
      async run() { return { stdout: answers.shift() ?? rolledBack, stderr: '', exitCode: 0 }; },
      async putFile() { return {}; },
      async getFile() { return null; },
    };
    await assert.rejects(
      waitForConvergence(host, 'web', { kind: 'update', statusBefore: null, expectRollout: true, image: `${REGISTRY}/nosuch:4.0` },
        { timeoutMs: 60_000, now: () => clock, sleep: async (ms) => { clock += ms; } }),
      (error: Error) => {
        assert.match(error.message, /the update of web failed and swarm rolled it back .*: update rolled back due to failure or early termination of task/);
        assert.match(error.message, new RegExp(`task errors: .*No such image: ${REGISTRY.replace(/\./g, '\\.')}/nosuch:4\\.0`));
        assert.match(error.message, /; the previous tasks run again \(3\/3 running 10\.203\.6\.11:5000\/httpd:latest\)/);
        return true;
      },
    );
  });
  describe('a rollout blocked by a task swarm cannot place', () => {
    const NODE_LS = "docker node ls --format '{{.Hostname}} {{.Status}}'";
    const BLOCKED = 'no suitable node (host-mode port already in use on 2 nodes; 1 node not available for new tasks)';
    /** newnginx rolling out testnginx:2.0: slots 2 and 3 run it, slot 1 (docker03's) is pending with the scheduler's error. */
    const blocked = snapshot(
      JSON.stringify(serviceObject('inspect-newnginx-update-paused.json', (service) => {
        service.Spec.TaskTemplate.ContainerSpec.Image = `${REGISTRY}/testnginx:2.0@sha256:aa`;
        service.UpdateStatus = { State: 'updating', StartedAt: '2026-11-25T10:00:00Z', Message: 'update in progress' };
      })),
      serviceFixture('ps-newnginx-converged.jsonl')
        .replace(/httpd:latest@sha256:[0-9a-f]+/g, 'testnginx:2.0@sha256:aa')
        .replace(/"CurrentState":"Running 5 seconds ago","DesiredState":"Running","Error":"","ID":"l7onj8spptvua9kgh7woqk5ua"(.*)"Node":"docker03"/,
          `"CurrentState":"Pending 3 seconds ago","DesiredState":"Running","Error":${JSON.stringify(JSON.stringify(BLOCKED))},"ID":"l7onj8spptvua9kgh7woqk5ua"$1"Node":""`),
    );
    const goal: ConvergenceGoal = { kind: 'update', statusBefore: null, expectRollout: true, image: `${REGISTRY}/testnginx:2.0` };

    /** A manager answering the snapshot with `blocked` and `docker node ls` with `nodes`; records when each node check ran. */
    function blockedHost(nodes: string) {
      const clock = { now: 0 };
      const nodeChecksAt: number[] = [];
      const host = {
        host: 'docker01',
        async run(command: string) {
          if (command === snapshotCommand('newnginx')) return { stdout: blocked, stderr: '', exitCode: 0 };
          if (command === NODE_LS) { nodeChecksAt.push(clock.now); return { stdout: nodes, stderr: '', exitCode: 0 }; }
          throw new Error(`unexpected command: ${command}`);
        },
        async putFile() { return {}; },
        async getFile() { return null; },
      };
      const options = { blockedGraceMs: 10_000, now: () => clock.now, sleep: async (ms: number) => { clock.now += ms; } };
      return { host, clock, nodeChecksAt, options };
    }

    it('the fixture is a rollout waiting on one pending task with the scheduler\'s error', () => {
      const { service, tasks } = parseSnapshot(blocked);
      const verdict = judgeConvergence(service, tasks, goal);
      assert.equal(verdict.outcome, 'waiting');
      assert.equal((verdict as { progress: string }).progress, `updating: 2/3 running (1 pending): ${BLOCKED}`);
    });

    it('fails after blockedGraceMs naming the service and the down node, not at the timeout', async () => {
      const { host, clock, nodeChecksAt, options } = blockedHost('docker01 Ready\ndocker02 Ready\ndocker03 Down\n');
      await assert.rejects(
        waitForConvergence(host, 'newnginx', goal, { ...options, timeoutMs: 600_000 }),
        (error: Error) => {
          assert.match(error.message, /^newnginx cannot converge while node docker03 is down: swarm cannot place 1 task elsewhere \(updating: 2\/3 running \(1 pending\)/);
          assert.match(error.message, /; bring the node back \(its dockerd\) and run again; task errors: no suitable node \(host-mode port already in use on 2 nodes/);
          return true;
        },
      );
      assert.deepEqual(nodeChecksAt, [10_000], 'the nodes are asked about once the task was pending for the grace period, not before');
      assert.equal(clock.now, 10_000);
    });

    it('keeps waiting (until the timeout) while every node is Ready', async () => {
      const { host, clock, nodeChecksAt, options } = blockedHost('docker01 Ready\ndocker02 Ready\ndocker03 Ready\n');
      await assert.rejects(
        waitForConvergence(host, 'newnginx', goal, { ...options, timeoutMs: 30_000 }),
        (error: Error) => {
          assert.match(error.message, /^newnginx did not converge within 30 s: updating: 2\/3 running \(1 pending\)/);
          assert.doesNotMatch(error.message, /cannot converge while node/);
          return true;
        },
      );
      assert.equal(clock.now, 30_000);
      assert.ok(nodeChecksAt.length > 0 && nodeChecksAt[0] === 10_000, `the nodes were asked about after the grace period: ${JSON.stringify(nodeChecksAt)}`);
    });
  });
});
