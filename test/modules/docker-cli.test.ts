import assert from 'node:assert/strict';
import {
  parseDockerInfo, parseNodeInspect, parseNodeList, readDockerInfo,
  withDefaultPort, hostOfAddress, portOfAddress, isIpAddress,
  DOCKER_INFO_COMMAND, nodeInspectCommand,
} from '../../src/modules/docker-cli.js';
import { fakeHost } from '../support/fake-host.js';
import { recordInvocations, HOSTILE_VALUES } from '../support/shell-argv.js';
import { fixture } from '../fixtures/docker/index.js';

describe('docker CLI readers (on real docker 20.10 output)', () => {
  it('reads an inactive node, a manager and a node left pending by a failed join', () => {
    const inactive = parseDockerInfo(fixture('info-inactive.json'));
    assert.equal(inactive.swarm.state, 'inactive');
    assert.equal(inactive.swarm.isManager, false);
    assert.deepEqual(inactive.swarm.remoteManagers, []);
    assert.equal(inactive.serverVersion, '20.10.24+dfsg1');
    assert.deepEqual(inactive.insecureRegistries, ['10.251.0.1:5000']);

    const manager = parseDockerInfo(fixture('info-manager.json'));
    assert.equal(manager.swarm.state, 'active');
    assert.equal(manager.swarm.isManager, true);
    assert.equal(manager.swarm.nodeAddr, '10.251.0.1');
    assert.equal(manager.swarm.clusterId, 'lmnaf1pffqmyelw64zozlhvez');
    assert.deepEqual(manager.swarm.remoteManagers, [{ nodeId: '9a8l30g1qbxzon92yoa4oz88h', addr: '10.251.0.1:2377' }]);

    const pending = parseDockerInfo(fixture('info-pending.json'));
    assert.equal(pending.swarm.state, 'pending');
    assert.deepEqual(pending.swarm.remoteManagers.map((m) => m.addr), ['10.251.0.77:2377']);
  });

  it('reads a node: role, availability, labels, status, leadership', () => {
    const leader = parseNodeInspect(fixture('node-inspect-leader.json'));
    assert.deepEqual(
      { role: leader.role, availability: leader.availability, labels: leader.labels, status: leader.status, leader: leader.leader, hostname: leader.hostname },
      { role: 'manager', availability: 'active', labels: {}, status: 'ready', leader: true, hostname: 'vm' },
    );
    const drained = parseNodeInspect(fixture('node-inspect-leader-drain-labels.json'));
    assert.equal(drained.availability, 'drain');
    assert.deepEqual(drained.labels, { mem: 'max', disk: 'ssd' });
  });

  it('reads docker node ls lines', () => {
    assert.deepEqual(parseNodeList('abc docker01 Ready\nxyz docker03 Down\n\n'), [
      { id: 'abc', hostname: 'docker01', status: 'Ready' },
      { id: 'xyz', hostname: 'docker03', status: 'Down' },
    ]);
  });

  it('says what to do when docker is missing or its daemon is down', async () => {
    const missing = fakeHost({ probes: { [DOCKER_INFO_COMMAND]: { stdout: '', stderr: 'sh: docker: not found', exitCode: 127 } } });
    await assert.rejects(readDockerInfo(missing), /docker is not installed on fake01/);
    const down = fakeHost({
      probes: { [DOCKER_INFO_COMMAND]: { stdout: '{"ServerErrors":["Cannot connect to the Docker daemon at unix:///var/run/docker.sock"]}', stderr: '', exitCode: 1 } },
    });
    await assert.rejects(readDockerInfo(down), /daemon on fake01 does not answer \(Cannot connect.*is docker running\?/);
  });

  it('quotes node names as single words', () => {
    for (const value of HOSTILE_VALUES) {
      assert.deepEqual(recordInvocations(nodeInspectCommand(value), ['docker']), [{ program: 'docker', args: ['node', 'inspect', value, '--format', '{{json .}}'] }]);
    }
  });

  it('handles addresses with and without ports', () => {
    assert.equal(withDefaultPort('10.0.0.1', 2377), '10.0.0.1:2377');
    assert.equal(withDefaultPort('10.0.0.1:4000', 2377), '10.0.0.1:4000');
    assert.equal(withDefaultPort('fd00::1', 2377), '[fd00::1]:2377');
    assert.equal(hostOfAddress('[fd00::1]:2377'), 'fd00::1');
    assert.equal(hostOfAddress('10.0.0.1:2377'), '10.0.0.1');
    assert.equal(portOfAddress('10.0.0.1:4000', 2377), 4000);
    assert.equal(portOfAddress('10.0.0.1', 2377), 2377);
    assert.equal(isIpAddress('256.1.1.1'), false);
    assert.equal(isIpAddress('docker01'), false);
  });
});
