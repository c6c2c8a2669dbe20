/**
 * playbooks/bootstrap.yaml's bare-host plays on the RHEL family, on fixtures:
 * the lab is Debian, so a Rocky 9 host is a memory host whose facts say so
 * (os-release, dnf on PATH) and whose rpm/dnf answers are real dnf 4.14 and
 * rpm 4.18 output captured over a repository with Docker's EL9 package names
 * (test/modules/cases/dnf/captured-docker-ce-install.yaml). The first two
 * plays run as written, under --check: the plan a real run would follow.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { MemoryNetwork } from '../support/memory-connection.js';
import { runInMemory } from '../support/memory-run.js';
import { REPO_ROOT } from '../support/cli.js';

const ROCKY_OS_RELEASE = 'NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n';

/** The captured rpm/dnf answer for Docker's three packages, none installed. */
function capturedDockerCe(): string {
  const captured = parse(readFileSync(path.join(REPO_ROOT, 'test', 'modules', 'cases', 'dnf', 'captured-docker-ce-install.yaml'), 'utf8'));
  return Object.values(captured.facts as Record<string, string>)[0]!;
}

/** The plays of bootstrap.yaml for bare hosts (the checks, then the install), as written. */
function barePlays(): string {
  const plays = parse(readFileSync(path.join(REPO_ROOT, 'playbooks', 'bootstrap.yaml'), 'utf8')) as { name: string }[];
  return stringify(plays.filter((play) => play.name.startsWith('bare hosts - ')));
}

describe('playbooks/bootstrap.yaml on the RHEL family (fixtures)', () => {
  it('a bare Rocky 9 host: Docker\'s repository, docker-ce, docker-ce-cli and containerd.io through dnf, docker enabled and started, firewalld\'s ports; no apt', async () => {
    const network = new MemoryNetwork();
    const rocky = network.add('rocky01', {
      files: { '/etc/os-release': ROCKY_OS_RELEASE, '/etc/hostname': 'localhost.localdomain\n', '/etc/hosts': '127.0.0.1 localhost\n' },
      directories: ['/etc/yum.repos.d'],
      packageManagers: ['/usr/bin/dnf', '/usr/bin/yum'],
      commands: [
        { match: 'date +%s%3N', probe: true, answer: `${Date.now()}\n` },
        { match: 'hostname', probe: true, answer: 'localhost.localdomain\n' },
        { match: /^echo ::swarmplay-rpm::installed/, probe: true, answer: capturedDockerCe() },
        // systemd on a fresh install, docker not there yet.
        { match: /systemctl is-active 'docker'|systemctl is-active docker/, probe: true, answer: { stdout: 'inactive\n', stderr: '', exitCode: 3 } },
        // firewalld runs on a fresh Rocky install.
        { match: /^if command -v ufw .*firewall-cmd --state/s, probe: true, answer: 'firewalld\n' },
        { match: /systemctl is-enabled/, probe: true, answer: { stdout: '', stderr: 'Failed to get unit file state for docker.service: No such file or directory\n', exitCode: 1 } },
      ],
    });
    const run = await runInMemory(network, {
      playbook: barePlays(),
      inventory: stringify({ all: { children: { managers: { hosts: { rocky01: {} } } } } }),
      settings: { checkMode: true, diffMode: true },
    });
    const failures = run.results().filter((r) => r.status === 'failed').map((r) => `${r.task}: ${JSON.stringify(r.result)}`);
    assert.deepEqual(failures, []);
    assert.equal(run.exitCode, 0);
    const planned = (task: string) => run.results(task).map((r) => `${r.status}: ${(r.steps ?? []).join('; ')}`);
    assert.deepEqual(planned("Debian's docker.io"), ['skipped: ']);
    assert.deepEqual(planned("Docker's repository (/etc/yum.repos.d/docker-ce.repo)"), ['changed: write: /etc/yum.repos.d/docker-ce.repo']);
    assert.equal(run.results("Docker's repository (/etc/yum.repos.d/docker-ce.repo)")[0]!.diffs?.[0]?.after, [
      '[docker-ce-stable]', 'name=Docker CE Stable - $basearch', 'baseurl=https://download.docker.com/linux/rhel/$releasever/$basearch/stable',
      'enabled=1', 'gpgcheck=1', 'gpgkey=https://download.docker.com/linux/rhel/gpg', ''].join('\n'));
    assert.deepEqual(planned('docker-ce, docker-ce-cli and containerd.io (dnf or yum)'), ['changed: run: dnf -y install docker-ce docker-ce-cli containerd.io']);
    assert.deepEqual(planned('Docker Engine enabled and running'), ['changed: run: systemctl start docker; run: systemctl enable docker']);
    // firewalld is active: the swarm's ports and the registry's, each made permanent (a command: listed, not run, under --check).
    assert.deepEqual(planned("the swarm's ports open in firewalld"), [`skipped: ${['2377/tcp', '7946/tcp', '7946/udp', '4789/udp', '5000/tcp'].map((port) => `run: firewall-cmd --permanent --add-port=${port}`).join('; ')}`]);
    // --check: nothing but reads reached the host.
    assert.deepEqual(network.effects(), []);
    assert.equal(rocky.read('/etc/yum.repos.d/docker-ce.repo'), undefined);
  });
});
