/**
 * docker_registry beyond its cases (test/modules/cases/docker_registry/):
 * the docker run's arguments as words, and what the steps do when docker run
 * fails on a taken port, run by the step executor against a scripted host.
 */
import assert from 'node:assert/strict';
import { dockerRegistry } from '../../src/modules/registry.js';
import type { Plan } from '../../src/modules/types.js';
import type { Connection, RunResult } from '../../src/transport/types.js';
import { executeSteps } from '../../src/runner/step-executor.js';
import { fakeHost } from '../support/fake-host.js';
import { recordInvocations } from '../support/shell-argv.js';
import { fixture } from '../fixtures/docker/index.js';

const parse = (args: unknown) => dockerRegistry.schema.parse(args);
const ok = (stdout = ''): RunResult => ({ stdout, stderr: '', exitCode: 0 });

function freshHost() {
  return fakeHost({
    host: 'docker01',
    factOutputs: {
      'container_inspect {"name":"registry"}': { stdout: '', stderr: 'Error: No such container: registry', exitCode: 1 },
      'tcp_connect {"host":"127.0.0.1","port":5000}': { stdout: '', stderr: '', exitCode: 1 },
    },
  });
}

function scriptedConnection(answer: (command: string) => RunResult) {
  const ran: string[] = [];
  const conn: Connection = {
    host: 'docker01',
    async run(command) { ran.push(command); return answer(command); },
    async putFile() { throw new Error('not used'); },
    async getFile() { return null; },
    async close() {},
  };
  return { conn, ran };
}

async function finish(plan: Plan, conn: Connection) {
  const { outcomes, failedMsg } = await executeSteps({ host: 'docker01', conn }, plan.steps);
  const result = dockerRegistry.finish!(parse({}), { all: outcomes, byId: (id) => outcomes.find((o) => o.step.id === id) }, plan);
  return { result, failedMsg };
}

describe('docker_registry module', () => {
  it('passes the container\'s settings to docker run as single words', async () => {
    const plan = await dockerRegistry.plan(freshHost(), parse({}));
    const run = plan.steps.find((step) => step.kind === 'command' && step.command.startsWith('docker run'));
    assert.ok(run && run.kind === 'command');
    assert.deepEqual(recordInvocations(run.command, ['docker']), [{
      program: 'docker',
      args: ['run', '-d', '--name', 'registry', '--restart', 'always', '-p', '5000:5000', '-v', '/var/lib/registry:/var/lib/registry', 'registry'],
    }]);
  });

  it('runs the container and returns what /v2/ answered', async () => {
    const plan = await dockerRegistry.plan(freshHost(), parse({}));
    const { conn, ran } = scriptedConnection((command) => (command.includes('/dev/tcp') ? ok('HTTP/1.1 200 OK\nContent-Length: 2\n') : ok('0123abcd\n')));
    const { result, failedMsg } = await finish(plan, conn);
    assert.equal(failedMsg, undefined);
    assert.deepEqual(result, { v2: 'answers /v2/ (HTTP 200)' });
    assert.equal(ran[0], 'mkdir -p -- /var/lib/registry');
  });

  it('removes the half-made container when docker run still fails on the port, and says the port is taken', async () => {
    const plan = await dockerRegistry.plan(freshHost(), parse({}));
    const { conn, ran } = scriptedConnection((command) => (command.startsWith('docker run') ? { stdout: '', stderr: fixture('run-port-taken.txt'), exitCode: 125 } : ok()));
    const { failedMsg } = await finish(plan, conn);
    assert.match(failedMsg!, /^port 5000 on docker01 is already in use: the registry cannot listen there; free the port or choose another: .*port is already allocated/s);
    assert.equal(ran.at(-1), 'docker rm -f registry');
  });

  it('says what docker run said when it fails otherwise', async () => {
    const plan = await dockerRegistry.plan(freshHost(), parse({}));
    const { conn } = scriptedConnection((command) => (command.startsWith('docker run') ? { stdout: '', stderr: 'Unable to find image \'registry:latest\' locally\npull access denied', exitCode: 125 } : ok()));
    assert.match((await finish(plan, conn)).failedMsg!, /^docker run of the registry failed on docker01: .*pull access denied/s);
  });
});
