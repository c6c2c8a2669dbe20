/**
 * The lab, for real: namespaces, sshd, dockerd, the stand-in systemctl. Needs
 * root and the Debian packages of scripts/setup-machine.sh; without them the
 * `before` hook fails loudly. Uses its own lab name and subnet so it never
 * touches the default lab other people use.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { labDown, labStatus, labUp, readLab } from '../../src/lab/lab.js';
import type { LabState } from '../../src/lab/state.js';
import { isSameProcess, processesOfNamespaces } from '../../src/lab/processes.js';

const execFileAsync = promisify(execFile);
const LAB = { name: 'labtest', subnet: '10.203.9.0/24' };

interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One command on a lab host over real SSH with the lab password (sshpass reads it from the environment, never argv). */
async function sshRun(state: LabState, address: string, command: string): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await execFileAsync('sshpass', [
      '-e', 'ssh', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=error',
      '-o', 'ConnectTimeout=5', `root@${address}`, command,
    ], { env: { ...process.env, SSHPASS: state.password }, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 255, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function sshOk(state: LabState, address: string, command: string): Promise<string> {
  const result = await sshRun(state, address, command);
  assert.equal(result.code, 0, `${command} on ${address} failed: ${result.stderr}`);
  return result.stdout.trim();
}

function dockerdCommandLine(state: LabState, hostIndex: number): string[] {
  const host = state.hosts[hostIndex]!;
  const record = JSON.parse(readFileSync(`/proc/${host.initPid}/root/run/systemctl-standin/docker.service.json`, 'utf8')) as { mainPid: number };
  return readFileSync(`/proc/${record.mainPid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

async function ipOutput(args: string[]): Promise<string> {
  return (await execFileAsync('ip', args)).stdout;
}

describe('lab (real namespaces, sshd and dockerd; needs root)', function () {
  this.timeout(120_000);
  const inventoryDir = mkdtempSync(path.join(os.tmpdir(), 'swarmplay-labtest-'));
  const inventoryFile = path.join(inventoryDir, 'lab.yaml');
  let state: LabState;
  let upMs = 0;

  before(async function () {
    const result = await labUp({ ...LAB, hosts: 3, inventoryFile });
    state = result.state;
    upMs = result.timings.total ?? Number.POSITIVE_INFINITY;
  });

  after(async function () {
    await labDown(LAB.name);
  });

  it('comes up with 3 docker hosts in under 30 s', () => {
    assert.deepEqual(state.hosts.map((host) => [host.name, host.address]), [
      ['docker01', '10.203.9.11'], ['docker02', '10.203.9.12'], ['docker03', '10.203.9.13'],
    ]);
    assert.ok(upMs < 30_000, `lab up took ${upMs} ms`);
  });

  it('each host answers SSH with the lab password and is a fresh server with its own name', async () => {
    await Promise.all(state.hosts.map(async (host) => {
      const [hostname, etcHostname, hosts, home] = (await sshOk(state, host.address,
        'hostname; cat /etc/hostname; grep -v "^#" /etc/hosts | grep -c .; ls -A ~ | tr "\\n" " "')).split('\n');
      assert.equal(hostname, host.name);
      assert.equal(etcHostname, host.name);
      assert.equal(hosts, '5', 'localhost, own name and the three IPv6 lines only');
      assert.equal(home?.trim(), '.bash_logout .bashrc .profile .ssh');
      assert.equal(await sshOk(state, host.address, 'ls -A ~/.ssh | wc -l; find /etc/systemd/system -mindepth 1 -maxdepth 1 ! -name "*.wants" | wc -l'), '0\n0');
    }));
    // /etc/hosts is the host's own: a change on docker01 is not seen on docker02, nor on this machine.
    await sshOk(state, '10.203.9.11', 'echo "10.203.9.12 docker02" >> /etc/hosts');
    assert.equal((await sshRun(state, '10.203.9.12', 'grep -c 10.203.9.12 /etc/hosts')).stdout.trim(), '0');
    assert.ok(!readFileSync('/etc/hosts', 'utf8').includes('10.203.9.12'));
    // So is the registry's data folder: two labs' registries never share images.
    await sshOk(state, '10.203.9.11', 'echo mine > /var/lib/registry/labtest-marker');
    assert.equal((await sshRun(state, '10.203.9.12', 'test -e /var/lib/registry/labtest-marker && echo shared || echo own')).stdout.trim(), 'own');
    assert.ok(!existsSync('/var/lib/registry/labtest-marker'), 'the machine\'s /var/lib/registry is untouched');
  });

  it('writes an Ansible inventory (mode 0600) with managers, workers and the lab vars', async () => {
    assert.equal(statSync(inventoryFile).mode & 0o777, 0o600);
    const inventory = parse(readFileSync(inventoryFile, 'utf8'));
    assert.deepEqual(Object.keys(inventory.all.children.managers.hosts), ['docker01']);
    assert.deepEqual(Object.keys(inventory.all.children.workers.hosts), ['docker02', 'docker03']);
    assert.equal(inventory.all.vars.ansible_user, 'root');
    assert.equal(inventory.all.vars.ansible_password, state.password);
    assert.equal(inventory.all.vars.lab_publish_mode, 'host');
    assert.equal(inventory.all.vars.swarmplay_known_hosts, state.knownHostsFile);
    // Ansible itself reads it unchanged.
    const { stdout } = await execFileAsync('ansible-inventory', ['-i', inventoryFile, '--list'], { timeout: 60_000 });
    const listed = JSON.parse(stdout);
    assert.deepEqual(listed.managers.hosts, ['docker01']);
    assert.equal(listed._meta.hostvars.docker03.ansible_host, '10.203.9.13');
  });

  it('runs a distinct Docker engine on each host, started by systemctl from the stock unit', async () => {
    const ids = await Promise.all(state.hosts.map((host) => sshOk(state, host.address, 'docker info -f "{{.Name}} {{.ID}}"')));
    assert.deepEqual(ids.map((line) => line.split(' ')[0]), ['docker01', 'docker02', 'docker03']);
    assert.equal(new Set(ids.map((line) => line.split(' ')[1])).size, 3, `engine IDs: ${ids.join(', ')}`);
    assert.equal(await sshOk(state, '10.203.9.12', 'systemctl is-active docker; systemctl is-enabled docker'), 'active\nenabled');
    assert.deepEqual(dockerdCommandLine(state, 0).slice(0, 4),
      ['/usr/sbin/dockerd', '-H', 'unix:///var/run/docker.sock', '--containerd=/run/containerd/containerd.sock']);
  });

  it('has the registry and web images on the first host only, and they run', async () => {
    await sshOk(state, '10.203.9.11', 'docker image inspect registry:latest registry:2 httpd:latest nginx:latest >/dev/null');
    const absent = await sshRun(state, '10.203.9.12', 'docker image inspect httpd:latest');
    assert.notEqual(absent.code, 0, 'docker02 must get images only from the private registry');
    await sshOk(state, '10.203.9.11', 'docker run -d --name registry --restart always -p 5000:5000 registry >/dev/null');
    await sshOk(state, '10.203.9.11', 'docker run -d --name web -p 8080:80 httpd >/dev/null');
    const page = await sshOk(state, '10.203.9.11',
      'for i in $(seq 50); do wget -qO- http://127.0.0.1:8080/ && break; sleep 0.1; done');
    assert.match(page, /httpd latest/);
    const catalog = await sshOk(state, '10.203.9.11',
      'for i in $(seq 50); do wget -qO- http://10.203.9.11:5000/v2/_catalog && break; sleep 0.1; done');
    assert.equal(catalog, '{"repositories":[]}');
  });

  it('restarts dockerd with a changed unit only after daemon-reload, and fails on a broken one', async () => {
    const docker02 = '10.203.9.12';
    await sshOk(state, docker02,
      "sed 's|^ExecStart=.*|ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --insecure-registry 10.203.9.11:5000|' " +
      '/lib/systemd/system/docker.service > /etc/systemd/system/docker.service');
    const withoutReload = await sshRun(state, docker02, 'systemctl restart docker');
    assert.equal(withoutReload.code, 0);
    assert.match(withoutReload.stderr, /changed on disk/);
    assert.ok(!dockerdCommandLine(state, 1).includes('--insecure-registry'), 'systemd keeps the old unit until daemon-reload');

    await sshOk(state, docker02, 'systemctl daemon-reload && systemctl restart docker');
    const commandLine = dockerdCommandLine(state, 1);
    assert.deepEqual(commandLine.slice(-2), ['--insecure-registry', '10.203.9.11:5000']);
    assert.match(await sshOk(state, docker02, 'docker info -f "{{json .RegistryConfig.IndexConfigs}}"'), /10\.203\.9\.11:5000/);

    // The walkthrough's own line names /usr/bin/dockerd, which Debian does not have: a real failure.
    await sshOk(state, docker02, "printf '[Service]\\nExecStart=\\nExecStart=/usr/bin/dockerd -H unix://\\n' > /tmp/x.conf && " +
      'mkdir -p /etc/systemd/system/docker.service.d && mv /tmp/x.conf /etc/systemd/system/docker.service.d/override.conf && systemctl daemon-reload');
    const broken = await sshRun(state, docker02, 'systemctl restart docker');
    assert.notEqual(broken.code, 0);
    assert.match(broken.stderr, /Job for docker.service failed/);
    assert.equal((await sshRun(state, docker02, 'systemctl is-active docker')).stdout.trim(), 'failed');

    await sshOk(state, docker02, 'rm -r /etc/systemd/system/docker.service.d && systemctl daemon-reload && systemctl start docker');
    assert.equal(await sshOk(state, docker02, 'systemctl is-active docker'), 'active');
    assert.match((await sshRun(state, docker02, 'systemctl restart ssh')).stderr, /not supported here/);
  });

  it('reports each host in lab status', async () => {
    const status = await labStatus(LAB.name);
    assert.ok(status);
    assert.deepEqual(status.hosts.map((host) => [host.name, host.sshd, host.dockerd, host.swarm]), [
      ['docker01', 'running', 'running', 'inactive'],
      ['docker02', 'running', 'running', 'inactive'],
      ['docker03', 'running', 'running', 'inactive'],
    ]);
  });

  it('lab down leaves no namespace, interface, mount, process or file of the lab, and can run twice', async () => {
    const recorded = readLab(LAB.name);
    assert.ok(recorded);
    const pids = recorded.hosts.map((host) => host.initPid!);
    const labProcesses = processesOfNamespaces({
      mountNsInodes: new Set(recorded.hosts.map((host) => host.mountNsInode!)),
      netNsInodes: new Set(recorded.hosts.map((host) => host.netnsInode!)),
    });
    // sshd, containerd, dockerd and the two containers' shims and processes on docker01, at least.
    assert.ok(labProcesses.length >= 3 * 3 + 2, `found ${labProcesses.length} lab processes`);
    const down = await labDown(LAB.name);
    assert.equal(down.found, true);

    assert.ok(!(await ipOutput(['netns', 'list'])).includes(`${LAB.name}-`));
    const links = await ipOutput(['-o', 'link', 'show']);
    assert.ok(!links.includes(`splab-${LAB.name}`) && !links.includes(`v-${LAB.name}-`), links);
    assert.ok(!(await ipOutput(['-4', 'addr', 'show'])).includes('10.203.9.'));
    for (const pid of pids) assert.ok(!existsSync(`/proc/${pid}`), `host process ${pid} still runs`);
    const survivors = labProcesses.filter((info) => isSameProcess(info.pid, info.startTicks));
    assert.deepEqual(survivors, [], 'every process of the lab has exited');
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(recorded.dir));
    assert.ok(!existsSync(recorded.dir), 'lab folder removed');
    assert.ok(!existsSync(inventoryFile), 'inventory removed');

    assert.deepEqual(await labDown(LAB.name), { found: false, stoppedProcesses: 0 });
  });

  it('brings up 20 plain SSH hosts (--no-docker) in under 20 s', async () => {
    const result = await labUp({ ...LAB, hosts: 20, docker: false, inventoryFile });
    try {
      assert.ok((result.timings.total ?? Infinity) < 20_000, `took ${result.timings.total} ms`);
      const last = result.state.hosts[19]!;
      assert.equal(last.address, '10.203.9.30');
      assert.equal(await sshOk(result.state, last.address, 'hostname'), 'docker20');
      assert.equal((await sshRun(result.state, last.address, 'systemctl is-active docker')).stdout.trim(), 'inactive');
    } finally {
      await labDown(LAB.name);
    }
  });
});

describe('lab up after a killed run, and without root', function () {
  this.timeout(60_000);

  it('clears a stale lab whose state file was lost', async () => {
    const first = await labUp({ ...LAB, hosts: 2, docker: false, inventoryFile: path.join(os.tmpdir(), 'swarmplay-labtest-stale.yaml') });
    const stalePid = first.state.hosts[0]!.initPid!;
    const staleTicks = first.state.hosts[0]!.initStartTicks;
    // A run killed before it wrote its state: only the namespaces and processes are left.
    (await import('node:fs')).rmSync(first.state.dir, { recursive: true, force: true });
    const second = await labUp({ ...LAB, hosts: 2, docker: false, inventoryFile: path.join(os.tmpdir(), 'swarmplay-labtest-stale.yaml') });
    try {
      assert.ok(!isSameProcess(stalePid, staleTicks), 'the stale host was stopped');
      assert.equal(await sshOk(second.state, '10.203.9.12', 'hostname'), 'docker02');
    } finally {
      await labDown(LAB.name);
    }
  });

  it('says it needs root, with exit status 1 and a hint', async () => {
    const cli = path.resolve('dist/test/support/lab-cli.js');
    const result = await execFileAsync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, 'lab', 'up', '--name', 'labnoroot'])
      .then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => error);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /needs root/);
    assert.match(result.stderr, /sudo swarmplay lab up/);
  });
});
