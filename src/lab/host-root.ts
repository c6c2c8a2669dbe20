/**
 * A lab host's own files, prepared on the controller before the host starts.
 * Inside the host (its own mount namespace) they appear as:
 * - /etc: an overlay over the machine's /etc, whose upper layer holds this
 *   host's hosts, hostname, machine-id, shadow (root password = lab password),
 *   ssh/sshd_config and ssh host key; writes (even rename-over, as editors and
 *   chpasswd do) land in the host's layer and never touch the machine;
 *   /etc/systemd/system starts empty, as no local unit was ever written;
 * - /usr/lib/systemd/system (= /lib/systemd/system): an overlay too, so a
 *   playbook that edits the packaged docker.service, as the walkthrough does,
 *   edits only this host's copy;
 * - /root from /etc/skel with an empty .ssh (password login until ssh-copy-id),
 *   /tmp, /var/lib/docker, /var/lib/containerd, /var/lib/registry: per-host folders;
 * - /run: a fresh tmpfs (with /run/sshd), so docker.sock, pid files and the
 *   stand-in systemctl's records are the host's own;
 * - /usr/bin/systemctl: the stand-in.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { runLocal } from './local-command.js';

export interface HostRootPaths {
  dir: string;
  etcUpper: string;
  etcWork: string;
  unitsUpper: string;
  unitsWork: string;
  root: string;
  tmp: string;
  varLibDocker: string;
  varLibContainerd: string;
  /** The walkthrough's registry keeps its images in /var/lib/registry: each host its own, never the machine's. */
  varLibRegistry: string;
  /** The host's init and sshd output (outside the host's /run, so it survives for a post-mortem). */
  initLog: string;
}

export function hostRootPaths(dir: string): HostRootPaths {
  return {
    dir,
    etcUpper: path.join(dir, 'etc'),
    etcWork: path.join(dir, '.etc-work'),
    unitsUpper: path.join(dir, 'units'),
    unitsWork: path.join(dir, '.units-work'),
    root: path.join(dir, 'root'),
    tmp: path.join(dir, 'tmp'),
    varLibDocker: path.join(dir, 'var-lib-docker'),
    varLibContainerd: path.join(dir, 'var-lib-containerd'),
    varLibRegistry: path.join(dir, 'var-lib-registry'),
    initLog: path.join(dir, 'init.log'),
  };
}

/** /etc/hosts of a freshly installed Debian server: localhost and its own name only. */
export function freshEtcHosts(hostname: string): string {
  return [
    '127.0.0.1\tlocalhost',
    `127.0.1.1\t${hostname}`,
    '',
    '# The following lines are desirable for IPv6 capable hosts',
    '::1     localhost ip6-localhost ip6-loopback',
    'ff02::1 ip6-allnodes',
    'ff02::2 ip6-allrouters',
    '',
  ].join('\n');
}

/** The machine's /etc/shadow with root's hash replaced; the machine's own file stays untouched. */
export function shadowWithRootHash(machineShadow: string, rootHash: string): string {
  const lines = machineShadow.split('\n');
  const daysSinceEpoch = Math.floor(Date.now() / 86_400_000);
  let replaced = false;
  const result = lines.map((line) => {
    const fields = line.split(':');
    if (fields[0] !== 'root') return line;
    replaced = true;
    fields[1] = rootHash;
    fields[2] = String(daysSinceEpoch);
    return fields.join(':');
  });
  if (!replaced) result.unshift(`root:${rootHash}:${daysSinceEpoch}:0:99999:7:::`);
  return result.join('\n');
}

/** sha512-crypt, as `passwd` writes it; the password goes through stdin, never argv. */
export async function hashPassword(password: string): Promise<string> {
  const { stdout } = await runLocal('openssl', ['passwd', '-6', '-stdin'], { input: `${password}\n` });
  return stdout.trim();
}

export function sshdConfig(hostname: string, address: string): string {
  return [
    `# swarmplay lab host ${hostname}: a fresh server's sshd, with root password login allowed`,
    `# until a key is copied (ssh-copy-id), as in the walkthrough.`,
    `ListenAddress ${address}`,
    'Port 22',
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PermitRootLogin yes',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    // No PAM: there is no systemd-logind or audit here, and shadow is read directly.
    'UsePAM no',
    'X11Forwarding no',
    'PrintMotd no',
    'UseDNS no',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

export interface HostIdentity {
  hostname: string;
  address: string;
  rootHash: string;
}

export async function prepareHostRoot(paths: HostRootPaths, identity: HostIdentity, machineShadow: string): Promise<void> {
  for (const dir of [paths.etcUpper, paths.etcWork, paths.unitsUpper, paths.unitsWork, paths.varLibDocker, paths.varLibContainerd, paths.varLibRegistry]) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  }
  mkdirSync(paths.tmp, { recursive: true });
  chmodSync(paths.tmp, 0o1777);

  const etc = paths.etcUpper;
  writeFileSync(path.join(etc, 'hostname'), `${identity.hostname}\n`);
  writeFileSync(path.join(etc, 'hosts'), freshEtcHosts(identity.hostname));
  writeFileSync(path.join(etc, 'machine-id'), `${randomBytes(16).toString('hex')}\n`);
  writeFileSync(path.join(etc, 'shadow'), shadowWithRootHash(machineShadow, identity.rootHash), { mode: 0o640 });
  mkdirSync(path.join(etc, 'ssh'), { recursive: true });
  writeFileSync(path.join(etc, 'ssh', 'sshd_config'), sshdConfig(identity.hostname, identity.address));
  await runLocal('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${identity.hostname}`, '-f', path.join(etc, 'ssh', 'ssh_host_ed25519_key')]);

  cpSync('/etc/skel', paths.root, { recursive: true });
  chmodSync(paths.root, 0o700);
  mkdirSync(path.join(paths.root, '.ssh'), { mode: 0o700 });
}

export function readMachineShadow(): string {
  return readFileSync('/etc/shadow', 'utf8');
}
