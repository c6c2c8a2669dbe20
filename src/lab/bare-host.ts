/**
 * A bare lab host: a freshly installed Debian 12 with nothing but sshd.
 * Its root is an overlay: the cached root (bare-root.ts) read-only below, the
 * host's own upper layer above, so its dpkg database, /etc, /usr, /var and
 * /tmp are its own and `apt-get install` on it changes only it. Its first
 * process enters the host's network namespace, takes a private mount and UTS
 * namespace, mounts that overlay with /proc, /sys, /dev, a fresh /run and the
 * host's own /var/lib/docker and /var/lib/containerd (on the machine's file
 * system: overlay2 cannot live on an overlay), pivots into it and becomes sshd.
 * pivot_root, not chroot: runc's own pivot_root for containers fails in a chroot.
 *
 * Before the host starts, its upper layer gets what an installer writes per
 * machine: a host name (`debian`, the installer's default: giving each host a
 * unique one is the playbook's work), /etc/hosts, machine-id, root's and
 * admin's password (the lab password), an SSH host key, sshd's settings
 * (root login by password, or none with --no-root-login), and apt sources
 * pointing at the lab's mirror.
 */
import { chmodSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { SwarmplayError } from '../errors.js';
import { ADMIN_USER, STANDIN_DIR } from './bare-root.js';
import { freshEtcHosts } from './host-root.js';
import { spawnInHostNamespaces } from './sshd.js';
import { runLocal } from './local-command.js';
import { mirrorSourcesLine } from './package-mirror.js';

/** The host name every bare host has after install, as Debian's installer proposes. */
export const INSTALLED_HOSTNAME = 'debian';

export interface BareHostPaths {
  dir: string;
  upper: string;
  work: string;
  /** Where the overlay is mounted inside the host's mount namespace before pivoting (empty on the machine). */
  mountPoint: string;
  varLibDocker: string;
  varLibContainerd: string;
  initLog: string;
}

export function bareHostPaths(dir: string): BareHostPaths {
  return {
    dir,
    upper: path.join(dir, 'upper'),
    work: path.join(dir, '.overlay-work'),
    mountPoint: path.join(dir, 'root'),
    varLibDocker: path.join(dir, 'var-lib-docker'),
    varLibContainerd: path.join(dir, 'var-lib-containerd'),
    initLog: path.join(dir, 'init.log'),
  };
}

export interface BareHostIdentity {
  address: string;
  passwordHash: string;
  rootLogin: boolean;
  mirrorUrl: string;
}

/** The image's shadow with root's and admin's hashes set. */
export function shadowWithPasswords(imageShadow: string, users: readonly string[], passwordHash: string): string {
  const daysSinceEpoch = Math.floor(Date.now() / 86_400_000);
  return imageShadow.split('\n').map((line) => {
    const fields = line.split(':');
    if (!users.includes(fields[0] ?? '')) return line;
    fields[1] = passwordHash;
    fields[2] = String(daysSinceEpoch);
    return fields.join(':');
  }).join('\n');
}

export function bareSshdSettings(rootLogin: boolean): string {
  return [
    '# swarmplay lab: a fresh server\'s sshd. Read before sshd_config\'s own lines, so these win.',
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    `PermitRootLogin ${rootLogin ? 'yes' : 'no'}`,
    'PasswordAuthentication yes',
    // No PAM session: there is no systemd-logind or audit in a lab host; passwords are read from shadow.
    'UsePAM no',
    'UseDNS no',
    '',
  ].join('\n');
}

/** Writes the per-machine files into a new, empty upper layer (an older one is removed: a reinstall). */
export async function prepareBareHost(paths: BareHostPaths, image: string, identity: BareHostIdentity): Promise<void> {
  for (const dir of [paths.upper, paths.work, paths.varLibDocker, paths.varLibContainerd]) rmSync(dir, { recursive: true, force: true });
  for (const dir of [paths.upper, paths.work, paths.mountPoint, paths.varLibDocker, paths.varLibContainerd]) mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(paths.varLibDocker, 0o710);
  const etc = path.join(paths.upper, 'etc');
  mkdirSync(path.join(etc, 'ssh', 'sshd_config.d'), { recursive: true, mode: 0o755 });
  mkdirSync(path.join(etc, 'apt'), { recursive: true, mode: 0o755 });
  writeFileSync(path.join(etc, 'hostname'), `${INSTALLED_HOSTNAME}\n`);
  writeFileSync(path.join(etc, 'hosts'), freshEtcHosts(INSTALLED_HOSTNAME));
  writeFileSync(path.join(etc, 'machine-id'), `${randomBytes(16).toString('hex')}\n`, { mode: 0o444 });
  const shadow = shadowWithPasswords(readFileSync(path.join(image, 'etc/shadow'), 'utf8'), ['root', ADMIN_USER], identity.passwordHash);
  writeFileSync(path.join(etc, 'shadow'), shadow, { mode: 0o640 });
  chmodSync(path.join(etc, 'shadow'), 0o640);
  await runLocal('chown', ['--reference', path.join(image, 'etc/shadow'), path.join(etc, 'shadow')]);
  writeFileSync(path.join(etc, 'ssh', 'sshd_config.d', 'swarmplay-lab.conf'), bareSshdSettings(identity.rootLogin));
  await runLocal('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${INSTALLED_HOSTNAME}`, '-f', path.join(etc, 'ssh', 'ssh_host_ed25519_key')]);
  // The lab's package mirror on the bridge, the only site this host reaches; written as bootstrap.yaml's apt_mirror writes it.
  writeFileSync(path.join(etc, 'apt', 'sources.list'), `${mirrorSourcesLine(identity.mirrorUrl)}\n`);
  writePowerCommands(paths.upper);
}

/**
 * shutdown, reboot, halt and poweroff, where an installed server has them (systemd's, in /usr/sbin): here they
 * run the lab's emulation (assets/power.mjs, bind-mounted at start on the empty file written here).
 */
function writePowerCommands(upper: string): void {
  const standIn = path.join(upper, STANDIN_DIR.slice(1));
  mkdirSync(standIn, { recursive: true, mode: 0o755 });
  writeFileSync(path.join(standIn, 'power.mjs'), '');
  const sbin = path.join(upper, 'usr', 'sbin');
  mkdirSync(sbin, { recursive: true, mode: 0o755 });
  for (const command of ['shutdown', 'reboot', 'halt', 'poweroff']) {
    const file = path.join(sbin, command);
    writeFileSync(file, `#!/bin/sh\n# swarmplay lab: this host shares the machine's kernel; ${command} is emulated\nexec ${STANDIN_DIR}/node ${STANDIN_DIR}/power.mjs ${command} "$@"\n`);
    chmodSync(file, 0o755);
  }
}

/** The host's public host key line ("ssh-ed25519 AAAA... comment"). */
export function bareHostKey(paths: BareHostPaths): string {
  return readFileSync(path.join(paths.upper, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8').trim();
}

const BARE_HOST_INIT_SCRIPT = `
set -eu
R="$LAB_DIR/root"
mount -t overlay lab-root -o "lowerdir=$LAB_IMAGE,upperdir=$LAB_DIR/upper,workdir=$LAB_DIR/.overlay-work" "$R"
mount -t proc proc "$R/proc"
mount --rbind /sys "$R/sys"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=0755,nosuid,nodev lab-run "$R/run"
mkdir -m 0755 "$R/run/sshd"
mkdir -m 1777 "$R/run/lock"
# Each host its own boot id (the kernel's is the machine's), renewed by the lab's emulated reboot (assets/power.mjs).
mkdir -m 0700 "$R/run/swarmplay-lab"
cat /proc/sys/kernel/random/uuid > "$R/run/swarmplay-lab/boot_id"
mount --bind "$R/run/swarmplay-lab/boot_id" "$R/proc/sys/kernel/random/boot_id"
mount --bind "$LAB_DIR/var-lib-docker" "$R/var/lib/docker"
mount --bind "$LAB_DIR/var-lib-containerd" "$R/var/lib/containerd"
mount --bind -o ro "$LAB_NODE" "$R${STANDIN_DIR}/node"
mount --bind -o ro "$LAB_STANDIN" "$R${STANDIN_DIR}/systemctl.mjs"
mount --bind -o ro "$LAB_POWER" "$R${STANDIN_DIR}/power.mjs"
cd "$R"
pivot_root . .oldroot
cd /
umount -l /.oldroot
hostname -F /etc/hostname
# sh execs sshd: this pid is the listener, which the emulated reboot keeps while it stops every other process.
echo $$ > /run/swarmplay-lab/init.pid
exec /usr/sbin/sshd -D -e
`;

/** The lab's programs a bare host runs with this machine's node: its systemctl and its shutdown/reboot. */
export interface BareHostScripts {
  systemctl: string;
  power: string;
}

/** Starts the host; it keeps running after this program exits. The returned pid is its sshd's (nsenter, unshare and sh exec). */
export function spawnBareHost(netns: string, hostName: string, paths: BareHostPaths, image: string, scripts: BareHostScripts): number {
  return spawnInHostNamespaces(netns, hostName, BARE_HOST_INIT_SCRIPT, paths.initLog, {
    LAB_DIR: realpathSync(paths.dir),
    LAB_IMAGE: image,
    LAB_NODE: realpathSync(process.execPath),
    LAB_STANDIN: scripts.systemctl,
    LAB_POWER: scripts.power,
  });
}
