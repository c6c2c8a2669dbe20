/**
 * `swarmplay ui`'s web server: Node's own http module. Five read-only routes
 * (the page, its script and style, the state as JSON, the state as a stream of
 * server-sent events) need no framework; server-sent events need no
 * websocket library either, and a browser's EventSource reconnects by itself.
 *
 * Safe by construction:
 * - GET and HEAD only; no route takes anything from the request into a
 *   command or a file path (the assets are a fixed list). There is no Docker
 *   API behind it, only the watcher's fixed reads.
 * - Bound to loopback by default, where the Host header must name loopback
 *   too (a web page elsewhere cannot reach it through a rebound DNS name).
 *   Bound elsewhere, a random token is required (?token= once, then an
 *   HttpOnly same-site cookie, or Authorization: Bearer); requests without it
 *   get 401. The token is printed once at start by the caller and never logged.
 * - A strict Content-Security-Policy (scripts from the page's own origin only)
 *   besides the page building every value as text, never as HTML.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { packageRoot } from '../lab/package-root.js';
import type { ClusterWatcher, PageState } from './cluster-watcher.js';

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const COOKIE = 'swarmplay_ui';

export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export interface UiServerOptions {
  bind: string;
  port: number;
  /** Required on every request when set (non-loopback bind). */
  token?: string;
}

export class UiServer {
  private readonly server: Server;
  private readonly clients = new Set<ServerResponse>();
  private readonly assets = new Map<string, Buffer>();
  private lastSent = '';

  constructor(private readonly watcher: ClusterWatcher, private readonly options: UiServerOptions) {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch(() => {
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
    });
    watcher.on('change', (state: PageState) => this.push(state));
  }

  /** Listens; resolves with the address it listens on. */
  async listen(): Promise<{ address: string; port: number }> {
    const assetDir = path.join(packageRoot(), 'src', 'ui', 'assets');
    for (const { file } of Object.values(ASSETS)) this.assets.set(file, await readFile(path.join(assetDir, file)));
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.bind, () => resolve());
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? { address: address.address, port: address.port } : { address: this.options.bind, port: this.options.port };
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.end();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://ui.invalid');
    if (request.method !== 'GET' && request.method !== 'HEAD') return this.refuse(response, 405, 'read-only: GET and HEAD only', { Allow: 'GET, HEAD' });
    if (!this.token) {
      if (!this.hostIsLoopback(request.headers.host)) return this.refuse(response, 421, 'this server answers only to localhost');
    } else if (!this.authorised(request, url)) {
      return this.refuse(response, 401, 'a token is required: open the address swarmplay ui printed when it started');
    }
    if (this.token && url.searchParams.has('token')) {
      // The token leaves the address bar (and the history) for a cookie scripts cannot read.
      response.writeHead(303, {
        ...SECURITY_HEADERS,
        Location: url.pathname,
        'Set-Cookie': `${COOKIE}=${this.token}; HttpOnly; SameSite=Strict; Path=/`,
      });
      response.end();
      return;
    }
    if (url.pathname === '/state') return this.send(response, 200, 'application/json', JSON.stringify(this.watcher.state));
    if (url.pathname === '/events') return this.openStream(request, response);
    const asset = ASSETS[url.pathname];
    if (!asset) return this.refuse(response, 404, 'not found');
    return this.send(response, 200, asset.type, this.assets.get(asset.file)!);
  }

  private get token(): string | undefined {
    return this.options.token;
  }

  private hostIsLoopback(host: string | undefined): boolean {
    if (!host) return false;
    const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
    return isLoopback(name);
  }

  private authorised(request: IncomingMessage, url: URL): boolean {
    const given = [
      url.searchParams.get('token'),
      /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1],
      ...(request.headers.cookie ?? '').split(';').map((part) => part.trim()).filter((part) => part.startsWith(`${COOKIE}=`)).map((part) => part.slice(COOKIE.length + 1)),
    ];
    const expected = Buffer.from(this.token!);
    return given.some((value) => {
      if (!value) return false;
      const candidate = Buffer.from(value);
      return candidate.length === expected.length && timingSafeEqual(candidate, expected);
    });
  }

  private openStream(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    response.write(`retry: 1000\ndata: ${JSON.stringify(this.watcher.state)}\n\n`);
    this.clients.add(response);
    // A comment now and then keeps proxies and idle timeouts from closing the stream.
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
    request.on('close', () => {
      clearInterval(keepAlive);
      this.clients.delete(response);
    });
  }

  private push(state: PageState): void {
    const data = JSON.stringify(state);
    if (data === this.lastSent) return;
    this.lastSent = data;
    for (const client of this.clients) client.write(`data: ${data}\n\n`);
  }

  private send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
    response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  }

  private refuse(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
    response.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(`${message}\n`);
  }
}
