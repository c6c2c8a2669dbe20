import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SwarmplayError } from '../../src/errors.js';
import { LocalConnection } from '../../src/transport/local.js';

describe('LocalConnection', () => {
  const conn = new LocalConnection('localhost');
  let dir: string;
  before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-local-test-')); });
  after(() => rm(dir, { recursive: true, force: true }));

  it('runs /bin/sh -c with stdin, giving stdout, stderr and exit code', async () => {
    const result = await conn.run('read x; echo "got $x"; echo e >&2; exit 3', { stdin: 'hello\n' });
    assert.deepEqual(result, { stdout: 'got hello\n', stderr: 'e\n', exitCode: 3 });
  });

  it('times out a command and its children with TIMEOUT', async () => {
    const started = Date.now();
    await assert.rejects(conn.run('sleep 60; echo never', { timeoutMs: 200 }),
      (e: unknown) => e instanceof SwarmplayError && e.code === 'TIMEOUT');
    // Killed with its children: far sooner than the command's own 60 s (a generous bound, not a timing target).
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  });

  it('writes files atomically with mode and backup, reads them back, null when absent', async () => {
    const target = path.join(dir, 'a file');
    await writeFile(target, 'old');
    const result = await conn.putFile(target, Buffer.from([0, 1, 2, 39, 34]), { mode: '0600', backup: true });
    assert.ok(result.backupPath);
    assert.equal(await readFile(result.backupPath!, 'utf8'), 'old');
    assert.deepEqual(await readFile(target), Buffer.from([0, 1, 2, 39, 34]));
    assert.equal((await stat(target)).mode & 0o777, 0o600);
    assert.deepEqual(await conn.getFile(target), Buffer.from([0, 1, 2, 39, 34]));
    assert.equal(await conn.getFile(path.join(dir, 'missing')), null);
    assert.equal((await readdir(dir)).length, 2, 'target and backup, no temp file');
  });

  it('writes only content its validate command accepts (%s is the new file), leaving the target and no temp file otherwise', async () => {
    const target = path.join(dir, 'sudoers');
    await writeFile(target, 'kept\n');
    const check = "grep -q '^ok' %s && test \"$(wc -l < %s)\" -eq 1";
    await assert.rejects(conn.putFile(target, 'bad\n', { validate: check }),
      (e: unknown) => e instanceof SwarmplayError && /failed to validate with grep -q/.test(e.message));
    assert.equal(await readFile(target, 'utf8'), 'kept\n');
    await conn.putFile(target, 'ok\n', { validate: check });
    assert.equal(await readFile(target, 'utf8'), 'ok\n');
    assert.deepEqual((await readdir(dir)).filter((name) => name.includes('sudoers')), ['sudoers']);
  });
});
