/**
 * Runs a whole playbook (PlaybookRun, as `swarmplay run` does) over memory
 * hosts: the playbook and inventory are written to a temporary folder, the
 * connections come from a MemoryNetwork, and every runner event is kept.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PlaybookRun, type RunSettings } from '../../src/runner/playbook-run.js';
import { prepareRun } from '../../src/runner/prepare.js';
import type { RecapCounts, RunnerEvent } from '../../src/runner/events.js';
import type { ModuleDefinition } from '../../src/modules/types.js';
import { findModule, loadModule, moduleNames } from '../../src/modules/index.js';
import type { MemoryNetwork } from './memory-connection.js';

export interface MemoryRunOptions {
  /** The playbook's YAML. */
  playbook: string;
  /** The inventory's YAML; default: every host of the network under `all`. */
  inventory?: string;
  /** More files beside the playbook (templates, files to copy), by relative path. */
  files?: Record<string, string>;
  /** Modules only this test knows, besides the registry's. */
  modules?: ModuleDefinition[];
  settings?: Partial<RunSettings>;
}

type HostResult = Extract<RunnerEvent, { event: 'host_result' }>;

export interface MemoryRunResult {
  exitCode: number;
  recap: Record<string, RecapCounts>;
  events: RunnerEvent[];
  /** host_result events, of one task when named. */
  results(task?: string): HostResult[];
  /** The status each host got for the named task ('ok', 'changed', ...), by host. */
  statuses(task: string): Record<string, string>;
}

export async function runInMemory(network: MemoryNetwork, options: MemoryRunOptions): Promise<MemoryRunResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-memory-'));
  try {
    const playbookPath = path.join(dir, 'playbook.yaml');
    const inventoryPath = path.join(dir, 'inventory.yaml');
    await writeFile(playbookPath, options.playbook);
    const hosts = Object.fromEntries([...network.hosts.keys()].map((name) => [name, {}]));
    await writeFile(inventoryPath, options.inventory ?? JSON.stringify({ all: { hosts } }));
    for (const [file, content] of Object.entries(options.files ?? {})) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), content);
    }
    const extra = new Map((options.modules ?? []).map((m) => [m.name, m]));
    const events: RunnerEvent[] = [];
    const prepared = await prepareRun({
      playbookPath,
      inventoryPath,
      tags: [],
      skipTags: [],
      checkMode: false,
      diffMode: false,
      extraVars: {},
      strictHostKeys: false,
      knownHostsPath: path.join(dir, 'known_hosts'),
      ...options.settings,
    }, {
      modules: {
        find: (name) => extra.get(name) ?? findModule(name),
        names: () => [...moduleNames(), ...extra.keys()],
        prepare: async (name) => { if (name !== undefined) await loadModule(name); },
      },
    });
    const run = new PlaybookRun(prepared, (event) => events.push(event), { open: network.open });
    const outcome = await run.run();
    const results = (task?: string): HostResult[] =>
      events.filter((e): e is HostResult => e.event === 'host_result' && (task === undefined || e.task === task));
    return {
      exitCode: outcome.exitCode,
      recap: outcome.recap,
      events,
      results,
      statuses: (task) => Object.fromEntries(results(task).map((r) => [r.host, r.status])),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
