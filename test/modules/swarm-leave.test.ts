import assert from 'node:assert/strict';
import { swarmLeave } from '../../src/modules/swarm-leave.js';
import { DOCKER_INFO_COMMAND } from '../../src/modules/docker-cli.js';
import type { Change } from '../../src/modules/types.js';
import { fakeHost } from '../support/fake-host.js';
import { fixture, jsonFixture } from '../fixtures/docker/index.js';

const plan = (info: string, args: unknown = {}) => swarmLeave.plan(fakeHost({ probes: { [DOCKER_INFO_COMMAND]: info } }), swarmLeave.schema.parse(args));
const command = (change: Change | undefined) => (change as Extract<Change, { kind: 'command' }>).command;

describe('swarm_leave module', () => {
  it('is ok on a node in no swarm', async () => {
    assert.deepEqual((await plan(fixture('info-inactive.json'))).changes, []);
  });

  it('leaves as a worker; a manager only with force', async () => {
    const worker = jsonFixture('info-manager.json', (info) => { info.Swarm.ControlAvailable = false; });
    assert.equal(command((await plan(worker)).changes[0]), 'docker swarm leave');
    const refused = await plan(fixture('info-manager.json'));
    assert.deepEqual(refused.changes, []);
    assert.match(refused.failed!, /is a swarm manager: demote it first.*force: true/);
    assert.equal(command((await plan(fixture('info-manager.json'), { force: true })).changes[0]), 'docker swarm leave --force');
  });

  it('cancels a pending join with --force', async () => {
    assert.equal(command((await plan(fixture('info-pending.json'))).changes[0]), 'docker swarm leave --force');
  });
});
