/**
 * A real OpenSSH sshd for tests, one per call, on a loopback address.
 *
 * Each instance has its own temp folder holding host keys, sshd_config, a
 * client key authorized for root, a copy of /etc/shadow with a known root
 * password, and a fresh /root made from /etc/skel. The copies are
 * bind-mounted inside a private mount namespace (unshare), so the machine's
 * real root password and home stay untouched, and every SSH command pays what
 * a fresh server costs (this machine's own /root/.bashrc runs pyenv init,
 * ~100 ms per command: see /work/shared/LAB-NOTES.md).
 *
 * Needs root and Debian's openssh-server. Without them it throws: tests that
 * need a real sshd must fail loudly, never skip. sshRun looks at such a host
 * from outside swarmplay, with OpenSSH's own client.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

export type HostKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface StartSshdOptions {
  /** A loopback address, 127.0.0.x. */
  address: string;
  /** Default: a free port on that address. */
  port?: number;
  /** Root's password inside this sshd. Default: a fixed test password. */
  password?: string;
  hostKeyType?: HostKeyType;
  /**
   * Extra login users allowed to sudo (for become tests). They exist only
   * inside this sshd's mount namespace (copies of /etc/passwd, /etc/group,
   * /etc/shadow and /etc/sudoers are bind-mounted). Needs Debian's sudo.
   */
  sudoUsers?: SudoUser[];
}

export interface SudoUser {
  name: string;
  password: string;
  /** NOPASSWD in sudoers. */
  nopasswd?: boolean;
}

export interface TestSshd {
  address: string;
  port: number;
  password: string;
  /** A private key (mode 600) authorized for root. */
  clientKeyPath: string;
  /** Its public half, "ssh-ed25519 AAAA... comment". */
  clientPublicKey: string;
  hostKeyType: HostKeyType;
  /** As `ssh-keygen -lf` prints it: "SHA256:..." */
  hostKeyFingerprint: string;
  /** "ssh-ed25519 AAAA..." (type and base64 blob) of the current host key. */
  hostPublicKey: string;
  /** The temp folder of this instance (tests may put known_hosts files there). */
  dir: string;
  /** The pid of the listening sshd. */
  pid: number;
  /** What sshd wrote to stderr so far (for failure messages). */
  log(): Promise<string>;
  /** Signals the listening sshd and every session process it forked. */
  signalAll(signal: NodeJS.Signals): void;
  /** New host key of the same type, sshd restarted on the same address and port. */
  replaceHostKey(): Promise<void>;
  /** Same host key, address and port: sshd stopped (if still running) and started again, as after a crash. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_PASSWORD = 'swarmplay-test-Pa55';

export async function startSshd(options: StartSshdOptions): Promise<TestSshd> {
  assertCanRunSshd();
  if (!/^127\.\d+\.\d+\.\d+$/.test(options.address)) {
    throw new Error(`startSshd: address must be a loopback address 127.x.y.z, got ${options.address}`);
  }
  const address = options.address;
  const password = options.password ?? DEFAULT_PASSWORD;
  const hostKeyType = options.hostKeyType ?? 'ed25519';
  const port = options.port ?? (await freePort(address));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-sshd-'));

  const clientKeyPath = path.join(dir, 'client_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'swarmplay-test-client', '-f', clientKeyPath]);
  const clientPublicKey = (await readFile(`${clientKeyPath}.pub`, 'utf8')).trim();

  const home = path.join(dir, 'root-home');
  await cp('/etc/skel', home, { recursive: true });
  await chmod(home, 0o700);
  await mkdir(path.join(home, '.ssh'), { mode: 0o700 });
  await writeFile(path.join(home, '.ssh', 'authorized_keys'), `${clientPublicKey}\n`, { mode: 0o600 });

  const shadowPath = path.join(dir, 'shadow');
  const hash = await sha512CryptHash(password);
  const sudoUsers = options.sudoUsers ?? [];
  const shadowLines = (await readFile('/etc/shadow', 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (line.startsWith('root:') ? replaceShadowHash(line, hash) : line));
  const extraMounts: string[] = [];
  if (sudoUsers.length > 0) {
    if (!existsSync('/usr/bin/sudo')) {
      throw new Error('startSshd: sudoUsers need sudo: apt-get install -y sudo (or run scripts/setup-machine.sh).');
    }
    const passwdLines = (await readFile('/etc/passwd', 'utf8')).split('\n').filter((line) => line !== '');
    const groupLines = (await readFile('/etc/group', 'utf8')).split('\n').filter((line) => line !== '');
    const sudoers = ['Defaults env_reset', 'Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"',
      'root ALL=(ALL:ALL) ALL'];
    for (const [index, user] of sudoUsers.entries()) {
      const id = 42_000 + index;
      const userHome = path.join(dir, `home-${user.name}`);
      await cp('/etc/skel', userHome, { recursive: true });
      await run('chown', ['-R', `${id}:${id}`, userHome]);
      passwdLines.push(`${user.name}:x:${id}:${id}::${userHome}:/bin/sh`);
      groupLines.push(`${user.name}:x:${id}:`);
      shadowLines.push(replaceShadowHash(`${user.name}:!:0:0:99999:7:::`, await sha512CryptHash(user.password)));
      sudoers.push(`${user.name} ALL=(ALL:ALL) ${user.nopasswd ? 'NOPASSWD: ' : ''}ALL`);
    }
    for (const [name, lines, mode] of [['passwd', passwdLines, 0o644], ['group', groupLines, 0o644], ['sudoers', sudoers, 0o440]] as const) {
      await writeFile(path.join(dir, name), `${lines.join('\n')}\n`, { mode });
      extraMounts.push(`mount --bind ${shellQuote(path.join(dir, name))} /etc/${name}`);
    }
  }
  await writeFile(shadowPath, `${shadowLines.join('\n')}\n`, { mode: 0o640 });

  const hostKeyPath = path.join(dir, `ssh_host_${hostKeyType}_key`);
  const configPath = path.join(dir, 'sshd_config');
  await writeFile(configPath, [
    `ListenAddress ${address}`,
    `Port ${port}`,
    `HostKey ${hostKeyPath}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    'PermitRootLogin yes',
    'PasswordAuthentication yes',
    'PubkeyAuthentication yes',
    'KbdInteractiveAuthentication no',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'UsePAM no',
    'MaxSessions 10',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'LogLevel VERBOSE',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n'));

  const logPath = path.join(dir, 'sshd.log');
  let child: ChildProcess;
  let exited: Promise<void>;
  const state = { hostKeyFingerprint: '', hostPublicKey: '' };

  async function generateHostKey(): Promise<void> {
    await rm(hostKeyPath, { force: true });
    await rm(`${hostKeyPath}.pub`, { force: true });
    const bits = hostKeyType === 'rsa' ? ['-b', '2048'] : [];
    await run('ssh-keygen', ['-q', '-t', hostKeyType, ...bits, '-N', '', '-C', `test-host-${address}`, '-f', hostKeyPath]);
    const { stdout } = await run('ssh-keygen', ['-lf', `${hostKeyPath}.pub`]);
    state.hostKeyFingerprint = stdout.split(/\s+/)[1] ?? '';
    const [type, blob] = (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim().split(/\s+/);
    state.hostPublicKey = `${type} ${blob}`;
  }

  async function launch(): Promise<void> {
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation folder
    const inside = [
      `mount --bind ${shellQuote(shadowPath)} /etc/shadow`,
      `mount --bind ${shellQuote(home)} /root`,
      ...extraMounts,
      `exec ${SSHD} -D -e -f ${shellQuote(configPath)}`,
    ].join(' && ');
    const logFd = openSync(logPath, 'a');
    child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', inside], {
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const started = Date.now();
    let exitedEarly = false;
    void exited.then(() => { exitedEarly = true; });
    while (!(await acceptsConnections(address, port))) {
      if (exitedEarly || Date.now() - started > 5000) {
        const log = await readFile(logPath, 'utf8').catch(() => '');
        child.kill('SIGKILL');
        throw new Error(`startSshd: sshd on ${address}:${port} did not start.\nsshd log:\n${log}`);
      }
      await delay(25);
    }
  }

  function signalAll(signal: NodeJS.Signals): void {
    const pids = [...descendantsOf(child.pid!), child.pid!];
    for (const pid of pids) {
      try { process.kill(pid, signal); } catch { /* already gone */ }
    }
  }

  async function halt(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) {
      signalAll('SIGKILL'); // session processes may outlive the listener
      return;
    }
    signalAll('SIGTERM');
    const timer = setTimeout(() => signalAll('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  await generateHostKey();
  await launch();

  const sshd: TestSshd = {
    address,
    port,
    password,
    clientKeyPath,
    clientPublicKey,
    hostKeyType,
    get hostKeyFingerprint() { return state.hostKeyFingerprint; },
    get hostPublicKey() { return state.hostPublicKey; },
    dir,
    get pid() { return child.pid!; },
    log: () => readFile(logPath, 'utf8').catch(() => ''),
    signalAll,
    async replaceHostKey() {
      await halt();
      await generateHostKey();
      await launch();
    },
    async restart() {
      await halt();
      await launch();
    },
    async stop() {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return sshd;
}

function assertCanRunSshd(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('startSshd: the SSH transport tests need root (they start a real sshd with its own mount namespace). Run the tests as root.');
  }
  if (!existsSync(SSHD)) {
    throw new Error(`startSshd: ${SSHD} is missing. Install it: apt-get install -y openssh-server (or run scripts/setup-machine.sh).`);
  }
}

function replaceShadowHash(line: string, hash: string): string {
  const fields = line.split(':');
  fields[1] = hash;
  fields[2] = String(Math.floor(Date.now() / 86_400_000)); // last change today: no forced change at login
  return fields.join(':');
}

/** `openssl passwd -6`, the password on stdin so it never shows in a process list. */
async function sha512CryptHash(password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn('openssl', ['passwd', '-6', '-stdin'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`openssl passwd exited ${code}`))));
    proc.stdin.end(`${password}\n`);
  });
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Every process below `root` in the process tree (sshd forks one or two per session). */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  const entries = readdirSync('/proc');
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch { /* process ended meanwhile */ }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function acceptsConnections(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const SSH_OPTIONS = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
  '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5'];

/** Runs a command on a test host with OpenSSH's client, as root; throws on a non-zero exit. */
export async function sshRun(host: TestSshd, command: string): Promise<string> {
  const { stdout } = await run('ssh', ['-i', host.clientKeyPath, '-p', String(host.port), ...SSH_OPTIONS,
    `root@${host.address}`, command], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** `sshRun` that reports the exit code instead of throwing. */
export async function sshTry(host: TestSshd, command: string): Promise<{ code: number; stdout: string }> {
  return sshRun(host, command).then((stdout) => ({ code: 0, stdout }),
    (error: { code?: number; stdout?: string }) => ({ code: Number(error.code ?? -1), stdout: String(error.stdout ?? '') }));
}
