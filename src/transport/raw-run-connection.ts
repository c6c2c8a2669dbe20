/**
 * What a connection builds on one primitive, running a command to bytes
 * (runRaw): text runs, and putFile/getFile through the atomic-write scripts.
 * The local and SSH connections differ only in how they run that command.
 */
import { getFileWith, putFileWith, type RawRunResult } from './atomic-write.js';
import type { PutFileOptions, PutFileResult, RunOptions, RunResult } from './types.js';

export abstract class RawRunConnection {
  abstract readonly host: string;

  protected abstract runRaw(command: string, options: RunOptions): Promise<RawRunResult>;

  async run(command: string, options: RunOptions = {}): Promise<RunResult> {
    const raw = await this.runRaw(command, options);
    return { stdout: raw.stdout.toString('utf8'), stderr: raw.stderr.toString('utf8'), exitCode: raw.exitCode };
  }

  putFile(path: string, content: string | Buffer, options: PutFileOptions = {}): Promise<PutFileResult> {
    return putFileWith(this.host, (command, runOptions) => this.runRaw(command, runOptions), path, content, options);
  }

  runBytes(command: string, options: RunOptions = {}): Promise<RawRunResult> {
    return this.runRaw(command, options);
  }

  getFile(path: string, options: { become?: boolean } = {}): Promise<Buffer | null> {
    return getFileWith(this.host, (command, runOptions) => this.runRaw(command, runOptions), path, options);
  }
}
