/**
 * docker_daemon beyond its cases (test/modules/cases/docker_daemon/): the
 * template's rendering, the daemon.json check, a second run on the unit the
 * first one wrote, and what the steps do when docker does not come back,
 * run by the step executor against a scripted host.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { dockerDaemon, conflictingDaemonJsonKeys, renderUnit } from '../../src/modules/docker-daemon.js';
import type { Plan } from '../../src/modules/types.js';
import type { Connection, RunResult } from '../../src/transport/types.js';
import { describeStep, executeSteps } from '../../src/runner/step-executor.js';
import { applyWrites, fakeHost } from '../support/fake-host.js';
import { REPO_ROOT } from '../support/cli.js';
import { fixture } from '../fixtures/docker/index.js';

const UNIT = '/etc/systemd/system/docker.service';
const RESTART = 'systemctl daemon-reload && systemctl restart docker';
const parse = (args: unknown) => dockerDaemon.schema.parse(args);
const ok = (stdout = ''): RunResult => ({ stdout, stderr: '', exitCode: 0 });
const fail = (stderr: string, exitCode = 1): RunResult => ({ stdout: '', stderr, exitCode });

function host(files: Record<string, string> = {}, info: RunResult | string = fixture('info-inactive.json')) {
  return fakeHost({ files, probes: { 'command -v dockerd': '/usr/sbin/dockerd\n' }, factOutputs: { docker_info: info } });
}

/** A host that answers commands from a script and keeps written files; records what ran. */
function scriptedConnection(answer: (command: string) => RunResult, files: Record<string, string> = {}) {
  const written = new Map<string, string>(Object.entries(files));
  const ran: string[] = [];
  const conn: Connection = {
    host: 'docker01',
    async run(command) {
      ran.push(command);
      return answer(command);
    },
    async putFile(file, content) {
      ran.push(`write ${file}`);
      written.set(file, content.toString());
      return {};
    },
    async getFile(file) {
      return written.has(file) ? Buffer.from(written.get(file)!) : null;
    },
    async close() {},
  };
  return { conn, ran, written };
}

async function execute(plan: Plan, conn: Connection) {
  return executeSteps({ host: 'docker01', conn }, plan.steps);
}

describe('docker_daemon module', () => {
  it('renders templates/docker.service.hbs strictly: a misspelt name fails rendering', async () => {
    await assert.rejects(() => renderUnit('ExecStart={{dockerd_pth}}', 't.hbs', { dockerd_path: '/d', hosts: [], insecure_registries: [], extra_flags: [] }), /cannot render t\.hbs/);
    const template = readFileSync(path.join(REPO_ROOT, 'templates', 'docker.service.hbs'), 'utf8');
    const unit = await renderUnit(template, 't', { dockerd_path: '/usr/bin/dockerd', hosts: ['unix://'], insecure_registries: ['a:1', 'b:2'], extra_flags: [] });
    assert.match(unit, /^ExecStart=\/usr\/bin\/dockerd -H unix:\/\/ --insecure-registry a:1 --insecure-registry b:2$/m);
    assert.match(unit, /^\[Service\]\nType=notify$/m);
    assert.doesNotMatch(unit, /containerd=|Requires=docker.socket|\{\{/);
  });

  it('finds the daemon.json keys a flag also sets, by flag name and by daemon.json name', () => {
    assert.deepEqual(conflictingDaemonJsonKeys(['--log-level=warn', '--registry-mirror'], { 'log-level': 'x', 'registry-mirrors': [] }), ['log-level', 'registry-mirrors']);
    assert.deepEqual(conflictingDaemonJsonKeys(['-H', '--insecure-registry'], { hosts: [], 'insecure-registries': [], debug: true }), ['hosts', 'insecure-registries']);
    assert.deepEqual(conflictingDaemonJsonKeys(['-H'], { debug: true }), []);
  });

  it('refuses values that would break the unit line', () => {
    assert.equal(dockerDaemon.schema.safeParse({ insecure_registries: ['a:5000 --debug'] }).success, false);
    assert.equal(dockerDaemon.schema.safeParse({ extra_flags: ['--x=$HOME'] }).success, false);
    assert.equal(dockerDaemon.schema.safeParse({ extra_flags: ['debug'] }).success, false);
    assert.equal(dockerDaemon.schema.safeParse({ dockerd_path: 'dockerd' }).success, false);
  });

  describe('a second run, on the unit the first one wrote', () => {
    async function secondRun(registries: string[], info?: RunResult | string): Promise<Plan> {
      const first = host();
      applyWrites(first, await dockerDaemon.plan(first, parse({ insecure_registries: registries })));
      return dockerDaemon.plan(host({ [UNIT]: first.files.get(UNIT)!.toString() }, info), parse({ insecure_registries: registries }));
    }

    it('changes nothing when docker runs with the registries asked for', async () => {
      assert.deepEqual((await secondRun(['10.251.0.1:5000'])).steps, []);
      assert.deepEqual((await secondRun(['10.251.0.1:5000'], fixture('info-manager.json'))).steps, []);
    });

    it('restarts only when the running daemon lacks a registry (a run stopped before its restart)', async () => {
      const plan = await secondRun(['10.9.0.1:5000']);
      assert.deepEqual(plan.steps.map(describeStep), [`run: ${RESTART}`, 'wait: docker to answer (up to 60 s)']);
      assert.equal(plan.msg, 'docker runs without --insecure-registry 10.9.0.1:5000');
      assert.equal(plan.diffs, undefined);
    });

    it('restarts only when docker does not answer', async () => {
      const down = { stdout: '{"ServerErrors":["Cannot connect to the Docker daemon at unix:///var/run/docker.sock"]}', stderr: '', exitCode: 1 };
      const plan = await secondRun([], down);
      assert.deepEqual(plan.steps.map(describeStep), [`run: ${RESTART}`, 'wait: docker to answer (up to 60 s)']);
      assert.equal(plan.msg, 'docker does not answer on fake01');
    });
  });

  it('the restart and the wait each put the previous unit back on failure: status, restore, restart, wait', async () => {
    const plan = await dockerDaemon.plan(host({ [UNIT]: 'old unit\n' }), parse({}));
    for (const step of plan.steps.slice(1)) {
      assert.deepEqual(step.onFailure?.steps.map(describeStep), [
        'run: systemctl status docker 2>&1 | tail -n 15',
        `write: ${UNIT} (mode 0644)`,
        `run: ${RESTART}`,
        'wait: docker to answer (up to 60 s)',
      ]);
    }
    const fresh = await dockerDaemon.plan(host(), parse({}));
    assert.equal(describeStep(fresh.steps[1]!.onFailure!.steps[1]!), `run: rm -f -- ${UNIT}`);
  });

  it('writes the unit, restarts docker and waits for it', async () => {
    const plan = await dockerDaemon.plan(host(), parse({ timeout: 5 }));
    const { conn, ran, written } = scriptedConnection(() => ok());
    const { failedMsg, outcomes } = await execute(plan, conn);
    assert.equal(failedMsg, undefined);
    assert.deepEqual(ran, [`write ${UNIT}`, RESTART, 'docker info']);
    assert.equal(written.get(UNIT), plan.diffs![0]!.after);
    assert.deepEqual(dockerDaemon.finish!(parse({}), { all: outcomes, byId: (id) => outcomes.find((o) => o.step.id === id) }, plan), { restarted: true });
  });

  it('when docker fails with the new unit: the previous one is put back, docker restarted with it, and the task says so', async () => {
    const previous = '[Service]\nExecStart=/usr/sbin/dockerd -H fd://\n';
    const plan = await dockerDaemon.plan(host({ [UNIT]: previous }), parse({ timeout: 5 }));
    let restarts = 0;
    const { conn, ran, written } = scriptedConnection((command) => {
      if (command === RESTART) return ++restarts === 1 ? fail('Job for docker.service failed because the control process exited with error code.') : ok();
      if (command.startsWith('systemctl status')) return ok('docker.service - Docker Application Container Engine\n   Active: failed (Result: exit-code)\n');
      return ok();
    }, { [UNIT]: previous });
    const { failedMsg } = await execute(plan, conn);
    assert.equal(failedMsg,
      `docker did not start with the new ${UNIT}: systemctl restart docker failed: Job for docker.service failed because the control process exited with error code.\n` +
      'docker.service - Docker Application Container Engine\n   Active: failed (Result: exit-code)\n' +
      'The previous unit was restored and docker runs again with it.');
    assert.equal(written.get(UNIT), previous);
    assert.deepEqual(ran, [`write ${UNIT}`, RESTART, 'systemctl status docker 2>&1 | tail -n 15', `write ${UNIT}`, RESTART, 'docker info']);
  });

  it('removes a unit it created when docker fails with it, and says when docker does not come back at all', async () => {
    const plan = await dockerDaemon.plan(host(), parse({ timeout: 1 }));
    const { conn, ran } = scriptedConnection((command) => {
      if (command === 'docker info') return fail('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
      return ok();
    });
    const { failedMsg } = await execute(plan, conn);
    assert.ok(ran.includes(`rm -f -- ${UNIT}`));
    assert.match(failedMsg!, new RegExp(`^docker did not start with the new ${UNIT}: docker did not answer within 1 s after the restart \\(last seen: exit 1: Cannot connect`));
    assert.match(failedMsg!, /\ndocker did not answer within 1 s after the restart .*\nRestoring the previous unit did not bring docker back either/);
  });
});
