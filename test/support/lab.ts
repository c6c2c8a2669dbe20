/**
 * A lab for end-to-end tests, brought up and taken down through the real
 * CLI (`swarmplay lab up/down`), with OpenSSH's own client to look at the
 * hosts from outside swarmplay. Needs root and Linux: without them `lab up`
 * fails with its own message and so does the test, loudly.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { runCli, REPO_ROOT } from './cli.js';

const exec = promisify(execFile);

export interface TestLab {
  name: string;
  dir: string;
  inventory: string;
  password: string;
  /** Inventory name -> address. */
  hosts: Record<string, string>;
  /** Runs a command on a lab host with OpenSSH's client, by password (sshpass), as root unless `user` is given. */
  ssh(host: string, command: string, user?: string): Promise<string>;
  down(): Promise<void>;
}

export interface TestLabOptions {
  name: string;
  subnet: string;
  hosts?: number;
  docker?: boolean;
  prefix?: string;
  /** `lab up --bare`: hosts on their own Debian root with the lab's package mirror, no Docker. */
  bare?: boolean;
  /** false: `--no-root-login` (bare labs). */
  rootLogin?: boolean;
  /** `--with-python` (bare labs): python3 on the hosts, for ansible-playbook beside swarmplay. */
  withPython?: boolean;
}

export async function bringUpLab(options: TestLabOptions): Promise<TestLab & { upOutput: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `swarmplay-lab-${options.name}-`));
  const inventory = path.join(dir, 'lab.yaml');
  // The walkthrough's roles and labels live beside the shipped inventories; give the test lab the same.
  await cp(path.join(REPO_ROOT, 'inventory', 'host_vars'), path.join(dir, 'host_vars'), { recursive: true });
  const args = ['lab', 'up', '--name', options.name, '--subnet', options.subnet, '-i', inventory];
  if (options.hosts) args.push('--hosts', String(options.hosts));
  if (options.prefix) args.push('--prefix', options.prefix);
  if (options.docker === false) args.push('--no-docker');
  if (options.bare) args.push('--bare');
  if (options.rootLogin === false) args.push('--no-root-login');
  if (options.withPython) args.push('--with-python');
  // A bare lab's first `lab up` on a machine builds the cached root file system and package mirror.
  const up = await runCli(args, { timeoutMs: options.bare ? 900_000 : 180_000 });
  if (up.code !== 0) throw new Error(`lab up failed (exit ${up.code}):\n${up.stdout}\n${up.stderr}`);
  const data = parseYaml(await readFile(inventory, 'utf8'));
  const password = String(data.all.vars.ansible_password);
  const hosts: Record<string, string> = {};
  const collect = (group: any): void => {
    for (const [name, vars] of Object.entries(group?.hosts ?? {})) hosts[name] = String((vars as any).ansible_host);
    for (const child of Object.values(group?.children ?? {})) collect(child);
  };
  collect(data.all);
  return {
    name: options.name,
    dir,
    inventory,
    password,
    hosts,
    upOutput: up.stdout,
    async ssh(host: string, command: string, user = 'root'): Promise<string> {
      // The password goes through the environment (sshpass -e), never on a command line a failure would print.
      const { stdout } = await exec('sshpass', ['-e', 'ssh',
        '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
        '-o', 'PubkeyAuthentication=no', `${user}@${hosts[host]}`, command], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, SSHPASS: password } });
      return stdout;
    },
    async down(): Promise<void> {
      const result = await runCli(['lab', 'down', '--name', options.name], { timeoutMs: 120_000 });
      await rm(dir, { recursive: true, force: true });
      if (result.code !== 0) throw new Error(`lab down failed:\n${result.stdout}\n${result.stderr}`);
    },
  };
}

/** GET / from a published port of a lab host, from the controller (outside swarmplay). */
export function httpGet(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: address, port, path: '/', timeout: 5000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve(body));
    });
    request.on('timeout', () => request.destroy(new Error(`GET http://${address}:${port}/ timed out`)));
    request.on('error', reject);
  });
}

/** Polls `probe` until it gives a value (errors count as "not yet"); fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 300): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Nodes running a task of the service (desired and current state running), sorted, as a manager lists them. */
export async function tasksRunningOn(manager: (command: string) => Promise<string>, service: string): Promise<string[]> {
  const out = await manager(`docker service ps ${service} --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'`);
  return out.trim().split('\n').filter((line) => / Running /.test(line)).map((line) => line.split(' ')[0]!).sort();
}

/**
 * A lab host's dockerd, by the pid its stand-in systemctl recorded, checked to be a dockerd
 * of that host itself, in $pid (a shell snippet run on the host).
 */
export const DOCKERD_PID = [
  'pid=$(sed -n \'s/.*"mainPid":\\([0-9][0-9]*\\).*/\\1/p\' /run/systemctl-standin/docker.service.json)',
  'test -n "$pid" || { echo "no dockerd pid recorded" >&2; exit 1; }',
  'tr "\\0" " " < /proc/$pid/cmdline | grep -q "^/usr/sbin/dockerd " || { echo "pid $pid is not dockerd" >&2; exit 1; }',
  'test "$(readlink /proc/$pid/ns/net)" = "$(readlink /proc/self/ns/net)" || { echo "pid $pid is not in this host" >&2; exit 1; }',
].join('\n');
