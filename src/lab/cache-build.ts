/**
 * Building a cached folder once per machine, when several labs (tests run
 * side by side, several checkouts) ask for it at the same time: the first
 * takes a lock (a folder made atomically, holding its pid and start time) and
 * builds into a temporary folder renamed into place; the others wait for the
 * lock to go and use what it built. A lock whose process is gone (a killed
 * build) is taken over.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isSameProcess, processStartTicks } from './processes.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function lockHolderAlive(lock: string): boolean {
  try {
    const { pid, startTicks } = JSON.parse(readFileSync(`${lock}/owner.json`, 'utf8')) as { pid: number; startTicks: string };
    return isSameProcess(pid, startTicks);
  } catch {
    // The lock was just made and its owner file is not written yet: give it the benefit of the doubt once.
    return existsSync(lock);
  }
}

/**
 * Returns `target`, calling `build(temporaryFolder)` first when it is missing.
 * `onWait` is told once when another process is building it.
 */
export async function buildCachedOnce(target: string, build: (folder: string) => Promise<void>, onWait: () => void = () => {}): Promise<{ built: boolean }> {
  const lock = `${target}.lock`;
  let told = false;
  for (;;) {
    if (existsSync(target)) return { built: false };
    try {
      mkdirSync(lock);
    } catch {
      if (!lockHolderAlive(lock)) {
        await sleep(200);
        if (!lockHolderAlive(lock)) rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!told) onWait();
      told = true;
      await sleep(1000);
      continue;
    }
    try {
      writeFileSync(`${lock}/owner.json`, JSON.stringify({ pid: process.pid, startTicks: processStartTicks(process.pid) }));
      if (existsSync(target)) return { built: false };
      const building = `${target}.${process.pid}.building`;
      rmSync(building, { recursive: true, force: true });
      try {
        await build(building);
        renameSync(building, target);
      } finally {
        rmSync(building, { recursive: true, force: true });
      }
      return { built: true };
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
