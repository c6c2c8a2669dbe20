/**
 * The SSH transport: one connection per host for the whole run (node-ssh,
 * ssh2 underneath), every command a channel multiplexed on it.
 *
 * - Channels in flight are capped at OpenSSH's MaxSessions default (10):
 *   more would be refused by the server, so extra commands wait their turn.
 * - Host keys are checked by KnownHosts (ssh2 would accept any key).
 * - Keepalives are on, so a host that dies or hangs fails the running
 *   commands with CONNECTION_LOST instead of hanging the run.
 * - become runs the command under `sudo -S`; the password is written to
 *   stdin only when sudo actually prompts for it (a random prompt string is
 *   watched for on stderr), so a password never reaches the command itself,
 *   and NOPASSWD sudoers work too. For root, become is a no-op.
 * - Files are written atomically in one command with the content on stdin
 *   (atomic-write.ts), never through an SFTP session per file.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { constants as osConstants } from 'node:os';
import { readFile, stat } from 'node:fs/promises';
import type { NodeSSH, Config as NodeSshConfig } from 'node-ssh';
import type { Client, ClientChannel, ServerHostKeyAlgorithm } from 'ssh2';
import pLimit, { type LimitFunction } from 'p-limit';
import { SwarmplayError } from '../errors.js';
import { quote } from './shell-quote.js';
import { KnownHosts } from './known-hosts.js';
import { RemoteShellPool, type RemoteShell } from './remote-shell.js';
import type { RawRunResult } from './atomic-write.js';
import { RawRunConnection } from './raw-run-connection.js';
import type {
  Connection, ConnectionSpec, FollowResult, RunOptions,
} from './types.js';

/** Kills the process group of every other session of this connection (see stopRemoteCommands). */
const KILL_SESSION_COMMANDS = [
  'me=$$; parent=$PPID',
  'for stat in /proc/[0-9]*/stat; do',
  '  { read -r line < "$stat"; } 2>/dev/null || continue',
  '  set -- ${line##*) }', // after the last ')': state, ppid, pgrp, ...
  '  [ "$2" = "$parent" ] || continue',
  '  pid=${stat#/proc/}; pid=${pid%/stat}',
  '  [ "$pid" = "$me" ] && continue',
  '  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true',
  'done',
].join('\n');

/** OpenSSH's MaxSessions default: channels one connection may have open at once. */
export const DEFAULT_MAX_CHANNELS = 10;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_KEEPALIVE_INTERVAL_MS = 5_000;
const DEFAULT_KEEPALIVE_COUNT_MAX = 3;
const DEFAULT_PERSISTENT_SHELLS = 4;
/** Longest command text quoted in an error message. */
const MAX_DISPLAYED_COMMAND = 200;

export interface SshConnectOptions {
  knownHosts: KnownHosts;
  /** Refuse hosts missing from known_hosts (HOST_KEY_UNKNOWN) instead of recording them. */
  strictHostKeys: boolean;
  /** Default: spec.connectTimeoutMs, else 10 s. Covers TCP connect, handshake and auth. */
  connectTimeoutMs?: number;
  /** Default 5000. A host is declared lost after keepaliveCountMax unanswered keepalives. */
  keepaliveIntervalMs?: number;
  /** Default 3. */
  keepaliveCountMax?: number;
  /** Default 10 (OpenSSH MaxSessions). Persistent shells count against it. */
  maxChannels?: number;
  /**
   * Long-lived remote shells per connection that serve run() without a new
   * channel per command (remote-shell.ts). Default 4; 0 turns them off.
   * Commands with become (non-root) or a timeout always use exec channels.
   */
  persistentShells?: number;
  /** ssh-agent socket; default process.env.SSH_AUTH_SOCK. */
  agentSocket?: string;
}

/** Host key algorithms ssh2 offers, in its default order (Node 20 has ed25519). */
const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
];

export class SshConnection extends RawRunConnection implements Connection {
  readonly host: string;
  /** Channels opened so far (for benchmarks: one per command on the exec path). */
  channelsOpened = 0;
  private readonly client: Client;
  private readonly ssh: NodeSSH;
  private readonly spec: ConnectionSpec;
  private readonly channelSlots: LimitFunction;
  /** Fails each running command when the connection is lost. */
  private readonly inFlight = new Set<() => void>();
  private openChannels = 0;
  private readonly channelClosed = new EventEmitter();
  private lostError: SwarmplayError | undefined;
  private closing = false;
  private readonly shells: RemoteShellPool | undefined;

  private constructor(spec: ConnectionSpec, ssh: NodeSSH, maxChannels: number, persistentShells: number) {
    super();
    this.host = spec.host;
    this.spec = spec;
    this.ssh = ssh;
    this.client = ssh.connection!;
    // Shells keep their channels for the whole run; exec channels get the rest of the server's MaxSessions.
    const shellCount = Math.max(0, Math.min(persistentShells, maxChannels - 1));
    this.channelSlots = pLimit(maxChannels - shellCount);
    this.shells = shellCount > 0 ? new RemoteShellPool(this.client, shellCount, () => { this.channelsOpened += 1; }) : undefined;
    // node-ssh drops its own error listener once connected; without ours an 'error' would crash the process.
    this.client.on('error', (error: Error) => this.markLost(error));
    this.client.on('close', () => this.markLost(new Error('the connection closed')));
  }

  /** Opens the one connection to `spec`'s host: TCP, handshake, host key check, auth. */
  static async connect(spec: ConnectionSpec, options: SshConnectOptions): Promise<SshConnection> {
    const timeoutMs = options.connectTimeoutMs ?? spec.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const where = `${spec.user}@${spec.address}:${spec.port}`;
    const config: NodeSshConfig = {
      host: spec.address,
      port: spec.port,
      username: spec.user,
      readyTimeout: timeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: options.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT_MAX,
      algorithms: { serverHostKey: preferKnownKeyTypes(options.knownHosts.knownKeyTypes([spec.address], spec.port)) },
    };
    if (spec.privateKeyPath) config.privateKey = await readPrivateKey(spec);
    const agent = options.agentSocket ?? process.env.SSH_AUTH_SOCK;
    if (agent) config.agent = agent;
    if (spec.password !== undefined) {
      config.password = spec.password;
      config.tryKeyboard = true; // node-ssh answers password prompts of keyboard-interactive with it
    }

    let hostKeyError: SwarmplayError | undefined;
    config.hostVerifier = (key: Buffer): boolean => {
      try {
        options.knownHosts.check(spec.host, spec.address, spec.port, key, options.strictHostKeys);
        return true;
      } catch (error) {
        hostKeyError = error instanceof SwarmplayError ? error
          : new SwarmplayError('HOST_KEY_CHANGED', `${spec.host}: cannot check the host key: ${(error as Error).message}`);
        return false;
      }
    };

    // node-ssh and ssh2 are loaded with the first connection: a run that connects nowhere
    // (check, a play with no hosts, --version) does not pay for them.
    const ssh = new (await import('node-ssh')).NodeSSH();
    // ssh2's readyTimeout does not cover a TCP connect that never answers (a dropped SYN): guard it ourselves.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ssh.connection?.destroy();
        reject(new SwarmplayError('CONNECT_FAILED', `${spec.host}: cannot connect to ${where}: timed out after ${timeoutMs} ms`));
      }, timeoutMs + 1000);
    });
    try {
      await Promise.race([ssh.connect(config), deadline]);
    } catch (error) {
      ssh.connection?.destroy();
      if (hostKeyError) throw hostKeyError;
      throw connectError(spec, where, error, timeoutMs);
    } finally {
      clearTimeout(timer);
    }
    return new SshConnection(spec, ssh, options.maxChannels ?? DEFAULT_MAX_CHANNELS,
      options.persistentShells ?? DEFAULT_PERSISTENT_SHELLS);
  }

  /** One exec channel for the command's whole life; it holds one of the connection's channel slots meanwhile. */
  follow(command: string, onOutput: (chunk: string) => void, signal: AbortSignal): Promise<FollowResult> {
    const display = displayed(command);
    return this.channelSlots(() => new Promise<FollowResult>((resolve, reject) => {
      if (this.lostError) { reject(this.lostFor(display)); return; }
      if (this.closing || signal.aborted) { resolve({ exitCode: 130, stderr: '' }); return; }
      let channel: ClientChannel | undefined;
      let exitCode: number | undefined;
      let settled = false;
      const stderr: Buffer[] = [];
      const decoder = new TextDecoder();
      const finish = (error?: SwarmplayError): void => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(onLost);
        signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve({ exitCode: exitCode ?? (signal.aborted ? 130 : 255), stderr: Buffer.concat(stderr).toString('utf8') });
      };
      const onLost = (): void => finish(this.lostFor(display));
      const onAbort = (): void => {
        if (channel) stopChannel(channel);
        finish();
      };
      this.inFlight.add(onLost);
      signal.addEventListener('abort', onAbort, { once: true });
      this.openExecChannel(command).then((opened) => {
        channel = opened;
        opened.once('close', () => {
          this.openChannels -= 1;
          this.channelClosed.emit('close');
          if (exitCode === undefined && this.lostError) finish(this.lostFor(display));
          else finish();
        });
        if (settled) { stopChannel(opened); return; }
        opened.on('data', (chunk: Buffer) => onOutput(decoder.decode(chunk, { stream: true })));
        opened.stderr.on('data', (chunk: Buffer) => { if (stderr.length < 64) stderr.push(chunk); });
        opened.on('exit', (code: number | null, exitSignal?: string) => { exitCode = code ?? signalExitCode(exitSignal); });
        opened.end();
      }, (error: Error) => {
        finish(this.lostError ? this.lostFor(display)
          : new SwarmplayError('CONNECTION_LOST', `${this.host}: cannot open a channel (${error.message}) for: ${display}`));
      });
    }));
  }

  async close(): Promise<void> {
    if (this.closing) return;
    // Closing the connection alone would not stop them: processes of a non-pty session get no hangup.
    if (this.inFlight.size > 0 && !this.lostError) await this.stopRemoteCommands();
    this.closing = true;
    this.shells?.closeAll();
    const closed = new Promise<void>((resolve) => {
      if (this.lostError) resolve();
      else this.client.once('close', () => resolve());
    });
    this.ssh.dispose();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }

  /**
   * Kills every command this connection is running (on Ctrl-C): each session
   * channel's command runs in its own session and process group, started by
   * the per-connection sshd process, which is the parent of the shell that
   * runs this script too. Best effort, bounded by a short timeout; a command
   * under sudo run by a non-root user cannot be signalled by that user.
   */
  private async stopRemoteCommands(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      const done = (): void => { clearTimeout(timer); resolve(); };
      try {
        this.client.exec(KILL_SESSION_COMMANDS, (error, channel) => {
          if (error) { done(); return; }
          channel.on('close', done);
          channel.resume();
          channel.stderr.resume();
        });
      } catch {
        done();
      }
    });
  }

  private get becomeNeeded(): boolean {
    return this.spec.user !== 'root';
  }

  protected async runRaw(command: string, options: RunOptions): Promise<RawRunResult> {
    const become = (options.become ?? this.spec.become ?? false) && this.becomeNeeded;
    const stdin = options.stdin === undefined ? undefined
      : Buffer.isBuffer(options.stdin) ? options.stdin : Buffer.from(options.stdin, 'utf8');
    const display = displayed(options.displayCommand ?? command);
    if (this.shells && !become && options.timeoutMs === undefined && !this.lostError && !this.closing) {
      const shell = await this.shells.acquire();
      if (shell) return this.runInShell(shell, command, stdin, display);
    }
    return this.channelSlots(() => this.execChannel(command, stdin, display, options.timeoutMs, become));
  }

  private runInShell(shell: RemoteShell, command: string, stdin: Buffer | undefined, display: string): Promise<RawRunResult> {
    return new Promise<RawRunResult>((resolve, reject) => {
      let settled = false;
      const onLost = (): void => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(onLost);
        reject(this.lostFor(display));
      };
      this.inFlight.add(onLost);
      shell.run(command, stdin).then((result) => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(onLost);
        this.shells!.release(shell);
        resolve(result);
      }, (error: Error) => {
        // The client's 'close' runs before ssh2 closes its channels, so a lost connection was reported above.
        if (settled) return;
        settled = true;
        this.inFlight.delete(onLost);
        this.shells!.release(shell);
        reject(this.lostError ? this.lostFor(display)
          : new SwarmplayError('COMMAND_FAILED', `${this.host}: the remote shell ended (${error.message}) while running: ${display}`));
      });
    });
  }

  private execChannel(
    command: string, stdin: Buffer | undefined, display: string, timeoutMs: number | undefined, become: boolean,
  ): Promise<RawRunResult> {
    if (this.lostError) return Promise.reject(this.lostFor(display));
    if (this.closing) {
      return Promise.reject(new SwarmplayError('CONNECTION_LOST', `${this.host}: connection already closed; cannot run: ${display}`));
    }
    const sudo = become ? new SudoExchange(this.host, this.spec.becomePassword) : undefined;
    const remoteCommand = sudo ? sudo.wrap(command) : command;

    return new Promise<RawRunResult>((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let exitCode: number | undefined;
      let channel: ClientChannel | undefined;
      let timer: NodeJS.Timeout | undefined;
      let settled = false;

      const finish = (error: SwarmplayError | undefined, result?: RawRunResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(onLost);
        if (error) {
          if (channel) stopChannel(channel);
          reject(error);
        } else {
          resolve(result!);
        }
      };
      const onLost = (): void => finish(this.lostFor(display));
      this.inFlight.add(onLost);

      if (timeoutMs !== undefined) {
        timer = setTimeout(() => finish(new SwarmplayError('TIMEOUT',
          `${this.host}: command timed out after ${timeoutMs} ms: ${display}`)), timeoutMs);
      }

      this.openExecChannel(remoteCommand).then((opened) => {
        channel = opened;
        opened.once('close', () => {
          this.openChannels -= 1;
          this.channelClosed.emit('close');
        });
        if (settled) { // timed out or lost while the channel was opening
          stopChannel(opened);
          return;
        }
        opened.on('data', (chunk: Buffer) => stdout.push(chunk));
        opened.stderr.on('data', (chunk: Buffer) => {
          if (!sudo) { stderr.push(chunk); return; }
          const outcome = sudo.onStderr(chunk);
          if (outcome.passthrough.length > 0) stderr.push(outcome.passthrough);
          if (outcome.writePassword !== undefined) opened.write(outcome.writePassword);
          if (outcome.ready) writeStdin(opened, stdin);
          if (outcome.error) finish(outcome.error);
        });
        opened.on('exit', (code: number | null, signal?: string) => {
          exitCode = code ?? signalExitCode(signal);
        });
        opened.on('close', () => {
          // ssh2 closes every channel when the connection drops; the client's 'close' ran first and set lostError.
          if (exitCode === undefined && this.lostError) { finish(this.lostFor(display)); return; }
          if (sudo && !sudo.isReady) stderr.push(sudo.leftover());
          finish(undefined, { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), exitCode: exitCode ?? 255 });
        });
        if (!sudo) writeStdin(opened, stdin);
      }, (error: Error) => {
        finish(this.lostError ? this.lostFor(display)
          : new SwarmplayError('CONNECTION_LOST', `${this.host}: cannot open a channel (${error.message}) for: ${display}`));
      });
    });
  }

  /**
   * sshd frees a session slot only when its main loop collects the closed
   * channel, a moment after it sent the close: an open sent right then is
   * refused although we respect MaxSessions. Such a refusal is retried once
   * another channel has closed (or after a short wait); with no other channel
   * open, a second refusal is final.
   */
  private async openExecChannel(command: string): Promise<ClientChannel> {
    for (let attempt = 1; ; attempt++) {
      try {
        const channel = await new Promise<ClientChannel>((resolve, reject) => {
          this.client.exec(command, (error, opened) => (error ? reject(error) : resolve(opened)));
        });
        this.openChannels += 1;
        this.channelsOpened += 1;
        return channel;
      } catch (error) {
        const refused = /open failed|administratively prohibited/i.test((error as Error).message);
        if (!refused || this.lostError || attempt >= 20 || (this.openChannels === 0 && attempt >= 2)) throw error;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, 20 * attempt);
          function done(): void { clearTimeout(timer); resolve(); }
          this.channelClosed.once('close', done);
        });
      }
    }
  }

  private markLost(cause: Error): void {
    if (this.lostError) return;
    const reason = this.closing ? 'the connection was closed' : `connection lost (${cause.message})`;
    this.lostError = new SwarmplayError('CONNECTION_LOST', `${this.host}: ${reason}`, { cause });
    for (const fail of [...this.inFlight]) fail();
  }

  private lostFor(display: string): SwarmplayError {
    const base = this.lostError!;
    return new SwarmplayError('CONNECTION_LOST', `${base.message} while running: ${display}`, { cause: base.cause });
  }
}

/**
 * The sudo conversation on one channel: watch stderr for our random prompt
 * (then send the password), and for a random marker the command prints
 * first under sudo (then the command's own stdin may flow).
 */
class SudoExchange {
  private readonly prompt = `[swarmplay-become-${randomBytes(6).toString('hex')}]`;
  private readonly marker = `swarmplay-become-ready-${randomBytes(6).toString('hex')}`;
  private pending = '';
  private promptsSeen = 0;
  isReady = false;

  constructor(private readonly host: string, private readonly password: string | undefined) {}

  wrap(command: string): string {
    const inner = `printf '%s\\n' ${this.marker} >&2\n${command}`;
    return `sudo -S -p ${quote(this.prompt)} -- sh -c ${quote(inner)}`;
  }

  onStderr(chunk: Buffer): { passthrough: Buffer; writePassword?: string; ready?: boolean; error?: SwarmplayError } {
    if (this.isReady) return { passthrough: chunk };
    this.pending += chunk.toString('utf8');
    const promptAt = this.pending.indexOf(this.prompt);
    if (promptAt !== -1) {
      this.pending = this.pending.slice(0, promptAt) + this.pending.slice(promptAt + this.prompt.length);
      this.promptsSeen += 1;
      if (this.password === undefined) {
        return { passthrough: Buffer.alloc(0), error: new SwarmplayError('AUTH_FAILED',
          `${this.host}: sudo asks for a password and no become password is set (ansible_become_password)`) };
      }
      if (this.promptsSeen > 1) {
        return { passthrough: Buffer.alloc(0), error: new SwarmplayError('AUTH_FAILED',
          `${this.host}: sudo refused the become password`) };
      }
      return { passthrough: Buffer.alloc(0), writePassword: `${this.password}\n` };
    }
    const markerAt = this.pending.indexOf(`${this.marker}\n`);
    if (markerAt !== -1) {
      this.isReady = true;
      // What sudo printed before the command started (a lecture, "Sorry, try again.") is sudo's, not the command's.
      const rest = this.pending.slice(markerAt + this.marker.length + 1);
      this.pending = '';
      return { passthrough: Buffer.from(rest, 'utf8'), ready: true };
    }
    return { passthrough: Buffer.alloc(0) };
  }

  /** sudo failed before the command started: its messages are the stderr. */
  leftover(): Buffer {
    const text = this.pending;
    this.pending = '';
    return Buffer.from(text, 'utf8');
  }
}

function writeStdin(channel: ClientChannel, stdin: Buffer | undefined): void {
  if (stdin && stdin.length > 0) channel.end(stdin);
  else channel.end();
}

function stopChannel(channel: ClientChannel): void {
  try {
    channel.signal('KILL');
  } catch { /* channel already closing */ }
  try {
    channel.close();
  } catch { /* already closed */ }
}

/** A command killed by a signal exits 128+n, as shells report it. */
function signalExitCode(signal: string | undefined): number {
  if (!signal) return 255;
  const number = (osConstants.signals as Record<string, number>)[`SIG${signal}`];
  return number === undefined ? 255 : 128 + number;
}

function displayed(command: string): string {
  const oneLine = command.replace(/\s*\n\s*/g, '; ');
  return oneLine.length > MAX_DISPLAYED_COMMAND ? `${oneLine.slice(0, MAX_DISPLAYED_COMMAND)}...` : oneLine;
}

/** Known key types first, as OpenSSH does, so a host recorded with an RSA key is not asked for a new ed25519 one. */
function preferKnownKeyTypes(knownTypes: string[]): ServerHostKeyAlgorithm[] {
  const preferred = knownTypes.flatMap((type): string[] =>
    type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]);
  const known = HOST_KEY_ALGORITHMS.filter((algorithm) => preferred.includes(algorithm));
  return [...new Set([...known, ...HOST_KEY_ALGORITHMS])];
}

/** Reads a private key file, refusing one that others can read, as OpenSSH does. */
async function readPrivateKey(spec: ConnectionSpec): Promise<string> {
  const keyPath = spec.privateKeyPath!;
  let info;
  try {
    info = await stat(keyPath);
  } catch (error) {
    throw new SwarmplayError('AUTH_FAILED', `${spec.host}: private key file ${keyPath} cannot be read: ${(error as Error).message}`,
      { hint: 'Check ansible_ssh_private_key_file.' });
  }
  if ((info.mode & 0o077) !== 0) {
    throw new SwarmplayError('AUTH_FAILED',
      `${spec.host}: UNPROTECTED PRIVATE KEY FILE! Permissions 0${(info.mode & 0o777).toString(8)} for '${keyPath}' are too open; ` +
      'the key is refused, as OpenSSH refuses it.',
      { hint: `It is required that your private key files are NOT accessible by others: chmod 600 ${keyPath}` });
  }
  return readFile(keyPath, 'utf8');
}

/** Turns what ssh2/node-ssh threw while connecting into CONNECT_FAILED or AUTH_FAILED. */
function connectError(spec: ConnectionSpec, where: string, error: unknown, timeoutMs: number): SwarmplayError {
  if (error instanceof SwarmplayError) return error;
  const cause = error as Error & { level?: string; code?: string };
  const message = cause?.message ?? String(error);
  if (cause?.level === 'client-authentication') {
    const methods = [spec.privateKeyPath && 'publickey', spec.password !== undefined && 'password', process.env.SSH_AUTH_SOCK && 'agent']
      .filter(Boolean).join(', ') || 'none';
    return new SwarmplayError('AUTH_FAILED', `${spec.host}: authentication failed for ${where} (tried: ${methods})`,
      { cause, hint: 'Check ansible_user, ansible_password or ansible_ssh_private_key_file for this host.' });
  }
  if (/passphrase|private key|Cannot parse privateKey/i.test(message)) {
    return new SwarmplayError('AUTH_FAILED', `${spec.host}: cannot use private key ${spec.privateKeyPath}: ${message}`, { cause });
  }
  if (cause?.level === 'client-timeout' || /timed out/i.test(message)) {
    return new SwarmplayError('CONNECT_FAILED', `${spec.host}: cannot connect to ${where}: timed out after ${timeoutMs} ms`, { cause });
  }
  const code = cause?.code ? ` (${cause.code})` : '';
  return new SwarmplayError('CONNECT_FAILED', `${spec.host}: cannot connect to ${where}: ${message}${code}`, { cause });
}

/**
 * True when a failed connect is worth retrying: the server refused or reset
 * the TCP connection, or dropped it before the SSH banner (what sshd does when
 * MaxStartups is exceeded). Auth and host key failures are never retried.
 */
export function isRetryableConnectError(error: unknown): boolean {
  if (!(error instanceof SwarmplayError) || error.code !== 'CONNECT_FAILED') return false;
  const cause = error.cause as (Error & { code?: string }) | undefined;
  if (!cause) return false;
  return cause.code === 'ECONNREFUSED' || cause.code === 'ECONNRESET'
    || /Connection lost before handshake/i.test(cause.message ?? '');
}
