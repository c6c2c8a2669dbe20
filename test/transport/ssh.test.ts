import assert from 'node:assert/strict';
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { SwarmplayError } from '../../src/errors.js';
import { KnownHosts } from '../../src/transport/known-hosts.js';
import { SshConnection, type SshConnectOptions } from '../../src/transport/ssh.js';
import { SPOOLED_STDIN_MAX_BYTES } from '../../src/transport/remote-shell.js';
import type { ConnectionSpec } from '../../src/transport/types.js';
import { startSshd, type TestSshd } from '../support/sshd.js';

function specFor(sshd: TestSshd, extra: Partial<ConnectionSpec> = {}): ConnectionSpec {
  return { host: 'testhost', address: sshd.address, port: sshd.port, user: 'root', ...extra };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<SwarmplayError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SwarmplayError, `expected SwarmplayError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

describe('SshConnection against a real sshd', function () {
  this.timeout(30_000);
  let sshd: TestSshd;
  let tmp: string;
  let knownHostsPath: string;
  let options: SshConnectOptions;
  let keyConnection: SshConnection;

  before(async () => {
    sshd = await startSshd({ address: '127.0.0.100' });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-ssh-test-'));
    knownHostsPath = path.join(tmp, 'known_hosts');
    options = { knownHosts: new KnownHosts(knownHostsPath), strictHostKeys: false, agentSocket: '' };
    keyConnection = await SshConnection.connect(specFor(sshd, { privateKeyPath: sshd.clientKeyPath }), options);
  });

  after(async () => {
    await keyConnection?.close();
    await sshd?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  describe('authentication', () => {
    it('logs in with a password', async () => {
      const conn = await SshConnection.connect(specFor(sshd, { password: sshd.password }), options);
      try {
        const result = await conn.run('id -un; echo "$HOME"');
        assert.deepEqual(result, { stdout: 'root\n/root\n', stderr: '', exitCode: 0 });
      } finally {
        await conn.close();
      }
    });

    it('logs in with a private key file', async () => {
      const result = await keyConnection.run('whoami');
      assert.equal(result.stdout, 'root\n');
    });

    it('refuses a wrong password with AUTH_FAILED naming the host, without the password', async () => {
      const error = await expectCode(SshConnection.connect(specFor(sshd, { password: 'not-the-password' }), options), 'AUTH_FAILED');
      assert.match(error.message, /testhost/);
      assert.doesNotMatch(error.message, /not-the-password/);
    });

    it('refuses a private key file that others can read, as OpenSSH does', async () => {
      const openKey = path.join(tmp, 'open_key');
      await copyFile(sshd.clientKeyPath, openKey);
      await chmod(openKey, 0o644);
      const error = await expectCode(SshConnection.connect(specFor(sshd, { privateKeyPath: openKey }), options), 'AUTH_FAILED');
      assert.match(error.message, /UNPROTECTED PRIVATE KEY FILE/);
    });
  });

  describe('host keys', () => {
    it('records an unknown host in known_hosts as [address]:port and accepts it', async () => {
      const file = path.join(tmp, 'kh-accept-new');
      const conn = await SshConnection.connect(specFor(sshd, { privateKeyPath: sshd.clientKeyPath }),
        { ...options, knownHosts: new KnownHosts(file) });
      await conn.close();
      const text = await readFile(file, 'utf8');
      assert.equal(text, `[${sshd.address}]:${sshd.port} ${sshd.hostPublicKey}\n`);
      // and the recorded entry is then a match for a new KnownHosts reading the file
      const again = await SshConnection.connect(specFor(sshd, { privateKeyPath: sshd.clientKeyPath }),
        { ...options, knownHosts: new KnownHosts(file), strictHostKeys: true });
      await again.close();
    });

    it('refuses an unknown host in strict mode with HOST_KEY_UNKNOWN and writes nothing', async () => {
      const file = path.join(tmp, 'kh-strict');
      const error = await expectCode(SshConnection.connect(specFor(sshd, { privateKeyPath: sshd.clientKeyPath }),
        { ...options, knownHosts: new KnownHosts(file), strictHostKeys: true }), 'HOST_KEY_UNKNOWN');
      assert.match(error.message, /testhost/);
      assert.ok(error.message.includes(sshd.hostKeyFingerprint));
      await assert.rejects(readFile(file), /ENOENT/);
    });

    it('matches a hashed known_hosts entry in strict mode', async () => {
      const file = path.join(tmp, 'kh-hashed');
      await writeFile(file, `${sshd.address} ${sshd.hostPublicKey}\n`.replace(sshd.address, `[${sshd.address}]:${sshd.port}`));
      const { execFileSync } = await import('node:child_process');
      execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
      const text = await readFile(file, 'utf8');
      assert.match(text, /^\|1\|/);
      const conn = await SshConnection.connect(specFor(sshd, { privateKeyPath: sshd.clientKeyPath }),
        { ...options, knownHosts: new KnownHosts(file), strictHostKeys: true });
      await conn.close();
    });

    it('refuses a changed key with both fingerprints and the file:line to fix', async () => {
      const other = await startSshd({ address: '127.0.0.102' });
      try {
        const file = path.join(tmp, 'kh-changed');
        const oldFingerprint = other.hostKeyFingerprint;
        const first = await SshConnection.connect(specFor(other, { privateKeyPath: other.clientKeyPath }),
          { ...options, knownHosts: new KnownHosts(file) });
        await first.close();
        await other.replaceHostKey();
        assert.notEqual(other.hostKeyFingerprint, oldFingerprint);
        const error = await expectCode(SshConnection.connect(specFor(other, { privateKeyPath: other.clientKeyPath }),
          { ...options, knownHosts: new KnownHosts(file) }), 'HOST_KEY_CHANGED');
        assert.ok(error.message.includes(oldFingerprint), error.message);
        assert.ok(error.message.includes(other.hostKeyFingerprint), error.message);
        assert.match(error.message, /testhost/);
        assert.ok(error.message.includes(`${file}:1`), error.message);
        assert.ok(error.hint?.includes(`-f ${file}`), error.hint);
        // the old entry was not replaced behind the user's back
        assert.equal((await readFile(file, 'utf8')).trim().split('\n').length, 1);
      } finally {
        await other.stop();
      }
    });
  });

  describe('running commands', () => {
    it('returns stdout, stderr and the exit code', async () => {
      const result = await keyConnection.run('echo out; echo err >&2; exit 7');
      assert.deepEqual(result, { stdout: 'out\n', stderr: 'err\n', exitCode: 7 });
    });

    it('delivers stdin to the command', async () => {
      const secret = "line one\nit's \"quoted\" $(not run)\n";
      const result = await keyConnection.run('cat', { stdin: secret });
      assert.equal(result.stdout, secret);
      const bytes = Buffer.from([0, 1, 2, 255, 254, 10]);
      const counted = await keyConnection.run('wc -c', { stdin: bytes });
      assert.equal(counted.stdout.trim(), '6');
    });

    it('runs 20 commands at once on one connection over exec channels (more than MaxSessions 10)', async () => {
      const execOnly = await SshConnection.connect(specFor(sshd, { privateKeyPath: sshd.clientKeyPath }),
        { ...options, persistentShells: 0 });
      try {
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => execOnly.run(`sleep 0.2; echo ${i}`)));
        results.forEach((result, i) => assert.deepEqual(result, { stdout: `${i}\n`, stderr: '', exitCode: 0 }));
        assert.equal(execOnly.channelsOpened, 20);
      } finally {
        await execOnly.close();
      }
    });

    it('runs 20 commands at once with persistent shells plus exec channels', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        keyConnection.run(`sleep 0.2; echo ${i}; echo e${i} >&2`)));
      results.forEach((result, i) => assert.deepEqual(result, { stdout: `${i}\n`, stderr: `e${i}\n`, exitCode: 0 }));
    });

    it('kills a command that runs too long and reports TIMEOUT naming it', async () => {
      const started = Date.now();
      const error = await expectCode(keyConnection.run('sleep 60', { timeoutMs: 300 }), 'TIMEOUT');
      // Killed: far sooner than the command's own 60 s (a generous bound, not a timing target).
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
      assert.match(error.message, /sleep 60/);
      // the connection stays usable
      assert.equal((await keyConnection.run('echo still here')).stdout, 'still here\n');
    });

    it('become is a no-op for root', async () => {
      const result = await keyConnection.run('id -u', { become: true });
      assert.equal(result.stdout, '0\n');
    });
  });

  describe('persistent remote shells', () => {
    it('serve many commands without opening a channel per command', async () => {
      await keyConnection.run('true'); // the shell exists from here on
      const before = keyConnection.channelsOpened;
      for (let i = 0; i < 30; i++) assert.equal((await keyConnection.run(`echo ${i}`)).stdout, `${i}\n`);
      assert.equal(keyConnection.channelsOpened, before);
    });

    it('keep each command apart: exit, cd, set -e, variables and unread stdin do not leak into the next', async () => {
      assert.equal((await keyConnection.run('cd /; X=1; set -e; exit 5')).exitCode, 5);
      assert.deepEqual(await keyConnection.run('pwd; echo "X=${X:-unset}"'), { stdout: '/root\nX=unset\n', stderr: '', exitCode: 0 });
      // a command that ignores its stdin: the bytes must not be read as the next request
      assert.equal((await keyConnection.run('true', { stdin: 'echo INJECTED\n'.repeat(5000) })).exitCode, 0);
      assert.deepEqual(await keyConnection.run('echo next'), { stdout: 'next\n', stderr: '', exitCode: 0 });
      // the command cannot read past its own stdin
      assert.deepEqual(await keyConnection.run('cat; echo end', { stdin: 'abc' }), { stdout: 'abcend\n', stderr: '', exitCode: 0 });
      assert.deepEqual(await keyConnection.run('cat'), { stdout: '', stderr: '', exitCode: 0 });
    });

    it('carry large and binary stdin/stdout, output without a final newline, and signal exit codes', async () => {
      const big = Buffer.alloc(3 * 1024 * 1024 + 7);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 256;
      assert.equal((await keyConnection.run('wc -c', { stdin: big })).stdout.trim(), String(big.length));
      const written = `/tmp/swarmplay-big-${process.pid}`;
      await keyConnection.putFile(written, big);
      assert.deepEqual(await keyConnection.getFile(written), big);
      await keyConnection.run(`rm -f ${written}`);
      assert.deepEqual(await keyConnection.run('printf no-newline; printf err >&2'), { stdout: 'no-newline', stderr: 'err', exitCode: 0 });
      assert.equal((await keyConnection.run('kill -9 $$')).exitCode, 137);
    });

    it('give stdin of every size exactly (spool file up to SPOOLED_STDIN_MAX_BYTES, pipe above), leak no descriptor', async () => {
      for (const size of [1, SPOOLED_STDIN_MAX_BYTES, SPOOLED_STDIN_MAX_BYTES + 1]) {
        const stdin = Buffer.alloc(size, 0x61);
        assert.deepEqual(await keyConnection.run('wc -c; cat >/dev/null', { stdin }), { stdout: `${size}\n`, stderr: '', exitCode: 0 });
        // a command reading only part of its stdin: the rest is not the next request
        assert.equal((await keyConnection.run('head -c 1', { stdin })).stdout, 'a');
        assert.equal((await keyConnection.run('echo next')).stdout, 'next\n');
      }
      // the spool file is never in the command's way: only stdin, stdout, stderr (and ls's own listing) are open
      for (const stdin of [undefined, 'x', Buffer.alloc(SPOOLED_STDIN_MAX_BYTES + 1)]) {
        const fds = (await keyConnection.run('ls /proc/self/fd', { stdin })).stdout.trim().split('\n');
        assert.deepEqual(fds.filter((fd) => !['0', '1', '2', '3'].includes(fd)), [], fds.join(' '));
      }
      // and it has no name on the host: unlinked as soon as it was opened
      const spool = await keyConnection.run('ls -l /proc/$PPID/fd/');
      assert.match(spool.stdout, /-> \/.*\(deleted\)$/m, spool.stdout + spool.stderr);
    });

    it('a shell that dies fails only its command; the next command gets a new shell', async () => {
      const conn = await SshConnection.connect(specFor(sshd, { privateKeyPath: sshd.clientKeyPath }),
        { ...options, persistentShells: 1 });
      try {
        await conn.run('true');
        const error = await expectCode(conn.run('kill -9 $PPID; sleep 1', { displayCommand: 'shell killer' }), 'COMMAND_FAILED');
        assert.match(error.message, /shell killer/);
        assert.deepEqual(await conn.run('echo alive'), { stdout: 'alive\n', stderr: '', exitCode: 0 });
      } finally {
        await conn.close();
      }
    });
  });

  describe('become (sudo) for a non-root user', () => {
    let sudoSshd: TestSshd;
    const alice = { name: 'spalice', password: 'alice-login-Pw1' };
    const bob = { name: 'spbob', password: 'bob-login-Pw2', nopasswd: true };
    before(async () => { sudoSshd = await startSshd({ address: '127.0.0.108', sudoUsers: [alice, bob] }); });
    after(async () => { await sudoSshd?.stop(); });

    const userSpec = (user: { name: string; password: string }, becomePassword?: string): ConnectionSpec =>
      ({ host: 'sudohost', address: sudoSshd.address, port: sudoSshd.port, user: user.name, password: user.password, becomePassword });

    it('runs as root with the password sent only when sudo prompts; stdin still reaches the command', async () => {
      const conn = await SshConnection.connect(userSpec(alice, alice.password), options);
      try {
        assert.equal((await conn.run('id -un')).stdout, `${alice.name}\n`);
        const result = await conn.run('id -un; cat; echo done >&2', { become: true, stdin: 'payload\n' });
        assert.deepEqual(result, { stdout: 'root\npayload\n', stderr: 'done\n', exitCode: 0 });
        // the password is nowhere in what came back, and not on any command line
        assert.ok(!JSON.stringify(result).includes(alice.password));
        const written = await conn.putFile('/tmp/swarmplay-become-test', 'as root\n', { become: true, mode: '0600' });
        assert.deepEqual(written, {});
        const owner = await conn.run('stat -c %U:%a /tmp/swarmplay-become-test && rm /tmp/swarmplay-become-test', { become: true });
        assert.equal(owner.stdout, 'root:600\n');
      } finally {
        await conn.close();
      }
    });

    it('a wrong become password fails with AUTH_FAILED, not a hang', async () => {
      const conn = await SshConnection.connect(userSpec(alice, 'wrong-become-pw'), options);
      try {
        const error = await expectCode(conn.run('id -u', { become: true, timeoutMs: 15_000 }), 'AUTH_FAILED');
        assert.match(error.message, /sudohost/);
        assert.doesNotMatch(error.message, /wrong-become-pw/);
        const noPassword = await SshConnection.connect(userSpec(alice), options);
        try {
          const missing = await expectCode(noPassword.run('id -u', { become: true, timeoutMs: 15_000 }), 'AUTH_FAILED');
          assert.match(missing.message, /no become password/);
        } finally {
          await noPassword.close();
        }
      } finally {
        await conn.close();
      }
    });

    it('NOPASSWD sudo: the become password never reaches the command stdin', async () => {
      const conn = await SshConnection.connect(userSpec(bob, 'unused-become-pw'), options);
      try {
        const result = await conn.run('id -u; cat', { become: true, stdin: 'only this' });
        assert.deepEqual(result, { stdout: '0\nonly this', stderr: '', exitCode: 0 });
        const failing = await conn.run('echo partial; exit 4', { become: true });
        assert.deepEqual(failing, { stdout: 'partial\n', stderr: '', exitCode: 4 });
      } finally {
        await conn.close();
      }
    });
  });

  describe('files', () => {
    it('writes a file atomically with mode, content of any bytes, and a backup of the old one', async () => {
      const target = `/tmp/swarmplay-put-${process.pid}/conf file's "name"`;
      await keyConnection.run(`mkdir -p /tmp/swarmplay-put-${process.pid}`);
      try {
        const content = Buffer.concat([Buffer.from("quotes ' \" $HOME `id` \\ \n"), Buffer.from([0, 255, 10, 13])]);
        const first = await keyConnection.putFile(target, content, { mode: '0640', backup: true });
        assert.equal(first.backupPath, undefined, 'no backup when there was no old file');
        assert.deepEqual(await keyConnection.getFile(target), content);
        const stat = await keyConnection.run(`stat -c '%a %U' ${`'${target.replace(/'/g, `'\\''`)}'`}`);
        assert.equal(stat.stdout, '640 root\n');

        const second = await keyConnection.putFile(target, 'new content\n', { backup: true });
        assert.ok(second.backupPath?.startsWith(target + '.'), second.backupPath);
        assert.match(second.backupPath!, /\.\d{14}~$/);
        assert.deepEqual(await keyConnection.getFile(second.backupPath!), content);
        assert.equal((await keyConnection.getFile(target))?.toString(), 'new content\n');
        // the old mode is kept when none is given
        const kept = await keyConnection.run(`stat -c %a ${`'${target.replace(/'/g, `'\\''`)}'`}`);
        assert.equal(kept.stdout, '640\n');
        // no temp files left beside it
        const listing = await keyConnection.run(`ls -A /tmp/swarmplay-put-${process.pid}`);
        assert.equal(listing.stdout.split('\n').filter(Boolean).length, 2, listing.stdout);
      } finally {
        await keyConnection.run(`rm -rf /tmp/swarmplay-put-${process.pid}`);
      }
    });

    it('keeps the replaced file\'s owner and mode (setuid too), gives a new file the umask default, refuses a folder path', async () => {
      const dir = `/tmp/swarmplay-put-keep-${process.pid}`;
      await keyConnection.run(`mkdir -p ${dir} && printf old > ${dir}/f && chown nobody:nogroup ${dir}/f && chmod 4750 ${dir}/f`);
      try {
        await keyConnection.putFile(`${dir}/f`, 'new');
        assert.equal((await keyConnection.run(`stat -c '%a %U:%G %s' ${dir}/f`)).stdout, '4750 nobody:nogroup 3\n');
        await keyConnection.putFile(`${dir}/f`, 'newer', { owner: 'root', mode: '4711' });
        assert.equal((await keyConnection.run(`stat -c '%a %U:%G' ${dir}/f`)).stdout, '4711 root:root\n');
        await keyConnection.run(`cd ${dir} && umask 027 && touch ref`);
        await keyConnection.putFile(`${dir}/new`, '');
        const modes = await keyConnection.run(`stat -c '%a %s' ${dir}/new; umask`);
        assert.equal(modes.stdout, `${(0o666 & ~Number.parseInt(modes.stdout.split('\n')[1], 8)).toString(8)} 0\n${modes.stdout.split('\n')[1]}\n`);
        const error = await expectCode(keyConnection.putFile(`${dir}/`, 'x'), 'BAD_ARGUMENT');
        assert.match(error.message, /not a folder/);
        assert.equal((await keyConnection.run(`ls -A ${dir}`)).stdout, 'f\nnew\nref\n', 'no temp file left');
      } finally {
        await keyConnection.run(`rm -rf ${dir}`);
      }
    });

    it('a failed write leaves the target untouched and no temp file', async () => {
      const dir = `/tmp/swarmplay-put-fail-${process.pid}`;
      await keyConnection.run(`mkdir -p ${dir} && printf old > ${dir}/f`);
      try {
        await expectCode(keyConnection.putFile(`${dir}/f`, 'new', { owner: 'no-such-user-swarmplay' }), 'COMMAND_FAILED');
        assert.equal((await keyConnection.getFile(`${dir}/f`))?.toString(), 'old');
        assert.equal((await keyConnection.run(`ls -A ${dir}`)).stdout, 'f\n');
      } finally {
        await keyConnection.run(`rm -rf ${dir}`);
      }
    });

    it('getFile of a missing file is null', async () => {
      assert.equal(await keyConnection.getFile('/nonexistent/swarmplay/file'), null);
    });
  });

  describe('faults', () => {
    it('a closed port fails quickly with CONNECT_FAILED', async () => {
      const port = await new Promise<number>((resolve) => {
        const server = net.createServer().listen(0, '127.0.0.103', () => {
          const p = (server.address() as net.AddressInfo).port;
          server.close(() => resolve(p));
        });
      });
      const started = Date.now();
      const error = await expectCode(SshConnection.connect(
        { host: 'downhost', address: '127.0.0.103', port, user: 'root', password: 'x', connectTimeoutMs: 30_000 }, options), 'CONNECT_FAILED');
      // Refused at once, not after waiting out the 30 s connect timeout (a generous bound, not a timing target).
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
      assert.match(error.message, /downhost/);
    });

    it('sshd killed mid-command fails the command with CONNECTION_LOST naming it', async () => {
      const victim = await startSshd({ address: '127.0.0.101' });
      try {
        const conn = await SshConnection.connect(specFor(victim, { password: victim.password }), options);
        const running = conn.run('sleep 30', { displayCommand: 'sleep thirty' });
        await new Promise((resolve) => setTimeout(resolve, 300));
        victim.signalAll('SIGKILL');
        const error = await expectCode(running, 'CONNECTION_LOST');
        assert.match(error.message, /sleep thirty/);
        await expectCode(conn.run('echo after'), 'CONNECTION_LOST');
        await conn.close();
      } finally {
        await victim.stop();
      }
    });

    it('a host that stops answering is detected by keepalives (CONNECTION_LOST, no hang)', async () => {
      const victim = await startSshd({ address: '127.0.0.101' });
      try {
        const conn = await SshConnection.connect(specFor(victim, { password: victim.password }),
          { ...options, keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
        const running = conn.run('sleep 30');
        await new Promise((resolve) => setTimeout(resolve, 300));
        victim.signalAll('SIGSTOP'); // the TCP connection stays open; nothing answers
        const started = Date.now();
        const error = await expectCode(running, 'CONNECTION_LOST');
        // Far sooner than the command's 30 s (a generous bound, not a timing target).
        assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
        assert.match(error.message, /sleep 30/);
        victim.signalAll('SIGCONT');
        await conn.close();
      } finally {
        await victim.stop();
      }
    });
  });
});
