/**
 * swarm_init's pure parts: the advertise address and finish(). What it plans
 * for each host state is in test/modules/cases/swarm_init/.
 */
import assert from 'node:assert/strict';
import { swarmInit, resolveAdvertiseAddress } from '../../src/modules/swarm-init.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { outcomesOf } from '../support/step-outcomes.js';
import { fakeHost } from '../support/fake-host.js';
import { caseOutput } from '../support/module-cases.js';
import { fixture } from '../fixtures/docker/index.js';

const WORKER_TOKEN = 'SWMTKN-1-1111111111111111111111111111111111111111111111111-aaaaaaaaaaaaaaaaaaaaaaaaa';
const MANAGER_TOKEN = 'SWMTKN-1-1111111111111111111111111111111111111111111111111-bbbbbbbbbbbbbbbbbbbbbbbbb';
const facts: Partial<HostFacts> = { interfaces: [{ name: 'lo', ipv4: ['127.0.0.1'] }, { name: 'eth0', ipv4: ['10.251.0.1'] }], defaultIpv4: '10.251.0.1' };
const parse = (args: unknown) => swarmInit.schema.parse(args);

describe('swarm_init module', () => {
  it('finish() hands over the tokens and the new swarm\'s IDs; no step line holds a token', async () => {
    const host = fakeHost({ facts, factOutputs: { docker_info: fixture('info-inactive.json') } });
    const plan = await swarmInit.plan(host, parse({ advertise_addr: '10.251.0.1' }));
    assert.doesNotMatch(JSON.stringify(plan.steps.map((s) => [s.description, s.kind === 'command' ? s.display ?? s.command : ''])), /SWMTKN/);
    const outcomes = outcomesOf(plan.steps, {
      init: { stdout: 'Swarm initialized: current node (9a8l30g1qbxzon92yoa4oz88h) is now a manager.\n' },
      worker_token: { stdout: `${WORKER_TOKEN}\n` },
      manager_token: { stdout: `${MANAGER_TOKEN}\n` },
      info: { stdout: fixture('info-manager.json') },
    });
    assert.deepEqual(swarmInit.finish!(parse({}), outcomes, plan), {
      join_token_worker: WORKER_TOKEN, join_token_manager: MANAGER_TOKEN,
      manager_addr: '10.251.0.1:2377', node_id: '9a8l30g1qbxzon92yoa4oz88h', cluster_id: 'lmnaf1pffqmyelw64zozlhvez',
    });
  });

  it('finish(): an unreadable docker info after the init keeps the planned manager address', async () => {
    const host = fakeHost({ facts, factOutputs: { docker_info: caseOutput({ file: 'info-inactive.json' }) } });
    const plan = await swarmInit.plan(host, parse({ advertise_addr: '10.251.0.1:2377' }));
    const outcomes = outcomesOf(plan.steps, {
      init: { stdout: '' }, worker_token: { stdout: `${WORKER_TOKEN}\n` }, manager_token: { stdout: `${MANAGER_TOKEN}\n` }, info: { stdout: '', exitCode: 1 },
    });
    assert.deepEqual(swarmInit.finish!(parse({}), outcomes, plan), {
      join_token_worker: WORKER_TOKEN, join_token_manager: MANAGER_TOKEN, manager_addr: '10.251.0.1:2377', node_id: '', cluster_id: '',
    });
    assert.deepEqual(swarmInit.finish!(parse({}), outcomesOf(plan.steps, { init: { stdout: '', exitCode: 1 } }), plan), {}, 'a failed init gives nothing');
  });

  it('resolves the advertise address from an interface name or the default route', () => {
    const full = { hostname: 'h', os: {} as HostFacts['os'], docker: { installed: true }, ...facts } as HostFacts;
    assert.deepEqual(resolveAdvertiseAddress('h', full, 'eth0'), { address: '10.251.0.1' });
    assert.deepEqual(resolveAdvertiseAddress('h', full, undefined), { address: '10.251.0.1' });
    assert.match((resolveAdvertiseAddress('h', full, 'eth9') as { error: string }).error, /neither an address nor an interface/);
    const noRoute = { ...full, defaultIpv4: undefined, interfaces: [...full.interfaces, { name: 'eth1', ipv4: ['10.0.0.2'] }] };
    assert.match((resolveAdvertiseAddress('h', noRoute, undefined) as { error: string }).error, /set advertise_addr/);
    const single = { ...full, defaultIpv4: undefined };
    assert.deepEqual(resolveAdvertiseAddress('h', single, undefined), { address: '10.251.0.1' }, 'the one address that is not loopback');
  });
});

describe('swarm_init rotate_tokens', () => {
  it('hands the rotated tokens over in the result', () => {
    const args = swarmInit.schema.parse({ rotate_tokens: 'worker' });
    const step = { kind: 'command' as const, id: 'rotate_worker', description: 'rotate', command: 'x' };
    const token = 'SWMTKN-1-0000000000000000000000000000000000000000000000000-ccccccccccccccccccccccccc';
    assert.deepEqual(swarmInit.finish!(args, outcomesOf([step], { rotate_worker: { stdout: `${token}\n` } }), { steps: [step] }),
      { join_token_worker: token });
  });
});
