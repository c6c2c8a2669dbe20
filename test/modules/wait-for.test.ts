import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from '../../src/modules/wait-for.js';
import type { RunOptions, RunResult } from '../../src/transport/types.js';
import { fakeHost } from '../support/fake-host.js';

const parse = (args: unknown) => waitFor.schema.parse(args);

/** A "host" that really runs each probe in the local /bin/sh (in `cwd`). */
function localShellHost(cwd: string) {
  const runLocally = (command: string, options?: RunOptions) =>
    new Promise<RunResult>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], { cwd, timeout: options?.timeoutMs ?? 30_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ stdout, stderr, exitCode: code ?? -1 }));
    });
  return fakeHost({ probes: runLocally });
}

describe('wait_for module', function () {
  // Real waits of a second or two, in a real shell.
  this.timeout(20_000);
  let workDir: string;
  let server: net.Server;
  let openPort: number;
  let closedPort: number;

  before(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'swarmplay-wait-for-'));
    server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    openPort = (server.address() as net.AddressInfo).port;
    // A port that was free a moment ago: listen, note it, close.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  after(() => {
    server.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  describe('arguments', () => {
    it('rejects unknown arguments, bad ports, port with path, and search_regex without path', () => {
      assert.equal(waitFor.schema.safeParse({ port: 22, tiemout: 5 }).success, false);
      assert.equal(waitFor.schema.safeParse({ port: 70000 }).success, false);
      assert.equal(waitFor.schema.safeParse({ port: 'ssh' }).success, false);
      assert.equal(waitFor.schema.safeParse({ port: 22, path: '/x' }).success, false);
      assert.equal(waitFor.schema.safeParse({ port: 22, search_regex: 'x' }).success, false);
      assert.equal(waitFor.schema.safeParse({ port: 22, state: 'drained' }).success, false);
      const defaults = parse({ port: '2377' });
      assert.equal(defaults.port, 2377);
      assert.equal(defaults.timeout, 300);
      assert.equal(defaults.host, '127.0.0.1');
    });
  });

  it('is ok (not changed) as soon as the port accepts connections', async () => {
    const plan = await waitFor.plan(localShellHost(workDir), parse({ port: openPort, timeout: 5 }));
    assert.equal(plan.failed, undefined);
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.result?.port, openPort);
  });

  it('fails naming host:port and the timeout when the port stays closed', async () => {
    const plan = await waitFor.plan(localShellHost(workDir), parse({ port: closedPort, timeout: 1, sleep: 0.2 }));
    assert.equal(plan.failed, `Timeout when waiting for 127.0.0.1:${closedPort} (waited 1 seconds)`);
    assert.deepEqual(plan.steps, []);
  });

  it('waits for a closed port with state stopped, and uses msg when given', async () => {
    assert.equal((await waitFor.plan(localShellHost(workDir), parse({ port: closedPort, state: 'stopped', timeout: 2 }))).failed, undefined);
    const plan = await waitFor.plan(localShellHost(workDir), parse({ port: openPort, state: 'stopped', timeout: 1, sleep: 0.2, msg: 'still listening' }));
    assert.equal(plan.failed, 'still listening');
  });

  it('waits for a path to exist, to hold a pattern, or to be absent', async () => {
    const file = path.join(workDir, 'ready');
    writeFileSync(file, 'status: done\n');
    const host = localShellHost(workDir);
    assert.equal((await waitFor.plan(host, parse({ path: file, timeout: 2 }))).failed, undefined);
    assert.equal((await waitFor.plan(host, parse({ path: file, search_regex: 'status: (done|ok)', timeout: 2 }))).failed, undefined);
    assert.match((await waitFor.plan(host, parse({ path: file, search_regex: 'failed', timeout: 1, sleep: 0.2 }))).failed!, /to contain failed/);
    assert.match((await waitFor.plan(host, parse({ path: file, state: 'absent', timeout: 1, sleep: 0.2 }))).failed!, /to be absent/);
  });

  it('treats hostile paths as literal file names in a real shell', async () => {
    const host = localShellHost(workDir);
    const hostile = ['x; touch pwned1', '$(touch pwned2)', '`touch pwned3`', "it's \"q\"", 'new\nline', '-rf'];
    for (const name of hostile) {
      const file = path.join(workDir, name);
      writeFileSync(file, 'here');
      assert.equal((await waitFor.plan(host, parse({ path: file, timeout: 1 }))).failed, undefined, name);
      rmSync(file);
      assert.equal((await waitFor.plan(host, parse({ path: file, state: 'absent', timeout: 1 }))).failed, undefined, name);
    }
    for (const marker of ['pwned1', 'pwned2', 'pwned3']) assert.equal(existsSync(path.join(workDir, marker)), false, marker);
  });

  it('passes a probe timeout longer than the wait, so the transport does not cut it short', async () => {
    let timeoutMs: number | undefined;
    const host = fakeHost({ probes: (_command, options) => { timeoutMs = options?.timeoutMs; return ''; } });
    await waitFor.plan(host, parse({ port: 2377, timeout: 60, delay: 5 }));
    assert.ok(timeoutMs! > 65_000, `timeoutMs ${timeoutMs}`);
  });
});
