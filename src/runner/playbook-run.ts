/**
 * A whole `swarmplay run` of a prepared playbook (prepare.ts has loaded and
 * checked everything: bad input stopped there, before any connection): run
 * each play over its hosts in batches, keep the recap, and decide the exit
 * code as ansible-playbook does.
 */
import path from 'node:path';
import { EXIT } from '../errors.js';
import type { RunnerEvent, EventListener } from './events.js';
import { Recap } from './recap.js';
import type { Redactor } from './redactor.js';
import { HostState } from './host-state.js';
import { PlayRunner } from './play-runner.js';
import type { TagFilter } from './task-scope.js';
import type { PlayScope } from './variables.js';
import { renderValue } from '../language/template-string.js';
import { MODULE_REGISTRY, type ModuleCatalog } from '../language/playbook-loader.js';
import { matchHosts } from '../language/host-patterns.js';
import type { ConnectionPoolOptions } from '../transport/connection-pool.js';
import { FactCache, gatherFacts } from './facts.js';
import { markRawData } from '../language/expressions.js';
import type { Connection } from '../transport/types.js';
import { HostConnections, type ConnectionSettings } from './host-connections.js';
import { isPreparedRun, type PreparedRun } from './prepare.js';
import { loadVarsFiles } from './vars-files.js';
import { TaskLoader } from '../language/task-loader.js';
import type { VaultKeyring } from '../vault/keyring.js';
import { applyVaultAccess, type VaultAccess } from '../vault/vaulted-value.js';
import { PlayRoles, applyRole, roleSearchPath } from '../language/roles.js';
import type { Login, Play, Task } from '../language/playbook.js';
import { loadInventory, type Inventory } from '../language/inventory.js';
import type { InventoryChange } from '../modules/types.js';
import type { SourceLocation } from '../errors.js';

export interface RunSettings extends ConnectionSettings {
  playbookPath: string;
  /** The first inventory source (the run lock and inventory_file name it). */
  inventoryPath: string;
  /** Every inventory source (-i a -i b, a folder, ansible.cfg's list); default [inventoryPath]. */
  inventoryPaths?: string[];
  /** The vault passwords given (none: vault data is an error naming its file:line). */
  vault?: VaultKeyring;
  /** roles_path from ansible.cfg or ANSIBLE_ROLES_PATH (undefined: Ansible's default). */
  rolesPath?: string[];
  limit?: string;
  tags: string[];
  skipTags: string[];
  checkMode: boolean;
  diffMode: boolean;
  forks?: number;
  extraVars: Record<string, unknown>;
  startAtTask?: string;
}

export interface RunOutcome {
  exitCode: number;
  recap: ReturnType<Recap['snapshot']>;
  elapsedMs: number;
}

/**
 * How a run reaches its hosts. The CLI passes none: SSH, or local for
 * `ansible_connection: local`. (The modules a playbook may name are the
 * prepared run's: prepareRun() checked the playbook against them.)
 */
export interface PlaybookRunDeps {
  /** Opens one host's connection (the pool still shares it, retries refused handshakes and closes it). */
  open?: ConnectionPoolOptions['open'];
}

export const MAX_DEFAULT_FORKS = 50;

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
  readonly redactor: Redactor;
  private readonly recap = new Recap();
  private readonly abort = new AbortController();
  private readonly settings: RunSettings;
  private connections?: HostConnections;

  private readonly modules: ModuleCatalog;

  /** Takes only what prepareRun() returned: the checks before connecting cannot be skipped. */
  constructor(
    private readonly prepared: PreparedRun,
    private readonly listener: EventListener,
    private readonly deps: PlaybookRunDeps = {},
  ) {
    if (!isPreparedRun(prepared)) throw new TypeError('PlaybookRun needs the result of prepareRun() (src/runner/prepare.ts)');
    this.settings = prepared.settings;
    this.redactor = prepared.redactor;
    this.modules = prepared.modules ?? MODULE_REGISTRY;
  }

  private emit = (event: RunnerEvent): void => {
    this.listener(this.redactor.redactEvent(event));
  };

  /** Stops running commands, closes connections; run() then returns with exit code 99. */
  interrupt(): void {
    this.abort.abort();
    void this.connections?.closeAll();
  }

  async run(): Promise<RunOutcome> {
    const started = Date.now();
    const { playbook, inventory, limitHosts } = this.prepared;
    const settings = this.settings;
    const hosts = new Map<string, HostState>();
    for (const name of inventory.hostNames()) hosts.set(name, new HostState(name, inventory.hostVars(name)));

    this.connections = new HostConnections(inventory, settings, { open: this.deps.open });
    const connections = this.connections;
    /** The running play's remote_user and connection keywords, for hosts whose variables name neither. */
    let playConnection: Login = {};
    /** `login`: a task's or block's remote_user and connection, in place of the play's. */
    const hostConnectionVars = (hostName: string, login: Login = playConnection): Record<string, unknown> => {
      const host = hosts.get(hostName);
      return connectionVars(withLogin({ ...(host?.inventoryVars ?? {}), ...(host?.runtimeVars ?? {}), ...settings.extraVars }, login));
    };
    const connect = (hostName: string, login?: Login): Promise<Connection> => connections.get(hostName, hostConnectionVars(hostName, login));
    const reconnect = (hostName: string, login?: Login): Promise<Connection> => connections.reconnect(hostName, hostConnectionVars(hostName, login));
    // Facts are data: a `{{` in a hostname or an OS name is never templated.
    const facts = new FactCache(connect, async (conn) => markRawData(await gatherFacts(conn)));

    this.emit({ event: 'playbook_start', file: playbook.file, checkMode: settings.checkMode });
    const tagFilter: TagFilter = { tags: settings.tags, skipTags: settings.skipTags };
    const startAt = settings.startAtTask ? { name: settings.startAtTask, reached: false } : undefined;
    const warned = new Set<string>();

    // any_errors_fatal: a failure ends the whole run, as in Ansible ("NO MORE HOSTS LEFT"): later plays run on no host.
    let fatal = false;
    for (const msg of playbook.warnings ?? []) this.emit({ event: 'warning', msg });
    // Task files and roles an include names at run time (a templated path or name).
    const vault: VaultAccess = { keyring: settings.vault };
    const taskFiles = new TaskLoader(this.modules);
    taskFiles.vault = vault;
    const roleSearch = { ...roleSearchPath(playbook.dir, settings.rolesPath), vault };
    const readAtRunTime = (tasks: Task[], file: string): Task[] => applyVaultAccess(tasks, vault, { file, line: 1, column: 1 });
    try {
      for (const play of playbook.plays) {
        if (this.abort.signal.aborted || fatal) break;
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
        if (play.remoteUser !== playConnection.remoteUser || play.connection !== playConnection.connection) {
          // Another login or transport than the last play's: the hosts' connections are opened again when next used.
          playConnection = { remoteUser: play.remoteUser, connection: play.connection };
          await Promise.all([...hosts.keys()].map((h) => connections.drop(h)));
        }
        const playRoles = new PlayRoles(roleSearch, play.roles, play.handlers);
        taskFiles.playRoles = playRoles;
        // Play vars stay as written: they are templated lazily, per host, when a task reads them.
        const varsFilesVars = await loadVarsFiles(play, playbook.dir, { ...play.vars, ...settings.extraVars, groups: inventory.groupsMap() }, { keyring: settings.vault });
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
            inventoryFileOf: (h) => {
              const file = inventory.hostLocation(h)?.file;
              return file === undefined ? null : path.resolve(file);
            },
            playName: play.name,
            playRoles: play.roles,
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
            reconnect,
            forgetConnection: (hostName: string) => connections.drop(hostName),
            addSecret: (v) => this.redactor.addDeep(v),
            checkMode: settings.checkMode,
            diffMode: settings.diffMode,
            // Default: every host of the batch at once, at most 50 (explicit --forks may go higher).
            forks: settings.forks ?? Math.min(batch.length, MAX_DEFAULT_FORKS),
            tagFilter,
            startAt,
            signal: this.abort.signal,
            loadTaskFile: async (file, role) => readAtRunTime(await taskFiles.tasksFromFile(file, role, false, []), file),
            loadRole: async (request) => readAtRunTime([await applyRole(request, playRoles, taskFiles, taskFiles.readRoleRequest)], request.source.file),
            vault,
            changeInventory: (changes, location) => {
              applyInventoryChanges(inventory, hosts, changes, location);
              // The magic `groups` of this play follows at once, as in Ansible.
              for (const key of Object.keys(scope.groups)) delete scope.groups[key];
              Object.assign(scope.groups, inventory.groupsMap());
            },
            refreshInventory: async () => {
              inventory.refreshFrom(await loadInventory(inventory.sources, { playbookDir: inventory.playbookDir, vault }));
              for (const name of inventory.hostNames()) {
                const state = hosts.get(name);
                if (!state) { hosts.set(name, new HostState(name, inventory.hostVars(name))); continue; }
                for (const key of Object.keys(state.inventoryVars)) delete state.inventoryVars[key];
                Object.assign(state.inventoryVars, inventory.hostVars(name));
              }
              for (const key of Object.keys(scope.groups)) delete scope.groups[key];
              Object.assign(scope.groups, inventory.groupsMap());
            },
          });
          const goOn = await runner.runBatch(batch);
          if (!goOn) {
            fatal = play.anyErrorsFatal === true && batch.some((h) => !h.active);
            break;
          }
        }
      }
    } finally {
      await connections.closeAll();
    }
    const snapshot = this.recap.snapshot();
    const elapsedMs = Date.now() - started;
    const interrupted = this.abort.signal.aborted;
    this.emit({ event: 'recap', hosts: snapshot, elapsedMs, interrupted: interrupted || undefined });
    return { exitCode: exitCodeFor(snapshot, interrupted), recap: snapshot, elapsedMs };
  }
}

/** add_host and group_by on the inventory the run holds; a new host gets its state. */
function applyInventoryChanges(inventory: Inventory, hosts: Map<string, HostState>, changes: InventoryChange[], location: SourceLocation): void {
  for (const change of changes) {
    if (change.kind === 'add_host') {
      inventory.addHostAtRunTime(change.name, change.groups, change.vars, location);
      const state = hosts.get(change.name);
      if (state) Object.assign(state.inventoryVars, inventory.hostVars(change.name));
      else hosts.set(change.name, new HostState(change.name, inventory.hostVars(change.name)));
    } else {
      inventory.addGroupAtRunTime(change.group, change.parents);
      inventory.addHostToGroupAtRunTime(change.host, change.group);
    }
  }
}

/**
 * Connection variables written as templates (`ansible_password: "{{ vault_pw }}"`,
 * a lookup) are rendered with the host's variables, as Ansible renders them.
 */
/** remote_user and connection (the play's, a block's or a task's) for a host whose variables say nothing of them (its own variables win, as in Ansible). */
function withLogin(vars: Record<string, unknown>, login: Login): Record<string, unknown> {
  const unset = (names: string[]) => names.every((n) => vars[n] === undefined || vars[n] === null || vars[n] === '');
  const out = { ...vars };
  if (login.remoteUser !== undefined && unset(['ansible_user', 'ansible_ssh_user'])) out.ansible_user = login.remoteUser;
  if (login.connection !== undefined && unset(['ansible_connection'])) out.ansible_connection = login.connection === 'local' ? 'local' : 'ssh';
  return out;
}

function connectionVars(vars: Record<string, unknown>): Record<string, unknown> {
  const out = { ...vars };
  for (const [key, value] of Object.entries(vars)) {
    if (key.startsWith('ansible_') && typeof value === 'string' && value.includes('{{')) out[key] = renderValue(value, vars);
  }
  return out;
}

/** As ansible-playbook: unreachable (4) wins over failed (2). */
export function exitCodeFor(recap: Record<string, { failed: number; unreachable: number }>, interrupted: boolean): number {
  if (interrupted) return EXIT.INTERRUPTED;
  const counts = Object.values(recap);
  if (counts.some((c) => c.unreachable > 0)) return EXIT.HOST_UNREACHABLE;
  if (counts.some((c) => c.failed > 0)) return EXIT.HOST_FAILED;
  return EXIT.OK;
}
