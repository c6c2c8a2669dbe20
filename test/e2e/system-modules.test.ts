/**
 * The system modules on a bare lab (hosts on their own Debian root, packages
 * only from the lab's mirror), checked from outside swarmplay over OpenSSH:
 * test/fixtures/system/system-modules.yaml installs a package the host does
 * not have, makes a group, a user with a key, sets the host name, a sysctl,
 * a cron job, the time zone, a known host, a tmpfs mount and starts cron.
 * swarmplay runs it on docker01 while ansible-playbook runs it on docker02:
 * same recap, same end state. A second run changes nothing; --check after a
 * change made by hand reports it and changes nothing; a package that does
 * not exist fails with apt's own message and installs nothing.
 * Then, with swarmplay alone: apt_key, apt_repository and deb822_repository
 * against a signed repository the test serves on the lab bridge (its own
 * key, made with gpg here), packages installed from it (dpkg -s); modprobe
 * on the shared kernel (a module built in: only its boot-time file).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { recapOf, REPO_ROOT, runCli } from '../support/cli.js';

const exec = promisify(execFile);
const PLAYBOOK = path.join(REPO_ROOT, 'test', 'fixtures', 'system', 'system-modules.yaml');

type Recap = Record<string, Record<string, number>>;

describe('system modules on a bare lab, beside ansible-playbook', function () {
  this.timeout(900_000);
  let lab: TestLab;

  before(async () => {
    lab = await bringUpLab({ name: 'modsys', subnet: '10.203.24.0/24', hosts: 2, bare: true, withPython: true });
  });
  let repoServer: ChildProcess | undefined;
  after(async () => {
    repoServer?.kill();
    await lab?.down();
  });

  const swarmplay = (...args: string[]) => runCli(['run', PLAYBOOK, '-i', lab.inventory, '--json', ...args], { timeoutMs: 300_000 });

  async function ansible(host: string): Promise<{ code: number; recap: Recap; stdout: string }> {
    const result = await exec('ansible-playbook', ['-i', lab.inventory, '--limit', host, PLAYBOOK], {
      env: {
        ...process.env, ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_PIPELINING: 'True',
        // Every lab up makes new host keys: never record them in the machine's own known_hosts.
        ANSIBLE_SSH_ARGS: '-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no',
      },
      maxBuffer: 16 * 1024 * 1024,
    }).then((r) => ({ code: 0, stdout: r.stdout }), (e) => ({ code: e.code as number, stdout: String(e.stdout) }));
    const recap: Recap = {};
    for (const m of result.stdout.matchAll(/^(\S+)\s+: (ok=.*)$/gm)) {
      recap[m[1]!] = Object.fromEntries(m[2]!.trim().split(/\s+/).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
    }
    return { ...result, recap };
  }

  /** What the playbook leaves on a host, read with OpenSSH, dpkg, getent, stat, sysctl and crontab. */
  async function endState(host: string): Promise<Record<string, string>> {
    const read = async (command: string) => (await lab.ssh(host, `${command} 2>&1; echo "rc=$?"`)).trim();
    return {
      tree: await read("dpkg-query -W -f='${db:Status-Abbrev}' tree"),
      group: await read('getent group deployers | cut -d: -f1,3'),
      user: await read('getent passwd deploy | cut -d: -f1,3,4,6,7; id -nG deploy'),
      password: await read("getent shadow deploy | cut -d: -f2 | cut -c1-10"),
      keys: await read('cat ~deploy/.ssh/authorized_keys; stat -c "%a %U" ~deploy/.ssh ~deploy/.ssh/authorized_keys'),
      hostname: await read('hostname; cat /etc/hostname'),
      sysctl: await read('sysctl -n net.ipv4.ip_forward; cat /etc/sysctl.d/90-lab.conf'),
      cron: await read('crontab -u deploy -l'),
      timezone: await read('cat /etc/timezone; readlink /etc/localtime'),
      knownHosts: await read('cat /etc/ssh/ssh_known_hosts'),
      mount: await read("findmnt -n -o FSTYPE,OPTIONS /mnt/scratch | awk '{print $1, $2}' | cut -d, -f1; grep /mnt/scratch /etc/fstab"),
      cronRunning: await read('pgrep -x cron >/dev/null && echo running'),
    };
  }

  it('a first run under each tool gives the same recap and the same end state, checked from outside', async () => {
    // Each tool on its own host, at the same time: swarmplay on docker01, Ansible on docker02.
    const [ours, theirs] = await Promise.all([swarmplay('--limit', 'docker01'), ansible('docker02')]);
    assert.equal(ours.code, 0, ours.stdout + ours.stderr);
    assert.equal(theirs.code, 0, theirs.stdout);
    assert.deepEqual(recapOf(ours.stdout).docker01, theirs.recap.docker02, 'recap');
    assert.deepEqual(recapOf(ours.stdout).docker01, { ok: 11, changed: 11, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });

    const [mine, ansibles] = await Promise.all([endState('docker01'), endState('docker02')]);
    assert.deepEqual(mine, {
      tree: 'ii rc=0',
      group: 'deployers:1600\nrc=0',
      user: 'deploy:1600:1600:/home/deploy:/bin/bash\ndeployers sudo\nrc=0',
      password: '$6$labsalt\nrc=0',
      keys: 'no-port-forwarding ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICTD5nLUN1/1C2+aC3nF8/PghjSb+pA0EI31d9lSNGc5 deploy@lab\n700 deploy\n600 deploy\nrc=0',
      hostname: 'docker01-sys\ndocker01-sys\nrc=0',
      sysctl: '1\nnet.ipv4.ip_forward=1\nrc=0',
      cron: '#Ansible: backup\n0 3 * * * /usr/local/bin/backup.sh\nrc=0',
      timezone: 'Europe/Paris\n/usr/share/zoneinfo/Europe/Paris\nrc=0',
      knownHosts: 'mirror.lab ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICTD5nLUN1/1C2+aC3nF8/PghjSb+pA0EI31d9lSNGc5\nrc=0',
      mount: 'tmpfs rw\ntmpfs /mnt/scratch tmpfs size=8m 0 0\nrc=0',
      cronRunning: 'running\nrc=0',
    }, 'the end state swarmplay left, read over SSH');
    // Ansible's host: the same, but for its own host name.
    // One documented difference: without systemd, Ansible's debian strategy writes /etc/hostname only (the
    // running name changes at the next boot); swarmplay also sets the running name, which a swarm node takes.
    assert.equal(ansibles.hostname, 'debian\ndocker02-sys\nrc=0');
    assert.deepEqual({ ...ansibles, hostname: mine.hostname }, mine);
  });

  it('a second run changes nothing', async () => {
    const again = await swarmplay('--limit', 'docker01');
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(recapOf(again.stdout).docker01, { ok: 11, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
  });

  it('--check reports what a change by hand undid, and changes nothing', async () => {
    await lab.ssh('docker01', 'crontab -u deploy -r && sysctl -qw net.ipv4.ip_forward=0 && sed -i s/=1/=0/ /etc/sysctl.d/90-lab.conf');
    const check = await swarmplay('--limit', 'docker01', '--check');
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.equal(recapOf(check.stdout).docker01!.changed, 2, 'the cron job and the sysctl would change');
    assert.equal((await lab.ssh('docker01', 'crontab -u deploy -l 2>&1 || true')).trim(), 'no crontab for deploy');
    assert.equal((await lab.ssh('docker01', 'sysctl -n net.ipv4.ip_forward; cat /etc/sysctl.d/90-lab.conf')).trim(), '0\nnet.ipv4.ip_forward=0');
  });

  it('a package that does not exist fails with apt\'s own message and installs nothing', async () => {
    const file = path.join(lab.dir, 'missing-package.yaml');
    await exec('sh', ['-c', `cat > '${file}' <<'EOF'
- hosts: docker01
  gather_facts: false
  tasks:
    - apt: { name: [chrony, nosuchpkg], update_cache: true }
EOF`]);
    const result = await runCli(['run', file, '-i', lab.inventory], { timeoutMs: 120_000 });
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stdout, /failed: \[docker01\] => install chrony nosuchpkg failed: .*E: Unable to locate package nosuchpkg/s);
    assert.match((await lab.ssh('docker01', "dpkg-query -W -f='${db:Status-Abbrev}' chrony 2>&1 || true")).trim(), /^(un|dpkg-query: no packages found)/);
  });

  /**
   * Two flat apt repositories (one/ and two/, a small package each), indexed with apt-ftparchive and
   * signed (InRelease, Release.gpg) with a key made here, served on the lab bridge by busybox httpd.
   */
  async function serveSignedRepositories(): Promise<{ url: string; keyFile: string; fingerprint: string }> {
    const root = path.join(lab.dir, 'signed-repo');
    const gnupg = path.join(root, 'gnupg');
    mkdirSync(gnupg, { recursive: true, mode: 0o700 });
    const gpg = (...args: string[]) => exec('gpg', ['--homedir', gnupg, '--batch', ...args]);
    await gpg('--passphrase', '', '--quick-gen-key', 'swarmplay lab repository <lab@swarmplay.invalid>', 'ed25519', 'sign', 'never');
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec((await gpg('--with-colons', '--list-keys')).stdout)![1]!;
    const keyFile = path.join(root, 'lab-repository.asc');
    writeFileSync(keyFile, (await gpg('--armor', '--export', fingerprint)).stdout);
    for (const name of ['one', 'two']) {
      const pkg = path.join(root, 'build', name);
      mkdirSync(path.join(pkg, 'DEBIAN'), { recursive: true });
      mkdirSync(path.join(pkg, 'usr', 'share', 'doc', `lab-hello-${name}`), { recursive: true });
      writeFileSync(path.join(pkg, 'DEBIAN', 'control'), `Package: lab-hello-${name}\nVersion: 1.0\nArchitecture: all\nMaintainer: swarmplay lab <lab@swarmplay.invalid>\nDescription: a package of the lab's signed repository\n`);
      writeFileSync(path.join(pkg, 'usr', 'share', 'doc', `lab-hello-${name}`, 'README'), `from the signed repository ${name}\n`);
      const repo = path.join(root, 'www', name);
      mkdirSync(repo, { recursive: true });
      await exec('dpkg-deb', ['--root-owner-group', '--build', pkg, path.join(repo, `lab-hello-${name}_1.0_all.deb`)]);
      writeFileSync(path.join(repo, 'Packages'), (await exec('apt-ftparchive', ['packages', '.'], { cwd: repo })).stdout);
      writeFileSync(path.join(repo, 'Release'), (await exec('apt-ftparchive', ['-o', 'APT::FTPArchive::Release::Origin=swarmplay-lab-signed', 'release', '.'], { cwd: repo })).stdout);
      await gpg('--yes', '--local-user', fingerprint, '--clearsign', '-o', path.join(repo, 'InRelease'), path.join(repo, 'Release'));
      await gpg('--yes', '--local-user', fingerprint, '--armor', '--detach-sign', '-o', path.join(repo, 'Release.gpg'), path.join(repo, 'Release'));
    }
    await exec('gpgconf', ['--homedir', gnupg, '--kill', 'gpg-agent']).catch(() => {});
    const address = `${lab.hosts.docker01!.replace(/\.\d+$/, '.1')}:8081`;
    repoServer = spawn('/bin/busybox', ['httpd', '-f', '-p', address, '-h', path.join(root, 'www')], { stdio: 'ignore' });
    await lab.ssh('docker01', `for i in $(seq 50); do (exec 3<>/dev/tcp/${address.replace(':', '/')}) 2>/dev/null && exit 0; sleep 0.1; done; exit 1`);
    return { url: `http://${address}`, keyFile, fingerprint };
  }

  it('apt_key, apt_repository, deb822_repository: packages from a signed repository, keys in /etc/apt/keyrings', async () => {
    const repo = await serveSignedRepositories();
    const playbook = path.join(REPO_ROOT, 'test', 'fixtures', 'system', 'signed-repository.yaml');
    const run = () => runCli(['run', playbook, '-i', lab.inventory, '--limit', 'docker01', '--json',
      '-e', `repo_url=${repo.url}`, '-e', `repo_key_file=${repo.keyFile}`], { timeoutMs: 300_000 });
    const first = await run();
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.deepEqual(recapOf(first.stdout).docker01, { ok: 5, changed: 5, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
    // From outside: dpkg has both packages; the keyring holds the repository's key; the sources say signed-by.
    const installed = await lab.ssh('docker01', 'dpkg -s lab-hello-one lab-hello-two | grep -E "^(Package|Status):"');
    assert.equal(installed.trim(), 'Package: lab-hello-one\nStatus: install ok installed\nPackage: lab-hello-two\nStatus: install ok installed');
    assert.match(await lab.ssh('docker01', 'gpg --show-keys --with-colons /etc/apt/keyrings/lab-one.gpg'), new RegExp(`^fpr:+${repo.fingerprint}:`, 'm'));
    assert.equal((await lab.ssh('docker01', 'cat /etc/apt/sources.list.d/lab-one.list')).trim(), `deb [signed-by=/etc/apt/keyrings/lab-one.gpg] ${repo.url}/one ./`);
    const deb822 = await lab.ssh('docker01', 'cat /etc/apt/sources.list.d/lab-two.sources');
    assert.match(deb822, new RegExp(`^URIs: ${repo.url}/two$`, 'm'));
    assert.match(deb822, /^Signed-By:\n    -----BEGIN PGP PUBLIC KEY BLOCK-----$/m);
    // apt verified both (no trusted=yes anywhere): apt-cache policy names the signed repositories as the packages' source.
    const policy = await lab.ssh('docker01', 'apt-cache policy lab-hello-one lab-hello-two');
    for (const name of ['one', 'two']) assert.match(policy, new RegExp(`${repo.url.replace(/\./g, '\\.')}/${name} \\./ Packages`));
    assert.doesNotMatch(await lab.ssh('docker01', 'cat /etc/apt/sources.list.d/lab-*'), /trusted/);

    const again = await run();
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(recapOf(again.stdout).docker01!.changed, 0, 'a second run changes nothing');
  });

  it('modprobe on the shared kernel: a built-in module is present, only its boot-time file written; a missing one is modprobe\'s own error', async () => {
    // The lab hosts share this machine's kernel, which has overlay (Docker's storage driver) built in.
    assert.equal((await lab.ssh('docker01', 'test -d /sys/module/overlay && echo built-in-or-loaded')).trim(), 'built-in-or-loaded');
    const playbook = path.join(REPO_ROOT, 'test', 'fixtures', 'system', 'modprobe.yaml');
    const first = await runCli(['run', playbook, '-i', lab.inventory, '--limit', 'docker01', '--json'], { timeoutMs: 120_000 });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(recapOf(first.stdout).docker01!.changed, 1);
    assert.equal(await lab.ssh('docker01', 'cat /etc/modules-load.d/overlay.conf'), 'overlay\n');
    const again = await runCli(['run', playbook, '-i', lab.inventory, '--limit', 'docker01', '--json'], { timeoutMs: 120_000 });
    assert.equal(recapOf(again.stdout).docker01!.changed, 0, again.stdout);

    const file = path.join(lab.dir, 'modprobe-missing.yaml');
    writeFileSync(file, '- hosts: docker01\n  gather_facts: false\n  tasks:\n    - modprobe: { name: dummy, persistent: present }\n');
    const missing = await runCli(['run', file, '-i', lab.inventory], { timeoutMs: 120_000 });
    assert.equal(missing.code, 2, missing.stdout + missing.stderr);
    assert.match(missing.stdout, /failed: \[docker01\] => .*modprobe: FATAL: Module dummy not found/s);
    assert.equal((await lab.ssh('docker01', 'test -e /etc/modules-load.d/dummy.conf && echo written || echo absent')).trim(), 'absent');
  });
});
