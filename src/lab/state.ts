/**
 * The lab's record of what it started and created, so that `lab down` undoes
 * exactly that and nothing else: process ids with their start times (a pid
 * alone can be reused), namespace inodes, interface names. The lab root holds
 * secrets (the lab password, host keys), hence mode 0700/0600.
 *
 * Location: $SWARMPLAY_LAB_ROOT or /var/lib/swarmplay/lab, one folder per lab
 * name: <root>/<name>/state.json, <root>/<name>/hosts/<host>/..., and the lab's
 * known_hosts file at <root>/<name>/known_hosts. A lab is a machine-wide
 * thing (namespaces, a bridge), so its state is machine-wide too, not per checkout.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface LabHostState {
  name: string;
  address: string;
  /** `ip netns` name. */
  netns: string;
  /** Inode of the network namespace: every process in it belongs to this host. */
  netnsInode?: number;
  /** The veth end on the bridge; its peer is eth0 inside the namespace. */
  vethOuter: string;
  /** The host's first process (nsenter -> unshare -> sh -> sshd, one pid through the execs). */
  initPid?: number;
  /** /proc/<pid>/stat start time of initPid: tells our sshd from a later process that reused the pid. */
  initStartTicks?: string;
  /** Inode of the host's mount namespace. */
  mountNsInode?: number;
  /** Per-host folder holding the /etc overlay, /root, /var/lib/docker... */
  dir: string;
}

export interface LabState {
  version: 1;
  name: string;
  subnet: string;
  bridge: string;
  controllerAddress: string;
  prefixLength: number;
  /** The root password of every lab host. Never printed. */
  password: string;
  docker: boolean;
  createdAt: string;
  dir: string;
  knownHostsFile: string;
  inventoryFile?: string;
  hosts: LabHostState[];
  /** 'shared' (hosts share this machine's /usr; the default) or 'bare'; absent in labs made before bare labs existed. */
  kind?: LabKind;
  bare?: BareLabState;
}

export type LabKind = 'shared' | 'bare';

/** What a bare lab adds: the cached root its hosts' overlays stand on, and the package mirror it serves. */
export interface BareLabState {
  image: string;
  withPython: boolean;
  rootLogin: boolean;
  /** The lab's images (registry, httpd, ...) as one `docker save` archive on the controller, for hosts with no hub. */
  imageArchive: string;
  mirror: {
    path: string;
    url: string;
    pid?: number;
    startTicks?: string;
    log: string;
  };
}

export function labRoot(): string {
  return process.env.SWARMPLAY_LAB_ROOT ?? '/var/lib/swarmplay/lab';
}

export function labDir(name: string): string {
  return path.join(labRoot(), name);
}

export function labStateFile(name: string): string {
  return path.join(labDir(name), 'state.json');
}

export function readLabState(name: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(labStateFile(name), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** Written through a temporary file, so a killed run leaves the old state or the new one, never half. */
export function writeLabState(state: LabState): void {
  mkdirSync(state.dir, { recursive: true, mode: 0o700 });
  const file = labStateFile(state.name);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

export function removeLabDir(name: string): void {
  rmSync(labDir(name), { recursive: true, force: true });
}
