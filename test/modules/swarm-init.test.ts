import assert from 'node:assert/strict';
import { swarmInit, resolveAdvertiseAddress, joinTokenCommand } from '../../src/modules/swarm-init.js';
import { DOCKER_INFO_COMMAND } from '../../src/modules/docker-cli.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { fakeHost } from '../support/fake-host.js';
import { fixture, jsonFixture, fakeApply, ok } from '../fixtures/docker/index.js';

const WORKER_TOKEN = 'SWMTKN-1-1111111111111111111111111111111111111111111111111-aaaaaaaaaaaaaaaaaaaaaaaaa';
const MANAGER_TOKEN = 'SWMTKN-1-1111111111111111111111111111111111111111111111111-bbbbbbbbbbbbbbbbbbbbbbbbb';
const facts: Partial<HostFacts> = { interfaces: [{ name: 'lo', ipv4: ['127.0.0.1'] }, { name: 'eth0', ipv4: ['10.251.0.1'] }], defaultIpv4: '10.251.0.1' };
const tokens = { [joinTokenCommand('worker')]: `${WORKER_TOKEN}\n`, [joinTokenCommand('manager')]: `${MANAGER_TOKEN}\n` };
const parse = (args: unknown) => swarmInit.schema.parse(args);

describe('swarm_init module', () => {
  it('plans docker swarm init on an inactive node and returns the tokens after it', async () => {
    const host = fakeHost({ facts, probes: { [DOCKER_INFO_COMMAND]: fixture('info-inactive.json') } });
    const plan = await swarmInit.plan(host, parse({ advertise_addr: '10.251.0.1' }));
    assert.equal(plan.failed, undefined);
    assert.equal(plan.steps.length, 1);
    assert.equal(plan.result?.manager_addr, '10.251.0.1:2377');
    assert.deepEqual(host.probed, [DOCKER_INFO_COMMAND], 'planning only reads');

    const change = plan.steps[0]!;
    assert.equal(change.kind, 'apply');
    assert.doesNotMatch(change.description, /SWMTKN/);
    const apply = fakeApply((command) => {
      if (command === 'docker swarm init --advertise-addr 10.251.0.1') return ok('Swarm initialized');
      if (command === DOCKER_INFO_COMMAND) return ok(fixture('info-manager.json'));
      return tokens[command] === undefined ? undefined : ok(tokens[command]);
    });
    const applied = await (change as Extract<typeof change, { kind: 'apply' }>).apply(apply);
    assert.deepEqual(applied, {
      join_token_worker: WORKER_TOKEN, join_token_manager: MANAGER_TOKEN,
      manager_addr: '10.251.0.1:2377', node_id: '9a8l30g1qbxzon92yoa4oz88h', cluster_id: 'lmnaf1pffqmyelw64zozlhvez',
    });
    assert.deepEqual(swarmInit.finish!(parse({}), [{ change, applied: applied! }], plan), applied);
  });

  it('is ok on a node that already manages a swarm, and still returns the tokens', async () => {
    const host = fakeHost({ facts, probes: { [DOCKER_INFO_COMMAND]: fixture('info-manager.json'), ...tokens } });
    const plan = await swarmInit.plan(host, parse({ advertise_addr: '10.251.0.1' }));
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.result?.join_token_worker, WORKER_TOKEN);
    assert.equal(plan.result?.manager_addr, '10.251.0.1:2377');
    assert.doesNotMatch(plan.msg ?? '', /SWMTKN/);
  });

  it('refuses an advertise address the host does not have, before touching docker', async () => {
    const host = fakeHost({ facts, probes: { [DOCKER_INFO_COMMAND]: fixture('info-inactive.json') } });
    const plan = await swarmInit.plan(host, parse({ advertise_addr: '10.9.9.9' }));
    assert.deepEqual(plan.steps, []);
    assert.match(plan.failed!, /advertise address 10\.9\.9\.9 is not an address of fake01 \(its interfaces: lo 127\.0\.0\.1; eth0 10\.251\.0\.1\)/);
  });

  it('fails clearly on a worker of another swarm and on a pending node', async () => {
    const worker = jsonFixture('info-manager.json', (info) => { info.Swarm.ControlAvailable = false; });
    const plan = await swarmInit.plan(fakeHost({ facts, probes: { [DOCKER_INFO_COMMAND]: worker } }), parse({}));
    assert.match(plan.failed!, /fake01 is a worker of another swarm \(managers: 10\.251\.0\.1:2377\)/);
    const pending = await swarmInit.plan(fakeHost({ facts, probes: { [DOCKER_INFO_COMMAND]: fixture('info-pending.json') } }), parse({}));
    assert.match(pending.failed!, /swarm state is 'pending'.*swarm_leave/);
  });

  it('resolves the advertise address from an interface name or the default route', () => {
    const full = { hostname: 'h', os: {} as HostFacts['os'], docker: { installed: true }, ...facts } as HostFacts;
    assert.deepEqual(resolveAdvertiseAddress('h', full, 'eth0'), { address: '10.251.0.1' });
    assert.deepEqual(resolveAdvertiseAddress('h', full, undefined), { address: '10.251.0.1' });
    assert.match((resolveAdvertiseAddress('h', full, 'eth9') as { error: string }).error, /neither an address nor an interface/);
    const noRoute = { ...full, defaultIpv4: undefined, interfaces: [...full.interfaces, { name: 'eth1', ipv4: ['10.0.0.2'] }] };
    assert.match((resolveAdvertiseAddress('h', noRoute, undefined) as { error: string }).error, /set advertise_addr/);
  });
});
