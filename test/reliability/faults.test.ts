/**
 * Faults through the real CLI against three real OpenSSH servers: a host
 * down before the run, a host lost in the middle of a command, Ctrl-C and
 * SIGTERM, the controller killed during a large file write. Every check of
 * a host's state is made with OpenSSH's own client.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSshd, type TestSshd } from '../support/sshd.js';
import { runCli, recapOf, jsonEvents } from '../support/cli.js';
import { figures, printFiguresAtEnd, sshRun, sshTry, spawnCli, waitFor, writeInventory } from './support.js';
import { retryFilePath } from '../../src/runner/retry-file.js';

printFiguresAtEnd();

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

describe('reliability: faults leave every host whole', function () {
  this.timeout(180_000);
  const hosts: TestSshd[] = [];
  let dir: string;
  let inventory: string;
  let knownHosts: string;

  const cli = (playbook: string, extra: string[] = []) =>
    runCli(['run', playbook, '-i', inventory, '--known-hosts', knownHosts, '--json', ...extra], { timeoutMs: 120_000 });
  const cliArgs = (playbook: string, extra: string[] = []) =>
    ['run', playbook, '-i', inventory, '--known-hosts', knownHosts, '--json', ...extra];
  const playbookFile = async (name: string, text: string): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  };

  before(async () => {
    for (const address of ['127.0.0.150', '127.0.0.151', '127.0.0.152']) hosts.push(await startSshd({ address }));
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-faults-'));
    knownHosts = path.join(dir, 'known_hosts');
    inventory = path.join(dir, 'hosts.yaml');
    await writeHosts(40);
  });

  /** `nap`: how long the long task sleeps; only h2 is slow, so the others are not held up. */
  const writeHosts = (napOnH2: number) => writeInventory(inventory, [
    { name: 'h1', sshd: hosts[0], vars: { nap: 1 } },
    { name: 'h2', sshd: hosts[1], vars: { nap: napOnH2 } },
    { name: 'h3', sshd: hosts[2], byPassword: true, vars: { nap: 1 } },
  ]);

  after(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('a host down before the run', () => {
    let site: string;
    before(async () => {
      site = await playbookFile('site.yaml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: mark the host
      copy: dest=/root/site-mark content="{{ inventory_hostname }}"
`);
    });

    it('is unreachable, the others complete, exit 4, and a retry file names it', async () => {
      hosts[1].signalAll('SIGKILL'); // sshd stopped: the port refuses
      try {
        const started = Date.now();
        const result = await cli(site);
        const elapsed = Date.now() - started;
        assert.equal(result.code, 4, result.stdout + result.stderr);
        const recap = recapOf(result.stdout);
        assert.equal(recap.h2.unreachable, 1);
        assert.deepEqual([recap.h1.changed, recap.h3.changed, recap.h1.failed, recap.h3.failed], [1, 1, 0, 0]);
        assert.ok(elapsed < 10_000 + 5_000, `a refused host is reported within the connect timeout (took ${elapsed} ms)`);
        const unreachable = jsonEvents(result.stdout).find((e) => e.event === 'host_result' && e.status === 'unreachable');
        assert.match(unreachable!.msg, /h2: cannot connect to root@127\.0\.0\.151:\d+: .*ECONNREFUSED/);
        assert.equal(await sshRun(hosts[0], 'cat /root/site-mark'), 'h1');
        assert.equal(await sshRun(hosts[2], 'cat /root/site-mark'), 'h3');

        const retryFile = retryFilePath(site);
        assert.equal(retryFile, path.join(dir, '.swarmplay', 'site.retry'));
        assert.equal(await readFile(retryFile, 'utf8'), 'h2\n', 'Ansible format: one host per line');
        assert.ok(result.stderr.includes(`--limit @${retryFile}`), `the retry file is named:\n${result.stderr}`);
      } finally {
        await hosts[1].restart();
      }
      figures.faultsSurvived++;
    });

    it('--limit @FILE.retry reruns just that host once it is back, and the retry file goes away', async () => {
      const retryFile = retryFilePath(site);
      const result = await cli(site, ['--limit', `@${retryFile}`]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.deepEqual(Object.keys(recapOf(result.stdout)), ['h2']);
      assert.equal(recapOf(result.stdout).h2.changed, 1);
      assert.equal(await sshRun(hosts[1], 'cat /root/site-mark'), 'h2');
      assert.equal(await exists(retryFile), false, 'no host left to retry: no stale retry file');
    });

    it('--limit @failed finds the last retry file of the playbook; without one it refuses (exit 5)', async () => {
      const none = await cli(site, ['--limit', '@failed']);
      assert.equal(none.code, 5, none.stderr);
      assert.match(none.stderr, /--limit @failed: no retry file for .*site\.yaml/);

      await sshRun(hosts[2], 'rm -f /root/site-mark');
      hosts[2].signalAll('SIGKILL');
      try {
        const first = await cli(site);
        assert.equal(first.code, 4);
      } finally {
        await hosts[2].restart();
      }
      const retry = await cli(site, ['--limit', '@failed']);
      assert.equal(retry.code, 0, retry.stdout + retry.stderr);
      assert.deepEqual(Object.keys(recapOf(retry.stdout)), ['h3']);
      assert.equal(await sshRun(hosts[2], 'cat /root/site-mark'), 'h3');
      figures.faultsSurvived++;
    });

    it('a host that accepts TCP but never speaks SSH is unreachable within --timeout', async () => {
      hosts[1].signalAll('SIGSTOP'); // the kernel still accepts the connection; sshd never answers
      try {
        const started = Date.now();
        const result = await cli(site, ['--timeout', '2']);
        const elapsed = Date.now() - started;
        assert.equal(result.code, 4, result.stdout + result.stderr);
        assert.equal(recapOf(result.stdout).h2.unreachable, 1);
        assert.equal(recapOf(result.stdout).h1.unreachable, 0);
        const unreachable = jsonEvents(result.stdout).find((e) => e.event === 'host_result' && e.status === 'unreachable');
        assert.match(unreachable!.msg, /timed out after 2000 ms/);
        assert.ok(elapsed < 2_000 + 4_000, `reported within the 2 s connect timeout (took ${elapsed} ms)`);
      } finally {
        hosts[1].signalAll('SIGCONT');
      }
      await rm(retryFilePath(site), { force: true });
      figures.faultsSurvived++;
    });
  });

  describe('a host lost in the middle of a command', () => {
    let lost: string;
    before(async () => {
      // The long task has `creates`, so a rerun does it only where it did not finish.
      lost = await playbookFile('lost.yaml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: folder
      file: path=/root/lost state=directory
    - name: long work
      shell: sleep {{ nap }} && touch /root/lost/slept
      args:
        creates: /root/lost/slept
    - name: after the long work
      copy: dest=/root/lost/after content=after
`);
    });

    for (const [how, signal] of [['sshd killed (SIGKILL)', 'SIGKILL'], ['host frozen (SIGSTOP): keepalives notice', 'SIGSTOP']] as const) {
      it(`${how}: that host fails with "connection lost" naming the command, the others complete, no hang; a rerun converges`, async function () {
        this.timeout(240_000);
        await Promise.all(hosts.map((h) => sshRun(h, 'rm -rf /root/lost')));
        const run = spawnCli(cliArgs(lost));
        await waitFor('the long sleep on h2', async () => (await sshTry(hosts[1], 'pgrep -f "^sleep 40$"')).code === 0, 30_000);
        const lostAt = Date.now();
        hosts[1].signalAll(signal);
        let code: number;
        try {
          code = await Promise.race([run.done, new Promise<number>((_, reject) => setTimeout(
            () => reject(new Error(`the run hung after h2 was lost:\n${run.stdout()}\n${run.stderr()}`)), 60_000))]);
        } finally {
          if (signal === 'SIGSTOP') hosts[1].signalAll('SIGCONT');
          await hosts[1].restart();
        }
        const waited = Date.now() - lostAt;
        assert.ok(code === 2 || code === 4, `exit ${code}\n${run.stdout()}\n${run.stderr()}`);
        // Keepalives: 3 unanswered every 5 s; a dead socket is seen at once.
        assert.ok(waited < (signal === 'SIGKILL' ? 10_000 : 30_000), `noticed in ${waited} ms`);
        const failure = jsonEvents(run.stdout()).find((e) => e.event === 'host_result' && e.host === 'h2' && e.task === 'long work');
        assert.ok(failure && ['failed', 'unreachable'].includes(failure.status), run.stdout());
        assert.match(failure!.msg, /h2: connection lost .* while running: .*sleep 40/);
        const recap = recapOf(run.stdout());
        assert.equal(recap.h1.changed, 3);
        assert.equal(recap.h3.changed, 3);
        assert.equal(recap.h2.changed, 1, 'h2 did the folder only');
        for (const i of [0, 2]) assert.equal(await sshRun(hosts[i], 'cat /root/lost/after'), 'after');
        assert.equal((await sshTry(hosts[1], 'test -e /root/lost/slept')).code, 1, 'the long work did not finish on h2');

        // The host is back: the rerun does the remaining work on h2 only.
        await writeHosts(1);
        try {
          const rerun = await cli(lost);
          assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
          const again = recapOf(rerun.stdout);
          assert.equal(again.h1.changed, 0);
          assert.equal(again.h3.changed, 0);
          assert.equal(again.h2.changed, 2, 'the long work and what came after it, nothing else');
          assert.equal(await sshRun(hosts[1], 'cat /root/lost/after'), 'after');
        } finally {
          await writeHosts(40);
        }
        await rm(retryFilePath(lost), { force: true });
        figures.faultsSurvived++;
      });
    }
  });

  describe('no half-written file', () => {
    const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
    /** The test sshd's /root is this folder, bind-mounted: watched directly to catch the write in flight. */
    const rootHome = (host: TestSshd): string => path.join(host.dir, 'root-home');

    it('the controller SIGKILLed during a 64 MB copy leaves the old file whole, and no temp file; a rerun writes the new one', async function () {
      this.timeout(240_000);
      const big = path.join(dir, 'big.bin');
      const content = Buffer.alloc(64 * 1024 * 1024);
      for (let i = 0; i < content.length; i += 4096) content.write(`block ${i} of the new content\n`, i);
      await writeFile(big, content);
      const copy = await playbookFile('big.yaml', `
- hosts: h1
  gather_facts: false
  tasks:
    - name: big file
      copy: src=${big} dest=/root/big.bin mode=0640
`);
      const old = 'the old content, which must survive\n';
      await sshRun(hosts[0], `printf '%s' '${old.trim()}' > /root/big.bin && echo >> /root/big.bin`);
      assert.equal(sha256(await sshRun(hosts[0], 'cat /root/big.bin')), sha256(old));

      const run = spawnCli(cliArgs(copy));
      let caught = 0;
      await waitFor('the temp file of the write, half uploaded', async () => {
        for (const name of await readdir(rootHome(hosts[0]))) {
          if (!name.startsWith('.big.bin.swarmplay.')) continue;
          caught = (await stat(path.join(rootHome(hosts[0]), name)).catch(() => ({ size: 0 }))).size;
          if (caught > 4 * 1024 * 1024) return true;
        }
        return false;
      }, 60_000, 2);
      run.child.kill('SIGKILL');
      assert.equal(await run.done, 137);
      assert.ok(caught < content.length, 'the controller was killed while the content was still arriving');

      // sshd notices the dead connection, the write script sees its input end early and gives up.
      await waitFor('the temp file to be removed', async () =>
        (await sshRun(hosts[0], 'ls -A /root')).split('\n').every((name) => !name.includes('swarmplay')), 15_000, 200);
      assert.equal(sha256(await sshRun(hosts[0], 'cat /root/big.bin')), sha256(old), 'the old file, whole: never a mix');

      // A temp file a write could not clean up (host power loss): the next write of that file removes it.
      await sshRun(hosts[0], "head -c 1000 /dev/zero > /root/.big.bin.swarmplay.STALE1 && touch -d '-1 hour' /root/.big.bin.swarmplay.STALE1");
      const rerun = await cli(copy);
      assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
      assert.equal(recapOf(rerun.stdout).h1.changed, 1);
      assert.equal((await sshRun(hosts[0], 'ls -A /root')).includes('swarmplay'), false, 'the stale temp file was cleaned up');
      assert.equal((await sshRun(hosts[0], 'sha256sum /root/big.bin')).split(' ')[0], sha256(content), 'the new file, whole');
      assert.equal((await sshRun(hosts[0], 'stat -c %a /root/big.bin')).trim(), '640');
      await sshRun(hosts[0], 'rm -f /root/big.bin');
      figures.faultsSurvived++;
    });

    it('backup: true keeps the replaced file as PATH.TIMESTAMP~ beside it', async () => {
      await sshRun(hosts[0], "printf 'version 1\\n' > /root/conf.txt && rm -f /root/conf.txt.*~");
      const pb = await playbookFile('backup.yaml', `
- hosts: h1
  gather_facts: false
  tasks:
    - name: new config
      copy:
        dest: /root/conf.txt
        content: "version 2\\n"
        backup: true
      register: written
    - name: show the backup
      debug: var=written.backup_file
`);
      const result = await cli(pb);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const backups = (await sshRun(hosts[0], 'ls /root')).split('\n').filter((n) => n.startsWith('conf.txt.'));
      assert.equal(backups.length, 1, backups.join(', '));
      assert.match(backups[0], /^conf\.txt\.\d{14}~$/);
      assert.equal(await sshRun(hosts[0], `cat /root/${backups[0]}`), 'version 1\n');
      assert.equal(await sshRun(hosts[0], 'cat /root/conf.txt'), 'version 2\n');
      assert.ok(result.stdout.includes(`/root/${backups[0]}`), 'the backup path is reported');
    });
  });

  describe('Ctrl-C and SIGTERM', () => {
    let long: string;
    before(async () => {
      long = await playbookFile('interrupt.yaml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: quick
      copy: dest=/root/int-quick content=quick
    - name: long sleep
      shell: sleep 77 && touch /root/int-done
    - name: never reached
      copy: dest=/root/int-after content=after
`);
    });

    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      it(`${signal}: remote commands stopped on every host, recap so far, exit 99`, async () => {
        await Promise.all(hosts.map((h) => sshRun(h, 'rm -f /root/int-quick /root/int-done /root/int-after')));
        const json = signal === 'SIGTERM';
        const run = spawnCli(['run', long, '-i', inventory, '--known-hosts', knownHosts, ...(json ? ['--json'] : [])]);
        for (const host of hosts) {
          await waitFor(`sleep 77 on ${host.address}`, async () => (await sshTry(host, 'pgrep -f "^sleep 77$"')).code === 0, 30_000);
        }
        const signalledAt = Date.now();
        run.child.kill(signal);
        const code = await Promise.race([run.done, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 15_000))]);
        assert.equal(code, 99, `exit code\n${run.stdout()}\n${run.stderr()}`);
        assert.ok(Date.now() - signalledAt < 10_000);
        assert.match(run.stderr(), /Interrupted: stopping running commands and closing connections/);
        if (json) {
          const recap = jsonEvents(run.stdout()).find((e) => e.event === 'recap');
          assert.equal(recap?.interrupted, true, run.stdout());
          for (const name of ['h1', 'h2', 'h3']) {
            assert.deepEqual(recap!.hosts[name], { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
              'the recap so far: the quick task, and no failure invented by the interrupt');
          }
        } else {
          assert.match(run.stdout(), /Interrupted: the recap so far\.\n[\s\S]*PLAY RECAP/);
          assert.match(run.stdout(), /h2\s+: ok=1\s+changed=1\s+unreachable=0\s+failed=0/);
        }
        for (const host of hosts) {
          // Checked from outside: the remote sleep is gone, and nothing after it ran.
          await waitFor(`the remote sleep gone on ${host.address}`, async () =>
            (await sshTry(host, 'pgrep -f "^sleep 77$"')).code === 1, 5_000, 200);
          assert.equal((await sshTry(host, 'test -e /root/int-done')).code, 1);
          assert.equal((await sshTry(host, 'test -e /root/int-after')).code, 1);
          assert.equal(await sshRun(host, 'cat /root/int-quick'), 'quick');
        }
        figures.faultsSurvived++;
      });
    }

    it('a second Ctrl-C exits at once', async () => {
      const run = spawnCli(['run', long, '-i', inventory, '--known-hosts', knownHosts]);
      await waitFor('sleep 77 on h1', async () => (await sshTry(hosts[0], 'pgrep -f "^sleep 77$"')).code === 0, 30_000);
      run.child.kill('SIGINT');
      // The second only once the first is handled: two signals pending at once are one for the kernel.
      await waitFor('the first interrupt handled', async () => /Interrupted: stopping running commands/.test(run.stderr()), 10_000, 20);
      run.child.kill('SIGINT');
      const started = Date.now();
      const code = await Promise.race([run.done, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 5_000))]);
      assert.equal(code, 99, run.stderr());
      assert.ok(Date.now() - started < 2_000);
      for (const host of hosts) await sshTry(host, 'pkill -f "^sleep 77$"');
    });
  });
});
