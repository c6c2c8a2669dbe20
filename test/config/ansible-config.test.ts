/**
 * ansible.cfg found and read as Ansible does, the ANSIBLE_* environment
 * over it, and what a run takes from it (inventory, forks, remote_user,
 * vault_password_file; the options swarmplay does not need named with -v).
 */
import { strict as assert } from 'node:assert';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findConfigFile, loadAnsibleConfig } from '../../src/config/ansible-config.js';
import { connectionSpecFor } from '../../src/runner/host-connections.js';
import { connectionSettingsFrom } from '../../src/cli/connection-options.js';
import { runCli } from '../support/cli.js';
import { encryptVaultText } from '../../src/vault/vault-format.js';

describe('ansible.cfg and ANSIBLE_* settings', function () {
  this.timeout(30_000);
  let dir: string;
  let home: string;
  let project: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-cfg-'));
    home = path.join(dir, 'home');
    project = path.join(dir, 'project');
    await mkdir(home);
    await mkdir(project);
    await chmod(project, 0o755);
    await writeFile(path.join(home, '.ansible.cfg'), '[defaults]\nforks = 7\n');
    await writeFile(path.join(project, 'ansible.cfg'), `# the project's settings
[defaults]
inventory = inventory/hosts.ini, extra.yaml
remote_user = deploy
forks = 12
timeout=25 ; seconds
host_key_checking = False
private_key_file = ~/.ssh/deploy_key
roles_path = roles:/opt/shared/roles
vault_password_file = secrets/vault-pass.txt
callbacks_enabled = timer, profile_tasks

[privilege_escalation]
become = yes
become_user = root

[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto
  -o ControlPersist=60s
`);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds the file as Ansible does: ANSIBLE_CONFIG (a file or a folder), ./ansible.cfg, ~/.ansible.cfg', async () => {
    assert.equal(findConfigFile({ env: {}, cwd: project, home }).file, path.join(project, 'ansible.cfg'));
    assert.equal(findConfigFile({ env: {}, cwd: dir, home }).file, path.join(home, '.ansible.cfg'));
    await mkdir(path.join(dir, 'conf'));
    await writeFile(path.join(dir, 'conf/ansible.cfg'), '[defaults]\n');
    assert.equal(findConfigFile({ env: { ANSIBLE_CONFIG: path.join(dir, 'conf') }, cwd: project, home }).file, path.join(dir, 'conf/ansible.cfg'));
    assert.equal(findConfigFile({ env: { ANSIBLE_CONFIG: home }, cwd: project, home }).file, path.join(project, 'ansible.cfg'), 'a named file that does not exist: the next place');
    assert.equal(findConfigFile({ env: { ANSIBLE_CONFIG: path.join(home, '.ansible.cfg') }, cwd: project, home }).file, path.join(home, '.ansible.cfg'));
    // A world-writable current folder's ansible.cfg is skipped, with a warning.
    const open = path.join(dir, 'open');
    await mkdir(open);
    await writeFile(path.join(open, 'ansible.cfg'), '[defaults]\n');
    await chmod(open, 0o777);
    const found = findConfigFile({ env: {}, cwd: open, home });
    assert.equal(found.file, path.join(home, '.ansible.cfg'));
    assert.match(found.warnings.join(), /world-writable/);
  });

  it('reads the settings, paths relative to the file; ANSIBLE_* wins, an empty one counts as unset', () => {
    const config = loadAnsibleConfig({ env: {}, cwd: project, home });
    assert.deepEqual(config.inventory, [path.join(project, 'inventory/hosts.ini'), path.join(project, 'extra.yaml')]);
    assert.equal(config.remoteUser, 'deploy');
    assert.equal(config.forks, 12);
    assert.equal(config.timeout, 25);
    assert.equal(config.hostKeyChecking, false);
    assert.equal(config.privateKeyFile, path.join(home, '.ssh/deploy_key'));
    assert.deepEqual(config.rolesPath, [path.join(project, 'roles'), '/opt/shared/roles']);
    assert.equal(config.vaultPasswordFile, path.join(project, 'secrets/vault-pass.txt'));
    assert.equal(config.become, true);
    assert.equal(config.becomeUser, 'root');
    assert.deepEqual(config.unused.map((u) => u.split(':')[0]), ['[defaults] callbacks_enabled', '[ssh_connection] pipelining', '[ssh_connection] ssh_args']);

    const env = loadAnsibleConfig({ env: { ANSIBLE_FORKS: '3', ANSIBLE_REMOTE_USER: '', ANSIBLE_ROLES_PATH: 'a:b', ANSIBLE_HOST_KEY_CHECKING: 'yes' }, cwd: project, home });
    assert.deepEqual([env.forks, env.remoteUser, env.hostKeyChecking], [3, 'deploy', true]);
    assert.deepEqual(env.rolesPath, [path.join(project, 'a'), path.join(project, 'b')], 'from the environment: relative to the current folder');
    const none = loadAnsibleConfig({ env: {}, cwd: dir, home: path.join(dir, 'nohome') });
    assert.deepEqual(none.rolesPath, [path.join(dir, 'nohome/.ansible/roles'), '/usr/share/ansible/roles', '/etc/ansible/roles']);
  });

  it('remote_user, private_key_file and become apply where the host says nothing; the command line wins', async () => {
    const config = loadAnsibleConfig({ env: {}, cwd: project, home });
    const settings = await connectionSettingsFrom({}, undefined, config);
    assert.deepEqual([settings.strictHostKeys, settings.connectTimeoutMs], [false, 25_000]);
    const spec = connectionSpecFor('h1', { ansible_host: '10.0.0.5' }, settings);
    assert.deepEqual([spec.user, spec.privateKeyPath, spec.become], ['deploy', path.join(home, '.ssh/deploy_key'), true]);
    const own = connectionSpecFor('h1', { ansible_ssh_user: 'admin', ansible_become: false }, settings);
    assert.deepEqual([own.user, own.become], ['admin', false]);
    const flags = await connectionSettingsFrom({ timeout: '5', strictHostKeys: true }, undefined, config);
    assert.deepEqual([flags.strictHostKeys, flags.connectTimeoutMs], [true, 5000]);
  });

  it('a broken file is bad input at its line', async () => {
    const bad = path.join(dir, 'bad.cfg');
    await writeFile(bad, '[defaults]\nforks = 5\nforks = 6\n');
    assert.throws(() => loadAnsibleConfig({ env: { ANSIBLE_CONFIG: bad }, cwd: dir, home }),
      (e: { code: string; location: { line: number }; message: string }) => e.code === 'BAD_OPTION' && e.location.line === 3 && /appears twice/.test(e.message));
    await writeFile(bad, 'forks = 5\n');
    assert.throws(() => loadAnsibleConfig({ env: { ANSIBLE_CONFIG: bad }, cwd: dir, home }), /before any \[section\]/);
  });

  it('a run takes its inventory and vault password from ./ansible.cfg and names, with -v, what it does not need', async () => {
    await mkdir(path.join(project, 'inventory'), { recursive: true });
    await mkdir(path.join(project, 'secrets'), { recursive: true });
    await writeFile(path.join(project, 'inventory/hosts.ini'), '[local]\ncontroller ansible_connection=local\n');
    await writeFile(path.join(project, 'extra.yaml'), 'all:\n  vars:\n    greeting: hello\n');
    await writeFile(path.join(project, 'secrets/vault-pass.txt'), 'cfg-vault-pw\n');
    await writeFile(path.join(project, 'secret.yaml'), encryptVaultText(Buffer.from('answer: 42\n'), Buffer.from('cfg-vault-pw')));
    await writeFile(path.join(project, 'site.yaml'), `- hosts: local
  gather_facts: false
  become: false
  vars_files: [secret.yaml]
  tasks:
    - debug:
        msg: "{{ greeting }} {{ answer }}"
`);
    const result = await runCli(['run', 'site.yaml', '-v'], { cwd: project, env: { HOME: home, ANSIBLE_CONFIG: '' } });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /hello 42/);
    assert.match(result.stderr, new RegExp(`Using ${path.join(project, 'ansible.cfg')} as config file`));
    for (const name of ['pipelining', 'ssh_args', 'callbacks_enabled']) {
      assert.equal(result.stderr.split(`] ${name}:`).length, 2, `${name} named once:\n${result.stderr}`);
    }
    const quiet = await runCli(['run', 'site.yaml'], { cwd: project, env: { HOME: home, ANSIBLE_CONFIG: '' } });
    assert.doesNotMatch(quiet.stderr, /pipelining/);
  });
});
