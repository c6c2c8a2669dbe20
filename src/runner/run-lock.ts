/**
 * One run per inventory at a time, on this controller. Two runs against the
 * same hosts would interleave their changes (two `apt-get`s, two writes of
 * one file, a swarm join racing a leave), so the second run refuses with a
 * message naming the first (its pid, playbook and start time), or with
 * `--wait-lock` waits for it to finish.
 *
 * The lock is a file created whole with link(2), which fails if it exists (atomic on local filesystems),
 * in a folder private to this user under os.tmpdir(), named after a hash of
 * the inventory's real path, so `./hosts.yaml` and `/abs/path/hosts.yaml`
 * (or a symlink to it) are the same lock. It holds the owner's pid and the
 * kernel's start time of that process: a lock whose process is gone, or
 * whose pid now belongs to another process (pid reuse), is stale and taken
 * over. The owner removes it on exit, on every path including signals;
 * SIGKILL leaves it behind, which is what the stale check is for.
 */
import { createHash } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, lstat, mkdir, open, readFile, realpath, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SwarmplayError } from '../errors.js';

export interface RunLockOwner {
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot): tells a reused pid from the owner. */
  startTicks: string | null;
  playbook: string;
  inventory: string;
  startedAt: string;
}

export interface AcquireRunLockOptions {
  playbook: string;
  /** Wait for the holder to finish instead of refusing. */
  wait?: boolean;
  /** Called once when the lock is held by another run and we start waiting. */
  onWait?: (owner: RunLockOwner) => void;
  /** Polling interval while waiting; default 250 ms. */
  pollMs?: number;
  /** Folder of the lock files; default a per-user folder in os.tmpdir(). */
  lockDir?: string;
}

export interface RunLock {
  readonly path: string;
  release(): void;
}

/** The per-user folder that holds lock files. */
export function defaultLockDir(): string {
  const uid = process.getuid?.() ?? 'user';
  return path.join(os.tmpdir(), `swarmplay-locks-${uid}`);
}

/** Where the lock of an inventory lives (its real path, hashed). */
export async function lockPathFor(inventoryPath: string, lockDir = defaultLockDir()): Promise<string> {
  let real: string;
  try {
    real = await realpath(inventoryPath);
  } catch {
    real = path.resolve(inventoryPath); // missing inventory: the loader reports it; the lock still needs a name
  }
  const digest = createHash('sha256').update(real).digest('hex').slice(0, 32);
  return path.join(lockDir, `${digest}.lock`);
}

function processStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ..." where comm may hold spaces: field 22 counted after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(owner: RunLockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (owner.startTicks === null) return true;
  const now = processStartTicks(owner.pid);
  return now === null || now === owner.startTicks;
}

async function readOwner(file: string): Promise<RunLockOwner | null> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as RunLockOwner;
    return typeof data.pid === 'number' ? data : null;
  } catch {
    return null; // vanished, or half written by a run that is creating it right now
  }
}

async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  const uid = process.getuid?.();
  // Someone else's folder (or a symlink) in a shared /tmp could be used to delete or spoof our locks.
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) {
    throw new SwarmplayError('LOCKED', `the lock folder ${dir} is not a private folder of this user`, {
      hint: `remove it (rm -rf ${dir}) and run again`,
    });
  }
}

function describeOwner(owner: RunLockOwner): string {
  return `pid ${owner.pid}, playbook ${owner.playbook}, started ${owner.startedAt}`;
}

/**
 * Takes the inventory's lock, or throws LOCKED naming the run that holds it
 * (with `wait`, polls until it is free). A stale lock is taken over.
 */
export async function acquireRunLock(inventoryPath: string, options: AcquireRunLockOptions): Promise<RunLock> {
  const lockDir = options.lockDir ?? defaultLockDir();
  await ensurePrivateDir(lockDir);
  const file = await lockPathFor(inventoryPath, lockDir);
  const me: RunLockOwner = {
    pid: process.pid,
    startTicks: processStartTicks(process.pid),
    playbook: path.resolve(options.playbook),
    inventory: path.resolve(inventoryPath),
    startedAt: new Date().toISOString(),
  };
  let announcedWait = false;
  for (;;) {
    if (await createWhole(file, `${JSON.stringify(me)}\n`)) return makeLock(file);
    const owner = await readOwner(file);
    if (owner && !isAlive(owner)) {
      // Stale: its run was killed. Remove it only if it is still that same stale file.
      const again = await readOwner(file);
      if (again && again.pid === owner.pid && again.startedAt === owner.startedAt) await unlink(file).catch(() => undefined);
      continue;
    }
    if (!owner) {
      // Lock files appear whole (createWhole), so an unreadable one is garbage or just removed.
      await unlink(file).catch(() => undefined);
      continue;
    }
    if (!options.wait) {
      throw new SwarmplayError('LOCKED',
        `another swarmplay run is working on the inventory ${me.inventory} (${describeOwner(owner)}); refusing to interleave with it`,
        { hint: `wait for it to finish, or run with --wait-lock to wait for it (lock file: ${file})` });
    }
    if (!announcedWait) {
      announcedWait = true;
      options.onWait?.(owner);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}

/** Creates `file` with `content` only if it does not exist, never visible half written: a private temp file, then link(2). */
async function createWhole(file: string, content: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

function makeLock(file: string): RunLock {
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      // Only our own lock: never remove one a later run took over.
      const owner = JSON.parse(readFileSync(file, 'utf8')) as RunLockOwner;
      if (owner.pid === process.pid) unlinkSync(file);
    } catch { /* already gone */ }
  };
  // Synchronous, so it also runs on process.exit() (a second Ctrl-C).
  process.on('exit', release);
  return { path: file, release };
}
