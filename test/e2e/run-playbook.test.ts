/**
 * Whole playbooks through the real CLI against three real OpenSSH servers.
 * Every check of the hosts' state is made with OpenSSH's own client, not
 * through swarmplay's report.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sshRun, startSshd, type TestSshd } from '../support/sshd.js';
import { runCli, recapOf, jsonEvents } from '../support/cli.js';

const exec = promisify(execFile);

const PLAYBOOK = `
- name: converge the app
  hosts: all
  gather_facts: true
  vars:
    app_dir: /root/app
    names: [alpha, beta]
  tasks:
    - name: app folder
      file: path={{ app_dir }} state=directory mode=0755

    - name: config per name
      copy:
        dest: "{{ app_dir }}/{{ item }}.conf"
        content: "name={{ item }} host={{ inventory_hostname }}\\n"
        mode: "0640"
      loop: "{{ names }}"
      notify: config changed

    - name: only on the first host
      copy:
        dest: "{{ app_dir }}/first"
        content: "first\\n"
      when: inventory_hostname == groups['all'][0]

    - name: read a config back
      command: cat {{ app_dir }}/alpha.conf
      register: alpha
      changed_when: false
      check_mode: false

    - name: use the registered value
      copy:
        dest: "{{ app_dir }}/echo"
        content: "{{ alpha.stdout }} rc={{ alpha.rc }}\\n"

    - name: a block that fails on h3
      block:
        - name: fail on h3 only
          command: /bin/false
          when: inventory_hostname == 'h3'
        - name: after the failure
          copy: dest={{ app_dir }}/block-done content=done
      rescue:
        - name: record the rescue
          copy: dest={{ app_dir }}/rescued content=rescued
      always:
        - name: always runs
          copy: dest={{ app_dir }}/always content=always

  handlers:
    - name: config changed
      lineinfile:
        path: "{{ app_dir }}/handler.log"
        line: handled
        create: true
`;

describe('swarmplay run: whole playbooks over real sshd', function () {
  this.timeout(180_000);
  const hosts: TestSshd[] = [];
  let dir: string;
  let inventory: string;
  let playbook: string;
  let knownHosts: string;

  const run = (extra: string[] = [], pb = playbook) =>
    runCli(['run', pb, '-i', inventory, '--known-hosts', knownHosts, '--json', ...extra]);

  before(async () => {
    for (const [i, address] of ['127.0.0.21', '127.0.0.22', '127.0.0.23'].entries()) {
      hosts.push(await startSshd({ address, password: `pw-host-${i + 1}-secret` }));
    }
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-e2e-'));
    knownHosts = path.join(dir, 'known_hosts');
    inventory = path.join(dir, 'hosts.yaml');
    // h1 and h2 by key, h3 by password: both ways of logging in are exercised.
    await writeFile(inventory, `
all:
  vars:
    ansible_user: root
  children:
    managers:
      hosts:
        h1:
          ansible_host: ${hosts[0].address}
          ansible_port: ${hosts[0].port}
          ansible_ssh_private_key_file: ${hosts[0].clientKeyPath}
    workers:
      hosts:
        h2:
          ansible_host: ${hosts[1].address}
          ansible_port: ${hosts[1].port}
          ansible_ssh_private_key_file: ${hosts[1].clientKeyPath}
        h3:
          ansible_host: ${hosts[2].address}
          ansible_port: ${hosts[2].port}
          ansible_password: ${hosts[2].password}
`);
    playbook = path.join(dir, 'site.yaml');
    await writeFile(playbook, PLAYBOOK);
  });

  after(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('converges three hosts with loop, when, register, notify, handlers and block/rescue', async () => {
    const result = await run();
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const recap = recapOf(result.stdout);
    // Counted as ansible-playbook counts: facts, folder, configs, first, read, echo, (fail on h3), after, always, handler.
    assert.deepEqual(recap.h1, { ok: 9, changed: 7, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 });
    assert.deepEqual(recap.h2, { ok: 8, changed: 6, unreachable: 0, failed: 0, skipped: 2, rescued: 0, ignored: 0 });
    // h3: the failure inside the block is rescued: not counted as failed.
    assert.deepEqual(recap.h3, { ok: 8, changed: 6, unreachable: 0, failed: 0, skipped: 1, rescued: 1, ignored: 0 });

    for (const [i, host] of hosts.entries()) {
      const name = `h${i + 1}`;
      assert.equal(await sshRun(host, 'cat /root/app/alpha.conf'), `name=alpha host=${name}\n`);
      assert.equal(await sshRun(host, 'cat /root/app/beta.conf'), `name=beta host=${name}\n`);
      assert.equal((await sshRun(host, 'stat -c %a /root/app/beta.conf')).trim(), '640');
      assert.equal(await sshRun(host, 'cat /root/app/echo'), `name=alpha host=${name} rc=0\n`);
      assert.equal(await sshRun(host, 'cat /root/app/handler.log'), 'handled\n', 'the handler ran once');
      assert.equal(await sshRun(host, 'test -e /root/app/first && echo yes || echo no'), i === 0 ? 'yes\n' : 'no\n');
      assert.equal(await sshRun(host, 'test -e /root/app/rescued && echo yes || echo no'), i === 2 ? 'yes\n' : 'no\n');
      assert.equal(await sshRun(host, 'test -e /root/app/block-done && echo yes || echo no'), i === 2 ? 'no\n' : 'yes\n');
      assert.equal(await sshRun(host, 'test -e /root/app/always && echo yes || echo no'), 'yes\n');
    }
    const knownHostsText = await readFile(knownHosts, 'utf8');
    for (const host of hosts) assert.match(knownHostsText, new RegExp(`\\[${host.address.replace(/\./g, '\\.')}\\]:${host.port} `));
  });

  it('reports changed=0 on a second run and changes nothing', async () => {
    const before = await sshRun(hosts[0], 'stat -c %Y /root/app/alpha.conf');
    const result = await run();
    assert.equal(result.code, 0, result.stdout + result.stderr);
    for (const [name, counts] of Object.entries(recapOf(result.stdout))) {
      assert.equal(counts.changed, 0, `${name} changed on a second run: ${JSON.stringify(counts)}`);
      assert.equal(counts.failed, 0);
    }
    assert.equal(await sshRun(hosts[0], 'stat -c %Y /root/app/alpha.conf'), before);
    assert.equal(await sshRun(hosts[0], 'cat /root/app/handler.log'), 'handled\n', 'no handler on a no-change run');
  });

  it('--check reports a drifted file as changed and leaves it as it is', async () => {
    await sshRun(hosts[1], "printf 'drifted\\n' > /root/app/alpha.conf");
    const result = await run(['--check', '--diff']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const recap = recapOf(result.stdout);
    assert.ok(recap.h2.changed >= 1, JSON.stringify(recap.h2));
    assert.equal(recap.h1.changed, 0);
    const diffEvent = jsonEvents(result.stdout).find((e) => e.event === 'host_result' && e.host === 'h2' && e.diffs?.length);
    assert.ok(diffEvent, 'a diff is reported for the drifted file');
    assert.equal(diffEvent.diffs[0].before, 'drifted\n');
    assert.equal(await sshRun(hosts[1], 'cat /root/app/alpha.conf'), 'drifted\n', 'check mode changed nothing');
    // A real run repairs it.
    const repair = await run();
    assert.equal(repair.code, 0);
    assert.equal(await sshRun(hosts[1], 'cat /root/app/alpha.conf'), 'name=alpha host=h2\n');
  });

  it('never prints the password of a host, in any output', async () => {
    const result = await run(['-v']);
    const plain = await runCli(['run', playbook, '-i', inventory, '--known-hosts', knownHosts, '-v']);
    for (const text of [result.stdout, result.stderr, plain.stdout, plain.stderr]) {
      assert.ok(!text.includes(hosts[2].password), 'the password leaked');
    }
    assert.match(plain.stdout, /PLAY RECAP/);
    assert.match(plain.stdout, /h3\s+: ok=\d+\s+changed=0/);
  });

  it('exits 2 when a host fails, and the other hosts go on', async () => {
    const failing = path.join(dir, 'failing.yaml');
    await writeFile(failing, `
- hosts: all
  gather_facts: false
  tasks:
    - name: fails on h2
      command: sh -c "exit 3"
      when: inventory_hostname == 'h2'
    - name: the others go on
      command: echo still here
      register: after
`);
    const result = await run([], failing);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    const recap = recapOf(result.stdout);
    assert.equal(recap.h2.failed, 1);
    assert.equal(recap.h1.failed, 0);
    assert.equal(recap.h1.changed, 1, 'h1 ran the second task');
    assert.equal(recap.h2.changed, 0, 'h2 dropped out after failing');
    const failure = jsonEvents(result.stdout).find((e) => e.event === 'host_result' && e.status === 'failed');
    assert.match(failure!.msg, /non-zero return code 3/);
  });

  it('exits 4 when a host cannot be reached, and the others complete', async () => {
    const unreachableInventory = path.join(dir, 'unreachable.yaml');
    await writeFile(unreachableInventory, `
all:
  hosts:
    h1:
      ansible_host: ${hosts[0].address}
      ansible_port: ${hosts[0].port}
      ansible_user: root
      ansible_ssh_private_key_file: ${hosts[0].clientKeyPath}
    gone:
      ansible_host: 127.0.0.29
      ansible_port: 1
      ansible_user: root
`);
    const pb = path.join(dir, 'ping.yaml');
    await writeFile(pb, `
- hosts: all
  gather_facts: false
  tasks:
    - command: "true"
`);
    const started = Date.now();
    const result = await runCli(['run', pb, '-i', unreachableInventory, '--known-hosts', knownHosts, '--json', '--timeout', '3']);
    assert.equal(result.code, 4, result.stdout + result.stderr);
    assert.ok(Date.now() - started < 30_000);
    const recap = recapOf(result.stdout);
    assert.equal(recap.gone.unreachable, 1);
    assert.equal(recap.h1.changed, 1);
  });

  it('counts the recap and sets the exit code exactly as ansible-playbook does on the same playbook and hosts', async () => {
    const ansible = async (appDir: string) => {
      const result = await exec('ansible-playbook', ['-i', inventory, playbook, '-e', `app_dir=${appDir}`], {
        env: { ...process.env, ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False' },
        maxBuffer: 16 * 1024 * 1024,
      }).then((r) => ({ code: 0, stdout: r.stdout }), (e) => ({ code: e.code as number, stdout: String(e.stdout) }));
      const recap: Record<string, Record<string, number>> = {};
      for (const m of result.stdout.matchAll(/^(\S+)\s+: (ok=.*)$/gm)) {
        recap[m[1]] = Object.fromEntries(m[2].trim().split(/\s+/).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
      }
      return { code: result.code, recap };
    };
    for (const round of ['first run', 'second run']) {
      const theirs = await ansible('/root/ansible-app');
      const ours = await run(['-e', 'app_dir=/root/swarmplay-app']);
      assert.equal(ours.code, theirs.code, `${round}: exit code`);
      assert.deepEqual(recapOf(ours.stdout), theirs.recap, `${round}: recap`);
    }
  });

  it('warns and exits 0 when no host matches the pattern', async () => {
    const pb = path.join(dir, 'nomatch.yaml');
    await writeFile(pb, `
- hosts: nosuchgroup
  tasks:
    - command: "true"
`);
    const result = await runCli(['run', pb, '-i', inventory, '--known-hosts', knownHosts]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout + result.stderr, /no hosts matched/i);
  });
});
