import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  parseDockerInfo, parseContainerInspect, parseImageInspect,
  tcpConnectProbe, httpHeadProbe, httpStatus, httpHeader, withDefaultPort, hostOfAddress, portOfAddress, isIpAddress,
} from '../../src/modules/docker-cli.js';
import { dockerInfo } from '../../src/facts/docker-info.js';
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

  it('reads a container and an image', () => {
    const registry = parseContainerInspect(fixture('container-inspect-registry.json'));
    assert.equal(registry.running, true);
    assert.equal(registry.image, 'registry');
    assert.equal(registry.restartPolicy, 'always');
    assert.deepEqual(registry.ports, { '5000/tcp': ['5000'] });
    assert.deepEqual(registry.binds, { '/tmp/spcap/regdata': '/var/lib/registry' });
    const image = parseImageInspect(fixture('image-inspect-registry.json'));
    assert.match(image.id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(image.repoTags, ['registry:latest']);
  });

  it('says what to do when docker is missing or its daemon is down', () => {
    assert.throws(() => dockerInfo.parse({ stdout: '', stderr: 'sh: docker: not found', exitCode: 127 }, {}, 'fake01'), /docker is not installed on fake01/);
    const down = { stdout: '{"ServerErrors":["Cannot connect to the Docker daemon at unix:///var/run/docker.sock"]}', stderr: '', exitCode: 1 };
    assert.throws(() => dockerInfo.parse(down, {}, 'fake01'), /daemon on fake01 does not answer \(Cannot connect.*is docker running\?/);
  });

  it('quotes probe addresses as single words', () => {
    for (const value of HOSTILE_VALUES) {
      const probe = recordInvocations(tcpConnectProbe(value, 2377), ['timeout', 'command']);
      assert.deepEqual(probe.at(-1), { program: 'timeout', args: ['3', 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'probe', value, '2377'] });
    }
  });

  it('reads an HTTP head printed by the probe', () => {
    const head = 'HTTP/1.1 200 OK\nContent-Length: 2\nDocker-Content-Digest: sha256:abc\n';
    assert.equal(httpStatus(head), 200);
    assert.equal(httpHeader(head, 'docker-content-digest'), 'sha256:abc');
    assert.equal(httpStatus(''), undefined);
    assert.match(httpHeadProbe('10.0.0.1', 5000, '/v2/'), /HEAD %s HTTP\/1\.0/);
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

  it('probes HTTP and TCP over bash /dev/tcp for real, against a loopback server', async () => {
    const server = http.createServer((request, response) => {
      response.writeHead(request.url === '/v2/' && request.method === 'HEAD' ? 200 : 404, { 'Docker-Content-Digest': `sha256:${request.headers.accept === 'x/y' ? 'ab' : 'none'}` });
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const sh = (command: string) => new Promise<{ code: number; stdout: string }>((resolve) => {
      const child = spawn('/bin/sh', ['-c', command]);
      let stdout = '';
      child.stdout.on('data', (chunk) => { stdout += chunk; });
      child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
    });
    try {
      const head = await sh(httpHeadProbe('127.0.0.1', port, '/v2/', ['Accept: x/y']));
      assert.equal(head.code, 0);
      assert.equal(httpStatus(head.stdout), 200);
      assert.equal(httpHeader(head.stdout, 'Docker-Content-Digest'), 'sha256:ab');
      assert.equal(httpStatus((await sh(httpHeadProbe('127.0.0.1', port, '/v2/x/manifests/latest'))).stdout), 404);
      assert.equal((await sh(tcpConnectProbe('127.0.0.1', port))).code, 0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.equal((await sh(tcpConnectProbe('127.0.0.1', port, 1))).code, 1, 'a closed port');
  });
});
