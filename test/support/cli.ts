/** Runs the built swarmplay CLI as a user would, and captures what it prints. */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The bundled command line that `npm run build` makes and package.json's bin names. */
export const CLI = path.join(REPO_ROOT, 'dist/cli/swarmplay.mjs');

/**
 * The tests run the bundle, as users do; after a plain `tsc` it would be older than the
 * code under test, and the tests would pass or fail on yesterday's code. Refuse that loudly.
 */
function assertBundleIsCurrent(): void {
  const bundled = statSync(CLI, { throwIfNoEntry: false })?.mtimeMs;
  const compiled = readdirSync(path.join(REPO_ROOT, 'dist/src'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .reduce((newest, entry) => Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs), 0);
  if (bundled === undefined || bundled < compiled) {
    throw new Error(`${CLI} is missing or older than dist/src: run \`npm run build\` (tsc, then the bundle)`);
  }
}
assertBundleIsCurrent();

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, CI: 'true', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`swarmplay ${args.join(' ')} did not finish in ${options.timeoutMs ?? 120000} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 120000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The events of a --json run, parsed. */
export function jsonEvents(stdout: string): Record<string, any>[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

export function recapOf(stdout: string): Record<string, Record<string, number>> {
  const recap = jsonEvents(stdout).find((e) => e.event === 'recap');
  if (!recap) throw new Error(`no recap event in output:\n${stdout}`);
  return recap.hosts;
}
