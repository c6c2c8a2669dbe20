/**
 * `swarmplay lab`: Docker hosts with SSH, made of Linux namespaces on this
 * machine. up -> network (network.ts), per-host files (host-root.ts), the
 * host's sshd (sshd.ts), dockerd through the stand-in systemctl, images on
 * the first host (images.ts), inventory (inventory.ts); everything it starts
 * is recorded (state.ts) so that down removes exactly that.
 *
 * A bare lab (`--bare`) has hosts of their own Debian root instead (bare-root.ts,
 * bare-host.ts) and a package mirror on the bridge (package-mirror.ts); no Docker
 * until a playbook installs it. `reimage` reinstalls one of its hosts.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import pLimit from 'p-limit';
import { SwarmplayError } from '../errors.js';
import { hostRootPaths, hashPassword, prepareHostRoot, readMachineShadow } from './host-root.js';
import { runInHost } from './host-exec.js';
import { importLabImages } from './images.js';
import { LAB_INVENTORY_VARS, writeLabInventory } from './inventory.js';
import {
  assertSubnetFree, bridgeName, createLabNetwork, labNamespaces, netnsInode, netnsName, parseSubnet,
  removeLabNetwork, vethName,
} from './network.js';
import { labPowerSource, standInSystemctlSource } from './package-root.js';
import { installLabPackages } from './preflight.js';
import { isSameProcess, namespaceInode, processInfo, processStartTicks, processesOfNamespaces, terminateProcesses } from './processes.js';
import { runLocal } from './local-command.js';
import { sshAnswers, spawnHost, waitForSshd } from './sshd.js';
import { labDir, labRoot, readLabState, removeLabDir, writeLabState, type LabHostState, type LabKind, type LabState } from './state.js';
import { ensureBareRoot, labCacheDir } from './bare-root.js';
import { bareHostKey, bareHostPaths, prepareBareHost, spawnBareHost, type BareHostScripts } from './bare-host.js';
import { ensureMirror, mirrorPackages, serveMirror } from './package-mirror.js';
import { labImageArchive } from './images.js';

export { DEFAULT_LAB } from './defaults.js';
import { DEFAULT_LAB } from './defaults.js';

export interface LabUpOptions {
  name?: string;
  hosts?: number;
  prefix?: string;
  subnet?: string;
  /** false: plain SSH hosts, no dockerd (cheap, for benchmarks with many hosts). */
  docker?: boolean;
  /** Where to write the Ansible inventory; relative paths are from the current folder. */
  inventoryFile?: string;
  /** Hosts of their own freshly installed Debian root, with a package mirror and no Docker. */
  bare?: boolean;
  /** Bare hosts with python3 (for comparisons with Ansible). */
  withPython?: boolean;
  /** false: root cannot log in over SSH on bare hosts; the inventory logs in as admin with become. */
  rootLogin?: boolean;
  onProgress?: (message: string) => void;
}

export interface LabUpResult {
  state: LabState;
  inventoryFile: string;
  /** Milliseconds spent per phase, and in total. */
  timings: Record<string, number>;
}

/** The stand-in systemctl's record of a unit inside a host (see assets/systemctl.mjs). */
const STANDIN_STATE_DIR = 'run/systemctl-standin';

function validateOptions(options: LabUpOptions): Required<Omit<LabUpOptions, 'onProgress'>> {
  const name = options.name ?? DEFAULT_LAB.name;
  const hosts = options.hosts ?? DEFAULT_LAB.hosts;
  const prefix = options.prefix ?? DEFAULT_LAB.prefix;
  if (!/^[a-z][a-z0-9]{0,8}$/.test(name)) {
    throw new SwarmplayError('BAD_OPTION', `lab name ${JSON.stringify(name)} must be 1-9 lowercase letters or digits, starting with a letter`, {
      hint: 'it names the bridge (splab-NAME) and interfaces, which Linux limits to 15 characters',
    });
  }
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > 200) {
    throw new SwarmplayError('BAD_OPTION', `--hosts must be a whole number from 1 to 200, got ${hosts}`);
  }
  if (!options.bare && (options.withPython || options.rootLogin === false)) {
    throw new SwarmplayError('BAD_OPTION', `${options.withPython ? '--with-python' : '--no-root-login'} applies to bare labs only`, {
      hint: 'add --bare (the shared lab\'s hosts use this machine\'s /usr, python included, and log in as root)',
    });
  }
  if (!/^[a-z][a-z0-9-]{0,40}$/.test(prefix)) {
    throw new SwarmplayError('BAD_OPTION', `--prefix ${JSON.stringify(prefix)} must be a lowercase host name prefix such as "docker"`);
  }
  if (/^\/(tmp|root|run|etc|var\/lib\/docker|var\/lib\/containerd)(\/|$)/.test(path.resolve(labRoot()))) {
    throw new SwarmplayError('BAD_OPTION', `the lab folder ${labRoot()} lies under a folder every lab host replaces`, {
      hint: 'set SWARMPLAY_LAB_ROOT to a folder outside /tmp, /root, /run, /etc and /var/lib/docker (default /var/lib/swarmplay/lab)',
    });
  }
  return {
    name,
    hosts,
    prefix,
    subnet: options.subnet ?? DEFAULT_LAB.subnet,
    docker: options.bare ? false : (options.docker ?? true),
    inventoryFile: path.resolve(options.inventoryFile ?? DEFAULT_LAB.inventoryFile),
    bare: options.bare ?? false,
    withPython: options.withPython ?? false,
    rootLogin: options.rootLogin ?? true,
  };
}

export function labHostNames(prefix: string, count: number): string[] {
  const width = Math.max(2, String(count).length);
  return Array.from({ length: count }, (_, index) => `${prefix}${String(index + 1).padStart(width, '0')}`);
}

async function timed<T>(timings: Record<string, number>, phase: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[phase] = Date.now() - started;
  }
}

/** A wrapper that runs the shipped stand-in with this machine's node; bind-mounted over systemctl in every host. */
function installSystemctlWrapper(dir: string): string {
  const script = path.join(dir, 'systemctl.mjs');
  copyFileSync(standInSystemctlSource(), script);
  const wrapper = path.join(dir, 'systemctl');
  for (const needed of [process.execPath, script]) {
    if (/^\/(root|tmp|run)\//.test(needed)) {
      throw new SwarmplayError('LAB_FAILED', `${needed} lies under a folder every lab host replaces (/root, /tmp or /run)`, {
        hint: 'install node and swarmplay elsewhere (e.g. /usr/local), or set SWARMPLAY_LAB_ROOT to a folder outside them',
      });
    }
  }
  writeFileSync(wrapper, `#!/bin/sh\n# swarmplay lab: stand-in systemctl (no systemd runs in the lab)\nexec '${process.execPath}' '${script}' "$@"\n`, { mode: 0o755 });
  return wrapper;
}

function readUnitTail(host: LabHostState, unit: string): string {
  try {
    return readFileSync(`/proc/${host.initPid}/root/${STANDIN_STATE_DIR}/${unit}.log`, 'utf8').trim().split('\n').slice(-10).join('\n');
  } catch {
    return '';
  }
}

async function startDocker(host: LabHostState): Promise<void> {
  const pid = host.initPid!;
  // As docker.io's postinst does on a real server: the units are enabled, then started.
  await runInHost(pid, ['systemctl', 'enable', 'containerd', 'docker']);
  const result = await runInHost(pid, ['systemctl', 'start', 'docker'], { allowFailure: true });
  if (result.code !== 0) {
    throw new SwarmplayError('LAB_FAILED', `lab host ${host.name}: dockerd did not start: ${result.stderr.trim()}\n${readUnitTail(host, 'docker.service')}`);
  }
}

function describeHosts(hosts: readonly LabHostState[]): string {
  if (hosts.length <= 5) return hosts.map((host) => `${host.name} ${host.address}`).join(', ');
  const first = hosts[0]!;
  const last = hosts[hosts.length - 1]!;
  return `${first.name} ${first.address} .. ${last.name} ${last.address}`;
}

type LabSettings = ReturnType<typeof validateOptions>;

/** Hosts on this machine's /usr (host-root.ts), with dockerd and the lab images unless --no-docker. */
async function upSharedHosts(state: LabState, settings: LabSettings, timings: Record<string, number>, progress: (message: string) => void): Promise<void> {
  const systemctlWrapper = installSystemctlWrapper(state.dir);
  // Mount points for the per-host folders; docker.io creates them on first start anyway.
  for (const mountPoint of ['/var/lib/docker', '/var/lib/containerd', '/var/lib/registry']) mkdirSync(mountPoint, { recursive: true, mode: 0o711 });
  const machineShadow = readMachineShadow();
  const limit = pLimit(8);
  await timed(timings, 'hosts', () => Promise.all(state.hosts.map((host) => limit(async () => {
    const paths = hostRootPaths(host.dir);
    const rootHash = await hashPassword(state.password);
    await prepareHostRoot(paths, { hostname: host.name, address: host.address, rootHash }, machineShadow);
    const { pid } = spawnHost(host.netns, host.name, paths, systemctlWrapper);
    host.initPid = pid;
    await waitForSshd(host.name, host.address, pid, paths);
    host.initStartTicks = processStartTicks(pid);
    host.mountNsInode = namespaceInode(pid, 'mnt');
  }))));
  writeLabState(state);
  progress(`${state.hosts.length} hosts answer SSH: ${describeHosts(state.hosts)}`);

  if (settings.docker) {
    await timed(timings, 'dockerd', () => Promise.all(state.hosts.map((host) => startDocker(host))));
    progress('dockerd running on every host (started by systemctl from the stock docker.service)');
    await timed(timings, 'images', () => importLabImages(state.hosts[0]!.initPid!, path.join(labRoot(), 'image-rootfs')));
    progress(`images on ${state.hosts[0]!.name}: registry, httpd, nginx, dockersamples/visualizer`);
  }
}

/** Where the lab folder holds the stand-in systemctl and the emulated shutdown, which bare hosts bind-mount (with this machine's node) at start. */
function standInScripts(dir: string): BareHostScripts {
  return { systemctl: path.join(dir, 'systemctl.mjs'), power: path.join(dir, 'power.mjs') };
}

/** Copies the stand-in scripts into the lab folder, once per `lab up`. */
function installStandInScripts(dir: string): void {
  const scripts = standInScripts(dir);
  copyFileSync(standInSystemctlSource(), scripts.systemctl);
  copyFileSync(labPowerSource(), scripts.power);
}

/** (Re)installs one bare host: a new upper layer, host key and /var/lib/docker, then its sshd. */
async function startBareHost(state: LabState, host: LabHostState, passwordHash: string): Promise<void> {
  const bare = state.bare!;
  const paths = bareHostPaths(host.dir);
  await prepareBareHost(paths, bare.image, { address: host.address, passwordHash, rootLogin: bare.rootLogin, mirrorUrl: bare.mirror.url });
  const pid = spawnBareHost(host.netns, host.name, paths, bare.image, standInScripts(state.dir));
  host.initPid = pid;
  await waitForSshd(host.name, host.address, pid, paths);
  host.initStartTicks = processStartTicks(pid);
  host.mountNsInode = namespaceInode(pid, 'mnt');
}

/** The lab's own known_hosts, written from the hosts' keys: a reinstalled host's new key replaces the old. */
function writeBareKnownHosts(state: LabState): void {
  const lines = state.hosts.map((host) => `${host.address} ${bareHostKey(bareHostPaths(host.dir)).split(' ').slice(0, 2).join(' ')}`);
  writeFileSync(state.knownHostsFile, `${lines.join('\n')}\n`, { mode: 0o600 });
}

async function upBareHosts(state: LabState, settings: LabSettings, timings: Record<string, number>, progress: (message: string) => void): Promise<void> {
  const root = await timed(timings, 'rootfs', () => ensureBareRoot({ withPython: settings.withPython }, progress));
  if (root.builtMs > 0) progress(`bare root built in ${(root.builtMs / 1000).toFixed(1)} s (cached for later labs)`);
  const mirror = await timed(timings, 'mirror', () => ensureMirror(root.path, mirrorPackages({ withPython: settings.withPython }), progress));
  if (mirror.builtMs > 0) progress(`package mirror built in ${(mirror.builtMs / 1000).toFixed(1)} s: ${mirror.packages} packages (cached for later labs)`);
  const imageArchive = await timed(timings, 'imageArchive', () => labImageArchive(path.join(labCacheDir(), 'images')));
  const log = path.join(state.dir, 'mirror.log');
  const served = await serveMirror(mirror.path, state.controllerAddress, log);
  state.bare = {
    image: root.path,
    withPython: settings.withPython,
    rootLogin: settings.rootLogin,
    imageArchive,
    mirror: { path: mirror.path, url: served.url, pid: served.pid, startTicks: processStartTicks(served.pid), log },
  };
  writeLabState(state);
  progress(`package mirror ${served.url} (${mirror.packages} packages) on the lab bridge`);

  installStandInScripts(state.dir);
  const passwordHash = await hashPassword(state.password);
  const limit = pLimit(8);
  await timed(timings, 'hosts', () => Promise.all(state.hosts.map((host) => limit(() => startBareHost(state, host, passwordHash)))));
  writeBareKnownHosts(state);
  writeLabState(state);
  progress(`${state.hosts.length} bare Debian ${settings.withPython ? 'hosts with python3' : 'hosts'} answer SSH: ${describeHosts(state.hosts)}`);
}

export async function labUp(options: LabUpOptions = {}): Promise<LabUpResult> {
  const settings = validateOptions(options);
  const progress = options.onProgress ?? (() => {});
  const timings: Record<string, number> = {};
  const started = Date.now();
  await timed(timings, 'packages', () => installLabPackages(settings.bare ? 'bare' : settings.docker ? 'docker' : 'plain', progress));
  await timed(timings, 'clearStale', () => labDown(settings.name, { onProgress: progress, quietWhenAbsent: true }));

  const subnet = parseSubnet(settings.subnet);
  const hostNames = labHostNames(settings.prefix, settings.hosts);
  if (11 + settings.hosts > subnet.size - 1) {
    throw new SwarmplayError('BAD_OPTION', `subnet ${subnet.cidr} is too small for ${settings.hosts} hosts (.11 onward)`);
  }
  const bridge = bridgeName(settings.name);
  await assertSubnetFree(subnet, bridge);

  const dir = labDir(settings.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const state: LabState = {
    version: 1,
    name: settings.name,
    subnet: subnet.cidr,
    bridge,
    controllerAddress: subnet.controllerAddress,
    prefixLength: subnet.prefixLength,
    password: randomBytes(18).toString('base64url'),
    docker: settings.docker,
    createdAt: new Date().toISOString(),
    dir,
    knownHostsFile: path.join(dir, 'known_hosts'),
    inventoryFile: settings.inventoryFile,
    kind: settings.bare ? 'bare' : 'shared',
    hosts: hostNames.map((name, index) => ({
      name,
      address: subnet.hostAddress(index),
      netns: netnsName(settings.name, name),
      vethOuter: vethName(settings.name, index),
      dir: path.join(dir, 'hosts', name),
    })),
  };
  writeLabState(state);

  try {
    progress(`network ${subnet.cidr} on bridge ${bridge}`);
    await timed(timings, 'network', () => createLabNetwork(bridge, subnet, state.hosts.map((host) => ({
      netns: host.netns, veth: host.vethOuter, address: host.address,
    }))));
    for (const host of state.hosts) host.netnsInode = netnsInode(host.netns);
    writeLabState(state);

    if (settings.bare) {
      await upBareHosts(state, settings, timings, progress);
    } else {
      await upSharedHosts(state, settings, timings, progress);
    }

    writeLabInventory(state, settings.inventoryFile);
    writeLabState(state);
  } catch (error) {
    progress('lab up failed: removing what it started');
    await labDown(settings.name, { quietWhenAbsent: true }).catch(() => {});
    throw error;
  }
  timings.total = Date.now() - started;
  return { state, inventoryFile: settings.inventoryFile, timings };
}

export interface LabDownOptions {
  onProgress?: (message: string) => void;
  quietWhenAbsent?: boolean;
}

export interface LabDownResult {
  /** false when there was no lab of that name (nothing to do). */
  found: boolean;
  stoppedProcesses: number;
}

/** dockerd leaves a swarm and stops its containers on SIGTERM, which takes seconds: give it that time first. */
async function stopDockerGracefully(host: LabHostState): Promise<void> {
  if (!isSameProcess(host.initPid, host.initStartTicks)) return;
  let record: { mainPid?: number; startTicks?: string } = {};
  try {
    record = JSON.parse(readFileSync(`/proc/${host.initPid}/root/${STANDIN_STATE_DIR}/docker.service.json`, 'utf8'));
  } catch {
    return;
  }
  if (record.mainPid === undefined || !isSameProcess(record.mainPid, record.startTicks)) return;
  const info = processInfo(record.mainPid);
  if (info) await terminateProcesses([info], 60_000);
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`))
    .reverse();
}

function removeOwnInventory(state: LabState): void {
  if (!state.inventoryFile || !existsSync(state.inventoryFile)) return;
  const text = readFileSync(state.inventoryFile, 'utf8');
  if (new RegExp(`^\\s*${LAB_INVENTORY_VARS.labName}: ${state.name}\\s*$`, 'm').test(text) && text.includes(state.password)) {
    rmSync(state.inventoryFile, { force: true });
  }
}

/** Stops and removes the lab `name`; a lab that is not there is fine. */
export async function labDown(name: string = DEFAULT_LAB.name, options: LabDownOptions = {}): Promise<LabDownResult> {
  const progress = options.onProgress ?? (() => {});
  const state = readLabState(name);
  const leftoverNamespaces = await labNamespaces(name);
  const bridge = bridgeName(name);
  const hosts: LabHostState[] = state?.hosts ?? [];
  const netnsNames = [...new Set([...hosts.map((host) => host.netns), ...leftoverNamespaces])];
  const found = state !== undefined || leftoverNamespaces.length > 0 || existsSync(labDir(name));
  if (!found) {
    const bridgeLeft = await runLocal('ip', ['link', 'show', 'dev', bridge], { allowFailure: true });
    if (bridgeLeft.code !== 0) {
      if (!options.quietWhenAbsent) progress(`no lab named ${name}`);
      return { found: false, stoppedProcesses: 0 };
    }
  }
  if (state) progress(`stopping lab ${name} (${hosts.length} hosts)`);
  else if (found) progress(`clearing what a stale lab ${name} left`);

  await Promise.all(hosts.map(stopDockerGracefully));
  const mirror = state?.bare?.mirror;
  if (mirror && isSameProcess(mirror.pid, mirror.startTicks)) {
    const info = processInfo(mirror.pid!);
    if (info) await terminateProcesses([info], 5_000);
  }

  const mountNsInodes = new Set<number>();
  const netNsInodes = new Set<number>();
  for (const host of hosts) {
    if (isSameProcess(host.initPid, host.initStartTicks) && host.mountNsInode !== undefined) mountNsInodes.add(host.mountNsInode);
  }
  for (const netns of netnsNames) {
    const inode = netnsInode(netns);
    if (inode !== undefined) netNsInodes.add(inode);
  }
  const processes = processesOfNamespaces({ mountNsInodes, netNsInodes });
  await terminateProcesses(processes, 5_000);

  await removeLabNetwork(name, bridge, netnsNames, hosts.map((host) => host.vethOuter));
  for (const mountPoint of mountsUnder(labDir(name))) await runLocal('umount', ['-l', mountPoint], { allowFailure: true });
  if (state) removeOwnInventory(state);
  removeLabDir(name);
  return { found: true, stoppedProcesses: processes.length };
}

export interface LabHostStatus {
  name: string;
  address: string;
  sshd: 'running' | 'stopped';
  dockerd: 'running' | 'stopped' | 'absent';
  /** Docker's Swarm.LocalNodeState: inactive, pending, active, error, locked; undefined when dockerd does not answer. */
  swarm?: string;
  swarmRole?: 'manager' | 'worker';
  engineId?: string;
}

export interface LabStatus {
  name: string;
  /** bare: hosts on their own Debian root (no Docker until installed); shared: hosts on this machine's /usr. */
  kind: LabKind;
  /** Bare labs: the package mirror the hosts' apt reads. */
  mirrorUrl?: string;
  subnet: string;
  controllerAddress: string;
  docker: boolean;
  createdAt: string;
  inventoryFile?: string;
  knownHostsFile: string;
  hosts: LabHostStatus[];
}

interface DockerInfo {
  ID?: string;
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean };
}

/** GET /info on the host's own docker.sock, reached through its sshd's view of the file system. */
function dockerInfo(host: LabHostState): Promise<DockerInfo | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath: `/proc/${host.initPid}/root/run/docker.sock`, path: '/info', timeout: 3000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()) as DockerInfo);
        } catch {
          resolve(undefined);
        }
      });
    });
    request.on('error', () => resolve(undefined));
    request.on('timeout', () => {
      request.destroy();
      resolve(undefined);
    });
  });
}

export async function labStatus(name: string = DEFAULT_LAB.name): Promise<LabStatus | undefined> {
  const state = readLabState(name);
  if (!state) return undefined;
  const hosts = await Promise.all(state.hosts.map(async (host): Promise<LabHostStatus> => {
    const alive = isSameProcess(host.initPid, host.initStartTicks);
    const sshd = alive && (await sshAnswers(host.address)) ? 'running' : 'stopped';
    // A bare host has Docker once a playbook installed it.
    const hasDocker = state.kind === 'bare' ? alive && existsSync(`/proc/${host.initPid}/root/usr/sbin/dockerd`) : state.docker;
    if (!hasDocker) return { name: host.name, address: host.address, sshd, dockerd: 'absent' };
    const info = alive ? await dockerInfo(host) : undefined;
    return {
      name: host.name,
      address: host.address,
      sshd,
      dockerd: info ? 'running' : 'stopped',
      swarm: info?.Swarm?.LocalNodeState,
      swarmRole: info?.Swarm?.LocalNodeState === 'active' ? (info.Swarm.ControlAvailable ? 'manager' : 'worker') : undefined,
      engineId: info?.ID,
    };
  }));
  return {
    name: state.name,
    kind: state.kind ?? 'shared',
    mirrorUrl: state.bare?.mirror.url,
    subnet: state.subnet,
    controllerAddress: state.controllerAddress,
    docker: state.docker,
    createdAt: state.createdAt,
    inventoryFile: state.inventoryFile,
    knownHostsFile: state.knownHostsFile,
    hosts,
  };
}

/** The recorded lab, password included: for tests and tools that drive the lab. */
export function readLab(name: string = DEFAULT_LAB.name): LabState | undefined {
  return readLabState(name);
}

/** Names of labs with state on this machine. */
export function labNames(): string[] {
  if (!existsSync(labRoot())) return [];
  return readdirSync(labRoot()).filter((entry) => existsSync(path.join(labRoot(), entry, 'state.json')));
}

export interface ReimageResult {
  host: string;
  /** The new host key's SHA256 fingerprint. */
  fingerprint: string;
  ms: number;
}

/**
 * Puts one host of a bare lab back to a fresh install, as when a machine is
 * reinstalled: its processes (dockerd and containers included) stopped, a new
 * upper layer over the cached root (its dpkg database, /etc, /var as installed),
 * an empty /var/lib/docker, a new SSH host key, which the lab's known_hosts takes
 * in place of the old. Address and network stay.
 */
export async function labReimage(name: string, hostName: string, options: { onProgress?: (message: string) => void } = {}): Promise<ReimageResult> {
  const progress = options.onProgress ?? (() => {});
  const started = Date.now();
  const state = readLabState(name);
  if (!state) throw new SwarmplayError('LAB_FAILED', `no lab named ${name} is up`, { hint: 'start one with `swarmplay lab up --bare`' });
  if (state.kind !== 'bare' || !state.bare) {
    throw new SwarmplayError('BAD_OPTION', `lab ${name} is not a bare lab: its hosts share this machine's /usr, so there is no install to go back to`, {
      hint: 'reimage works on labs made with `swarmplay lab up --bare`',
    });
  }
  const host = state.hosts.find((candidate) => candidate.name === hostName);
  if (!host) {
    throw new SwarmplayError('BAD_OPTION', `lab ${name} has no host ${JSON.stringify(hostName)}`, { hint: `its hosts: ${state.hosts.map((entry) => entry.name).join(', ')}` });
  }
  progress(`reinstalling ${host.name} (${host.address})`);
  await stopDockerGracefully(host);
  const mountNsInodes = new Set<number>();
  if (isSameProcess(host.initPid, host.initStartTicks) && host.mountNsInode !== undefined) mountNsInodes.add(host.mountNsInode);
  const netNsInodes = new Set<number>(host.netnsInode !== undefined ? [host.netnsInode] : []);
  await terminateProcesses(processesOfNamespaces({ mountNsInodes, netNsInodes }), 5_000);
  await startBareHost(state, host, await hashPassword(state.password));
  writeBareKnownHosts(state);
  writeLabState(state);
  const { stdout } = await runLocal('ssh-keygen', ['-l', '-f', path.join(bareHostPaths(host.dir).upper, 'etc/ssh/ssh_host_ed25519_key.pub')]);
  return { host: host.name, fingerprint: stdout.split(' ')[1] ?? '', ms: Date.now() - started };
}
