/**
 * Runs a program on the controller (never through a shell) and turns a
 * failure into a LAB_FAILED error that shows the command and its stderr.
 */
import { spawn } from 'node:child_process';
import { SwarmplayError } from '../errors.js';

export interface LocalCommandOptions {
  /** Written to the program's stdin (e.g. a password, so it never shows in `ps`). */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Resolve with the result instead of throwing when the exit status is not 0. */
  allowFailure?: boolean;
  cwd?: string;
}

export interface LocalCommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runLocal(program: string, args: readonly string[], options: LocalCommandOptions = {}): Promise<LocalCommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) =>
      reject(new SwarmplayError('LAB_FAILED', `cannot run ${program}: ${error.message}`, {
        hint: 'run `swarmplay lab setup` to install the packages the lab needs',
        cause: error,
      })));
    child.on('close', (code) => {
      const result = { code: code ?? 1, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
      if (result.code !== 0 && !options.allowFailure) {
        reject(new SwarmplayError('LAB_FAILED', `${[program, ...args].join(' ')} failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`));
      } else {
        resolve(result);
      }
    });
    child.stdin.on('error', () => { /* the program may exit before reading its input */ });
    child.stdin.end(options.input ?? '');
  });
}
