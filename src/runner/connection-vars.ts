/**
 * How to reach a host, read from its (already templated) variables with
 * Ansible's names, aliases included (MAGIC_VARIABLE_MAPPING in ansible-core):
 *
 *   address        ansible_host, ansible_ssh_host           default: the inventory name
 *   port           ansible_port, ansible_ssh_port           default: 22
 *   user           ansible_user, ansible_ssh_user           default: root (see below)
 *   password       ansible_password, ansible_ssh_pass
 *   privateKeyPath ansible_ssh_private_key_file, ansible_private_key_file  (~/ expanded)
 *   become         ansible_become                           yes/no/true/false/1/0
 *   becomePassword ansible_become_password, ansible_become_pass
 *   connectTimeoutMs  ansible_ssh_timeout, ansible_timeout  (seconds)
 *
 * When both spellings are set, the first one listed wins (as in Ansible).
 *
 * The default user is root, not the controller's user as in Ansible: the
 * servers swarmplay provisions are reached as root (the walkthrough
 * does everything as root), and a run should not depend on who runs it.
 *
 * There are no shorter swarmplay spellings (`host`, `port`, `user`): those
 * names are common application variables (`port: 80` for a web service), and
 * reading them as connection settings would silently send SSH elsewhere.
 */
import { homedir } from 'node:os';
import { SwarmplayError } from '../errors.js';
import type { ConnectionSpec } from '../transport/types.js';

const DEFAULT_SSH_PORT = 22;
const DEFAULT_USER = 'root';

function pick(vars: Record<string, unknown>, names: string[]): { name: string; value: unknown } | undefined {
  for (const name of names) {
    const value = vars[name];
    if (value !== undefined && value !== null && value !== '') return { name, value };
  }
  return undefined;
}

function bad(host: string, name: string, value: unknown, expected: string): never {
  // The value is left out on purpose: it may be a password.
  throw new SwarmplayError('BAD_INVENTORY', `host '${host}': ${name} must be ${expected}, got a ${typeof value}`, {
    hint: `check ${name} in the inventory, group_vars/ or host_vars/`,
  });
}

function text(host: string, found: { name: string; value: unknown } | undefined): string | undefined {
  if (!found) return undefined;
  if (typeof found.value === 'string') return found.value;
  if (typeof found.value === 'number') return String(found.value);
  return bad(host, found.name, found.value, 'a string');
}

function integer(host: string, found: { name: string; value: unknown }, min: number, max: number): number {
  const n = typeof found.value === 'number' ? found.value : typeof found.value === 'string' ? Number(found.value.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SwarmplayError('BAD_INVENTORY', `host '${host}': ${found.name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(found.value)}`);
  }
  return n;
}

/** Ansible's boolean(): yes/no, on/off, true/false, 1/0, y/n, case-insensitive. */
function boolean(host: string, found: { name: string; value: unknown }): boolean {
  if (typeof found.value === 'boolean') return found.value;
  const word = String(found.value).trim().toLowerCase();
  if (['yes', 'on', '1', 'true', 't', 'y', '1.0'].includes(word)) return true;
  if (['no', 'off', '0', 'false', 'f', 'n', '0.0'].includes(word)) return false;
  throw new SwarmplayError('BAD_INVENTORY', `host '${host}': ${found.name} must be a boolean (yes/no, true/false), got ${JSON.stringify(found.value)}`);
}

/** The ConnectionSpec of `host` from its merged variables (inventory, group/host vars, extra vars). */
export function resolveConnectionSpec(host: string, vars: Record<string, unknown>): ConnectionSpec {
  const spec: ConnectionSpec = {
    host,
    address: text(host, pick(vars, ['ansible_host', 'ansible_ssh_host'])) ?? host,
    port: DEFAULT_SSH_PORT,
    user: text(host, pick(vars, ['ansible_user', 'ansible_ssh_user'])) ?? DEFAULT_USER,
  };
  const port = pick(vars, ['ansible_port', 'ansible_ssh_port']);
  if (port) spec.port = integer(host, port, 1, 65535);
  const password = text(host, pick(vars, ['ansible_password', 'ansible_ssh_pass']));
  if (password !== undefined) spec.password = password;
  const key = text(host, pick(vars, ['ansible_ssh_private_key_file', 'ansible_private_key_file']));
  // Ansible expands ~ in the key path; so does swarmplay, on the controller.
  if (key !== undefined) spec.privateKeyPath = key === '~' || key.startsWith('~/') ? homedir() + key.slice(1) : key;
  const become = pick(vars, ['ansible_become']);
  if (become) spec.become = boolean(host, become);
  const becomePassword = text(host, pick(vars, ['ansible_become_password', 'ansible_become_pass']));
  if (becomePassword !== undefined) spec.becomePassword = becomePassword;
  const timeout = pick(vars, ['ansible_ssh_timeout', 'ansible_timeout']);
  if (timeout) spec.connectTimeoutMs = integer(host, timeout, 1, 3600) * 1000;
  const connection = text(host, pick(vars, ['ansible_connection']));
  if (connection === 'local') spec.connection = 'local';
  else if (connection !== undefined && connection !== 'ssh' && connection !== 'smart') {
    throw new SwarmplayError('BAD_INVENTORY', `host '${host}': ansible_connection ${JSON.stringify(connection)} is not supported`, {
      hint: 'use ssh (the default) or local',
    });
  }
  // Ansible's implicit localhost: delegate_to: localhost without an inventory entry runs on the controller.
  if (host === 'localhost' && !pick(vars, ['ansible_host', 'ansible_ssh_host'])) spec.connection = 'local';
  return spec;
}
