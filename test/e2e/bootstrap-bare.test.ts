/**
 * playbooks/bootstrap.yaml from bare hosts: a `lab up --bare` lab of freshly
 * installed Debian 12 hosts (their own root, nothing but sshd, packages only
 * from the lab's mirror) to a working swarm with its registry. First the
 * faults, which must change nothing (two hosts wanting one name, a skewed
 * clock) or leave no half-installed package (a mirror that does not answer,
 * dpkg locked by another apt); then the cluster as admin with become (one
 * host behind an active ufw, whose ports bootstrap opens), a second run as
 * root that changes nothing, and `lab reimage`.
 * Every check is made on the hosts with OpenSSH's client, not through
 * swarmplay's report.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { runCli, recapOf } from '../support/cli.js';

const exec = promisify(execFile);
const HOSTS = ['docker01', 'docker02', 'docker03'];

describe('playbooks/bootstrap.yaml from bare hosts (lab up --bare)', function () {
  this.timeout(900_000);
  let lab: TestLab & { upOutput: string };
  let controllerKey: string;
  const timings: Record<string, number> = {};

  const playbook = async (extra: string[] = [], inventory = lab.inventory) => {
    const started = Date.now();
    const result = await runCli(['run', 'playbooks/bootstrap.yaml', '-i', inventory, '--json',
      '-e', `controller_ssh_key=${controllerKey}`, ...extra], { timeoutMs: 600_000 });
    return { ...result, ms: Date.now() - started };
  };
  const asAdmin = () => ['-e', 'ansible_user=admin', '-e', 'ansible_become=true', '-e', `ansible_become_password=${lab.password}`];
  const failures = (stdout: string) => stdout.split('\n').filter((line) => line.includes('"failed"')).join('\n');

  /** Nothing a run would change is there: every host still as installed. */
  async function assertUntouched(): Promise<void> {
    for (const host of HOSTS) {
      assert.equal((await lab.ssh(host, 'hostname')).trim(), 'debian', `${host} keeps its installed name`);
      assert.equal((await lab.ssh(host, 'test -e /root/.ssh/authorized_keys && echo keys || echo none')).trim(), 'none', `${host}: no key copied`);
      assert.equal((await lab.ssh(host, 'dpkg-query -W -f=\'${Status}\' docker.io 2>/dev/null || echo absent')).trim(), 'absent', `${host}: no docker.io`);
    }
  }

  before(async () => {
    const started = Date.now();
    lab = await bringUpLab({ name: 'bareboot', subnet: '10.203.26.0/24', bare: true });
    timings.labUp = Date.now() - started;
    const firstBuild = /\(first build: ([^)]*)\)/.exec(lab.upOutput)?.[1];
    console.log(`      lab up --bare: ${(timings.labUp / 1000).toFixed(1)} s${firstBuild ? ` (first build on this machine: ${firstBuild})` : ' (cached root and mirror)'}`);
    controllerKey = path.join(lab.dir, 'controller_ed25519');
  });

  after(async () => {
    await lab?.down();
    console.log(`      bare bootstrap timings (ms): ${JSON.stringify(timings)}`);
  });

  it('a bare host is a fresh Debian 12 of its own: no Docker, apt only from the lab mirror, no route out', async () => {
    const facts = await lab.ssh('docker01', [
      'cat /etc/debian_version', 'hostname', 'command -v dockerd || echo no-dockerd', 'command -v python3 || echo no-python',
      'grep -v "^#" /etc/apt/sources.list', 'ip route show default | wc -l', "dpkg-query -W -f='${Status}\\n' openssh-server sudo",
    ].join('; '));
    const [version, hostname, dockerd, python, sources, defaultRoutes, ...installed] = facts.trim().split('\n');
    assert.match(version!, /^12\./);
    assert.equal(hostname, 'debian');
    assert.equal(dockerd, 'no-dockerd');
    assert.equal(python, 'no-python');
    assert.equal(sources, `deb [trusted=yes] http://${lab.hosts.docker01!.replace(/\.\d+$/, '.1')}/debian ./`);
    assert.equal(defaultRoutes, '0');
    assert.deepEqual(installed, ['install ok installed', 'install ok installed']);
    // Its own root: installing on the host does not touch this machine's dpkg database.
    const machineTree = await exec('dpkg-query', ['-W', '-f=${Status}', 'tree']).then(() => true, () => false);
    await lab.ssh('docker01', 'apt-get update -qq && apt-get install -y -qq tree >/dev/null && tree --version >/dev/null');
    assert.equal(await exec('dpkg-query', ['-W', '-f=${Status}', 'tree']).then(() => true, () => false), machineTree, 'the machine\'s dpkg database is unchanged');
    await lab.ssh('docker01', 'apt-get purge -y -qq tree >/dev/null && rm -rf /var/lib/apt/lists/*');
  });

  it('refuses two hosts wanting one host name before anything changes', async () => {
    const inventory = parse(readFileSync(lab.inventory, 'utf8'));
    inventory.all.children.workers.hosts.docker03.host_name = 'docker01';
    const clash = path.join(lab.dir, 'clash.yaml');
    writeFileSync(clash, stringify(inventory), { mode: 0o600 });
    const run = await playbook([], clash);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stdout, /host name docker01 is wanted by both docker03 and docker01/);
    await assertUntouched();
  });

  it('a clock off by 5 s is named with its offset, before anything changes', async () => {
    // docker02's `date` runs 5 s ahead, as a host without time sync drifts.
    await lab.ssh('docker02', `printf '%s\\n' '#!/bin/sh' 'if [ "$1" = "+%s%3N" ]; then echo $(( $(/bin/date +%s%3N) + 5000 )); else exec /bin/date "$@"; fi' > /usr/local/bin/date && chmod +x /usr/local/bin/date`);
    try {
      const run = await playbook();
      assert.equal(run.code, 2, run.stdout + run.stderr);
      const named = /the clock of docker02 is (-?\d+) ms off docker01's \(docker01: \d+ ms, docker02: \d+ ms/.exec(run.stdout);
      assert.ok(named, run.stdout);
      // 5000 ms less the time between the two samples, which a busy machine stretches.
      assert.ok(Number(named[1]) > 4000, `offset ${named[1]} ms`);
      await assertUntouched();
    } finally {
      await lab.ssh('docker02', 'rm -f /usr/local/bin/date');
    }
  });

  it('a mirror that does not answer: apt\'s error with the mirror\'s address, no package half-installed', async () => {
    const address = lab.hosts.docker01!.replace(/\.\d+$/, '.1');
    // apt's own retries (three, with growing pauses) off for this run: the refresh's five retries are the module's.
    await lab.ssh('docker03', 'echo \'Acquire::Retries "0";\' > /etc/apt/apt.conf.d/99lab-test-no-retries');
    const run = await playbook(['--limit', 'docker03', '-e', JSON.stringify({ apt_mirror: `deb [trusted=yes] http://${address}:9/debian ./` })]);
    await lab.ssh('docker03', 'rm /etc/apt/apt.conf.d/99lab-test-no-retries');
    timings.deadMirror = run.ms;
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(failures(run.stdout), new RegExp(address.replace(/\./g, '\\.')), `the failure names the mirror:\n${failures(run.stdout)}`);
    assert.equal((await lab.ssh('docker03', 'dpkg-query -W -f=\'${Status}\' docker.io 2>/dev/null || echo absent')).trim(), 'absent');
    assert.equal((await lab.ssh('docker03', 'dpkg --audit; echo end')).trim(), 'end', 'dpkg --audit finds nothing half-installed');
    await lab.ssh('docker03', `printf 'deb [trusted=yes] http://${address}/debian ./\\n' > /etc/apt/sources.list`);
  });

  it('dpkg locked by another apt: waits, then a clear timeout', async () => {
    // Another apt holds dpkg's lock for 20 s (its pre-invoke hook sleeps while it holds the lock).
    await lab.ssh('docker03', 'apt-get update -qq');
    const other = lab.ssh('docker03', 'apt-get -o DPkg::Pre-Invoke::=\'sleep 20\' install -y -qq tree >/dev/null 2>&1; echo done');
    await lab.ssh('docker03', 'for i in $(seq 50); do fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1').catch(() => {});
    const run = await playbook(['--limit', 'docker03', '-e', 'apt_lock_timeout=3']);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    // apt's own words after waiting apt_lock_timeout, naming the other apt.
    assert.match(failures(run.stdout), /Could not get lock .*held by process \d+ \(apt-get\)/);
    assert.equal((await other).trim(), 'done');
    assert.equal((await lab.ssh('docker03', 'dpkg-query -W -f=\'${Status}\' docker.io 2>/dev/null || echo absent')).trim(), 'absent');
    await lab.ssh('docker03', 'apt-get purge -y -qq tree >/dev/null');
  });

  it('as admin with become: bare hosts to a 3-node swarm with its registry; ufw active on docker02 gets the swarm\'s ports', async () => {
    // docker02 runs an active firewall, as many installs do: ufw from the mirror, SSH allowed, all else denied.
    await lab.ssh('docker02', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ufw >/dev/null && ufw allow 22/tcp >/dev/null && ufw --force enable >/dev/null');
    assert.match(await lab.ssh('docker02', 'ufw status verbose'), /^Status: active\nLogging: .*\nDefault: deny \(incoming\)/m);
    const run = await playbook(asAdmin());
    timings.firstRun = run.ms;
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const nodes = (await lab.ssh('docker01', "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'")).trim().split('\n').sort();
    assert.deepEqual(nodes, ['docker01 Ready Leader', 'docker02 Ready Reachable', 'docker03 Ready']);
    for (const host of HOSTS) {
      assert.equal((await lab.ssh(host, 'hostname')).trim(), host);
      assert.match(await lab.ssh(host, 'getent hosts $(hostname)'), new RegExp(`\\s${host}$`, 'm'), `${host} resolves its own name`);
      assert.match(await lab.ssh(host, 'dpkg -s docker.io'), /^Status: install ok installed$/m);
    }
    // No firewall is active on a fresh Debian: no ufw, no firewalld, the kernel's INPUT chain accepts all.
    for (const host of ['docker01', 'docker03']) assert.equal((await lab.ssh(host, 'command -v ufw firewall-cmd; iptables -S INPUT')).trim(), '-P INPUT ACCEPT');
    // ufw's own listing on docker02: the swarm's ports and the registry's, allowed; docker02 being a
    // reachable manager (above) shows 2377/tcp and gossip really pass its firewall.
    const allowed = (await lab.ssh('docker02', 'ufw status')).split('\n').filter((line) => /ALLOW/.test(line) && !/\(v6\)/.test(line))
      .map((line) => line.split(/\s+/)[0]);
    assert.deepEqual(allowed, ['22/tcp', '2377/tcp', '7946/tcp', '7946/udp', '4789/udp', '5000/tcp']);
    assert.match(await lab.ssh('docker02', 'ufw status verbose'), /^Status: active$/m);
    const registry = `${lab.hosts.docker01}:5000`;
    assert.match(await lab.ssh('docker03', `docker image inspect ${registry}/httpd:latest --format '{{.Id}}'`), /^sha256:/);
  });

  it('a second run changes nothing, logged in as root this time', async () => {
    const run = await playbook();
    timings.noChangeRun = run.ms;
    assert.equal(run.code, 0, run.stdout + run.stderr);
    for (const [host, recap] of Object.entries(recapOf(run.stdout))) assert.equal(recap.changed, 0, `${host} changed`);
  });

  it('lab reimage: a fresh install with a new host key, no Docker; the lab known_hosts follows', async () => {
    const keyBefore = (await exec('ssh-keyscan', ['-t', 'ed25519', lab.hosts.docker03!])).stdout.trim();
    const started = Date.now();
    const result = await runCli(['lab', 'reimage', 'docker03', '--name', lab.name], { timeoutMs: 120_000 });
    timings.reimage = Date.now() - started;
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const keyAfter = (await exec('ssh-keyscan', ['-t', 'ed25519', lab.hosts.docker03!])).stdout.trim();
    assert.notEqual(keyAfter, keyBefore);
    const knownHosts = readFileSync(parse(readFileSync(lab.inventory, 'utf8')).all.vars.swarmplay_known_hosts, 'utf8');
    assert.ok(knownHosts.includes(keyAfter.split(' ').slice(1).join(' ')), 'the lab known_hosts holds the new key');
    assert.ok(!knownHosts.includes(keyBefore.split(' ').slice(1).join(' ')), 'and no longer the old one');
    assert.equal((await lab.ssh('docker03', 'hostname; command -v dockerd || echo no-dockerd; ls -A /var/lib/docker | wc -l')).trim(), 'debian\nno-dockerd\n0');
  });
});
