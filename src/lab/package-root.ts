/**
 * The swarmplay package folder, found by walking up from this file, so that
 * assets resolve the same from src/ (ts-node, tests) and from dist/src/.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'swarmplay') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('swarmplay package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The stand-in systemctl shipped in the repository (src/lab/assets/systemctl.mjs). */
export function standInSystemctlSource(): string {
  return path.join(packageRoot(), 'src', 'lab', 'assets', 'systemctl.mjs');
}

/** The lab's shutdown and reboot for bare hosts (src/lab/assets/power.mjs). */
export function labPowerSource(): string {
  return path.join(packageRoot(), 'src', 'lab', 'assets', 'power.mjs');
}
