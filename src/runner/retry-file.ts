/**
 * Retry files, in Ansible's format (one host name per line), so that
 * `--limit @FILE` reruns just the hosts that still need work, and
 * `--limit @failed` finds the file by itself.
 *
 * The file lives in a `.swarmplay/` folder beside the playbook (git-ignored),
 * named after the playbook: playbooks/site.yaml -> playbooks/.swarmplay/site.retry.
 * It lists the hosts whose last run of that playbook failed or was
 * unreachable: a run adds its failed hosts and removes the hosts it ran
 * cleanly, so after `--limit @failed` fixed one of two hosts the file still
 * names the other, and once every host is clean the file is removed (a
 * stale file would make `@failed` rerun hosts that are fine).
 *
 * Only host names go in: no variable, message or secret can reach the file.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SwarmplayError } from '../errors.js';
import type { RecapCounts } from './events.js';

export const RETRY_DIR = '.swarmplay';
/** The `--limit` term that stands for the playbook's retry file. */
export const FAILED_LIMIT_TERM = '@failed';

/** playbooks/site.yaml -> playbooks/.swarmplay/site.retry (absolute). */
export function retryFilePath(playbookPath: string): string {
  const absolute = path.resolve(playbookPath);
  const name = path.basename(absolute).replace(/\.ya?ml$/i, '');
  return path.join(path.dirname(absolute), RETRY_DIR, `${name}.retry`);
}

function readHosts(text: string): string[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
}

/** Hosts that need another run: failed (not rescued, not ignored) or unreachable. */
export function hostsToRetry(recap: Record<string, RecapCounts>): string[] {
  return Object.entries(recap).filter(([, c]) => c.failed > 0 || c.unreachable > 0).map(([host]) => host);
}

/**
 * Brings the playbook's retry file up to date after a run: the hosts it
 * listed minus those this run finished cleanly, plus those that failed now.
 * Returns the file's path when hosts remain in it, null when it was removed
 * (or never needed).
 */
export async function updateRetryFile(playbookPath: string, recap: Record<string, RecapCounts>): Promise<string | null> {
  const file = retryFilePath(playbookPath);
  const previous = readHosts(await readFile(file, 'utf8').catch(() => ''));
  const failedNow = hostsToRetry(recap);
  const ranCleanly = new Set(Object.keys(recap).filter((host) => !failedNow.includes(host)));
  const hosts = [...new Set([...previous.filter((h) => !ranCleanly.has(h)), ...failedNow])];
  if (hosts.length === 0) {
    await rm(file, { force: true });
    return null;
  }
  await mkdir(path.dirname(file), { recursive: true });
  // Temp file and rename: a reader (or a crash) never sees half a list.
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${hosts.join('\n')}\n`, { mode: 0o644 });
  await rename(temp, file);
  return file;
}

/**
 * Replaces each `@failed` term of a `--limit` value with `@<retry file>` of
 * the playbook. A missing retry file is a BAD_OPTION: there is nothing to
 * retry, and running every host instead would be a surprise.
 */
export function expandFailedLimit(limit: string, playbookPath: string): string {
  const terms = limit.split(/([,:])/);
  if (!terms.some((term) => term.trim() === FAILED_LIMIT_TERM)) return limit;
  const file = retryFilePath(playbookPath);
  let hosts: string[];
  try {
    hosts = readHosts(readFileSync(file, 'utf8'));
  } catch {
    hosts = [];
  }
  if (hosts.length === 0) {
    throw new SwarmplayError('BAD_OPTION', `--limit ${FAILED_LIMIT_TERM}: no retry file for ${path.resolve(playbookPath)} (${file})`, {
      hint: 'the last run of this playbook left no failed or unreachable host; run without --limit @failed',
    });
  }
  return terms.map((term) => (term.trim() === FAILED_LIMIT_TERM ? `@${file}` : term)).join('');
}
