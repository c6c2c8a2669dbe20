import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dockerDaemon, conflictingDaemonJsonKeys, renderUnit } from '../../src/modules/docker-daemon.js';
import { DOCKER_INFO_COMMAND } from '../../src/modules/docker-cli.js';
import type { Change } from '../../src/modules/types.js';
import { fakeHost } from '../support/fake-host.js';
import { fixture, jsonFixture, fakeApply, ok, fail } from '../fixtures/docker/index.js';

// dist/test/modules -> the repository's playbooks/ folder (the template is found in ../templates from there).
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const playbookDir = path.join(repo, 'playbooks');
const UNIT = '/etc/systemd/system/docker.service';
const parse = (args: unknown) => dockerDaemon.schema.parse(args);
const applyOf = (change: Change | undefined) => change as Extract<Change, { kind: 'apply' }>;

function host(files: Record<string, string> = {}, info = fixture('info-inactive.json')) {
  return fakeHost({ playbookDir, files, probes: { 'command -v dockerd': '/usr/sbin/dockerd\n', [DOCKER_INFO_COMMAND]: info } });
}

describe('docker_daemon module', () => {
  it('renders the seed\'s ExecStart from templates/docker.service.hbs, with no containerd flag unless asked', async () => {
    const plan = await dockerDaemon.plan(host(), parse({ insecure_registries: ['10.251.0.1:5000'] }));
    assert.equal(plan.failed, undefined);
    assert.equal(plan.result?.exec_start, 'ExecStart=/usr/sbin/dockerd -H unix:// --insecure-registry 10.251.0.1:5000');
    assert.equal(plan.steps.length, 1);
    const unit = plan.diffs![0]!.after;
    assert.match(unit, /^\[Service\]\nType=notify$/m);
    assert.doesNotMatch(unit, /containerd=|Requires=docker.socket|\{\{/);
    const withContainerd = await dockerDaemon.plan(host(), parse({ containerd_socket: '/run/containerd/containerd.sock', extra_flags: ['--log-level=warn'] }));
    assert.equal(withContainerd.result?.exec_start, 'ExecStart=/usr/sbin/dockerd -H unix:// --containerd=/run/containerd/containerd.sock --log-level=warn');
  });

  it('changes nothing when the unit is in place and docker runs with its registries (a second run)', async () => {
    const first = await dockerDaemon.plan(host(), parse({ insecure_registries: ['10.251.0.1:5000'] }));
    const second = await dockerDaemon.plan(host({ [UNIT]: first.diffs![0]!.after }), parse({ insecure_registries: ['10.251.0.1:5000'] }));
    assert.deepEqual(second.steps, []);
  });

  it('restarts only, when the unit is right but the running daemon lacks the registry', async () => {
    const first = await dockerDaemon.plan(host(), parse({ insecure_registries: ['10.9.0.1:5000'] }));
    const plan = await dockerDaemon.plan(host({ [UNIT]: first.diffs![0]!.after }), parse({ insecure_registries: ['10.9.0.1:5000'] }));
    assert.equal(plan.steps.length, 1);
    assert.match(plan.msg!, /runs without --insecure-registry 10\.9\.0\.1:5000/);
    assert.equal(plan.diffs, undefined);
  });

  it('refuses a daemon.json that sets what the unit sets, before changing anything', async () => {
    const files = { '/etc/docker/daemon.json': '{"insecure-registries": ["x:5000"], "hosts": ["fd://"], "log-level": "info"}' };
    const plan = await dockerDaemon.plan(host(files), parse({ insecure_registries: ['10.251.0.1:5000'] }));
    assert.deepEqual(plan.steps, []);
    assert.match(plan.failed!, /daemon\.json on fake01 sets hosts, insecure-registries, which the unit also passes as flags.*nothing was changed/);
    assert.deepEqual(conflictingDaemonJsonKeys(['--log-level=warn', '--registry-mirror'], { 'log-level': 'x', 'registry-mirrors': [] }), ['log-level', 'registry-mirrors']);
    const broken = await dockerDaemon.plan(host({ '/etc/docker/daemon.json': '{oops' }), parse({}));
    assert.match(broken.failed!, /not valid JSON/);
  });

  it('refuses values that would break the unit line, and a host without dockerd', async () => {
    assert.equal(dockerDaemon.schema.safeParse({ insecure_registries: ['a:5000 --debug'] }).success, false);
    assert.equal(dockerDaemon.schema.safeParse({ extra_flags: ['--x=$HOME'] }).success, false);
    assert.equal(dockerDaemon.schema.safeParse({ extra_flags: ['debug'] }).success, false);
    const none = fakeHost({ playbookDir, probes: { 'command -v dockerd': { stdout: '', stderr: '', exitCode: 1 } } });
    assert.match((await dockerDaemon.plan(none, parse({}))).failed!, /dockerd is not installed on fake01/);
  });

  it('a strict template: a misspelt name fails rendering', () => {
    assert.throws(() => renderUnit('ExecStart={{dockerd_pth}}', 't.hbs', { dockerd_path: '/d', hosts: [], insecure_registries: [], extra_flags: [] }), /cannot render t\.hbs/);
    const template = readFileSync(path.join(repo, 'templates', 'docker.service.hbs'), 'utf8');
    assert.match(renderUnit(template, 't', { dockerd_path: '/usr/bin/dockerd', hosts: ['unix://'], insecure_registries: ['a:1', 'b:2'], extra_flags: [] }),
      /^ExecStart=\/usr\/bin\/dockerd -H unix:\/\/ --insecure-registry a:1 --insecure-registry b:2$/m);
  });

  it('writes the unit, reloads, restarts and waits', async () => {
    const plan = await dockerDaemon.plan(host(), parse({ insecure_registries: ['10.251.0.1:5000'], timeout: 5 }));
    const apply = fakeApply(() => ok());
    assert.deepEqual(await applyOf(plan.steps[0]).apply(apply), { restarted: true });
    assert.equal(apply.ran[0], `putFile ${UNIT}`);
    assert.equal(apply.ran[1], 'systemctl daemon-reload && systemctl restart docker');
    assert.match(apply.ran[2]!, /docker info/);
    assert.equal(apply.written.get(UNIT), plan.diffs![0]!.after);
  });

  it('puts the previous unit back and restarts docker with it when the new one fails', async () => {
    const previous = '[Service]\nExecStart=/usr/sbin/dockerd -H fd://\n';
    const plan = await dockerDaemon.plan(host({ [UNIT]: previous }), parse({ insecure_registries: ['10.251.0.1:5000'], timeout: 5 }));
    let restarts = 0;
    const apply = fakeApply((command) => {
      if (command.startsWith('systemctl daemon-reload')) return ++restarts === 1 ? fail('Job for docker.service failed') : ok();
      if (command.startsWith('systemctl status')) return ok('docker.service - failed');
      return ok();
    }, { [UNIT]: previous });
    await assert.rejects(applyOf(plan.steps[0]).apply(apply), /did not start with the new .*Job for docker.service failed[\s\S]*previous unit was restored and docker runs again/);
    assert.equal(apply.written.get(UNIT)?.toString(), previous);
    assert.equal(restarts, 2);
  });

  it('removes a unit it created when docker fails with it', async () => {
    const plan = await dockerDaemon.plan(host(), parse({ timeout: 5 }));
    let restarts = 0;
    const apply = fakeApply((command) => (command.startsWith('systemctl daemon-reload') ? (++restarts === 1 ? fail('bad') : ok()) : ok()));
    await assert.rejects(applyOf(plan.steps[0]).apply(apply));
    assert.ok(apply.ran.includes(`rm -f -- ${UNIT}`));
  });

  it('a running daemon answering with the flags from the fixture counts', async () => {
    const info = jsonFixture('info-manager.json');
    const first = await dockerDaemon.plan(host({}, info), parse({ insecure_registries: ['10.251.0.1:5000'] }));
    assert.deepEqual((await dockerDaemon.plan(host({ [UNIT]: first.diffs![0]!.after }, info), parse({ insecure_registries: ['10.251.0.1:5000'] }))).steps, []);
  });
});
