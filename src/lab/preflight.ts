/**
 * What the lab needs from the machine: Linux, root, and a few Debian
 * packages. `lab setup` (and `lab up` itself) installs missing packages with
 * apt-get; anything else gets a message that says what to do.
 */
import { existsSync } from 'node:fs';
import { SwarmplayError } from '../errors.js';
import { runLocal } from './local-command.js';

interface LabPackage {
  name: string;
  /** A file the lab runs from this package. */
  provides: string;
  /** Which labs need it: every lab, labs whose hosts run this machine's dockerd, or bare labs. */
  neededBy: 'all' | 'docker' | 'bare';
}

/** shared: hosts on this machine's /usr, with or without dockerd; bare: hosts on their own Debian root. */
export type LabNeeds = 'docker' | 'plain' | 'bare';

export const LAB_PACKAGES: readonly LabPackage[] = [
  { name: 'iproute2', provides: '/usr/sbin/ip', neededBy: 'all' },
  { name: 'util-linux', provides: '/usr/bin/nsenter', neededBy: 'all' },
  { name: 'openssh-server', provides: '/usr/sbin/sshd', neededBy: 'all' },
  { name: 'openssh-client', provides: '/usr/bin/ssh-keygen', neededBy: 'all' },
  { name: 'openssl', provides: '/usr/bin/openssl', neededBy: 'all' },
  { name: 'docker.io', provides: '/usr/sbin/dockerd', neededBy: 'docker' },
  { name: 'containerd', provides: '/usr/bin/containerd', neededBy: 'docker' },
  { name: 'docker-registry', provides: '/usr/bin/docker-registry', neededBy: 'docker' },
  { name: 'busybox-static', provides: '/bin/busybox', neededBy: 'docker' },
  // A bare lab builds its hosts' root with mmdebstrap, its mirror with apt-ftparchive, serves it with busybox httpd,
  // and gives the hosts the images of the shared lab as archives (docker-registry, busybox-static).
  { name: 'mmdebstrap', provides: '/usr/bin/mmdebstrap', neededBy: 'bare' },
  { name: 'apt-utils', provides: '/usr/bin/apt-ftparchive', neededBy: 'bare' },
  { name: 'busybox-static', provides: '/bin/busybox', neededBy: 'bare' },
  { name: 'docker-registry', provides: '/usr/bin/docker-registry', neededBy: 'bare' },
];

export function assertLinuxRoot(): void {
  if (process.platform !== 'linux') {
    throw new SwarmplayError('LAB_FAILED', `swarmplay lab needs Linux (network and mount namespaces); this is ${process.platform}`, {
      hint: 'run the lab on a Linux machine or VM (Debian 12 is what it is tested on), or point swarmplay at real hosts with -i',
    });
  }
  if (process.getuid?.() !== 0) {
    throw new SwarmplayError('LAB_FAILED', 'swarmplay lab needs root: it creates network namespaces, a bridge and mounts', {
      hint: 'run it as root, e.g. `sudo swarmplay lab up`',
    });
  }
}

export function missingLabPackages(needs: LabNeeds): string[] {
  const wanted = LAB_PACKAGES.filter((pkg) => pkg.neededBy === 'all' || pkg.neededBy === needs);
  return [...new Set(wanted.filter((pkg) => !existsSync(pkg.provides)).map((pkg) => pkg.name))];
}

/** Installs what is missing; returns the names installed (empty when all were there). */
export async function installLabPackages(needs: LabNeeds, onProgress: (message: string) => void = () => {}): Promise<string[]> {
  assertLinuxRoot();
  const missing = missingLabPackages(needs);
  if (missing.length === 0) return [];
  if (!existsSync('/usr/bin/apt-get')) {
    throw new SwarmplayError('LAB_FAILED', `the lab needs these packages, which are missing: ${missing.join(', ')}`, {
      hint: 'this machine has no apt-get: install their equivalents with its package manager',
    });
  }
  onProgress(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runLocal('apt-get', ['update', '-qq'], { env });
  await runLocal('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  const stillMissing = missingLabPackages(needs);
  if (stillMissing.length > 0) {
    throw new SwarmplayError('LAB_FAILED', `apt-get did not provide: ${stillMissing.join(', ')}`, {
      hint: `install them by hand: apt-get install ${stillMissing.join(' ')}`,
    });
  }
  return missing;
}
