/**
 * Two runs against the same inventory at once: the second refuses with a
 * clear message (or, with --wait-lock, waits), never interleaves; a lock
 * left by a killed run is taken over. Through the real CLI, over a real sshd.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSshd, type TestSshd } from '../support/sshd.js';
import { runCli } from '../support/cli.js';
import { figures, printFiguresAtEnd, sshRun, spawnCli, waitFor, writeInventory } from './support.js';
import { defaultLockDir, lockPathFor } from '../../src/runner/run-lock.js';

printFiguresAtEnd();

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

describe('reliability: one run per inventory at a time', function () {
  this.timeout(120_000);
  let host: TestSshd;
  let dir: string;
  let inventory: string;
  let playbook: string;
  let lockFile: string;

  const args = (label: string, extra: string[] = [], inv = inventory) =>
    ['run', playbook, '-i', inv, '--known-hosts', path.join(dir, 'known_hosts'), '-e', `label=${label}`, ...extra];
  /** A first run that holds the lock far longer than a second CLI takes to start on a busy machine; ended with Ctrl-C. */
  const longRun = (inv = inventory) => spawnCli(args('A', ['-e', 'nap=60'], inv));
  const endLongRun = async (run: ReturnType<typeof spawnCli>): Promise<void> => {
    assert.equal(run.child.exitCode, null, 'the first run was still working when the second one was refused');
    run.child.kill('SIGINT');
    assert.equal(await run.done, 99, run.stderr());
  };

  before(async () => {
    host = await startSshd({ address: '127.0.0.160' });
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-lock-'));
    inventory = await writeInventory(path.join(dir, 'hosts.yaml'), [{ name: 'h1', sshd: host }]);
    playbook = path.join(dir, 'slow.yaml');
    // Each run writes start and end marks around a pause: interleaved runs would show start, start.
    await writeFile(playbook, `
- hosts: all
  gather_facts: false
  tasks:
    - name: slow work
      shell: echo "start {{ label }}" >> /root/order; sleep {{ nap | default(2) }}; echo "end {{ label }}" >> /root/order
`);
    lockFile = await lockPathFor(inventory);
  });

  after(async () => {
    await host?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => sshRun(host, 'rm -f /root/order'));

  it('the second run refuses with a message naming the first, exit 1, and touches nothing', async () => {
    const first = longRun();
    await waitFor('the first run to start its work', async () => (await sshRun(host, 'cat /root/order 2>/dev/null || true')).includes('start A'));
    assert.ok(await exists(lockFile), `the lock file ${lockFile} is there while the run works`);
    const second = await runCli(args('B'));
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`another swarmplay run is working on the inventory ${inventory.replace(/[.]/g, '\\.')} ` +
      `\\(pid ${first.child.pid}, playbook .*slow\\.yaml, started .*\\); refusing to interleave with it`));
    assert.match(second.stderr, /--wait-lock/);
    await endLongRun(first);
    assert.equal(await sshRun(host, 'cat /root/order'), 'start A\n', 'the refused run did nothing');
    assert.equal(await exists(lockFile), false, 'the lock is released at the end of the run (Ctrl-C included)');
    figures.faultsSurvived++;
  });

  it('the same inventory through a symlink is the same lock', async () => {
    const link = path.join(dir, 'link-to-hosts.yaml');
    await symlink(inventory, link);
    const first = longRun(link);
    await waitFor('the first run to start its work', async () => (await sshRun(host, 'cat /root/order 2>/dev/null || true')).includes('start A'));
    const second = await runCli(args('B'));
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, /another swarmplay run is working on the inventory/);
    await endLongRun(first);
  });

  it('--wait-lock waits for the first run to finish, then runs: never interleaved', async () => {
    const first = spawnCli(args('A', ['-e', 'nap=8']));
    await waitFor('the first run to start its work', async () => (await sshRun(host, 'cat /root/order 2>/dev/null || true')).includes('start A'));
    const second = spawnCli(args('B', ['--wait-lock']));
    const [a, b] = await Promise.all([first.done, second.done]);
    assert.deepEqual([a, b], [0, 0], first.stderr() + second.stderr());
    assert.match(second.stderr(), /Waiting for the run that holds the inventory's lock to finish \(pid \d+/);
    assert.equal(await sshRun(host, 'cat /root/order'), 'start A\nend A\nstart B\nend B\n');
  });

  it('a lock left by a run that was killed (SIGKILL) is stale and taken over', async () => {
    const killed = spawnCli(args('A'));
    await waitFor('the run to start its work', async () => (await sshRun(host, 'cat /root/order 2>/dev/null || true')).includes('start A'));
    killed.child.kill('SIGKILL');
    await killed.done;
    assert.ok(await exists(lockFile), 'SIGKILL leaves the lock file behind');
    // Nothing stops what the killed controller had started on the host: let it end before the next run.
    await waitFor('the killed run\'s remote command to end', async () => (await sshRun(host, 'cat /root/order')).includes('end A'));
    const next = await runCli(args('B'));
    assert.equal(next.code, 0, next.stderr);
    assert.equal(await exists(lockFile), false);
    assert.equal(await sshRun(host, 'cat /root/order'), 'start A\nend A\nstart B\nend B\n');
    figures.faultsSurvived++;
  });

  it('a lock naming a pid that now belongs to another process (pid reuse) is stale too', async () => {
    // A live process that is not the lock's owner: its start time differs from the one recorded.
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await mkdir(defaultLockDir(), { recursive: true, mode: 0o700 });
      await writeFile(lockFile, `${JSON.stringify({
        pid: sleeper.pid, startTicks: '1', playbook: 'old.yaml', inventory, startedAt: '2020-01-01T00:00:00.000Z',
      })}\n`);
      const next = await runCli(args('B'));
      assert.equal(next.code, 0, next.stderr);
      assert.equal(await sshRun(host, 'cat /root/order'), 'start B\nend B\n');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('bad input is reported before the lock is even looked at', async () => {
    const first = longRun();
    await waitFor('the first run to start its work', async () => (await sshRun(host, 'cat /root/order 2>/dev/null || true')).includes('start A'));
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, '- hosts: all\n  tasks:\n    - cpoy: {dest: /x, content: x}\n');
    const bad = await runCli(['run', broken, '-i', inventory, '--known-hosts', path.join(dir, 'known_hosts')]);
    assert.equal(bad.code, 5, bad.stderr);
    assert.match(bad.stderr, /broken\.yaml:3:\d+: unknown module 'cpoy'/);
    await endLongRun(first);
  });
});
