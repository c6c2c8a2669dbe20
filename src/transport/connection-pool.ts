/**
 * One connection per host (and login: a task's remote_user or connection
 * may differ from the play's) for the whole run. get() opens it on first use
 * and hands the same one to every later task; concurrent get()s for a host
 * share one handshake.
 *
 * Handshakes are limited (default 10 at once): sshd's MaxStartups default
 * (10:30:100) starts dropping unauthenticated connections beyond 10, and a
 * run over 50 hosts would otherwise trip it. A refused or reset handshake is
 * retried with backoff; an auth failure or host key problem never is.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { KnownHosts } from './known-hosts.js';
import { LocalConnection } from './local.js';
import { SshConnection, isRetryableConnectError, type SshConnectOptions } from './ssh.js';
import type { Connection, ConnectionSpec } from './types.js';

export interface ConnectionPoolOptions {
  knownHosts?: KnownHosts;
  strictHostKeys?: boolean;
  /** Default 10 (sshd MaxStartups starts refusing above 10 pending handshakes). */
  maxConcurrentHandshakes?: number;
  /** Attempts per host for a refused/reset handshake; default 3. */
  connectAttempts?: number;
  /** First backoff delay; doubled each retry. Default 250 ms. */
  retryDelayMs?: number;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** How a connection is opened; tests and the lab may substitute. Default: SSH or local by spec.connection. */
  open?: (spec: ConnectionSpec, options: SshConnectOptions) => Promise<Connection>;
}

export class ConnectionPool {
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly handshakes: LimitFunction;
  private readonly sshOptions: SshConnectOptions;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly open: (spec: ConnectionSpec, options: SshConnectOptions) => Promise<Connection>;

  constructor(options: ConnectionPoolOptions = {}) {
    this.handshakes = pLimit(options.maxConcurrentHandshakes ?? 10);
    this.attempts = options.connectAttempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.sshOptions = {
      knownHosts: options.knownHosts ?? new KnownHosts(),
      strictHostKeys: options.strictHostKeys ?? false,
      connectTimeoutMs: options.connectTimeoutMs,
      keepaliveIntervalMs: options.keepaliveIntervalMs,
      keepaliveCountMax: options.keepaliveCountMax,
    };
    this.open = options.open ?? defaultOpen;
  }

  /** The host's connection, opened on first use. A failed connect is not cached: a later get() tries again. */
  get(spec: ConnectionSpec): Promise<Connection> {
    const key = loginKey(spec);
    const cached = this.connections.get(key);
    if (cached) return cached;
    const opening = this.handshakes(() => this.connectWithRetry(spec));
    this.connections.set(key, opening);
    opening.catch(() => {
      if (this.connections.get(key) === opening) this.connections.delete(key);
    });
    return opening;
  }

  /** Forgets a host's connections (after one was lost), whatever their login, and closes them. */
  async drop(host: string): Promise<void> {
    const dropped: Promise<Connection>[] = [];
    for (const [key, opening] of this.connections) {
      if (key.startsWith(`${host}\0`)) {
        dropped.push(opening);
        this.connections.delete(key);
      }
    }
    await Promise.all(dropped.map((opening) => opening.then((conn) => conn.close(), () => undefined)));
  }

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((opening) => opening.then((conn) => conn.close(), () => undefined)));
  }

  private async connectWithRetry(spec: ConnectionSpec): Promise<Connection> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.open(spec, this.sshOptions);
      } catch (error) {
        if (attempt >= this.attempts || !isRetryableConnectError(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
}

function loginKey(spec: ConnectionSpec): string {
  return [spec.host, spec.connection ?? 'ssh', spec.user].join('\0');
}

function defaultOpen(spec: ConnectionSpec, options: SshConnectOptions): Promise<Connection> {
  if (spec.connection === 'local') return Promise.resolve(new LocalConnection(spec.host));
  return SshConnection.connect(spec, options);
}
