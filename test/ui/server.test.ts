import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { isLoopback, newToken, UiServer } from '../../src/ui/server.js';
import type { ClusterWatcher, PageState } from '../../src/ui/cluster-watcher.js';

function fakeWatcher(): ClusterWatcher & EventEmitter {
  const watcher = new EventEmitter() as ClusterWatcher & EventEmitter;
  (watcher as unknown as { state: PageState }).state = { view: null, source: { manager: 'm1', live: true }, engines: {}, registry: null, lastRun: null };
  return watcher;
}

function request(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('swarmplay ui server', () => {
  it('serves the page, its assets and the state read-only, with a strict content policy', async () => {
    const server = new UiServer(fakeWatcher(), { bind: '127.0.0.1', port: 0 });
    const { port } = await server.listen();
    try {
      const page = await request(port, '/');
      assert.equal(page.status, 200);
      assert.match(page.body, /<script type="module" src="\/app\.js">/);
      assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
      assert.equal((await request(port, '/app.js')).status, 200);
      assert.equal(JSON.parse((await request(port, '/state')).body).source.manager, 'm1');
      assert.equal((await request(port, '/state', { method: 'POST' })).status, 405);
      assert.equal((await request(port, '/../package.json')).status, 404);
      assert.equal((await request(port, '/docker/containers/json')).status, 404, 'no Docker API behind it');
      // A name that resolves to 127.0.0.1 elsewhere (DNS rebinding) is refused on loopback.
      assert.equal((await request(port, '/state', { headers: { Host: `evil.example:${port}` } })).status, 421);
    } finally {
      await server.close();
    }
  });

  it('with a token, refuses requests without it and moves it from the address to a cookie', async () => {
    const token = newToken();
    const server = new UiServer(fakeWatcher(), { bind: '127.0.0.1', port: 0, token });
    const { port } = await server.listen();
    try {
      assert.equal((await request(port, '/')).status, 401);
      assert.equal((await request(port, '/state', { headers: { Authorization: `Bearer ${newToken()}` } })).status, 401);
      assert.equal((await request(port, '/state', { headers: { Authorization: `Bearer ${token}` } })).status, 200);
      const entry = await request(port, `/?token=${token}`);
      assert.equal(entry.status, 303);
      assert.equal(entry.headers.location, '/');
      const cookie = String(entry.headers['set-cookie']);
      assert.match(cookie, /HttpOnly; SameSite=Strict/);
      assert.equal((await request(port, '/', { headers: { Cookie: cookie.split(';')[0]! } })).status, 200);
    } finally {
      await server.close();
    }
  });

  it('knows loopback addresses', () => {
    assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost') && isLoopback('127.1.2.3'));
    assert.ok(!isLoopback('0.0.0.0') && !isLoopback('10.0.0.1') && !isLoopback('::'));
  });
});
