/**
 * The module registry: every module the playbook loader and the runner know,
 * by the name written in playbooks. Ansible's fully qualified names
 * (`ansible.builtin.copy`, `ansible.legacy.copy`) and the alias
 * `systemd_service` find the same modules, so Ansible playbooks load as they are.
 *
 * Each module is imported when a task first names it: a run loads the few
 * modules its playbook uses (with their schemas), not all of them, which
 * took most of a small run's start-up. A new module is one line in LOADERS.
 */
import type { ModuleDefinition } from './types.js';
import { COMMUNITY_DOCKER_ALIASES } from './community-docker/index.js';

const LOADERS: Readonly<Record<string, () => Promise<ModuleDefinition>>> = {
  command: async () => (await import('./command.js')).command,
  shell: async () => (await import('./shell.js')).shell,
  copy: async () => (await import('./copy.js')).copy,
  template: async () => (await import('./template.js')).template,
  file: async () => (await import('./file.js')).file,
  lineinfile: async () => (await import('./lineinfile.js')).lineinfile,
  blockinfile: async () => (await import('./blockinfile.js')).blockinfile,
  systemd: async () => (await import('./systemd.js')).systemd,
  wait_for: async () => (await import('./wait-for.js')).waitFor,
  set_fact: async () => (await import('./set-fact.js')).setFact,
  debug: async () => (await import('./debug.js')).debug,
  assert: async () => (await import('./assert.js')).assertModule,
  fail: async () => (await import('./fail.js')).fail,
  swarm_init: async () => (await import('./swarm-init.js')).swarmInit,
  swarm_join: async () => (await import('./swarm-join.js')).swarmJoin,
  swarm_node: async () => (await import('./swarm-node.js')).swarmNode,
  swarm_leave: async () => (await import('./swarm-leave.js')).swarmLeave,
  hosts_sync: async () => (await import('./hosts-sync.js')).hostsSync,
  docker_daemon: async () => (await import('./docker-daemon.js')).dockerDaemon,
  ssh_keygen: async () => (await import('./ssh-keygen.js')).sshKeygen,
  ssh_copy_id: async () => (await import('./ssh-copy-id.js')).sshCopyId,
  docker_registry: async () => (await import('./registry.js')).dockerRegistry,
  docker_image: async () => (await import('./docker-image.js')).dockerImage,
  meta: async () => (await import('./meta.js')).meta,
  docker_service: async () => (await import('./docker-service.js')).dockerService,
  docker_stack: async () => (await import('./docker-stack.js')).dockerStack,
  docker_secret: async () => (await import('./docker-secret.js')).dockerSecret,
  docker_config: async () => (await import('./docker-config.js')).dockerConfig,
  docker_network: async () => (await import('./docker-network.js')).dockerNetwork,
  include_vars: async () => (await import('./include-vars.js')).includeVars,
  async_status: async () => (await import('./async-status.js')).asyncStatus,
  add_host: async () => (await import('./add-host.js')).addHost,
  group_by: async () => (await import('./group-by.js')).groupBy,
  setup: async () => (await import('./setup.js')).setup,
  stat: async () => (await import('./stat.js')).stat,
  slurp: async () => (await import('./slurp.js')).slurp,
  fetch: async () => (await import('./fetch.js')).fetch,
  replace: async () => (await import('./replace.js')).replace,
  find: async () => (await import('./find.js')).find,
  tempfile: async () => (await import('./tempfile.js')).tempfile,
  get_url: async () => (await import('./get-url.js')).getUrl,
  uri: async () => (await import('./uri.js')).uri,
  unarchive: async () => (await import('./unarchive.js')).unarchive,
  reboot: async () => (await import('./reboot.js')).reboot,
  wait_for_connection: async () => (await import('./wait-for-connection.js')).waitForConnection,
  pause: async () => (await import('./pause.js')).pause,
  iptables: async () => (await import('./iptables.js')).iptables,
  ufw: async () => (await import('./ufw.js')).ufw,
  firewalld: async () => (await import('./firewalld.js')).firewalld,
  firewall_facts: async () => (await import('./firewall-facts.js')).firewallFacts,
  apt: async () => (await import('./apt.js')).apt,
  apt_key: async () => (await import('./apt-key.js')).aptKey,
  apt_repository: async () => (await import('./apt-repository.js')).aptRepository,
  deb822_repository: async () => (await import('./deb822-repository.js')).deb822Repository,
  dnf: async () => (await import('./dnf.js')).dnf,
  yum: async () => (await import('./dnf.js')).yum,
  package: async () => (await import('./package.js')).packageModule,
  service: async () => (await import('./service.js')).service,
  user: async () => (await import('./user.js')).user,
  group: async () => (await import('./group.js')).group,
  authorized_key: async () => (await import('./authorized-key.js')).authorizedKey,
  known_hosts: async () => (await import('./known-hosts.js')).knownHosts,
  hostname: async () => (await import('./hostname.js')).hostname,
  sysctl: async () => (await import('./sysctl.js')).sysctl,
  modprobe: async () => (await import('./modprobe.js')).modprobe,
  timezone: async () => (await import('./timezone.js')).timezone,
  mount: async () => (await import('./mount.js')).mount,
  cron: async () => (await import('./cron.js')).cron,
  raw: async () => (await import('./raw.js')).raw,
  getent: async () => (await import('./getent.js')).getent,
  pip: async () => (await import('./pip.js')).pip,
  ini_file: async () => (await import('./ini-file.js')).iniFile,
  yum_repository: async () => (await import('./yum-repository.js')).yumRepository,
  package_facts: async () => (await import('./package-facts.js')).packageFacts,
  rpm_key: async () => (await import('./rpm-key.js')).rpmKey,
  script: async () => (await import('./script.js')).script,
  service_facts: async () => (await import('./service-facts.js')).serviceFacts,
  debconf: async () => (await import('./debconf.js')).debconf,
  dpkg_selections: async () => (await import('./dpkg-selections.js')).dpkgSelections,
  locale_gen: async () => (await import('./locale-gen.js')).localeGen,
  'community.docker.docker_swarm': async () => (await import('./community-docker/docker-swarm.js')).dockerSwarm,
  'community.docker.docker_node': async () => (await import('./community-docker/docker-node.js')).dockerNode,
  'community.docker.docker_swarm_service': async () => (await import('./community-docker/docker-swarm-service.js')).dockerSwarmService,
  'community.docker.docker_network': async () => (await import('./community-docker/docker-network.js')).communityDockerNetwork,
  'community.docker.docker_image': async () => (await import('./community-docker/docker-image.js')).communityDockerImage,
  'community.docker.docker_login': async () => (await import('./community-docker/docker-login.js')).dockerLogin,
  'community.docker.docker_swarm_info': async () => (await import('./community-docker/docker-swarm-info.js')).dockerSwarmInfo,
  'community.docker.docker_node_info': async () => (await import('./community-docker/docker-node-info.js')).dockerNodeInfo,
  'community.docker.docker_host_info': async () => (await import('./community-docker/docker-host-info.js')).dockerHostInfo,
  'community.docker.docker_container': async () => (await import('./community-docker/docker-container.js')).dockerContainer,
  'community.docker.docker_compose_v2': async () => (await import('./community-docker/docker-compose-v2.js')).dockerComposeV2,
  'community.docker.docker_volume': async () => (await import('./community-docker/docker-volume.js')).dockerVolume,
} as Record<string, () => Promise<ModuleDefinition>>;

const ALIASES: Readonly<Record<string, string>> = {
  'community.docker.docker_stack': 'docker_stack',
  systemd_service: 'systemd',
  // System modules' names in their collections.
  'ansible.posix.authorized_key': 'authorized_key',
  'ansible.posix.sysctl': 'sysctl',
  'ansible.posix.mount': 'mount',
  'community.general.timezone': 'timezone',
  'community.general.modprobe': 'modprobe',
  'community.general.ufw': 'ufw',
  'ansible.posix.firewalld': 'firewalld',
  'community.general.ini_file': 'ini_file',
  'community.general.locale_gen': 'locale_gen',
  ...COMMUNITY_DOCKER_ALIASES,
  'community.docker.docker_secret': 'docker_secret',
  'community.docker.docker_config': 'docker_config',
};

const loaded = new Map<string, ModuleDefinition>();

/**
 * The registry name a playbook's name stands for, or undefined.
 * `ansible.builtin.X` and `ansible.legacy.X` reach every module by its short name, as Ansible's
 * redirects do for the modules that moved to collections (`ansible.builtin.sysctl` is ansible.posix's);
 * any other collection's name must be one that collection really has (`community.general.copy` is none).
 */
function registryName(name: string): string | undefined {
  const builtin = /^ansible\.(?:builtin|legacy)\.(.+)$/.exec(name);
  const short = builtin ? builtin[1]! : name;
  const target = !builtin && /^[a-z0-9_]+\.[a-z0-9_]+\./.test(name) ? ALIASES[name] ?? name : ALIASES[short] ?? short;
  return Object.hasOwn(LOADERS, target) ? target : undefined;
}

/** Whether a playbook's name is a module (nothing is imported). */
export function isModuleName(name: string): boolean {
  return registryName(name) !== undefined;
}

/** Imports the module a playbook names (once); undefined when there is no such module. */
export async function loadModule(name: string): Promise<ModuleDefinition | undefined> {
  const key = registryName(name);
  if (key === undefined) return undefined;
  let module = loaded.get(key);
  if (!module) {
    module = await LOADERS[key]!();
    if (module.name !== key) throw new Error(`the module registry's entry ${key} imported the module ${module.name}`);
    loaded.set(key, module);
  }
  return module;
}

/** Imports every module (what lists or checks them all). */
export async function loadAllModules(): Promise<void> {
  await Promise.all(Object.keys(LOADERS).map((name) => loadModule(name)));
}

/**
 * The module a playbook names, once loadModule() imported it; undefined otherwise (the loader
 * then suggests a close name from moduleNames()).
 */
export function findModule(name: string): ModuleDefinition | undefined {
  const key = registryName(name);
  return key === undefined ? undefined : loaded.get(key);
}

/** The names a playbook may use (registry names), sorted. */
export function moduleNames(): string[] {
  return Object.keys(LOADERS).sort();
}
