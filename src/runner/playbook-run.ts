/**
 * A whole `swarmplay run`: load and check everything first (bad input stops
 * here, before any connection), then run each play over its hosts in
 * batches, keep the recap, and decide the exit code as ansible-playbook does.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { SwarmplayError, EXIT } from '../errors.js';
import type { RunnerEvent, EventListener } from './events.js';
import type { Playbook, Play } from './playbook.js';
import { Recap } from './recap.js';
import { Redactor } from './redactor.js';
import { HostState } from './host-state.js';
import { PlayRunner, type TagFilter } from './play-runner.js';
import type { PlayScope } from './variables.js';
import { renderValue } from './templar.js';
import { loadPlaybook, type ModuleCatalog } from './playbook-loader.js';
import { loadInventory, type Inventory } from './inventory.js';
import { matchHosts, selectHosts } from './host-patterns.js';
import { resolveConnectionSpec } from './connection-vars.js';
import { findModule, moduleNames } from '../modules/index.js';
import { checkUndefinedVariables } from './undefined-variables.js';
import { ConnectionPool, type ConnectionPoolOptions } from '../transport/connection-pool.js';
import { FactCache, gatherFacts } from './facts.js';
import { KnownHosts, defaultKnownHostsPath } from '../transport/known-hosts.js';
import { markRawData } from './expressions.js';
import type { Connection } from '../transport/types.js';

export interface RunSettings {
  playbookPath: string;
  inventoryPath: string;
  limit?: string;
  tags: string[];
  skipTags: string[];
  checkMode: boolean;
  diffMode: boolean;
  forks?: number;
  extraVars: Record<string, unknown>;
  startAtTask?: string;
  strictHostKeys: boolean;
  knownHostsPath?: string;
  connectTimeoutMs?: number;
  /** Password for hosts that have none in the inventory (--ask-pass, SWARMPLAY_PASSWORD). */
  defaultPassword?: string;
}

export interface RunOutcome {
  exitCode: number;
  recap: ReturnType<Recap['snapshot']>;
  elapsedMs: number;
}

/** How a run reaches its hosts. The CLI passes none: SSH, or local for `ansible_connection: local`. */
export interface PlaybookRunDeps {
  /** Opens one host's connection (the pool still shares it, retries refused handshakes and closes it). */
  open?: ConnectionPoolOptions['open'];
  /** The modules playbooks may name; default the registry of src/modules/index.ts. */
  modules?: ModuleCatalog;
}

export const MAX_DEFAULT_FORKS = 50;

/** Secrets that ride in inventory variables. */
const SECRET_VARS = ['ansible_password', 'ansible_ssh_pass', 'ansible_become_password', 'ansible_become_pass', 'swarmplay_password'];

async function loadVarsFiles(play: Play, baseDir: string, vars: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const entry of play.varsFiles) {
    const file = path.resolve(baseDir, String(renderValue(entry, { ...vars, ...out }, play.location)));
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new SwarmplayError('FILE_NOT_FOUND', `vars_files: ${file} does not exist`, { location: play.location });
    }
    const data = parseYaml(text) ?? {};
    if (typeof data !== 'object' || Array.isArray(data)) {
      throw new SwarmplayError('BAD_PLAYBOOK', `vars_files: ${file} must hold a mapping of variables`, { location: play.location });
    }
    Object.assign(out, data);
  }
  return out;
}

/**
 * An inventory may name its own known_hosts file (`swarmplay_known_hosts` in
 * its vars): the lab does, because every `lab up` makes new host keys.
 */
function inventoryKnownHosts(inventory: Inventory): string | undefined {
  const first = inventory.hostNames()[0];
  const value = first === undefined ? undefined : inventory.hostVars(first).swarmplay_known_hosts;
  return typeof value === 'string' && value ? value : undefined;
}

/** serial: [1, "30%", 5] -> batches; the last size repeats. */
export function splitBatches<T>(hosts: T[], serial: (number | string)[]): T[][] {
  if (!serial.length) return [hosts];
  const batches: T[][] = [];
  let index = 0;
  let step = 0;
  while (index < hosts.length) {
    const spec = serial[Math.min(step, serial.length - 1)];
    const size = typeof spec === 'string' && spec.endsWith('%')
      ? Math.max(1, Math.floor((hosts.length * parseFloat(spec)) / 100))
      : Math.max(1, Number(spec) || hosts.length);
    batches.push(hosts.slice(index, index + size));
    index += size;
    step++;
  }
  return batches;
}

export class PlaybookRun {
  readonly redactor = new Redactor();
  private readonly recap = new Recap();
  private readonly abort = new AbortController();
  private pool?: ConnectionPool;

  private readonly modules: ModuleCatalog;

  constructor(
    private readonly settings: RunSettings,
    private readonly listener: EventListener,
    private readonly deps: PlaybookRunDeps = {},
  ) {
    this.modules = deps.modules ?? { find: findModule, names: moduleNames };
  }

  private emit = (event: RunnerEvent): void => {
    this.listener(this.redactor.redactEvent(event));
  };

  /** Stops running commands, closes connections; run() then returns with exit code 99. */
  interrupt(): void {
    this.abort.abort();
    void this.pool?.closeAll();
  }

  /** Loads and checks the playbook and inventory; throws a bad-input SwarmplayError before any connection. */
  async prepare(): Promise<{ playbook: Playbook; inventory: Inventory }> {
    const playbook = await loadPlaybook(this.settings.playbookPath, { modules: this.modules });
    const inventory = await loadInventory(this.settings.inventoryPath, { playbookDir: playbook.dir });
    for (const host of inventory.hostNames()) {
      const vars = inventory.hostVars(host);
      for (const name of SECRET_VARS) this.redactor.add(vars[name]);
    }
    this.redactor.add(this.settings.defaultPassword);
    const varsFilesKeys: string[] = [];
    let varsFilesKnown = true;
    for (const play of playbook.plays) {
      if (play.varsFiles.some((f) => String(f).includes('{{'))) {
        varsFilesKnown = false; // names they define cannot be known before the run
        continue;
      }
      varsFilesKeys.push(...Object.keys(await loadVarsFiles(play, playbook.dir, {})));
    }
    if (varsFilesKnown) checkUndefinedVariables(playbook, inventory, this.settings.extraVars, varsFilesKeys);
    return { playbook, inventory };
  }

  async run(): Promise<RunOutcome> {
    const started = Date.now();
    const { playbook, inventory } = await this.prepare();
    const settings = this.settings;
    const hosts = new Map<string, HostState>();
    for (const name of inventory.hostNames()) hosts.set(name, new HostState(name, inventory.hostVars(name)));

    this.pool = new ConnectionPool({
      strictHostKeys: settings.strictHostKeys,
      knownHosts: new KnownHosts(settings.knownHostsPath ?? inventoryKnownHosts(inventory) ?? defaultKnownHostsPath()),
      connectTimeoutMs: settings.connectTimeoutMs,
      open: this.deps.open,
    });
    const pool = this.pool;
    const connect = (hostName: string): Promise<Connection> => {
      const host = hosts.get(hostName);
      const vars = host ? host.inventoryVars : {};
      const spec = resolveConnectionSpec(hostName, { ...vars, ...(host?.runtimeVars ?? {}) });
      if (!spec.password && settings.defaultPassword) spec.password = settings.defaultPassword;
      if (settings.connectTimeoutMs) spec.connectTimeoutMs = settings.connectTimeoutMs;
      return pool.get(spec);
    };
    // Facts are data: a `{{` in a hostname or an OS name is never templated.
    const facts = new FactCache(connect, async (conn) => markRawData(await gatherFacts(conn)));

    this.emit({ event: 'playbook_start', file: playbook.file, checkMode: settings.checkMode });
    const tagFilter: TagFilter = { tags: settings.tags, skipTags: settings.skipTags };
    const startAt = settings.startAtTask ? { name: settings.startAtTask, reached: false } : undefined;
    const warned = new Set<string>();
    const limitHosts = settings.limit ? new Set(selectHosts(inventory, 'all', settings.limit).hosts) : undefined;

    try {
      for (const play of playbook.plays) {
        if (this.abort.signal.aborted) break;
        const pattern = String(renderValue(play.hosts, settings.extraVars, play.location));
        const matched = matchHosts(inventory, pattern);
        for (const warning of matched.warnings) this.emit({ event: 'warning', msg: warning });
        const playHosts = matched.hosts
          .filter((h) => !limitHosts || limitHosts.has(h))
          .map((h) => hosts.get(h)!)
          .filter((h) => h.active);
        this.emit({ event: 'play_start', name: play.name, hosts: playHosts.map((h) => h.name) });
        if (!playHosts.length) {
          this.emit({ event: 'no_hosts_matched', pattern });
          continue;
        }
        for (const h of playHosts) this.recap.touch(h.name);
        // Play vars stay as written: they are templated lazily, per host, when a task reads them.
        const varsFilesVars = await loadVarsFiles(play, playbook.dir, { ...play.vars, ...settings.extraVars, groups: inventory.groupsMap() });
        for (const batch of splitBatches(playHosts, play.serial)) {
          const scope: PlayScope = {
            playVars: play.vars,
            varsFilesVars,
            extraVars: settings.extraVars,
            groups: inventory.groupsMap(),
            groupNamesOf: (h) => inventory.groupsOf(h),
            hosts,
            playHosts: playHosts.map((h) => h.name),
            playBatch: batch.map((h) => h.name),
            checkMode: settings.checkMode,
            playbookDir: playbook.dir,
            inventoryFile: settings.inventoryPath,
          };
          const runner = new PlayRunner(play, scope, {
            emit: this.emit,
            warnOnce: (msg) => {
              if (warned.has(msg)) return;
              warned.add(msg);
              this.emit({ event: 'warning', msg });
            },
            recap: this.recap,
            findModule: (name) => this.modules.find(name),
            connect,
            facts: (h) => facts.get(h),
            fact: (h, reader, args) => facts.read(h, reader, args),
            invalidateFacts: (h) => facts.invalidate(h),
            addSecret: (v) => this.redactor.addDeep(v),
            checkMode: settings.checkMode,
            diffMode: settings.diffMode,
            // Default: every host of the batch at once, at most 50 (explicit --forks may go higher).
            forks: settings.forks ?? Math.min(batch.length, MAX_DEFAULT_FORKS),
            tagFilter,
            startAt,
            signal: this.abort.signal,
          });
          const goOn = await runner.runBatch(batch);
          if (!goOn) break;
        }
      }
    } finally {
      await pool.closeAll();
    }
    const snapshot = this.recap.snapshot();
    const elapsedMs = Date.now() - started;
    const interrupted = this.abort.signal.aborted;
    this.emit({ event: 'recap', hosts: snapshot, elapsedMs, interrupted: interrupted || undefined });
    return { exitCode: exitCodeFor(snapshot, interrupted), recap: snapshot, elapsedMs };
  }
}

/** As ansible-playbook: unreachable (4) wins over failed (2). */
export function exitCodeFor(recap: Record<string, { failed: number; unreachable: number }>, interrupted: boolean): number {
  if (interrupted) return EXIT.INTERRUPTED;
  const counts = Object.values(recap);
  if (counts.some((c) => c.unreachable > 0)) return EXIT.HOST_UNREACHABLE;
  if (counts.some((c) => c.failed > 0)) return EXIT.HOST_FAILED;
  return EXIT.OK;
}
