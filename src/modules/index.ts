/**
 * The module registry: every module the playbook loader and the runner know,
 * by the name written in playbooks. Ansible's fully qualified names
 * (`ansible.builtin.copy`, `ansible.legacy.copy`) and the alias
 * `systemd_service` find the same modules, so Ansible playbooks load as they are.
 * A new module is one import and one entry in MODULES.
 */
import type { ModuleDefinition } from './types.js';
import { command } from './command.js';
import { shell } from './shell.js';
import { copy } from './copy.js';
import { template } from './template.js';
import { file } from './file.js';
import { lineinfile } from './lineinfile.js';
import { blockinfile } from './blockinfile.js';
import { systemd } from './systemd.js';
import { waitFor } from './wait-for.js';
import { setFact } from './set-fact.js';
import { debug } from './debug.js';
import { assertModule } from './assert.js';
import { fail } from './fail.js';
import { swarmInit } from './swarm-init.js';
import { swarmJoin } from './swarm-join.js';
import { swarmNode } from './swarm-node.js';
import { swarmLeave } from './swarm-leave.js';
import { hostsSync } from './hosts-sync.js';
import { dockerDaemon } from './docker-daemon.js';
import { sshKeygen } from './ssh-keygen.js';
import { sshCopyId } from './ssh-copy-id.js';
import { dockerRegistry } from './registry.js';
import { dockerImage } from './docker-image.js';
import { meta } from './meta.js';
import { dockerService } from './docker-service.js';
import { dockerStack } from './docker-stack.js';
import { dockerSecret } from './docker-secret.js';
import { dockerConfig } from './docker-config.js';
import { dockerNetwork } from './docker-network.js';
import { includeVars } from './include-vars.js';
import { asyncStatus } from './async-status.js';
import { addHost } from './add-host.js';
import { groupBy } from './group-by.js';
import { setup } from './setup.js';
// Files, HTTP, archives, reboots, pauses and firewalls (stat ... firewalld): one block, kept together.
import { stat } from './stat.js';
import { slurp } from './slurp.js';
import { fetch } from './fetch.js';
import { replace } from './replace.js';
import { find } from './find.js';
import { tempfile } from './tempfile.js';
import { getUrl } from './get-url.js';
import { uri } from './uri.js';
import { unarchive } from './unarchive.js';
import { reboot } from './reboot.js';
import { waitForConnection } from './wait-for-connection.js';
import { pause } from './pause.js';
import { iptables } from './iptables.js';
import { ufw } from './ufw.js';
import { firewalld } from './firewalld.js';
import { firewallFacts } from './firewall-facts.js';

/** The block above. */
const FILES_HTTP_FIREWALL_MODULES: readonly ModuleDefinition[] = [
  stat, slurp, fetch, replace, find, tempfile, getUrl, uri, unarchive, reboot, waitForConnection, pause,
  iptables, ufw, firewalld, firewallFacts,
] as readonly ModuleDefinition[];
// System modules: packages, services, accounts, kernel settings.
import { apt } from './apt.js';
import { aptKey } from './apt-key.js';
import { aptRepository } from './apt-repository.js';
import { deb822Repository } from './deb822-repository.js';
import { dnf, yum } from './dnf.js';
import { packageModule } from './package.js';
import { service } from './service.js';
import { user } from './user.js';
import { group } from './group.js';
import { authorizedKey } from './authorized-key.js';
import { knownHosts } from './known-hosts.js';
import { hostname } from './hostname.js';
import { sysctl } from './sysctl.js';
import { modprobe } from './modprobe.js';
import { timezone } from './timezone.js';
import { mount } from './mount.js';
import { cron } from './cron.js';
// What public Ansible roles use beside the above: raw commands, name-service lookups, Python packages...
import { raw } from './raw.js';
import { getent } from './getent.js';
import { pip } from './pip.js';
import { iniFile } from './ini-file.js';
import { yumRepository } from './yum-repository.js';
import { packageFacts } from './package-facts.js';
import { rpmKey } from './rpm-key.js';
import { script } from './script.js';
import { serviceFacts } from './service-facts.js';
import { debconf } from './debconf.js';
import { dpkgSelections } from './dpkg-selections.js';
import { localeGen } from './locale-gen.js';

/** The block above. */
const ROLE_COMPAT_MODULES: readonly ModuleDefinition[] = [raw, getent, pip, iniFile, yumRepository, packageFacts, rpmKey, script, serviceFacts, debconf, dpkgSelections, localeGen] as readonly ModuleDefinition[];
// community.docker's modules under their names, on the swarm modules above.
import { COMMUNITY_DOCKER_ALIASES, COMMUNITY_DOCKER_MODULES } from './community-docker/index.js';

const MODULES: readonly ModuleDefinition[] = [
  command, shell, copy, template, file, lineinfile, blockinfile, systemd, waitFor, setFact, debug, assertModule, fail,
  swarmInit, swarmJoin, swarmNode, swarmLeave, hostsSync, dockerDaemon, sshKeygen, sshCopyId, dockerRegistry, dockerImage,
  dockerService, dockerStack, dockerSecret, dockerConfig, dockerNetwork, meta, includeVars, asyncStatus, addHost, groupBy, setup, ...FILES_HTTP_FIREWALL_MODULES,
  // System modules.
  apt, aptKey, aptRepository, deb822Repository, dnf, yum, packageModule, service, user, group, authorizedKey, knownHosts,
  hostname, sysctl, modprobe, timezone, mount, cron, ...ROLE_COMPAT_MODULES, ...COMMUNITY_DOCKER_MODULES,
] as readonly ModuleDefinition[];

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

const BY_NAME = new Map<string, ModuleDefinition>(MODULES.map((module) => [module.name, module]));

/**
 * The module a playbook names, or undefined (the loader then suggests a close name from moduleNames()).
 * `ansible.builtin.X` and `ansible.legacy.X` reach every module by its short name, as Ansible's
 * redirects do for the modules that moved to collections (`ansible.builtin.sysctl` is ansible.posix's);
 * any other collection's name must be one that collection really has (`community.general.copy` is none).
 */
export function findModule(name: string): ModuleDefinition | undefined {
  const builtin = /^ansible\.(?:builtin|legacy)\.(.+)$/.exec(name);
  const short = builtin ? builtin[1]! : name;
  if (!builtin && /^[a-z0-9_]+\.[a-z0-9_]+\./.test(name)) {
    const target = ALIASES[name];
    return target === undefined ? BY_NAME.get(name) : BY_NAME.get(target);
  }
  return BY_NAME.get(ALIASES[short] ?? short);
}

/** The names a playbook may use (short names), sorted. */
export function moduleNames(): string[] {
  return [...BY_NAME.keys()].sort();
}
