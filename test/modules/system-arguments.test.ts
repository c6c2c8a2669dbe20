/**
 * The system modules' arguments as a playbook writes them, through the real
 * loader and module registry: Ansible's names and aliases load, and bad
 * input (unknown arguments, mutually exclusive ones, missing ones) is one
 * BAD_ARGUMENT error at the task's line with what would be right, before
 * any host is touched.
 */
import assert from 'node:assert/strict';
import { loadAllModules } from '../../src/modules/index.js';
import { taskSnippets } from '../support/task-snippets.js';

const { moduleNames, refusedAtItsLine } = taskSnippets('system-args');

describe('system modules: arguments as playbooks write them', () => {
  // Modules are imported when a playbook names them; these tests look at all of them.
  before(() => loadAllModules());
  it("loads Ansible's fully qualified names and aliases", async () => {
    const modules = await moduleNames([
      '    - ansible.builtin.apt: { name: [curl, "jq=1.6*"], update_cache: yes, cache_valid_time: 3600, install_recommends: no }',
      '    - ansible.builtin.apt: { pkg: curl, state: absent, purge: true, autoremove: true }',
      '    - ansible.builtin.apt: deb=/tmp/x.deb',
      '    - ansible.builtin.service: { name: docker, state: started, enabled: true }',
      '    - ansible.builtin.hostname: { name: web01 }',
      '    - ansible.builtin.user: { name: deploy, groups: "adm,sudo", append: yes, createhome: no }',
      '    - ansible.builtin.group: { name: deployers, gid: 1600 }',
      '    - ansible.posix.authorized_key: { user: deploy, key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI x", exclusive: true }',
      '    - ansible.builtin.known_hosts: { host: docker02, key: "docker02 ssh-ed25519 AAAAC3Nza" }',
      '    - ansible.posix.sysctl: { key: net.ipv4.ip_forward, val: 1, sysctl_set: true }',
      '    - community.general.modprobe: { name: br_netfilter, persistent: present }',
      '    - community.general.timezone: { name: Etc/UTC }',
      '    - ansible.posix.mount: { name: /srv, src: tmpfs, fstype: tmpfs, state: mounted }',
      '    - ansible.builtin.cron: { name: backup, dow: "1-5", job: /bin/true }',
      '    - ansible.builtin.package: { name: curl, state: present }',
      '    - ansible.builtin.dnf: { name: nginx, state: latest }',
      '    - ansible.builtin.yum: { name: httpd }',
      '    - ansible.builtin.apt_key: { id: "0xF8D2585B8783D481", keyserver: keyserver.ubuntu.com }',
      '    - ansible.builtin.apt_repository: { repo: "deb http://deb.debian.org/debian bookworm-backports main" }',
      '    - ansible.builtin.deb822_repository: { name: docker, uris: "https://download.docker.com/linux/debian", suites: bookworm }',
    ]);
    assert.deepEqual(modules, ['apt', 'apt', 'apt', 'service', 'hostname', 'user', 'group', 'authorized_key', 'known_hosts', 'sysctl', 'modprobe',
      'timezone', 'mount', 'cron', 'package', 'dnf', 'yum', 'apt_key', 'apt_repository', 'deb822_repository']);
  });

  const BAD: { name: string; task: string; says: RegExp; hint?: RegExp }[] = [
    { name: 'apt: a misspelt argument', task: '    - apt: { name: curl, update_cahce: yes }', says: /unknown argument 'update_cahce' for module 'apt'/, hint: /did you mean 'update_cache'/i },
    { name: 'apt: name and deb together', task: '    - apt: { name: curl, deb: /tmp/x.deb }', says: /mutually exclusive: name, deb/ },
    { name: 'apt: nothing to do', task: '    - apt: { state: present }', says: /one of the following is required: name, deb, upgrade, update_cache/ },
    { name: 'apt: a package name that is an option', task: '    - apt: { name: "--purge" }', says: /cannot start with "-"/ },
    { name: 'apt: deb with state absent', task: '    - apt: { deb: /tmp/x.deb, state: absent }', says: /deb only supports state=present/ },
    { name: 'apt: two = in a spec', task: '    - apt: { name: "curl=1=2" }', says: /invalid package spec: curl=1=2/ },
    { name: 'service: neither state nor enabled', task: '    - service: { name: docker }', says: /one of the following is required: state, enabled/ },
    { name: 'service: a misspelt state', task: '    - service: { name: docker, state: start }', says: /must be one of "started", "stopped"/ },
    { name: 'user: a misspelt argument', task: '    - user: { name: deploy, group: adm, gropus: [sudo] }', says: /unknown argument 'gropus'/, hint: /did you mean 'groups'/i },
    { name: 'user: a name that is an option', task: '    - user: { name: "-r" }', says: /not starting with "-"/ },
    { name: 'group: non_unique without gid', task: '    - group: { name: g, non_unique: true }', says: /non_unique is True but all of the following are missing: gid/ },
    { name: 'sysctl: present without a value', task: '    - sysctl: { name: vm.swappiness }', says: /state is present but all of the following are missing: value/ },
    { name: 'cron: insertafter and insertbefore', task: '    - cron: { name: PATH, env: true, job: /bin, insertafter: A, insertbefore: B }', says: /mutually exclusive: insertafter\|insertbefore/ },
    { name: 'mount: mounted without fstype', task: '    - mount: { path: /srv, src: tmpfs, state: mounted }', says: /state is mounted but all of the following are missing: fstype/ },
    { name: 'authorized_key: a key from a URL', task: '    - authorized_key: { user: deploy, key: "https://github.com/alice.keys" }', says: /keys from a URL are not fetched/ },
    { name: 'authorized_key: not a key', task: '    - authorized_key: { user: deploy, key: "hello world" }', says: /invalid key specified/ },
    { name: 'apt_key: data and url together', task: '    - apt_key: { data: x, url: "https://example.org/k.asc" }', says: /mutually exclusive: data\|file\|keyserver\|url/ },
    { name: 'apt_key: an unquoted hex id', task: '    - apt_key: { id: 0xF8D2585B, keyserver: k }', says: /write the key id quoted/ },
    { name: 'apt_repository: not a source line', task: '    - apt_repository: { repo: "ppa:deadsnakes/ppa" }', says: /a source line: deb \[options\] URI SUITE/ },
    { name: 'hostname: not a host name', task: '    - hostname: { name: "web_01!" }', says: /a host name/ },
    { name: 'timezone: neither name nor hwclock', task: '    - timezone: {}', says: /one of the following is required: hwclock, name/ },
    { name: 'package: a state it does not know', task: '    - package: { name: curl, state: newest }', says: /must be one of "present", "absent", "latest"/ },
  ];

  for (const bad of BAD) {
    it(`${bad.name}: BAD_ARGUMENT at the task's line`, async () => {
      const error = await refusedAtItsLine(bad.task);
      assert.match(error.message, bad.says);
      if (bad.hint) assert.match(error.hint ?? '', bad.hint);
    });
  }
});
