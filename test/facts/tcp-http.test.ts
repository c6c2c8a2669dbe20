import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpHead, httpHeadProbe, httpHeader, httpStatus, tcpConnect, tcpConnectProbe } from '../../src/facts/tcp-http.js';
import { recordInvocations, HOSTILE_VALUES } from '../support/shell-argv.js';

const run = (stdout: string, exitCode = 0) => ({ stdout, stderr: '', exitCode });

describe('tcp_connect and http_head facts (bash /dev/tcp on the host)', () => {
  it('quote probe addresses as single words', () => {
    for (const value of HOSTILE_VALUES) {
      const probe = recordInvocations(tcpConnectProbe(value, 2377), ['timeout', 'command']);
      assert.deepEqual(probe.at(-1), { program: 'timeout', args: ['3', 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'probe', value, '2377'] });
    }
  });

  it('read an HTTP head printed by the probe', () => {
    const head = 'HTTP/1.1 200 OK\nContent-Length: 2\nDocker-Content-Digest: sha256:abc\n';
    assert.equal(httpStatus(head), 200);
    assert.equal(httpHeader(head, 'docker-content-digest'), 'sha256:abc');
    assert.equal(httpStatus(''), undefined);
    assert.match(httpHeadProbe('10.0.0.1', 5000, '/v2/'), /HEAD %s HTTP\/1\.0/);
  });

  it('say open, closed, or untestable without bash; an answer, none, or null without bash', () => {
    const args = { host: '127.0.0.1', port: 5000 };
    assert.equal(tcpConnect.parse(run(''), args, 'h'), 'open');
    assert.equal(tcpConnect.parse(run('', 1), args, 'h'), 'closed');
    assert.equal(tcpConnect.parse(run('', 127), args, 'h'), 'untestable');
    const v2 = { ...args, path: '/v2/' };
    assert.deepEqual(httpHead.parse(run('HTTP/1.1 401 Unauthorized\n'), v2, 'h'), { status: 401, head: 'HTTP/1.1 401 Unauthorized\n' });
    assert.deepEqual(httpHead.parse(run('', 1), v2, 'h'), { head: '' });
    assert.equal(httpHead.parse(run('', 127), v2, 'h'), null);
  });

  it('probe HTTP and TCP over bash /dev/tcp for real, against a loopback server', async () => {
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
      assert.equal((await sh(tcpConnect.command({ host: '127.0.0.1', port }))).code, 0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.equal((await sh(tcpConnectProbe('127.0.0.1', port, 1))).code, 1, 'a closed port');
  });
});
