/**
 * docker_service beyond its cases (test/modules/cases/docker_service/): the
 * arguments, the steps' details a `--check -v` line does not show (retry,
 * failure message, the wait's arguments), finish() and quoting. judgeConvergence
 * is tested in service-convergence.test.ts, the wait itself in
 * conditions/service-converged.test.ts.
 */
import assert from 'node:assert/strict';
import { dockerService, type DockerServiceArgs } from '../../src/modules/docker-service.js';
import { parseServiceInspect, serviceInspect } from '../../src/facts/swarm-service.js';
import type { CommandStep, Plan, StepOutcome, WaitStep } from '../../src/modules/types.js';
import { serviceConverged } from '../../src/modules/conditions/service-converged.js';
import { factKey } from '../../src/facts/types.js';
import { fakeHost } from '../support/fake-host.js';
import { recordInvocations } from '../support/shell-argv.js';
import { serviceFixture, serviceInspectText } from '../fixtures/docker-service/index.js';

const REGISTRY = '10.203.6.11:5000';
const parse = (args: unknown): DockerServiceArgs => dockerService.schema.parse(args);
const NO_SUCH_SERVICE = { stdout: '[]\n', stderr: 'Error: no such service: web\n', exitCode: 1 };

function manager(name: string, inspect: string | typeof NO_SUCH_SERVICE) {
  return fakeHost({ host: 'docker01', factOutputs: { [factKey(serviceInspect.name, { name })]: inspect } });
}

function outcomes(list: StepOutcome[]) {
  return { all: list, byId: (id: string) => list.find((outcome) => outcome.step.id === id) };
}

describe('docker_service arguments', () => {
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

describe('docker_service steps', () => {
  it('retries the update while swarm says "out of sequence", and names the host when it fails', async () => {
    const plan = await dockerService.plan(manager('newnginx', serviceInspectText('inspect-newnginx-created.json')), parse({ name: 'newnginx', replicas: 4, wait: false }));
    const [update] = plan.steps as CommandStep[];
    assert.equal(plan.steps.length, 1);
    assert.equal(update!.command, 'docker service update --detach --replicas 4 newnginx');
    assert.deepEqual(update!.retry, { whileOutputMatches: 'out of sequence', attempts: 3, delayMs: 500 });
    assert.equal(update!.failMessage, 'docker service update --replicas 4 newnginx failed on docker01');
  });

  it('waits on service_converged with what the change expects, arguments its schema takes', async () => {
    const paused = serviceInspectText('inspect-newnginx-update-paused.json');
    const plan = await dockerService.plan(manager('newnginx', paused), parse({ name: 'newnginx', image: `${REGISTRY}/httpd:2.0`, timeout: 60 }));
    const wait = plan.steps[1] as WaitStep;
    assert.equal(wait.condition, 'service_converged');
    assert.equal(wait.timeoutMs, 60_000);
    assert.equal(wait.intervalMs, 500);
    assert.deepEqual(wait.args, {
      service: 'newnginx', kind: 'update', expectRollout: true, image: `${REGISTRY}/httpd:2.0`,
      statusBefore: parseServiceInspect(paused).updateStatus,
    });
    assert.doesNotThrow(() => serviceConverged.schema.parse(wait.args));

    const rollback = await dockerService.plan(manager('newnginx', paused), parse({ name: 'newnginx', rollback: true }));
    assert.match((rollback.steps[0] as CommandStep).failMessage!, /^docker service update --rollback newnginx \(back to 10\.203\.6\.11:5000\/httpd:latest\) failed on docker01$/);
    assert.deepEqual({ ...(rollback.steps[1] as WaitStep).args, statusBefore: undefined }, {
      service: 'newnginx', kind: 'rollback', expectRollout: true, image: parseServiceInspect(paused).previousImage, statusBefore: undefined,
    });
  });

  it('waits for a rollout already in progress without a change, saying so if it fails', async () => {
    const updating = serviceInspectText('inspect-newnginx-created.json', (service) => {
      service.UpdateStatus = { State: 'updating', StartedAt: '2026-11-25T10:00:00Z', Message: 'update in progress' };
    });
    const plan = await dockerService.plan(manager('newnginx', updating), parse({ name: 'newnginx', replicas: 3 }));
    assert.deepEqual(plan.steps.map((step) => step.kind), ['wait']);
    assert.equal((plan.steps[0] as WaitStep).args.resumed, true);
    assert.equal(plan.msg, undefined);
  });

  it('quotes every value it puts on the command line', async () => {
    const hostile = "x'; touch /tmp/pwned; echo '";
    const plan = await dockerService.plan(manager('web', NO_SUCH_SERVICE), parse({
      name: 'web', image: 'nginx', env: { MESSAGE: hostile }, labels: { note: '$(id)' }, constraints: [`node.labels.zone==${hostile}`],
    }));
    const words = recordInvocations((plan.steps[0] as CommandStep).command, ['docker'])[0]!.args;
    assert.ok(words.includes(`MESSAGE=${hostile}`));
    assert.ok(words.includes('note=$(id)'));
    assert.ok(words.includes(`node.labels.zone==${hostile}`));
  });
});

describe('docker_service finish', () => {
  const service = parseServiceInspect(serviceFixture('inspect-newnginx-created.json'));
  const waited = { summary: `3/3 running ${REGISTRY}/httpd:latest`, seconds: 4.5, tasks: [{ name: 'newnginx.1', node: 'docker03', state: 'running' }], service };

  async function planFor(inspect: string, args: DockerServiceArgs): Promise<Plan> {
    return dockerService.plan(manager(args.name, inspect), args);
  }

  it('reports the convergence after a change', async () => {
    const args = parse({ name: 'newnginx', replicas: 4 });
    const plan = await planFor(serviceInspectText('inspect-newnginx-created.json'), args);
    const result = dockerService.finish!(args, outcomes([
      { step: plan.steps[0]!, run: { stdout: 'newnginx\n', stderr: '', exitCode: 0 } },
      { step: plan.steps[1]!, waited },
    ]), plan);
    assert.deepEqual(result, {
      converged: true, convergence: waited.summary, seconds: 4.5, tasks: waited.tasks,
      service_id: service.id, image: service.image, mode: 'replicated', replicas: 3, published: service.publish, update_status: null,
    });
  });

  it('says converged: null when it did not wait, and nothing when nothing ran', async () => {
    const args = parse({ name: 'newnginx', replicas: 4, wait: false });
    const plan = await planFor(serviceInspectText('inspect-newnginx-created.json'), args);
    assert.deepEqual(dockerService.finish!(args, outcomes([{ step: plan.steps[0]!, run: { stdout: '', stderr: '', exitCode: 0 } }]), plan), { converged: null });
    assert.deepEqual(dockerService.finish!(args, outcomes([]), { steps: [] }), {});
  });

  it('a rollout already in progress that finished: the service as it is now, and the message', async () => {
    const args = parse({ name: 'newnginx', replicas: 3 });
    const plan = await planFor(serviceInspectText('inspect-newnginx-created.json', (s) => {
      s.UpdateStatus = { State: 'updating', StartedAt: '2026-11-25T10:00:00Z', Message: 'update in progress' };
    }), args);
    const result = dockerService.finish!(args, outcomes([{ step: plan.steps[0]!, waited }]), plan);
    assert.equal(result.msg, `newnginx: the rollout already in progress finished: 3/3 running ${REGISTRY}/httpd:latest`);
    assert.equal(result.update_status, null);
    assert.equal(result.converged, undefined);
  });
});
