/**
 * The page alone, in headless Chromium, on a made-up swarm of 50 nodes and
 * 500 tasks served by the real server (no lab): every node and task shows,
 * the filters work, and values holding markup stay text.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Page } from 'playwright-core';
import { UiServer } from '../../src/ui/server.js';
import type { ClusterWatcher, PageState } from '../../src/ui/cluster-watcher.js';
import type { ClusterView, NodeView, TaskView } from '../../src/reporters/cluster-view.js';
import { launchChromium, type TestBrowser } from '../support/browser.js';

const MARKUP = '<img src=x onerror="window.__xss=1">';

function bigView(): ClusterView {
  const services = Array.from({ length: 10 }, (_, i) => `svc${i}`);
  const nodes: NodeView[] = Array.from({ length: 50 }, (_, n) => {
    const hostname = `node${String(n + 1).padStart(2, '0')}`;
    const tasks: TaskView[] = Array.from({ length: 10 }, (_, t) => ({
      id: `${hostname}-${t}`, service: services[t]!, image: `app${t}:1.0`, tag: '1.0', state: n === 7 && t === 0 ? 'failed' : 'running',
      node: hostname, desiredState: 'running', slot: n + 1, since: new Date(Date.now() - 60_000).toISOString(),
      ...(n === 7 && t === 0 && { error: `task failed: ${MARKUP}` }),
    }));
    return {
      hostname, id: `id${n}`, role: n < 3 ? 'manager' : 'worker', leader: n === 0, availability: 'active', state: 'ready', addr: `10.0.0.${n + 1}`,
      labels: { zone: n % 2 ? 'a' : 'b', ...(n === 49 && { note: MARKUP }) }, ...(n < 3 && { reachability: 'reachable' }),
      engineVersion: '20.10.24', engineLabels: {}, cpus: 2, memoryBytes: 2 ** 32, tasks, ended: [],
    };
  });
  return {
    manager: 'node01', takenAt: new Date().toISOString(), nodes, unassigned: [],
    services: services.map((name) => ({
      name, mode: 'replicated', image: 'app:1.0', imageRef: 'reg/app:1.0@sha256:ab', digest: 'sha256:ab', replicas: { running: 50, desired: 50 },
      ports: [], updateStatus: null, labels: { owner: MARKUP }, errors: [],
    })),
    quorum: { managers: 3, reachable: 3, tolerates: 1 },
  };
}

describe('swarmplay ui page at 50 nodes and 500 tasks (headless Chromium)', function () {
  this.timeout(60_000);
  let browser: TestBrowser;
  let server: UiServer;
  let page: Page;

  before(async () => {
    const watcher = new EventEmitter() as ClusterWatcher & EventEmitter;
    const state: PageState = { view: bigView(), source: { manager: 'node01', live: true }, engines: {}, registry: null, lastRun: null };
    (watcher as unknown as { state: PageState }).state = state;
    server = new UiServer(watcher, { bind: '127.0.0.1', port: 0 });
    const { port } = await server.listen();
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('.node');
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows every node and task, the failed task\'s error, and markup as text', async () => {
    assert.equal(await page.locator('.node').count(), 50);
    assert.equal(await page.locator('.card').count(), 500);
    assert.equal(await page.locator('.node[data-node="node08"] .card.failed .error').innerText(), `task failed: ${MARKUP}`);
    assert.equal(await page.locator('.node[data-node="node50"] .label', { hasText: 'note=' }).innerText(), `note=${MARKUP}`);
    assert.equal(await page.locator('main img').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  });

  it('filters by service and by node label', async () => {
    await page.selectOption('#filter-service', 'svc3');
    assert.equal(await page.locator('.card:not(.hidden)').count(), 50);
    await page.selectOption('#filter-label', 'zone=a');
    assert.equal(await page.locator('.node:not(.hidden)').count(), 25);
    await page.selectOption('#filter-service', '');
    await page.selectOption('#filter-label', '');
    assert.equal(await page.locator('.card:not(.hidden)').count(), 500);
  });
});
