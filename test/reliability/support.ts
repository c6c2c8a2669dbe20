/**
 * What the reliability tests share: OpenSSH's own client to look at a host
 * from outside, inventories for test sshd hosts, the CLI as a child process
 * that can be signalled, and the figures printed at the end of the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestSshd } from '../support/sshd.js';
import { CLI, REPO_ROOT } from '../support/cli.js';

// OpenSSH's own client, shared with the e2e tests.
export { sshRun, sshTry } from '../support/sshd.js';

export interface InventoryHost {
  name: string;
  sshd: TestSshd;
  /** Log in by password instead of the client key. */
  byPassword?: boolean;
  vars?: Record<string, string | number | boolean>;
}

/** An Ansible YAML inventory of test hosts, root by key (or password), every value JSON-quoted. */
export async function writeInventory(file: string, hosts: InventoryHost[]): Promise<string> {
  const lines = ['all:', '  hosts:'];
  for (const host of hosts) {
    lines.push(`    ${JSON.stringify(host.name)}:`);
    const vars: Record<string, string | number | boolean> = {
      ansible_host: host.sshd.address,
      ansible_port: host.sshd.port,
      ansible_user: 'root',
      ...(host.byPassword ? { ansible_password: host.sshd.password } : { ansible_ssh_private_key_file: host.sshd.clientKeyPath }),
      ...host.vars,
    };
    for (const [key, value] of Object.entries(vars)) lines.push(`      ${key}: ${JSON.stringify(value)}`);
  }
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** The CLI running in the background, to be signalled. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or 128+n for a signal) once the process is gone. */
  done: Promise<number>;
}

export function spawnCli(args: string[], options: { cwd?: string } = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => { stdout += d; });
  child.stderr!.on('data', (d) => { stderr += d; });
  const done = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : -1)));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Polls `check` until it is true, or fails after `timeoutMs` saying what was awaited. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 100): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Where the repository's relative paths start. */
export const repoPath = (...parts: string[]): string => path.join(REPO_ROOT, ...parts);

/**
 * The figures the issue asks the test run to print. Each test adds to them
 * only after its assertions passed, so the line counts what was proven.
 */
export const figures = { faultsSurvived: 0, badInputsTried: 0, secretsChecked: 0, outputsGrepped: 0, injectionsTried: 0, fuzzRuns: 0 };

let summaryRegistered = false;
/** Prints the figures once, after every test of the run (a root-level mocha hook). */
export function printFiguresAtEnd(): void {
  if (summaryRegistered) return;
  summaryRegistered = true;
  after(() => {
    const f = figures;
    console.log(`\n  Reliability figures: ${f.faultsSurvived} faults survived, ${f.badInputsTried} bad inputs tried, ` +
      `${f.secretsChecked} secrets checked in ${f.outputsGrepped} outputs, ${f.injectionsTried} injection attempts run nothing, ` +
      `${f.fuzzRuns} fuzz inputs without a crash\n`);
  });
}
