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
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
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
  after(async () => {
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
});
