/**
 * Starting a lab host: its first process enters the host's network namespace
 * (nsenter, not `ip netns exec`, which remounts /sys and breaks dockerd),
 * takes a private mount and UTS namespace, sets the hostname, mounts the
 * host's own files (see host-root.ts) and becomes the host's sshd. Every later
 * process of the host (SSH sessions, dockerd started from them) inherits
 * those namespaces. nsenter, unshare and sh all exec, so the pid we spawn is
 * the sshd's pid.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, realpathSync } from 'node:fs';
import net from 'node:net';
import { SwarmplayError } from '../errors.js';
import type { HostRootPaths } from './host-root.js';

const HOST_INIT_SCRIPT = `
set -eu
hostname "$LAB_HOSTNAME"
mount -t overlay lab-etc -o "lowerdir=/etc,upperdir=$LAB_DIR/etc,workdir=$LAB_DIR/.etc-work" /etc
# A fresh server has written no local unit: /etc/systemd/system starts empty (whiteouts in the host's layer).
find /etc/systemd/system -mindepth 1 -maxdepth 1 -exec rm -rf {} +
# Docker's engine identity and settings are per server: none inherited from this machine's /etc/docker.
rm -f /etc/docker/key.json /etc/docker/daemon.json
mount -t overlay lab-units -o "lowerdir=/usr/lib/systemd/system,upperdir=$LAB_DIR/units,workdir=$LAB_DIR/.units-work" /usr/lib/systemd/system
mount --bind "$LAB_DIR/root" /root
mount --bind "$LAB_DIR/tmp" /tmp
mount --bind "$LAB_DIR/var-lib-docker" /var/lib/docker
mount --bind "$LAB_DIR/var-lib-containerd" /var/lib/containerd
mount --bind "$LAB_DIR/var-lib-registry" /var/lib/registry
mount --bind "$LAB_SYSTEMCTL" /usr/bin/systemctl
if [ "$(readlink -f /bin/systemctl)" != /usr/bin/systemctl ]; then mount --bind "$LAB_SYSTEMCTL" /bin/systemctl; fi
mount -t tmpfs -o mode=0755,nosuid,nodev lab-run /run
mkdir -m 0755 /run/sshd
mkdir -m 1777 /run/lock
cd /
exec /usr/sbin/sshd -D -e
`;

export interface HostProcess {
  pid: number;
}

/**
 * Runs a lab host's init script in the host's network namespace and a new mount and UTS
 * namespace of its own; it keeps running after this program exits. Returns its pid.
 */
export function spawnInHostNamespaces(netns: string, hostname: string, initScript: string, initLog: string, env: Record<string, string>): number {
  const log = openSync(initLog, 'a', 0o600);
  try {
    const child = spawn('nsenter', [
      `--net=/run/netns/${netns}`, '--',
      'unshare', '--mount', '--uts', '--propagation', 'private', '--',
      '/bin/sh', '-c', initScript,
    ], {
      detached: true,
      stdio: ['ignore', log, log],
      cwd: '/',
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', ...env },
    });
    child.unref();
    if (child.pid === undefined) throw new SwarmplayError('LAB_FAILED', `cannot start lab host ${hostname}: nsenter did not start`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** Spawns the host; it keeps running after this program exits. */
export function spawnHost(netns: string, hostname: string, paths: HostRootPaths, systemctlWrapper: string): HostProcess {
  const pid = spawnInHostNamespaces(netns, hostname, HOST_INIT_SCRIPT, paths.initLog, {
    LAB_HOSTNAME: hostname,
    LAB_DIR: realpathSync(paths.dir),
    LAB_SYSTEMCTL: systemctlWrapper,
  });
  return { pid };
}

/** Whether a TCP port accepts a connection within half a second. */
export function portAnswers(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port, timeout: 500 }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function sshAnswers(address: string): Promise<boolean> {
  return portAnswers(address, 22);
}

/** Waits until the host's sshd accepts connections; fails with the host's log if its init died. */
export async function waitForSshd(hostname: string, address: string, pid: number, paths: Pick<HostRootPaths, 'initLog'>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portAnswers(address, 22)) return;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  let log = '';
  try {
    log = readFileSync(paths.initLog, 'utf8').trim().split('\n').slice(-8).join('\n');
  } catch {
    // no log written
  }
  throw new SwarmplayError('LAB_FAILED', `lab host ${hostname}: sshd did not come up on ${address}:22${log ? `\n${log}` : ''}`, {
    hint: `the host's log is ${paths.initLog}`,
  });
}
