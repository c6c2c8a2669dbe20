/**
 * The local transport, for `ansible_connection: local`: commands run on the
 * controller itself with /bin/sh -c. Files are written with the same atomic
 * script as over SSH, so both transports behave alike.
 *
 * become: a no-op when the controller runs as root; otherwise `sudo -n`
 * (passwordless sudo only: a local run has no place to prompt safely).
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { SwarmplayError } from '../errors.js';
import { quote } from './shell-quote.js';
import type { RawRunResult } from './atomic-write.js';
import { RawRunConnection } from './raw-run-connection.js';
import type { Connection, FollowResult, RunOptions } from './types.js';

export class LocalConnection extends RawRunConnection implements Connection {
  readonly host: string;
  private readonly running = new Set<ReturnType<typeof spawn>>();

  constructor(host = 'localhost') {
    super();
    this.host = host;
  }

  follow(command: string, onOutput: (chunk: string) => void, signal: AbortSignal): Promise<FollowResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      this.running.add(child);
      let stderr = '';
      const onAbort = (): void => killGroup(child, 'SIGTERM');
      signal.addEventListener('abort', onAbort, { once: true });
      child.stdout.setEncoding('utf8').on('data', onOutput);
      child.stderr.setEncoding('utf8').on('data', (text: string) => { if (stderr.length < 65_536) stderr += text; });
      child.on('error', (error) => {
        this.running.delete(child);
        signal.removeEventListener('abort', onAbort);
        reject(new SwarmplayError('COMMAND_FAILED', `${this.host}: cannot start /bin/sh: ${error.message}`));
      });
      child.on('close', (code, exitSignal) => {
        this.running.delete(child);
        signal.removeEventListener('abort', onAbort);
        resolve({ exitCode: code ?? (exitSignal ? 128 + ((osConstants.signals as Record<string, number>)[exitSignal] ?? 127) : 255), stderr });
      });
    });
  }

  async close(): Promise<void> {
    for (const child of this.running) killGroup(child, 'SIGTERM');
  }

  protected runRaw(command: string, options: RunOptions): Promise<RawRunResult> {
    const become = options.become === true && process.getuid?.() !== 0;
    const argv = become ? ['sudo', '-n', '--', '/bin/sh', '-c', command] : ['/bin/sh', '-c', command];
    const display = options.displayCommand ?? command;
    return new Promise((resolve, reject) => {
      // Its own process group, so a timeout kills the command's children too (they hold its output open).
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      this.running.add(child);
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timedOut = false;
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
        timedOut = true;
        killGroup(child, 'SIGKILL');
      }, options.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.stdin.on('error', () => { /* the command did not read its stdin: not an error */ });
      child.on('error', (error) => {
        clearTimeout(timer);
        this.running.delete(child);
        reject(new SwarmplayError('COMMAND_FAILED', `${this.host}: cannot start ${quote(argv[0]!)}: ${error.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.running.delete(child);
        if (timedOut) {
          reject(new SwarmplayError('TIMEOUT', `${this.host}: command timed out after ${options.timeoutMs} ms: ${display}`));
          return;
        }
        const exitCode = code ?? (signal ? 128 + ((osConstants.signals as Record<string, number>)[signal] ?? 127) : 255);
        resolve({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), exitCode });
      });
      if (options.stdin !== undefined) child.stdin.end(options.stdin);
      else child.stdin.end();
    });
  }
}

function killGroup(child: ReturnType<typeof spawn>, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch { /* already gone */ }
}
