/**
 * The bare lab's root file system: a minimal Debian 12 made once per machine
 * with mmdebstrap from Debian's own mirror, then given to every bare host as
 * the read-only lower layer of its own overlay (bare-host.ts).
 *
 * What is in it: what a minimal server install has (minbase, openssh-server,
 * sudo, iproute2, ping, procps, less, nano, cron, kmod), a login user `admin`
 * in group sudo, and with `--with-python` python3 for Ansible. Not in it:
 * Docker, host keys (each host gets its own), apt lists (each host's sources
 * point at the lab's mirror). Also:
 * - /usr/sbin/policy-rc.d saying "do not start": no systemd runs in a lab host,
 *   so a package's postinst must not start its daemon through init scripts
 *   behind the stand-in systemctl's back; `systemctl start` (the stand-in,
 *   reading the packaged unit) starts it, as a playbook does on a real server;
 * - /usr/bin/systemctl: the stand-in, run by the machine's node, both
 *   bind-mounted at /usr/lib/swarmplay-lab when a host starts.
 *
 * Cache: <cache>/rootfs/<variant>-<key>, where the key hashes the recipe below
 * (packages, hooks, suite): a changed recipe builds a new root, a missing one
 * is built again, once per machine even when several labs ask at once. <cache> is $SWARMPLAY_CACHE or /var/lib/swarmplay/cache;
 * `lab down` never removes it.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SwarmplayError } from '../errors.js';
import { runLocal } from './local-command.js';
import { buildCachedOnce } from './cache-build.js';

export function labCacheDir(): string {
  return process.env.SWARMPLAY_CACHE ?? '/var/lib/swarmplay/cache';
}

export const DEBIAN_SUITE = 'bookworm';
/** Where the controller downloads from: Debian's own mirrors, as apt on this machine is configured. */
export const DEBIAN_SOURCES = [
  `deb http://deb.debian.org/debian ${DEBIAN_SUITE} main`,
  `deb http://deb.debian.org/debian ${DEBIAN_SUITE}-updates main`,
  `deb http://deb.debian.org/debian-security ${DEBIAN_SUITE}-security main`,
];

/** A minimal server install: minbase plus what Debian's installer adds for a server without tasks. */
const SERVER_PACKAGES = ['openssh-server', 'sudo', 'iproute2', 'iputils-ping', 'procps', 'less', 'nano', 'cron', 'kmod', 'netbase', 'ifupdown'];

/** Folder inside every bare root where the stand-in systemctl and the node that runs it are bind-mounted. */
export const STANDIN_DIR = '/usr/lib/swarmplay-lab';
export const ADMIN_USER = 'admin';

export interface BareRootOptions {
  withPython: boolean;
}

interface Recipe {
  variant: string;
  packages: string[];
  hooks: string[];
}

function recipe(options: BareRootOptions): Recipe {
  return {
    variant: options.withPython ? 'python' : 'plain',
    packages: [...SERVER_PACKAGES, ...(options.withPython ? ['python3', 'python3-apt'] : [])],
    hooks: [
      `chroot "$1" useradd --create-home --shell /bin/bash --groups sudo ${ADMIN_USER}`,
      // Each host makes its own host keys; none may be shared through the image.
      'rm -f "$1"/etc/ssh/ssh_host_*',
      // The hosts' sources are written per lab (the mirror's address); the installer's lists go.
      'rm -rf "$1"/var/lib/apt/lists/* "$1"/etc/apt/sources.list.d/* && : > "$1"/etc/apt/sources.list',
      'echo debian > "$1"/etc/hostname',
      // As Debian's container images do: dpkg skips fsync, which a throwaway lab host does not need and which
      // made installing docker.io take a minute on a busy machine.
      'echo force-unsafe-io > "$1"/etc/dpkg/dpkg.cfg.d/swarmplay-lab-unsafe-io',
    ],
  };
}

function recipeKey(value: Recipe): string {
  return createHash('sha256').update(JSON.stringify({ ...value, suite: DEBIAN_SUITE, sources: DEBIAN_SOURCES, layout: 2 })).digest('hex').slice(0, 12);
}

export function bareRootPath(options: BareRootOptions): string {
  const value = recipe(options);
  return path.join(labCacheDir(), 'rootfs', `${value.variant}-${recipeKey(value)}`);
}

/** Files the build adds itself after mmdebstrap (mmdebstrap removes its own policy-rc.d at the end of a build). */
function finishRoot(root: string): void {
  const policy = path.join(root, 'usr/sbin/policy-rc.d');
  writeFileSync(policy, '#!/bin/sh\n# swarmplay lab: no init system here; services start through systemctl (the stand-in)\nexit 101\n');
  chmodSync(policy, 0o755);
  const standin = path.join(root, STANDIN_DIR.slice(1));
  mkdirSync(standin, { recursive: true });
  for (const mountPoint of ['node', 'systemctl.mjs']) writeFileSync(path.join(standin, mountPoint), '');
  const systemctl = path.join(root, 'usr/bin/systemctl');
  writeFileSync(systemctl, `#!/bin/sh\n# swarmplay lab: stand-in systemctl (no systemd runs in the lab)\nexec ${STANDIN_DIR}/node ${STANDIN_DIR}/systemctl.mjs "$@"\n`);
  chmodSync(systemctl, 0o755);
  // Mount points the host's init fills: its own /var/lib/docker and /var/lib/containerd on the machine's
  // file system (overlay2 cannot live on an overlay), and the old root while pivoting.
  for (const dir of ['var/lib/docker', 'var/lib/containerd', '.oldroot']) mkdirSync(path.join(root, dir), { recursive: true, mode: 0o711 });
}

export interface BareRootResult {
  path: string;
  /** Milliseconds spent building; 0 when the cached root was there. */
  builtMs: number;
}

/** The cached root for these options, built first when missing (once per machine, see cache-build.ts). */
export async function ensureBareRoot(options: BareRootOptions, onProgress: (message: string) => void = () => {}): Promise<BareRootResult> {
  const target = bareRootPath(options);
  if (existsSync(target)) return { path: target, builtMs: 0 };
  if (!existsSync('/usr/bin/mmdebstrap')) {
    throw new SwarmplayError('LAB_FAILED', 'the bare lab builds its hosts\' root file system with mmdebstrap, which is not installed', {
      hint: 'run scripts/setup-machine.sh, or: apt-get install mmdebstrap apt-utils',
    });
  }
  const started = Date.now();
  const value = recipe(options);
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const { built } = await buildCachedOnce(target, async (building) => {
    onProgress(`building the bare hosts' root file system (Debian ${DEBIAN_SUITE}, ${value.variant}) once for this machine: ${target}`);
    const result = await runLocal('mmdebstrap', [
      '--mode=root', '--variant=minbase', '--format=directory', '--quiet', '--dpkgopt=force-unsafe-io',
      `--include=${value.packages.join(',')}`,
      ...value.hooks.map((hook) => `--customize-hook=${hook}`),
      DEBIAN_SUITE, building, ...DEBIAN_SOURCES,
    ], { allowFailure: true });
    if (result.code !== 0) {
      throw new SwarmplayError('LAB_FAILED', `mmdebstrap could not build the bare root (exit ${result.code}): ${(result.stderr || result.stdout).trim().split('\n').slice(-6).join('\n')}`, {
        hint: 'the controller needs Debian\'s mirror (deb.debian.org) for this first build; later labs reuse the cache',
      });
    }
    finishRoot(building);
  }, () => onProgress(`waiting for another lab that is building the bare root ${target}`));
  return { path: target, builtMs: built ? Date.now() - started : 0 };
}
