/** Runs the built swarmplay CLI as a user would, and captures what it prints. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The bundled command line that `npm run build` makes and package.json's bin names. */
export const CLI = path.join(REPO_ROOT, 'dist/cli/swarmplay.mjs');

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
