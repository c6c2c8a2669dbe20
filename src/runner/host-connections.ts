/**
 * How every command that reaches hosts opens its connections: `swarmplay
 * run` and `swarmplay status` alike. One place decides the connection
 * variables (resolveConnectionSpec), the known_hosts file, the password for
 * hosts that have none and the connect timeout, so the two cannot drift.
 */
import path from 'node:path';
import type { Inventory } from '../language/inventory.js';
import { SwarmplayError } from '../errors.js';
import { resolveConnectionSpec } from './connection-vars.js';
import { ConnectionPool, type ConnectionPoolOptions } from '../transport/connection-pool.js';
import { KnownHosts, defaultKnownHostsPath, type ForgetResult } from '../transport/known-hosts.js';
import { quoteArgs } from '../transport/shell-quote.js';
import type { Connection, ConnectionSpec } from '../transport/types.js';

/** What the command line says about connecting (--strict-host-keys, --known-hosts, --ask-pass, --timeout). */
export interface ConnectionSettings {
  strictHostKeys: boolean;
  knownHostsPath?: string;
  connectTimeoutMs?: number;
  /** Password for hosts that have none in the inventory (--ask-pass, SWARMPLAY_PASSWORD). */
  defaultPassword?: string;
  /**
   * ansible.cfg's remote_user, private_key_file, become and the become
   * password asked for by become_ask_pass: used where a host's variables say nothing.
   */
  hostDefaults?: HostDefaults;
}

export interface HostDefaults {
  user?: string;
  privateKeyPath?: string;
  become?: boolean;
  becomePassword?: string;
}

/** The variable names (with their aliases) each default stands for, as connection-vars.ts reads them. */
const DEFAULTED_VARS: Array<[keyof HostDefaults, string[]]> = [
  ['user', ['ansible_user', 'ansible_ssh_user']],
  ['privateKeyPath', ['ansible_ssh_private_key_file', 'ansible_private_key_file']],
  ['become', ['ansible_become']],
  ['becomePassword', ['ansible_become_password', 'ansible_become_pass']],
];

function withDefaults(vars: Record<string, unknown>, defaults: HostDefaults | undefined): Record<string, unknown> {
  if (!defaults) return vars;
  const out = { ...vars };
  for (const [field, names] of DEFAULTED_VARS) {
    const value = defaults[field];
    if (value !== undefined && names.every((n) => vars[n] === undefined || vars[n] === null || vars[n] === '')) out[names[0]!] = value;
  }
  return out;
}

/**
 * --known-hosts, else the inventory's own file (`swarmplay_known_hosts` in
 * its vars: the lab names one, because every `lab up` makes new host keys),
 * else ~/.ssh/known_hosts.
 */
export function knownHostsPathFor(inventory: Inventory, settings: Pick<ConnectionSettings, 'knownHostsPath'>): string {
  if (settings.knownHostsPath) return settings.knownHostsPath;
  const first = inventory.hostNames()[0];
  const value = first === undefined ? undefined : inventory.hostVars(first).swarmplay_known_hosts;
  return typeof value === 'string' && value ? value : defaultKnownHostsPath();
}

/** A path as the user would type it here: relative below the working folder, else absolute. */
function typedPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/**
 * The exact command that forgets one host's keys in the known_hosts file this
 * command reads: the same inventories, and --known-hosts when it was given.
 */
export function forgetCommandFor(inventory: Inventory, settings: Pick<ConnectionSettings, 'knownHostsPath'>, host: string): string {
  return quoteArgs([
    'swarmplay', 'known-hosts', 'forget', host,
    ...inventory.sources.flatMap((source) => ['-i', source.includes(',') && !source.includes('/') ? source : typedPath(source)]),
    ...(settings.knownHostsPath ? ['--known-hosts', settings.knownHostsPath] : []),
  ]);
}

/**
 * `swarmplay known-hosts forget HOST`: removes the entries of the host's
 * inventory name and of the address it is reached at (on its SSH port) from
 * the known_hosts file the inventory uses, so that the next run records the
 * key of a reinstalled host. Nothing is connected to.
 */
export function forgetHostKeys(inventory: Inventory, host: string, settings: ConnectionSettings): ForgetResult {
  if (!inventory.hasHost(host)) {
    throw new SwarmplayError('BAD_OPTION', `no host ${host} in ${inventory.sources.join(', ')}`, {
      hint: `its hosts: ${inventory.hostNames().join(', ')}`,
    });
  }
  const spec = connectionSpecFor(host, inventory.hostVars(host), settings);
  return new KnownHosts(knownHostsPathFor(inventory, settings)).forget([host, spec.address], spec.port);
}

/** The host's ConnectionSpec from its variables, with the command line's password and timeout applied. */
export function connectionSpecFor(host: string, vars: Record<string, unknown>, settings: ConnectionSettings): ConnectionSpec {
  const spec = resolveConnectionSpec(host, withDefaults(vars, settings.hostDefaults));
  if (!spec.password && settings.defaultPassword) spec.password = settings.defaultPassword;
  if (settings.connectTimeoutMs) spec.connectTimeoutMs = settings.connectTimeoutMs;
  return spec;
}

/** One connection per host for the whole command, opened on first use. */
export class HostConnections {
  private readonly pool: ConnectionPool;

  constructor(
    private readonly inventory: Inventory,
    private readonly settings: ConnectionSettings,
    /** Tests may substitute how a connection is opened. */
    poolOptions: Pick<ConnectionPoolOptions, 'open'> = {},
  ) {
    this.pool = new ConnectionPool({
      strictHostKeys: settings.strictHostKeys,
      knownHosts: new KnownHosts(knownHostsPathFor(inventory, settings), {
        forgetCommand: (host) => forgetCommandFor(inventory, settings, host),
      }),
      connectTimeoutMs: settings.connectTimeoutMs,
      ...poolOptions,
    });
  }

  /** `vars` defaults to the host's inventory variables; a run passes them merged with set_fact's. */
  get(host: string, vars: Record<string, unknown> = this.inventory.hostVars(host)): Promise<Connection> {
    return this.pool.get(connectionSpecFor(host, vars, this.settings));
  }

  /** Drops the host's connection and opens a new one (after a reboot: the old one is dead or dying). */
  async reconnect(host: string, vars: Record<string, unknown> = this.inventory.hostVars(host)): Promise<Connection> {
    await this.pool.drop(host);
    return this.get(host, vars);
  }

  /** Forgets a lost connection, so the next get() connects again. */
  drop(host: string): Promise<void> {
    return this.pool.drop(host);
  }

  closeAll(): Promise<void> {
    return this.pool.closeAll();
  }
}
