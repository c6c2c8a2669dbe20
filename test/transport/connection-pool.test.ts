import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SwarmplayError } from '../../src/errors.js';
import { ConnectionPool } from '../../src/transport/connection-pool.js';
import { KnownHosts } from '../../src/transport/known-hosts.js';
import { LocalConnection } from '../../src/transport/local.js';
import { SshConnection } from '../../src/transport/ssh.js';
import type { Connection, ConnectionSpec } from '../../src/transport/types.js';
import { startSshd, type TestSshd } from '../support/sshd.js';

async function freePort(address: string): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, address, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

describe('ConnectionPool against a real sshd', function () {
  this.timeout(30_000);
  let sshd: TestSshd;
  let tmp: string;
  let knownHosts: KnownHosts;

  before(async () => {
    sshd = await startSshd({ address: '127.0.0.105' });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-pool-test-'));
    knownHosts = new KnownHosts(path.join(tmp, 'known_hosts'));
  });
  after(async () => {
    await sshd?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  const spec = (host: string, extra: Partial<ConnectionSpec> = {}): ConnectionSpec =>
    ({ host, address: sshd.address, port: sshd.port, user: 'root', privateKeyPath: sshd.clientKeyPath, ...extra });

  it('opens one connection per host, shared by concurrent and later callers', async () => {
    let opened = 0;
    const pool = new ConnectionPool({
      knownHosts,
      open: async (s, o) => { opened += 1; return SshConnection.connect(s, o); },
    });
    try {
      const [a, b] = await Promise.all([pool.get(spec('h1')), pool.get(spec('h1'))]);
      assert.equal(a, b);
      assert.equal(await pool.get(spec('h1')), a);
      const c = await pool.get(spec('h2'));
      assert.notEqual(c, a);
      assert.equal(opened, 2);
      assert.equal((await a.run('echo ok')).stdout, 'ok\n');
    } finally {
      await pool.closeAll();
    }
  });

  it('limits concurrent handshakes', async () => {
    let active = 0;
    let peak = 0;
    const pool = new ConnectionPool({
      knownHosts,
      maxConcurrentHandshakes: 3,
      open: async (s, o) => {
        active += 1;
        peak = Math.max(peak, active);
        try { return await SshConnection.connect(s, o); } finally { active -= 1; }
      },
    });
    try {
      const conns = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.get(spec(`host${i}`))));
      assert.equal(conns.length, 12);
      assert.equal(peak, 3);
    } finally {
      await pool.closeAll();
    }
  });

  it('retries a refused handshake: an sshd that comes up late is still reached', async () => {
    const address = '127.0.0.106';
    const port = await freePort(address);
    const password = 'late-sshd-password';
    let attempts = 0;
    const pool = new ConnectionPool({
      knownHosts, connectAttempts: 6, retryDelayMs: 150,
      open: async (s, o) => { attempts += 1; return SshConnection.connect(s, o); },
    });
    let late: TestSshd | undefined;
    try {
      const connecting = pool.get({ host: 'late', address, port, user: 'root', password });
      await new Promise((resolve) => setTimeout(resolve, 100));
      late = await startSshd({ address, port, password });
      const conn = await connecting;
      assert.equal((await conn.run('echo reached')).stdout, 'reached\n');
      assert.ok(attempts >= 2, `attempts: ${attempts}`);
    } finally {
      await pool.closeAll();
      await late?.stop();
    }
  });

  it('does not retry an auth failure, and reports a closed port as CONNECT_FAILED after its retries', async () => {
    let attempts = 0;
    const pool = new ConnectionPool({
      knownHosts, connectAttempts: 3, retryDelayMs: 50,
      open: async (s, o) => { attempts += 1; return SshConnection.connect(s, o); },
    });
    await assert.rejects(pool.get(spec('badpw', { privateKeyPath: undefined, password: 'wrong' })),
      (e: unknown) => e instanceof SwarmplayError && e.code === 'AUTH_FAILED');
    assert.equal(attempts, 1);

    attempts = 0;
    const port = await freePort('127.0.0.107');
    const started = Date.now();
    await assert.rejects(pool.get({ host: 'down', address: '127.0.0.107', port, user: 'root', password: 'x' }),
      (e: unknown) => e instanceof SwarmplayError && e.code === 'CONNECT_FAILED' && /down/.test(e.message));
    assert.equal(attempts, 3);
    // Backoff of 50 ms doubled, never a connect timeout (a generous bound, not a timing target).
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    await pool.closeAll();
  });

  it('gives a local connection for connection: local', async () => {
    const pool = new ConnectionPool({ knownHosts });
    const conn: Connection = await pool.get({ host: 'localhost', address: 'localhost', port: 22, user: 'root', connection: 'local' });
    assert.ok(conn instanceof LocalConnection);
    assert.equal((await conn.run('echo local')).stdout, 'local\n');
    await pool.closeAll();
  });
});
