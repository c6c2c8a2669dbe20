/**
 * What `swarmplay ui` shows, kept current: the swarm read from a manager of
 * the inventory through the same reader as `swarmplay status`
 * (runner/cluster-reader.ts), re-read when something happens.
 *
 * - Events: `docker events` on the manager (services and nodes, the swarm's
 *   own events) and on every node (containers: a task starting or dying
 *   raises no swarm event), each over the host's one SSH connection. An event
 *   asks for a re-read within 150 ms, then once a second while the swarm
 *   settles (a scale raises one event, its tasks start over the next seconds).
 * - A node whose `docker events` ends (dockerd killed, host gone) shows as
 *   "engine not answering" at once: the swarm itself marks it down only when
 *   its heartbeats have been missed for about 15 s.
 * - The manager's stream breaking means a full re-read, and when the manager
 *   does not answer, the next manager of the inventory (the leader first).
 * - A re-read every 5 s besides, so nothing the events miss stays stale.
 * - Each node's certificate expiry, read on the node (kept a minute) beside
 *   the swarm's reading, shown from the next view on.
 *
 * Only fixed, read-only commands run on the hosts: nothing from a browser
 * reaches a command line.
 */
import { EventEmitter } from 'node:events';
import { unwatchFile, watchFile } from 'node:fs';
import type { Inventory } from '../language/inventory.js';
import type { HostConnections } from '../runner/host-connections.js';
import { inventoryHostOfNode, NodeCertificateReader, readClusterSnapshot } from '../runner/cluster-reader.js';
import { clusterView, type ClusterView } from '../reporters/cluster-view.js';
import { registryCatalog, registryTags } from '../facts/registry-catalog.js';
import { lastRunPath, readLastRun, type LastRun } from '../runner/last-run.js';
import type { Connection } from '../transport/types.js';

export const MANAGER_EVENTS_COMMAND = "docker events --format '{{json .}}' --filter type=service --filter type=node";
export const NODE_EVENTS_COMMAND = "docker events --format '{{.Type}} {{.Action}}' --filter type=container";

const SETTLE_MS = 8_000;
const BACKSTOP_MS = 5_000;
const REGISTRY_EVERY_MS = 10_000;
const RETRY_MS = 2_000;
/** A `docker events` that has run this long means its dockerd answers. */
const ENGINE_ANSWERS_AFTER_MS = 1_000;

export interface RegistryView {
  address: string;
  repositories?: { name: string; tags: string[] }[];
  error?: string;
}

export interface PageState {
  /** The last swarm read; null until the first read succeeded. */
  view: ClusterView | null;
  /** The manager asked, and whether its events stream (live updates) runs. */
  source: { manager: string | null; live: boolean; error?: string };
  /** Per node hostname: whether its dockerd answers, as its own events stream tells. */
  engines: Record<string, 'answering' | 'not answering'>;
  registry: RegistryView | null;
  lastRun: LastRun | null;
}

export interface WatcherOptions {
  inventoryPath: string;
  /** Managers in the order to ask them (runner/cluster-reader.ts managerCandidates). */
  managers: string[];
  /** host:port of the private registry; none: no registry shown. */
  registry?: string;
}

export class ClusterWatcher extends EventEmitter {
  readonly state: PageState = { view: null, source: { manager: null, live: false }, engines: {}, registry: null, lastRun: null };
  private readonly stop = new AbortController();
  private current: { host: string; conn: Connection } | undefined;
  private reading = false;
  private readAgain = false;
  private readTimer: NodeJS.Timeout | undefined;
  private settleUntil = 0;
  private readonly nodeWatches = new Map<string, AbortController>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly certificates: NodeCertificateReader;
  private readingCertificates = false;

  constructor(
    private readonly inventory: Inventory,
    private readonly connections: HostConnections,
    private readonly options: WatcherOptions,
  ) {
    super();
    this.certificates = new NodeCertificateReader(inventory, connections);
    if (options.registry) this.state.registry = { address: options.registry };
  }

  async start(): Promise<void> {
    this.watchLastRun();
    this.every(BACKSTOP_MS, () => this.requestRead(0));
    this.every(REGISTRY_EVERY_MS, () => void this.readRegistry());
    this.every(1_000, () => { if (Date.now() < this.settleUntil) this.requestRead(0); });
    void this.followManagers();
  }

  async close(): Promise<void> {
    this.stop.abort();
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.readTimer);
    unwatchFile(lastRunPath(this.options.inventoryPath));
    await this.connections.closeAll();
  }

  private get stopped(): boolean {
    return this.stop.signal.aborted;
  }

  private every(ms: number, action: () => void): void {
    const timer = setInterval(action, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private changed(): void {
    this.emit('change', this.state);
  }

  private hostOfNode(hostname: string, addr: string): string | undefined {
    return inventoryHostOfNode(this.inventory, hostname, addr);
  }

  /** Managers to try: the leader first when the inventory has it, then the inventory's order. */
  private candidates(): string[] {
    const leader = this.state.view?.nodes.find((node) => node.leader);
    const leaderHost = leader && this.hostOfNode(leader.hostname, leader.addr);
    const ordered = leaderHost && this.options.managers.includes(leaderHost) ? [leaderHost, ...this.options.managers] : this.options.managers;
    return [...new Set(ordered)];
  }

  /** Asks a manager, follows its events until they stop, then the next one; forever, until close(). */
  private async followManagers(): Promise<void> {
    while (!this.stopped) {
      let followed = false;
      for (const host of this.candidates()) {
        if (this.stopped) return;
        try {
          const conn = await this.connections.get(host);
          this.current = { host, conn };
          this.state.source = { manager: host, live: false };
          await this.read();
          if (this.state.source.error) throw new Error(this.state.source.error);
          void this.readRegistry();
          followed = true;
          await this.followManagerEvents(host, conn);
        } catch (error) {
          this.state.source = { manager: host, live: false, error: (error as Error).message };
          this.changed();
          await this.connections.drop(host);
        }
        if (this.current?.host === host) this.current = undefined;
        if (followed) break; // the stream broke: start again from the leader
      }
      if (!followed) await this.sleep(RETRY_MS);
    }
  }

  private async followManagerEvents(host: string, conn: Connection): Promise<void> {
    if (!conn.follow) throw new Error(`${host}: this transport cannot follow docker events`);
    this.state.source = { manager: host, live: true };
    this.changed();
    const result = await conn.follow(MANAGER_EVENTS_COMMAND, () => this.somethingHappened(), this.stop.signal);
    if (this.stopped) return;
    this.state.source = { manager: host, live: false, error: `docker events ended on ${host}${result.stderr.trim() ? `: ${result.stderr.trim().split('\n').pop()}` : ''}` };
    this.changed();
    this.requestRead(0);
  }

  private somethingHappened(): void {
    this.settleUntil = Date.now() + SETTLE_MS;
    this.requestRead(150);
  }

  /** Coalesces re-reads: one at a time, and one more after it when asked meanwhile. */
  private requestRead(delayMs: number): void {
    if (this.stopped || this.readTimer) return;
    this.readTimer = setTimeout(() => {
      this.readTimer = undefined;
      if (this.reading) { this.readAgain = true; return; }
      void this.read();
    }, delayMs);
  }

  private async read(): Promise<void> {
    const current = this.current;
    if (!current || this.stopped) return;
    this.reading = true;
    try {
      const snapshot = await readClusterSnapshot(current.conn, current.host, { history: true });
      // The certificates as last read: reading them (a host gone takes its connect timeout) never holds the page up.
      this.state.view = clusterView(snapshot, this.certificates.known(snapshot.nodes));
      void this.readCertificates(snapshot.nodes);
      if (this.state.source.error && this.state.source.manager === current.host && this.state.source.live) delete this.state.source.error;
      this.watchNodes();
    } catch (error) {
      // The last good view stays on the page, with what went wrong above it.
      this.state.source = { manager: current.host, live: this.state.source.live, error: (error as Error).message };
    } finally {
      this.reading = false;
    }
    this.changed();
    if (this.readAgain) {
      this.readAgain = false;
      this.requestRead(0);
    }
  }

  /** Reads the nodes' certificates (each kept a while), and the swarm again when one changed. */
  private async readCertificates(nodes: readonly { hostname: string; addr: string }[]): Promise<void> {
    if (this.readingCertificates) return;
    this.readingCertificates = true;
    try {
      const before = JSON.stringify(this.certificates.known(nodes));
      const after = JSON.stringify(await this.certificates.read(nodes));
      if (after !== before && !this.stopped) this.requestRead(0);
    } finally {
      this.readingCertificates = false;
    }
  }

  /** One `docker events` per node of the swarm that the inventory knows, kept running. */
  private watchNodes(): void {
    for (const node of this.state.view?.nodes ?? []) {
      const host = this.hostOfNode(node.hostname, node.addr);
      if (!host || this.nodeWatches.has(node.hostname)) continue;
      const watch = new AbortController();
      this.nodeWatches.set(node.hostname, watch);
      void this.followNode(node.hostname, host, watch.signal);
    }
  }

  private async followNode(hostname: string, host: string, signal: AbortSignal): Promise<void> {
    const mark = (engine: 'answering' | 'not answering'): void => {
      if (this.state.engines[hostname] === engine) return;
      this.state.engines[hostname] = engine;
      this.changed();
      if (engine === 'not answering') this.somethingHappened();
    };
    const stopBoth = AbortSignal.any([signal, this.stop.signal]);
    while (!stopBoth.aborted) {
      let answering: NodeJS.Timeout | undefined;
      try {
        const conn = await this.connections.get(host);
        if (!conn.follow) return;
        answering = setTimeout(() => mark('answering'), ENGINE_ANSWERS_AFTER_MS);
        await conn.follow(NODE_EVENTS_COMMAND, () => this.somethingHappened(), stopBoth);
      } catch {
        await this.connections.drop(host);
      } finally {
        clearTimeout(answering);
      }
      if (stopBoth.aborted) return;
      mark('not answering');
      await this.sleep(RETRY_MS);
    }
  }

  private async readRegistry(): Promise<void> {
    const address = this.options.registry;
    const current = this.current;
    if (!address || !current || this.stopped) return;
    let registry: RegistryView;
    try {
      const catalogResult = await current.conn.run(registryCatalog.command({ registry: address }));
      const names = registryCatalog.parse(catalogResult, { registry: address }, current.host);
      if (!names) {
        registry = { address, error: `no registry answers at ${address} (asked from ${current.host})` };
      } else {
        const args = { registry: address, repositories: names.sort() };
        const tags = names.length ? registryTags.parse(await current.conn.run(registryTags.command(args)), args, current.host) : {};
        registry = { address, repositories: names.map((name) => ({ name, tags: tags[name] ?? [] })) };
      }
    } catch (error) {
      registry = { address, error: (error as Error).message };
    }
    if (JSON.stringify(registry) === JSON.stringify(this.state.registry)) return;
    this.state.registry = registry;
    this.changed();
  }

  private watchLastRun(): void {
    const file = lastRunPath(this.options.inventoryPath);
    const load = async (): Promise<void> => {
      this.state.lastRun = await readLastRun(this.options.inventoryPath);
      this.changed();
    };
    void load();
    watchFile(file, { interval: 1000, persistent: false }, () => void load());
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.stop.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }
}
