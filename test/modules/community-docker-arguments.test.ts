/**
 * community.docker's modules as playbooks write them, through the real
 * loader and module registry: their full and short names load with their
 * arguments, and an argument of theirs swarmplay does not take is one
 * BAD_ARGUMENT error naming it at its line, before any host is touched
 * (never silently ignored). The list of their arguments is the installed
 * collection's (Debian's ansible package), checked here so that a name of
 * theirs this side does not know about fails the test.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { findModule, loadAllModules } from '../../src/modules/index.js';
import { taskSnippets } from '../support/task-snippets.js';

const { load, refusedAtItsLine } = taskSnippets('community-docker');

const COLLECTION = '/usr/lib/python3/dist-packages/ansible_collections/community/docker/plugins/modules';
const MODULES = [
  'docker_swarm', 'docker_node', 'docker_swarm_service', 'docker_network', 'docker_image', 'docker_login',
  'docker_swarm_info', 'docker_node_info', 'docker_host_info', 'docker_container',
];

/** A module's documented option names and aliases, from the DOCUMENTATION block of its file in the installed collection. */
function theirArguments(module: string): string[] {
  const source = readFileSync(path.join(COLLECTION, `${module}.py`), 'utf8');
  const documentation = /DOCUMENTATION = r?'''([\s\S]*?)'''/.exec(source) ?? /DOCUMENTATION = r?"""([\s\S]*?)"""/.exec(source);
  const options = (parseYaml(documentation![1]!) as { options?: Record<string, { aliases?: string[] }> }).options ?? {};
  return Object.entries(options).flatMap(([name, option]) => [name, ...(option.aliases ?? [])]);
}

describe('community.docker modules: arguments as playbooks write them', () => {
  // Modules are imported when a playbook names them; these tests look at all of them.
  before(() => loadAllModules());
  it('finds each module by its full name, and by the short name Ansible routes to it', () => {
    for (const name of MODULES) assert.equal(findModule(`community.docker.${name}`)?.name, `community.docker.${name}`);
    for (const name of MODULES.filter((n) => n !== 'docker_network' && n !== 'docker_image')) assert.equal(findModule(name)?.name, `community.docker.${name}`);
    // Those two short names are swarmplay's own modules, with other arguments.
    assert.equal(findModule('docker_network')?.name, 'docker_network');
    assert.equal(findModule('docker_image')?.name, 'docker_image');
  });

  it("knows every argument of the installed collection's modules: taken, or refused by name", function () {
    if (!existsSync(COLLECTION)) assert.fail(`the community.docker collection is not at ${COLLECTION}: install Debian's ansible package (scripts/setup-machine.sh)`);
    for (const name of MODULES) {
      const theirs = theirArguments(name);
      assert.ok(theirs.length > 0, `${name}: no arguments read`);
      const schema = findModule(`community.docker.${name}`)!.schema;
      const shape = ((schema as any)._def.schema ?? schema)._def.shape() as Record<string, unknown>;
      const unknown = theirs.filter((arg) => !Object.hasOwn(shape, arg));
      assert.deepEqual(unknown, [], `${name}: arguments of theirs this side neither takes nor refuses`);
    }
  });

  it('loads the arguments people write', async () => {
    await load([
      '    - community.docker.docker_swarm: { state: present, advertise_addr: 10.0.0.1, rotate_worker_token: yes, default_addr_pool: [10.20.0.0/16], subnet_size: 24 }',
      '    - community.docker.docker_swarm: { autolock_managers: yes, task_history_retention_limit: 10, snapshot_interval: 5000, keep_old_snapshots: 1, dispatcher_heartbeat_period: 10000000000, node_cert_expiry: 86400000000000, data_path_port: 7789, name: default, force: true }',
      '    - docker_swarm: { state: join, join_token: "{{ token }}", remote_addrs: ["10.0.0.1:2377"], advertise_addr: eth0 }',
      '    - docker_swarm: { state: remove, node_id: abc123, force: true }',
      '    - community.docker.docker_node: { hostname: docker03, labels: { mem: max }, labels_state: replace, availability: drain, role: worker }',
      '    - community.docker.docker_network: { name: n, driver: overlay, attachable: true, scope: swarm, ipam_config: [{ subnet: 10.1.0.0/24, gateway: 10.1.0.1 }] }',
      '    - community.docker.docker_image: { name: app, tag: v1, source: build, build: { path: /srv/app, dockerfile: Dockerfile }, push: true, repository: "10.0.0.1:5000/app" }',
      '    - community.docker.docker_image: { name: app, tag: v1, source: local, archive_path: /srv/app.tar }',
      '    - docker_login: { registry_url: "10.0.0.1:5000", username: u, password: p, reauthorize: true }',
      '    - docker_swarm_service: { name: web, image: nginx, replicas: 2, publish: [{ published_port: 80, target_port: 80, protocol: tcp, mode: host }], placement: { constraints: [node.role==worker], preferences: [{ spread: node.labels.zone }] }, update_config: { parallelism: 2, delay: 10s, failure_action: rollback, order: start-first }, limits: { cpus: 0.5, memory: 64M }, mounts: [{ source: /srv, target: /data, type: bind, readonly: true }], command: ["/bin/sh", "-c"], args: ["sleep 1d"], resolve_image: false }',
      '    - docker_container: { name: registry, image: registry:2, restart_policy: always, ports: ["5000:5000"], volumes: ["/srv/registry:/var/lib/registry"], env: { A: 1 }, recreate: false, pull: true }',
      '    - docker_swarm_info: { nodes: true, services: true, tasks: true, verbose_output: false, nodes_filters: { role: manager }, tasks_filters: { desired-state: running } }',
      '    - docker_node_info: { name: [docker01, docker02] }',
      '    - docker_host_info: { containers: true, containers_all: true, images: true, networks: true, volumes: true, disk_usage: true, containers_filters: { label: [a=1, b] }, images_filters: { dangling: true } }',
    ]);
  });

  const refused: [string, string, RegExp][] = [
    ['community.docker.docker_swarm: { election_tick: 5 }', 'election_tick', /docker CLI has no flag to set it/],
    ['community.docker.docker_swarm: { labels: { a: b } }', 'labels', /docker CLI has no flag to set it/],
    ['community.docker.docker_swarm: { ca_force_rotate: 1 }', 'ca_force_rotate', /swarm_init ca_rotate/],
    ['community.docker.docker_swarm: { name: prod }', 'name', /must be "default"/],
    ['community.docker.docker_swarm: { data_path_port: 80 }', '', /data_path_port: Number must be greater than or equal to 1024/],
    ['docker_swarm: { state: join, remote_addrs: [10.0.0.1] }', 'join_token', /is required with state join/],
    ['docker_swarm_service: { name: web, image: nginx, secrets: [{ secret_name: s }] }', 'secrets', /does not take/],
    ['docker_swarm_service: { name: web, image: nginx, publish: [{ target_port: 80 }] }', 'publish', /published_port' of module .* is required by swarmplay/],
    ['docker_swarm_service: { name: web, image: nginx, placement: { replicas_max_per_node: 1 } }', 'placement', /replicas_max_per_node is an option of community.docker.docker_swarm_service that swarmplay does not take/],
    ['docker_swarm_service: { name: web, image: nginx, update_config: { delay: soon } }', '', /expected a duration/],
    ['community.docker.docker_network: { name: n, ipam_config: [{ subnet: 10.1.0.0/24, iprange: 10.1.0.0/25 }] }', 'ipam_config', /iprange is an option/],
    ['community.docker.docker_network: { name: n, enable_ipv6: true }', 'enable_ipv6', /does not take/],
    ['docker_container: { name: c, image: i, privileged: true }', 'privileged', /does not take/],
    ['docker_container: { name: c, image: i, docker_host: "tcp://1.2.3.4:2376" }', 'docker_host', /runs the docker command over SSH/],
    ['docker_login: { username: u }', 'password', /is required with state present/],
    ['docker_host_info: { containers: true, containers_filters: { label: { a: b } } }', 'containers_filters.label', /must be a list, got a mapping/],
    ['community.docker.docker_image: { name: app, source: build }', 'build', /is required with source build/],
  ];
  for (const [task, argument, message] of refused) {
    it(`refuses ${argument || 'a bad value'}: ${task.slice(0, 60)}`, async () => {
      const error = await refusedAtItsLine(`    - ${task}`);
      if (argument) assert.match(error.message, new RegExp(`'${argument}`));
      assert.match(`${error.message} ${error.hint ?? ''}`, message);
    });
  }
});
