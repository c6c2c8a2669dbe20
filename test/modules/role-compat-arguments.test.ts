/**
 * What public Ansible roles write, through the real loader and module
 * registry: the modules and collection names they use load, a module of a
 * collection that has no such module is refused, and a module swarmplay does
 * not have stops at its line with the nearest way to do the same.
 */
import assert from 'node:assert/strict';
import { loadAllModules } from '../../src/modules/index.js';
import { checkUndefinedVariables } from '../../src/language/undefined-variables.js';
import { taskSnippets } from '../support/task-snippets.js';

const { load, moduleNames, refusedAtItsLine } = taskSnippets('role-compat');

describe('modules public roles use: names and arguments', () => {
  // Modules are imported when a playbook names them; these tests look at all of them.
  before(() => loadAllModules());
  it('loads them by their short and full names', async () => {
    const modules = await moduleNames([
      '    - ansible.builtin.raw: mkdir -p /tmp/x && chmod 1777 /tmp/x',
      '    - raw: { _raw: uptime, executable: /bin/bash }',
      '    - ansible.builtin.getent: { database: group, key: docker, split: ":" }',
      '    - getent: { database: passwd, key: root, fail_key: no }',
      '    - ansible.builtin.pip: { name: [docker, "urllib3<2"], state: present, extra_args: --upgrade, virtualenv: /opt/v, virtualenv_command: python3 -m venv }',
      '    - pip: { name: docker-compose, version: 1.29.2 }',
      '    - ansible.builtin.ufw: { rule: allow, port: 2377, proto: tcp }',
      '    - ansible.legacy.sysctl: { name: vm.swappiness, value: 10 }',
      '    - lineinfile: { dest: /etc/sudoers, regexp: "^deploy", line: "deploy ALL=(ALL) NOPASSWD: ALL", validate: "visudo -cf %s" }',
      '    - shell: service ufw status',
      '      args: { warn: false }',
      '    - package: { name: fail2ban, state: present, enablerepo: epel }',
      '    - package: { name: docker-ce, state: present, allow_downgrade: true }',
      '    - systemd: { name: docker.service, state: started, scope: user, daemon_reload: yes }',
      '    - ufw: { rule: allow, port: "22", proto: tcp, src: 10.0.0.0/8, comment: ssh }',
      '    - community.general.ini_file: { dest: /etc/yum.repos.d/docker-ce.repo, section: docker-ce-test, option: enabled, value: 0, no_extra_spaces: true }',
      '    - yum_repository: { name: docker, description: Docker, baseurl: "https://download.docker.com/linux/centos/$releasever/$basearch/stable", gpgcheck: no }',
      '    - package_facts:',
      '    - ansible.builtin.package_facts: { manager: auto }',
      '    - rpm_key: { key: "https://download.docker.com/linux/centos/gpg", state: present }',
      '    - community.docker.docker_compose_v2: { project_src: /srv/app, files: [compose.yaml], pull: missing }',
      '    - community.docker.docker_swarm_info: { api_version: auto }',
      '    - template: { src: sshd_config.j2, dest: /etc/ssh/sshd_config, validate: "/usr/sbin/sshd -t -f %s", backup: yes }',
    ]);
    assert.deepEqual(modules, ['raw', 'raw', 'getent', 'getent', 'pip', 'pip', 'ufw', 'sysctl', 'lineinfile', 'shell', 'package', 'package', 'systemd', 'ufw', 'ini_file', 'yum_repository', 'package_facts', 'package_facts', 'rpm_key', 'community.docker.docker_compose_v2', 'community.docker.docker_swarm_info', 'template']);
  });

  it('counts the facts getent and package_facts set as defined variables', async () => {
    const playbook = await load([
      '    - getent: { database: group, key: docker }',
      '    - debug: { msg: "{{ getent_group.docker }}" }',
      '    - package_facts:',
      '    - debug: { msg: "{{ packages.docker }}" }',
    ]);
    const inventory = { hostNames: () => [], hostVars: () => ({}) } as unknown as Parameters<typeof checkUndefinedVariables>[1];
    checkUndefinedVariables(playbook, inventory, {}, []);
    const other = await load(['    - debug: { msg: "{{ getent_passwd.root }}" }']);
    assert.throws(() => checkUndefinedVariables(other, inventory, {}, []), /'getent_passwd' is undefined/);
  });

  const REFUSED: { name: string; task: string; code: string; says: RegExp; hint: RegExp }[] = [
    { name: 'a collection that has no such module', task: '    - community.general.copy: { src: a, dest: /b }', code: 'UNKNOWN_MODULE',
      says: /'community.general.copy' is no module of that collection/, hint: /did you mean 'copy'/i },
    { name: 'synchronize', task: '    - ansible.posix.synchronize: { src: a/, dest: /srv/a }', code: 'UNKNOWN_MODULE',
      says: /'ansible.posix.synchronize' is an Ansible module swarmplay does not have/, hint: /copy .*rsync/ },
    { name: 'any other collection module', task: '    - community.mysql.mysql_db: { name: app }', code: 'UNKNOWN_MODULE',
      says: /is an Ansible module swarmplay does not have/, hint: /command or shell/ },
    { name: 'pip: name and requirements', task: '    - pip: { name: docker, requirements: /r.txt }', code: 'BAD_ARGUMENT',
      says: /mutually exclusive: name\|requirements/, hint: /./ },
    { name: 'pip: a state it does not know', task: '    - pip: { name: docker, state: installed }', code: 'BAD_ARGUMENT',
      says: /must be one of "present", "absent", "latest", "forcereinstall"/, hint: /./ },
    { name: 'pip: a version with state latest', task: '    - pip: { name: docker, version: "6.1", state: latest }', code: 'BAD_ARGUMENT',
      says: /version is incompatible with state=latest/, hint: /./ },
    { name: 'validate without %s', task: '    - copy: { content: x, dest: /etc/sudoers.d/x, validate: visudo -c }', code: 'BAD_ARGUMENT',
      says: /validate must contain %s/, hint: /./ },
    { name: 'package: an argument no package manager takes', task: '    - package: { name: x, state: present, enablerepos: epel }', code: 'BAD_ARGUMENT',
      says: /unknown argument 'enablerepos'/, hint: /./ },
    { name: 'ufw: from and src together', task: '    - ufw: { rule: allow, from: 10.0.0.1, src: 10.0.0.2 }', code: 'BAD_ARGUMENT',
      says: /give from_ip only once/, hint: /./ },
    { name: 'yum_repository: no baseurl', task: '    - yum_repository: { name: docker, description: Docker }', code: 'BAD_ARGUMENT',
      says: /'baseurl', 'metalink' or 'mirrorlist' is required/, hint: /./ },
    { name: 'a connection option with another value than its default', task: '    - community.docker.docker_swarm_info: { api_version: "1.41" }', code: 'BAD_ARGUMENT',
      says: /api_version.*does not take/, hint: /./ },
    { name: 'getent: no database', task: '    - getent: { key: root }', code: 'BAD_ARGUMENT', says: /database/, hint: /./ },
  ];

  for (const bad of REFUSED) {
    it(`${bad.name}: refused at the task's line`, async () => {
      const error = await refusedAtItsLine(bad.task, bad.code);
      assert.match(error.message, bad.says);
      assert.match(error.hint ?? '', bad.hint);
    });
  }
});
