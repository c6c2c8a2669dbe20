/**
 * Security through the real CLI against real OpenSSH servers: secrets never
 * reach any output (grepped in every output of a full run), no value can
 * inject a shell command, and a private key with open modes is refused.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startSshd, type TestSshd } from '../support/sshd.js';
import { CLI, REPO_ROOT, runCli, recapOf, jsonEvents, type CliResult } from '../support/cli.js';
import { figures, printFiguresAtEnd, sshRun, writeInventory } from './support.js';
import { retryFilePath } from '../../src/runner/retry-file.js';
import { encryptVaultText } from '../../src/vault/vault-format.js';

printFiguresAtEnd();

const exec = promisify(execFile);
const random = (): string => randomBytes(6).toString('hex');

describe('reliability: secrets never appear in any output', function () {
  this.timeout(240_000);
  let root: TestSshd;
  let sudoHost: TestSshd;
  let dir: string;
  const secrets = {
    'root password (SWARMPLAY_PASSWORD)': `Root-pw-${random()}`,
    'login and become password': `Deploy-pw-${random()}`,
    'a wrong password': `Wrong-pw-${random()}`,
    'swarm join token': `SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-${randomBytes(12).toString('hex').slice(0, 25)}`,
    'no_log output': `nolog-api-key-${random()}`,
    'no_log fact': `nolog-fact-${random()}`,
    'vault password': `Vault-pw-${random()}`,
    'a value of a vault-encrypted vars_files file': `vaulted-file-${random()}`,
    'an inline !vault value': `vaulted-inline-${random()}`,
    'a value of a vault-encrypted group_vars file': `vaulted-group-${random()}`,
  };

  before(async () => {
    root = await startSshd({ address: '127.0.0.163', password: secrets['root password (SWARMPLAY_PASSWORD)'] });
    sudoHost = await startSshd({ address: '127.0.0.164', sudoUsers: [{ name: 'deploy', password: secrets['login and become password'] }] });
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-secrets-'));
  });

  after(async () => {
    await root?.stop();
    await sudoHost?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a full run (password hosts, become password, no_log, a join token, a failure, an unreachable host): every output is clean', async () => {
    const inventory = path.join(dir, 'hosts.yaml');
    // h1: root, its password from SWARMPLAY_PASSWORD; h2: a sudo user with a become password; h3: a wrong password.
    await writeFile(inventory, `all:
  hosts:
    h1:
      ansible_host: ${root.address}
      ansible_port: ${root.port}
      ansible_user: root
    h2:
      ansible_host: ${sudoHost.address}
      ansible_port: ${sudoHost.port}
      ansible_user: deploy
      ansible_password: "${secrets['login and become password']}"
      ansible_become: true
      ansible_become_password: "${secrets['login and become password']}"
    h3:
      ansible_host: ${root.address}
      ansible_port: ${root.port}
      ansible_user: root
      ansible_password: "${secrets['a wrong password']}"
`);
    // Vault: a whole encrypted vars_files file, an inline !vault value, an encrypted group_vars file.
    const vaultPassword = Buffer.from(secrets['vault password']);
    await writeFile(path.join(dir, 'vault-pass.txt'), `${secrets['vault password']}\n`);
    await writeFile(path.join(dir, 'vaulted-vars.yaml'), encryptVaultText(Buffer.from(`registry_password: ${secrets['a value of a vault-encrypted vars_files file']}\n`), vaultPassword));
    await mkdir(path.join(dir, 'group_vars'), { recursive: true });
    await writeFile(path.join(dir, 'group_vars/all.yml'), encryptVaultText(Buffer.from(`db_password: ${secrets['a value of a vault-encrypted group_vars file']}\n`), vaultPassword, 'prod'));
    const inlineVault = encryptVaultText(Buffer.from(secrets['an inline !vault value']), vaultPassword).trimEnd().split('\n').map((l) => `      ${l}`).join('\n');
    const playbook = path.join(dir, 'secrets.yaml');
    await writeFile(playbook, `
- hosts: all
  gather_facts: false
  become: true
  vars_files: [vaulted-vars.yaml]
  vars:
    join_token: ${secrets['swarm join token']}
    api_key: ${secrets['no_log output']}
    inline_secret: !vault |
${inlineVault}
  tasks:
    - name: show the vault's values
      debug:
        msg: "registry {{ registry_password }} inline {{ inline_secret }} db {{ db_password }}"
    - name: a file holding the vault's values, shown with --diff
      copy:
        dest: /root/vaulted
        content: "{{ registry_password }} {{ inline_secret }} {{ db_password }}\\n"
        mode: "0600"
    - name: a failure whose message holds a vault value
      fail:
        msg: "cannot log in with {{ db_password }}"
      ignore_errors: true
    - name: show the token
      debug:
        msg: "docker swarm join --token {{ join_token }} 10.0.0.1:2377"
    - name: show the token as a variable
      debug: var=join_token
    - name: "[no_log] a command that prints a secret"
      shell: echo "key={{ api_key }}"
      register: secret_out
      no_log: true
    - name: "[no_log] a fact"
      set_fact:
        hidden_fact: ${secrets['no_log fact']}
      no_log: true
    - name: print what the hidden tasks left behind
      debug:
        msg: "{{ secret_out.stdout | default('skipped in check mode') }} {{ hidden_fact }}"
    - name: a file holding the token, shown with --diff
      copy:
        dest: /root/join-token
        content: "{{ join_token }}\\n"
        mode: "0600"
    - name: become works with the password (sent on sudo's prompt only)
      command: id -u
      register: uid
      changed_when: false
      check_mode: false
    - name: check that we are root
      assert:
        that: uid.stdout == '0'
    - name: a failure whose message holds the token
      fail:
        msg: "cannot join with {{ join_token }}"
      ignore_errors: true
    - name: "[no_log] a command that fails and echoes the key"
      shell: echo "{{ api_key }}" >&2; exit 3
      no_log: true
      ignore_errors: true
`);
    const knownHosts = path.join(dir, 'known_hosts');
    const vaultArgs = ['--vault-password-file', path.join(dir, 'vault-pass.txt'), '--vault-id', `prod@${path.join(dir, 'vault-pass.txt')}`];
    const base = ['run', playbook, '-i', inventory, '--known-hosts', knownHosts, ...vaultArgs];
    const env = { SWARMPLAY_PASSWORD: secrets['root password (SWARMPLAY_PASSWORD)'] };
    const outputs: Record<string, string> = {};
    const keep = (name: string, result: CliResult): CliResult => {
      outputs[`${name} stdout`] = result.stdout;
      outputs[`${name} stderr`] = result.stderr;
      return result;
    };

    const json = keep('--json', await runCli([...base, '--json'], { env }));
    assert.equal(json.code, 4, json.stdout + json.stderr); // h3 is unreachable
    const recap = recapOf(json.stdout);
    assert.equal(recap.h3.unreachable, 1);
    for (const host of ['h1', 'h2']) {
      assert.equal(recap[host].failed, 0, `${host}: ${JSON.stringify(recap[host])}\n${json.stdout}`);
      assert.equal(recap[host].ignored, 3);
    }
    // The run really did the work, with the real values: checked on the hosts.
    assert.equal(await sshRun(root, 'cat /root/join-token'), `${secrets['swarm join token']}\n`);
    assert.equal(await sshRun(sudoHost, 'cat /root/join-token'), `${secrets['swarm join token']}\n`);
    assert.equal(await sshRun(root, 'cat /root/vaulted'),
      `${secrets['a value of a vault-encrypted vars_files file']} ${secrets['an inline !vault value']} ${secrets['a value of a vault-encrypted group_vars file']}\n`);
    const noLogEvents = jsonEvents(json.stdout).filter((e) => e.event === 'host_result' && e.status !== 'unreachable' && e.task.startsWith('[no_log]'));
    assert.ok(noLogEvents.length === 6 && noLogEvents.every((e) => e.result?.censored), `no_log results are censored: ${JSON.stringify(noLogEvents)}`);

    keep('plain', await runCli(base, { env }));
    keep('plain -vvv', await runCli([...base, '-vvv'], { env }));
    keep('--json -vvv', await runCli([...base, '--json', '-vvv'], { env }));
    keep('--check --diff -v', await runCli([...base, '--check', '--diff', '-v'], { env }));
    const retryFile = retryFilePath(playbook);
    outputs['retry file'] = await readFile(retryFile, 'utf8');
    assert.equal(outputs['retry file'], 'h3\n', Object.values(outputs).join('\n'));

    // On a terminal: the interactive reporter, through script(1) for a pseudo-terminal.
    const tty = await exec('script', ['-qec', [process.execPath, CLI, ...base].map((w) => `'${w}'`).join(' '), '/dev/null'], {
      cwd: REPO_ROOT, env: { ...process.env, CI: '', ...env, TERM: 'xterm' }, maxBuffer: 16 * 1024 * 1024,
    }).then((r) => r.stdout, (e: { stdout?: string }) => String(e.stdout ?? ''));
    assert.match(tty, /h1/);
    outputs['terminal (listr2)'] = tty;

    // Error messages: a broken inventory whose snippet would show a password line.
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, `all:\n  hosts:\n    h1:\n      ansible_password: ${secrets['login and become password']}\n      ansible_port: [\n`);
    const bad = keep('error message', await runCli(['run', playbook, '-i', broken, '--known-hosts', knownHosts, ...vaultArgs]));
    assert.equal(bad.code, 5, bad.stderr);
    assert.match(bad.stderr, /broken\.yaml:\d+:\d+/);

    let checked = 0;
    for (const [secretName, secret] of Object.entries(secrets)) {
      for (const [outputName, text] of Object.entries(outputs)) {
        assert.ok(!text.includes(secret), `the ${secretName} leaked into ${outputName}:\n${text}`);
        checked++;
      }
    }
    // The outputs are not empty: the tasks that would have printed the secrets did print, redacted.
    assert.match(outputs['plain -vvv stdout'], /docker swarm join --token \*+ 10\.0\.0\.1:2377/);
    assert.match(outputs['plain -vvv stdout'], /cannot join with \*+/);
    assert.match(outputs['plain -vvv stdout'], /registry \*+ inline \*+ db \*+/);
    figures.secretsChecked += Object.keys(secrets).length;
    figures.outputsGrepped += Object.keys(outputs).length;
    assert.equal(checked, Object.keys(secrets).length * Object.keys(outputs).length);
  });
});

describe('reliability: no value can inject a shell command', function () {
  this.timeout(120_000);
  let host: TestSshd;
  let dir: string;
  const marker = `/tmp/swarmplay-pwned-${random()}`;
  // Each, if it ever reached a shell unquoted, would create `${marker}-N` (or a pwned-N file in the remote cwd).
  const payloads = [
    `; touch ${marker}-1`,
    `$(touch ${marker}-2)`,
    `\`touch ${marker}-3\``,
    `x\ntouch ${marker}-4`,
    `' ; touch ${marker}-5 ; '`,
    `" ; touch ${marker}-6 ; "`,
    `&& touch ${marker}-7`,
    `| touch ${marker}-8`,
    `\${IFS}touch\${IFS}${marker}-9`,
    `é漢字 🚀 ; touch ${marker}-10 #`,
  ];
  // File names cannot hold '/': the same attacks, touching a file in the remote working folder.
  const namePayloads = [`; touch pwned-1`, `$(touch pwned-2)`, '`touch pwned-3`', `x\ntouch pwned-4`, `' ; touch pwned-5 '`];
  const hostName = 'web$(touch pwned-host); touch pwned-host2 #';

  before(async () => {
    host = await startSshd({ address: '127.0.0.167' });
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-inject-'));
  });

  after(async () => {
    await host?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('an inventory host name, variables, file paths and command words holding shell syntax run nothing', async () => {
    const inventory = await writeInventory(path.join(dir, 'hosts.yaml'), [{ name: hostName, sshd: host }]);
    await writeFile(path.join(dir, 'vars.json'), JSON.stringify({
      payloads,
      numbered: payloads.map((text, index) => ({ index, text })),
      name_payloads: namePayloads,
      line_payloads: payloads.filter((p) => !p.includes('\n')),
    }));
    const playbook = path.join(dir, 'inject.yaml');
    await writeFile(playbook, `
- hosts: all
  gather_facts: false
  vars_files: [vars.json]
  tasks:
    - name: a folder
      file: path=/root/inj state=directory
    - name: command words
      command: printf '%s|' {{ item }}
      loop: "{{ payloads }}"
      register: words
    - name: shell, with the quote filter
      shell: printf '%s' {{ item.text | quote }} > /root/inj/shell-{{ item.index }}
      loop: "{{ numbered }}"
    - name: file content
      copy:
        dest: "/root/inj/copy-{{ item.index }}"
        content: "{{ item.text }}"
      loop: "{{ numbered }}"
    - name: file paths
      file:
        path: "/root/inj/{{ item }}"
        state: touch
      loop: "{{ name_payloads }}"
    - name: a line in a file
      lineinfile:
        path: /root/inj/lines
        line: "{{ item }}"
        create: true
      loop: "{{ line_payloads }}"
    - name: the host name in a path and a command
      copy:
        dest: "/root/inj/host-{{ inventory_hostname }}"
        content: "{{ inventory_hostname }}"
    - name: the host name as a command word
      command: echo {{ inventory_hostname }}
`);
    const result = await runCli(['run', playbook, '-i', inventory, '--known-hosts', path.join(dir, 'known_hosts'), '--json']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(recapOf(result.stdout)[hostName].failed, 0);

    // Nothing ran: no marker on the host (its /tmp is this machine's) nor in the remote working folder.
    const tmp = await readdir('/tmp');
    assert.deepEqual(tmp.filter((name) => name.startsWith(path.basename(marker))), []);
    assert.equal((await sshRun(host, `ls -A /root /tmp | grep -c -e pwned || true`)).trim(), '0');
    // Every value arrived as the literal text it was.
    for (const [index, payload] of payloads.entries()) {
      assert.equal(await sshRun(host, `cat /root/inj/shell-${index}`), payload, `shell | quote: ${JSON.stringify(payload)}`);
      assert.equal(await sshRun(host, `cat /root/inj/copy-${index}`), payload, `copy content: ${JSON.stringify(payload)}`);
    }
    const listing = await sshRun(host, 'cd /root/inj && for f in *; do printf "%s\\0" "$f"; done');
    for (const name of namePayloads) assert.ok(listing.split('\0').includes(name), `a file literally named ${JSON.stringify(name)}`);
    assert.ok(listing.split('\0').includes(`host-${hostName}`));
    const lines = (await sshRun(host, 'cat /root/inj/lines')).split('\n').filter(Boolean);
    assert.deepEqual(lines, payloads.filter((p) => !p.includes('\n')));
    const echoed = jsonEvents(result.stdout).find((e) => e.event === 'host_result' && e.task === 'the host name as a command word');
    assert.equal(echoed?.result?.stdout, hostName);
    figures.injectionsTried += payloads.length * 3 + namePayloads.length + payloads.length - 1 + 2;
  });
});

describe('reliability: a private key with open modes is refused, as OpenSSH refuses it', function () {
  this.timeout(120_000);
  let host: TestSshd;
  let dir: string;

  before(async () => {
    host = await startSshd({ address: '127.0.0.170' });
    await new Promise((resolve) => setTimeout(resolve, 500)); // the harness's readiness probe lands in the log first
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-keymode-'));
  });

  after(async () => {
    await host?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const mode of [0o644, 0o640, 0o604]) {
    it(`mode 0${mode.toString(8)}: that host is unreachable with OpenSSH's message and the fix, never connected; a 0600 key on the other host works`, async () => {
      const openKey = path.join(dir, `open_key_${mode.toString(8)}`);
      await copyFile(host.clientKeyPath, openKey);
      await chmod(openKey, mode);
      const inventory = await writeInventory(path.join(dir, 'hosts.yaml'), [
        { name: 'careless', sshd: host, vars: { ansible_ssh_private_key_file: openKey } },
        { name: 'careful', sshd: host },
      ]);
      const playbook = path.join(dir, 'ping.yaml');
      await writeFile(playbook, '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n');
      const logBefore = (await host.log()).match(/Accepted publickey/g)?.length ?? 0;
      const result = await runCli(['run', playbook, '-i', inventory, '--known-hosts', path.join(dir, 'known_hosts'), '--json']);
      assert.equal(result.code, 4, result.stdout + result.stderr);
      const recap = recapOf(result.stdout);
      assert.equal(recap.careless.unreachable, 1);
      assert.equal(recap.careful.changed, 1);
      const refusal = jsonEvents(result.stdout).find((e) => e.host === 'careless' && e.status === 'unreachable');
      assert.match(refusal!.msg, new RegExp(`UNPROTECTED PRIVATE KEY FILE! Permissions 0${mode.toString(8)} for '${openKey}' are too open`));
      assert.match(refusal!.msg, new RegExp(`chmod 600 ${openKey}`));
      // One login only: the careful host's. The careless key was never offered.
      const logins = ((await host.log()).match(/Accepted publickey/g)?.length ?? 0) - logBefore;
      assert.equal(logins, 1);
      await rm(retryFilePath(playbook), { force: true });
      figures.faultsSurvived++;
    });
  }
});
