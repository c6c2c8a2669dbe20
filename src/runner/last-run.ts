/**
 * The recap of the last run on an inventory, kept for `swarmplay ui` in the
 * `.swarmplay/` folder beside the inventory (as the retry files sit beside
 * the playbook): inventory/lab.yaml -> inventory/.swarmplay/lab.last-run.json.
 *
 * Only the playbook's path, times, exit code and the recap's counts per host
 * go in: no variable, message or secret can reach the file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RecapCounts } from './events.js';
import { RETRY_DIR } from './retry-file.js';

export interface LastRun {
  playbook: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  checkMode: boolean;
  recap: Record<string, RecapCounts>;
}

export function lastRunPath(inventoryPath: string): string {
  const absolute = path.resolve(inventoryPath);
  const name = path.basename(absolute).replace(/\.(ya?ml|ini|json)$/i, '');
  return path.join(path.dirname(absolute), RETRY_DIR, `${name}.last-run.json`);
}

export async function saveLastRun(inventoryPath: string, run: LastRun): Promise<void> {
  const file = lastRunPath(inventoryPath);
  await mkdir(path.dirname(file), { recursive: true });
  // Temp file and rename: `swarmplay ui` reading it meanwhile sees the old run or the new one.
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(run, null, 2)}\n`, { mode: 0o644 });
  await rename(temp, file);
}

/** null when no run was recorded (or the file is not one of ours). */
export async function readLastRun(inventoryPath: string): Promise<LastRun | null> {
  try {
    const data = JSON.parse(await readFile(lastRunPath(inventoryPath), 'utf8')) as LastRun;
    return typeof data.playbook === 'string' && typeof data.recap === 'object' ? data : null;
  } catch {
    return null;
  }
}
