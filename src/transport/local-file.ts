/**
 * Files on the controller itself (fetch's destination, vault files): written
 * to a temp file in the same folder, fsynced and renamed, so a reader never
 * sees half a file.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export async function writeControllerFile(file: string, content: Buffer, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await replaceControllerFile(file, content, mode);
}

/**
 * Replaces (or creates) a file in a folder that exists. `mode` goes through
 * the umask, unless `exactMode` (a file that keeps the mode it had).
 */
export async function replaceControllerFile(file: string, content: string | Buffer, mode: number, exactMode = false): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'w', mode);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (exactMode) await chmod(temp, mode);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
