/**
 * A lab for end-to-end tests, brought up and taken down through the real
 * CLI (`swarmplay lab up/down`), with OpenSSH's own client to look at the
 * hosts from outside swarmplay. Needs root and Linux: without them `lab up`
 * fails with its own message and so does the test, loudly.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { runCli, REPO_ROOT, type CliResult } from './cli.js';

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

export interface LabSuiteOptions {
  lab: TestLabOptions;
  /** Runs playbooks/bootstrap.yaml once the lab is up; the suite stops there unless it succeeds. */
  bootstrap?: boolean;
  /** Gives every run the lab's controller key (-e controller_ssh_key), as the docker lab's bootstrap wants it. */
  controllerKey?: boolean;
  /** After lab up, before bootstrap: the suite's own host_vars, for one. */
  beforeBootstrap?(lab: TestLab): void | Promise<void>;
  /** Before lab down: what the suite left on folders the hosts share with the machine. */
  beforeDown?(lab: TestLab): Promise<unknown>;
  /** A project folder copied to a scratch folder (`project`) for the suite, removed at the end. */
  project?: string;
  /** Prints the suite's timings under this name once it ends. */
  timingsName?: string;
}

/** The suite's lab (its `down` is the suite's), and what every suite on it runs and reads. */
export interface LabSuite extends Omit<TestLab, 'down'> {
  /** The scratch copy of `options.project`. */
  readonly project: string;
  /** Ansible's config and scratch folders inside the project, not under the user's ~/.ansible. */
  readonly ansibleEnv: Record<string, string>;
  /** Milliseconds by label: labUp, bootstrap, each run, labDown, and whatever the suite adds. */
  readonly timings: Record<string, number>;
  /** `swarmplay run PLAYBOOK -i INVENTORY --json ...extra` (the lab's inventory by default), timed under `label`. */
  run(label: string, playbook: string, extra?: string[], inventory?: string): Promise<CliResult>;
  /** The end of a run's output, for an assertion's message. */
  output(result: CliResult): string;
  /** A command on docker01, the lab's first manager. */
  manager(command: string): Promise<string>;
}

/**
 * Registers mocha hooks that bring the lab up (and bootstrap it) before the
 * suite and take it down after, and returns the lab, usable from the
 * suite's own hooks and tests on.
 */
export function labSuite(options: LabSuiteOptions): LabSuite {
  let lab: TestLab | undefined;
  let project = '';
  const timings: Record<string, number> = {};
  const up = (): TestLab => lab ?? assert.fail(`lab ${options.lab.name} is not up: its before hook failed`);

  const suite: LabSuite = {
    get name() { return up().name; },
    get dir() { return up().dir; },
    get inventory() { return up().inventory; },
    get password() { return up().password; },
    get hosts() { return up().hosts; },
    ssh: (host, command, user) => up().ssh(host, command, user),
    get project() { return project || assert.fail('the suite copied no project'); },
    get ansibleEnv() {
      return {
        ANSIBLE_CONFIG: path.join(suite.project, 'ansible.cfg'),
        ANSIBLE_LOCAL_TEMP: path.join(suite.project, '.ansible-tmp'),
        ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(suite.project, '.ansible-cp'),
      };
    },
    timings,
    async run(label, playbook, extra = [], inventory = up().inventory) {
      const started = Date.now();
      const controllerKey = options.controllerKey ? ['-e', `controller_ssh_key=${path.join(up().dir, 'controller_ed25519')}`] : [];
      const result = await runCli(['run', playbook, '-i', inventory, '--json', ...controllerKey, ...extra], { timeoutMs: 300_000 });
      timings[label] = Date.now() - started;
      return result;
    },
    output: (result) => `\n--- stdout ---\n${result.stdout.slice(-5000)}\n--- stderr ---\n${result.stderr.slice(-2000)}`,
    manager: (command) => up().ssh('docker01', command),
  };

  before(async () => {
    if (options.project) {
      project = await mkdtemp(path.join(os.tmpdir(), `swarmplay-${options.lab.name}-project-`));
      await cp(options.project, project, { recursive: true });
    }
    const started = Date.now();
    lab = await bringUpLab(options.lab);
    timings.labUp = Date.now() - started;
    await options.beforeBootstrap?.(lab);
    if (options.bootstrap) {
      const bootstrap = await suite.run('bootstrap', 'playbooks/bootstrap.yaml');
      assert.equal(bootstrap.code, 0, suite.output(bootstrap));
    }
  });

  after(async () => {
    if (lab) await options.beforeDown?.(lab);
    const started = Date.now();
    await lab?.down();
    timings.labDown = Date.now() - started;
    if (project) await rm(project, { recursive: true, force: true });
    if (options.timingsName) console.log(`      ${options.timingsName} timings (ms): ${JSON.stringify(timings)}`);
  });

  return suite;
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

/** Each swarm node as a manager lists it, "hostname status manager-status", sorted. */
export async function swarmNodeLines(manager: (command: string) => Promise<string>): Promise<string[]> {
  return (await manager("docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'")).trim().split('\n').sort();
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
