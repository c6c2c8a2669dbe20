import assert from 'node:assert/strict';
import {
  dockerNetwork, inSubnet, networkCreateCommand, parseNetworkInspect, SERVICE_NETWORKS_PROBE, servicesUsing, type DockerNetworkArgs,
} from '../../src/modules/docker-network.js';
import type { Step, CommandStep } from '../../src/modules/types.js';
import type { RunResult } from '../../src/transport/types.js';
import { fakeHost } from '../support/fake-host.js';
import { recordInvocations } from '../support/shell-argv.js';
import { serviceFixture } from '../fixtures/docker-service/index.js';

const parse = (args: unknown): DockerNetworkArgs => dockerNetwork.schema.parse(args);
const INSPECT = 'docker network inspect my_net1';
const NET_ID = 'vlo68njiwxr7k1979hli4s2hz';
const NO_SUCH_NETWORK: RunResult = { stdout: '[]\n', stderr: 'Error: No such network: my_net1\n', exitCode: 1 };
const SEED_NETWORK = { name: 'my_net1', subnet: '10.231.22.0/24', gateway: '10.231.22.1', attachable: true, labels: { team: 'web' } };

function manager(inspect: string | RunResult, services = '') {
  return fakeHost({ host: 'docker01', probes: { [INSPECT]: inspect, [SERVICE_NETWORKS_PROBE]: services } });
}
const commands = (steps: Step[]) => steps.map((change) => (change as CommandStep).command);

describe('docker_network module', () => {
  it('reads a real overlay network', () => {
    const network = parseNetworkInspect(serviceFixture('network-inspect-my-net1.json'));
    assert.deepEqual(network, {
      id: NET_ID, name: 'my_net1', driver: 'overlay', scope: 'swarm', attachable: true, ingress: false,
      subnets: [{ subnet: '10.231.22.0/24', gateway: '10.231.22.1' }], labels: { team: 'web' }, containers: [],
    });
  });

  it('creates the network when it is absent (the seed\'s docker network create -d overlay ... --attachable)', async () => {
    const plan = await dockerNetwork.plan(manager(NO_SUCH_NETWORK), parse(SEED_NETWORK));
    assert.deepEqual(recordInvocations(commands(plan.steps)[0]!, ['docker']), [{
      program: 'docker',
      args: ['network', 'create', '--driver', 'overlay', '--subnet', '10.231.22.0/24', '--gateway', '10.231.22.1', '--attachable', '--label', 'team=web', 'my_net1'],
    }]);
  });

  it('changes nothing when the network is as asked', async () => {
    const host = manager(serviceFixture('network-inspect-my-net1.json'));
    const plan = await dockerNetwork.plan(host, parse(SEED_NETWORK));
    assert.deepEqual(plan.steps, []);
    assert.deepEqual(host.probed, [INSPECT]);
    const partial = await dockerNetwork.plan(manager(serviceFixture('network-inspect-my-net1.json')), parse({ name: 'my_net1' }));
    assert.deepEqual(partial.steps, [], 'arguments left out are not compared');
  });

  it('refuses a subnet change while a service uses the network, and says which and why', async () => {
    const host = manager(serviceFixture('network-inspect-my-net1.json'), `web\nonnet ${NET_ID}\nother abc\n`);
    const plan = await dockerNetwork.plan(host, parse({ ...SEED_NETWORK, subnet: '10.231.23.0/24', gateway: '10.231.23.1' }));
    assert.deepEqual(plan.steps, []);
    assert.match(plan.failed!, /network my_net1 differs \(subnet 10\.231\.22\.0\/24 -> 10\.231\.23\.0\/24; gateway 10\.231\.22\.1 -> 10\.231\.23\.1\)/);
    assert.match(plan.failed!, /its addresses cannot change while service onnet uses it/);
  });

  it('recreates an unused network that differs, and says so', async () => {
    const plan = await dockerNetwork.plan(manager(serviceFixture('network-inspect-my-net1.json'), 'web\n'), parse({ ...SEED_NETWORK, attachable: false }));
    assert.deepEqual(commands(plan.steps), ['docker network rm my_net1', 'docker network create --driver overlay --subnet 10.231.22.0/24 --gateway 10.231.22.1 --label team=web my_net1']);
    assert.match(plan.msg!, /is recreated \(docker cannot change a network in place; nothing uses it\): attachable true -> false/);
  });

  it('removes it only when nothing uses it', async () => {
    const used = await dockerNetwork.plan(manager(serviceFixture('network-inspect-my-net1.json'), `onnet ${NET_ID}\n`), parse({ name: 'my_net1', state: 'absent' }));
    assert.match(used.failed!, /in use by service onnet/);
    const free = await dockerNetwork.plan(manager(serviceFixture('network-inspect-my-net1.json')), parse({ name: 'my_net1', state: 'absent' }));
    assert.deepEqual(commands(free.steps), ['docker network rm my_net1']);
    const gone = await dockerNetwork.plan(manager(NO_SUCH_NETWORK), parse({ name: 'my_net1', state: 'absent' }));
    assert.deepEqual(gone.steps, []);
  });

  it('checks the gateway against the subnet before touching a host', () => {
    assert.throws(() => parse({ name: 'n', subnet: '10.231.22.0/24', gateway: '10.231.23.1' }), /not in subnet/);
    assert.throws(() => parse({ name: 'n', gateway: '10.231.23.1' }), /gateway needs subnet/);
    assert.ok(inSubnet('192.168.22.1', '192.168.22.0/24'));
    assert.ok(!inSubnet('192.168.23.1', '192.168.22.0/24'));
  });

  it('finds services by network ID or name, and quotes labels', () => {
    const network = parseNetworkInspect(serviceFixture('network-inspect-my-net1.json'));
    assert.deepEqual(servicesUsing(`a ${NET_ID}\nb my_net1\nc other\nd\n`, network), ['a', 'b']);
    const command = networkCreateCommand(parse({ name: 'n', labels: { note: "it's $(id)" } }));
    assert.deepEqual(recordInvocations(command, ['docker'])[0]!.args, ['network', 'create', '--driver', 'overlay', '--label', "note=it's $(id)", 'n']);
  });
});
