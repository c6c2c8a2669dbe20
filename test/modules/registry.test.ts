import assert from 'node:assert/strict';
import { dockerRegistry, v2Probe } from '../../src/modules/registry.js';
import { containerInspectCommand, tcpConnectProbe } from '../../src/modules/docker-cli.js';
import type { Change } from '../../src/modules/types.js';
import { fakeHost } from '../support/fake-host.js';
import { recordInvocations } from '../support/shell-argv.js';
import { fixture, jsonFixture, fakeApply, ok, fail } from '../fixtures/docker/index.js';

const INSPECT = containerInspectCommand('registry');
const MISSING = { stdout: '', stderr: 'Error: No such container: registry', exitCode: 1 };
const FREE = { [tcpConnectProbe('127.0.0.1', 5000)]: { stdout: '', stderr: '', exitCode: 1 } };
/** The captured container with the data folder the module defaults to. */
const running = jsonFixture('container-inspect-registry.json', (c) => { c.Mounts[0].Source = '/var/lib/registry'; });
const parse = (args: unknown) => dockerRegistry.schema.parse(args);
const applyOf = (change: Change | undefined) => change as Extract<Change, { kind: 'apply' }>;

describe('docker_registry module', () => {
  it('runs the seed\'s container with a data folder, then waits for /v2/', async () => {
    const host = fakeHost({ probes: { [INSPECT]: MISSING, ...FREE } });
    const plan = await dockerRegistry.plan(host, parse({}));
    assert.equal(plan.steps.length, 1);
    const apply = fakeApply((command) => (command === v2Probe(5000) ? ok('HTTP/1.1 200 OK\nContent-Length: 2\n') : ok()));
    assert.deepEqual(await applyOf(plan.steps[0]).apply(apply), { v2: 'answers /v2/ (HTTP 200)' });
    assert.deepEqual(recordInvocations(apply.ran[1]!, ['docker']), [{
      program: 'docker',
      args: ['run', '-d', '--name', 'registry', '--restart', 'always', '-p', '5000:5000', '-v', '/var/lib/registry:/var/lib/registry', 'registry'],
    }]);
    assert.equal(apply.ran[0], 'mkdir -p -- /var/lib/registry');
  });

  it('is ok when the container runs as asked and answers /v2/ (a second run)', async () => {
    const host = fakeHost({ probes: { [INSPECT]: running, [v2Probe(5000)]: 'HTTP/1.1 200 OK\n' } });
    const plan = await dockerRegistry.plan(host, parse({}));
    assert.deepEqual(plan.steps, []);
    assert.match(plan.msg!, /HTTP 200/);
    const noBash = await dockerRegistry.plan(fakeHost({ probes: { [INSPECT]: running, [v2Probe(5000)]: { stdout: '', stderr: '', exitCode: 127 } } }), parse({}));
    assert.deepEqual(noBash.steps, []);
    assert.match(noBash.msg!, /skipped: no bash/);
  });

  it('replaces a container that differs, starts a stopped one', async () => {
    const wrongPort = await dockerRegistry.plan(fakeHost({ probes: { [INSPECT]: running, [tcpConnectProbe('127.0.0.1', 5001)]: { stdout: '', stderr: '', exitCode: 1 } } }), parse({ port: 5001 }));
    assert.match(wrongPort.steps[0]!.description, /replace/);
    assert.match(wrongPort.msg!, /port 5000 \(wanted 5001\)/);
    const stopped = jsonFixture('container-inspect-registry.json', (c) => { c.Mounts[0].Source = '/var/lib/registry'; c.State.Running = false; });
    const plan = await dockerRegistry.plan(fakeHost({ probes: { [INSPECT]: stopped } }), parse({}));
    assert.match(plan.steps[0]!.description, /start the stopped registry container/);
  });

  it('fails before running anything when the port is taken, naming the container that holds it', async () => {
    const probes = {
      [INSPECT]: MISSING,
      [tcpConnectProbe('127.0.0.1', 5000)]: '',
      "docker ps --filter publish=5000 --format '{{.Names}}'": 'webapp\n',
    };
    const plan = await dockerRegistry.plan(fakeHost({ probes }), parse({}));
    assert.deepEqual(plan.steps, []);
    assert.match(plan.failed!, /port 5000 on fake01 is already in use by container webapp/);
  });

  it('removes the half-created container when docker run still fails on the port', async () => {
    const plan = await dockerRegistry.plan(fakeHost({ probes: { [INSPECT]: MISSING, ...FREE } }), parse({}));
    const taken = fixture('run-port-taken.txt');
    const apply = fakeApply((command) => (command.startsWith('docker run') ? fail(taken, 125) : ok()));
    await assert.rejects(applyOf(plan.steps[0]).apply(apply), /port 5000 on fake01 is already in use: the registry cannot listen there/);
    assert.equal(apply.ran.at(-1), 'docker rm -f registry');
  });

  it('removes the container with state absent, and is ok when there is none', async () => {
    const plan = await dockerRegistry.plan(fakeHost({ probes: { [INSPECT]: running } }), parse({ state: 'absent' }));
    assert.equal((plan.steps[0] as Extract<Change, { kind: 'command' }>).command, 'docker rm -f registry');
    assert.deepEqual((await dockerRegistry.plan(fakeHost({ probes: { [INSPECT]: MISSING } }), parse({ state: 'absent' }))).steps, []);
  });
});
