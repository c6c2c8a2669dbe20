import assert from 'node:assert/strict';
import { dockerInfo, parseDockerInfo } from '../../src/facts/docker-info.js';
import { fixture } from '../fixtures/docker/index.js';

describe('docker_info fact (on real docker 20.10 output)', () => {
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

  it('says what to do when docker is missing or its daemon is down', () => {
    assert.throws(() => dockerInfo.parse({ stdout: '', stderr: 'sh: docker: not found', exitCode: 127 }, {}, 'fake01'), /docker is not installed on fake01/);
    const down = { stdout: '{"ServerErrors":["Cannot connect to the Docker daemon at unix:///var/run/docker.sock"]}', stderr: '', exitCode: 1 };
    assert.throws(() => dockerInfo.parse(down, {}, 'fake01'), /daemon on fake01 does not answer \(Cannot connect.*is docker running\?/);
  });
});
