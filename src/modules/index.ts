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
import { dockerNetwork } from './docker-network.js';
import { includeVars } from './include-vars.js';

const MODULES: readonly ModuleDefinition[] = [
  command, shell, copy, template, file, lineinfile, blockinfile, systemd, waitFor, setFact, debug, assertModule, fail,
  swarmInit, swarmJoin, swarmNode, swarmLeave, hostsSync, dockerDaemon, sshKeygen, sshCopyId, dockerRegistry, dockerImage,
  dockerService, dockerNetwork, meta, includeVars,
] as readonly ModuleDefinition[];

const ALIASES: Readonly<Record<string, string>> = { systemd_service: 'systemd' };

const BY_NAME = new Map<string, ModuleDefinition>(MODULES.map((module) => [module.name, module]));

/** The module a playbook names, or undefined (the loader then suggests a close name from moduleNames()). */
export function findModule(name: string): ModuleDefinition | undefined {
  const short = name.replace(/^ansible\.(?:builtin|legacy)\./, '');
  return BY_NAME.get(ALIASES[short] ?? short);
}

/** The names a playbook may use (short names), sorted. */
export function moduleNames(): string[] {
  return [...BY_NAME.keys()].sort();
}
