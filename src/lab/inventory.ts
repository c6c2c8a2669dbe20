/**
 * inventory/lab.yaml: the lab in Ansible's YAML inventory format, with the
 * walkthrough's groups (managers: the first host; workers: the others).
 * Ansible reads it unchanged. It holds the lab password, hence mode 0600
 * (the file is git-ignored).
 */
import { Document, isMap, isPair, isScalar, type Pair } from 'yaml';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import type { LabState } from './state.js';
import { ADMIN_USER } from './bare-root.js';
import { mirrorSourcesLine } from './package-mirror.js';

/** Inventory variable names the lab sets (besides ansible_*). */
export const LAB_INVENTORY_VARS = {
  /** "host": publish service ports with mode=host, the lab kernel has no IP_VS for the ingress mesh. */
  publishMode: 'lab_publish_mode',
  /** The lab's own known_hosts file: host keys change at every `lab up`. */
  knownHosts: 'swarmplay_known_hosts',
  /** The lab's name, so `lab down` knows the file is its own. */
  labName: 'swarmplay_lab',
  /** bootstrap.yaml's controller key: the lab's own, so the lab never touches the user's ~/.ssh. */
  controllerKey: 'controller_ssh_key',
  /** Bare labs: the apt source line of the lab's package mirror (bootstrap.yaml writes it as the hosts' only source). */
  aptMirror: 'apt_mirror',
  /** Bare labs: image archives on the controller that bootstrap.yaml loads where Docker has no hub to pull from. */
  imageArchives: 'docker_image_archives',
} as const;

export function labInventoryText(state: LabState): string {
  const [manager, ...workers] = state.hosts;
  const hostEntry = (host: { name: string; address: string }) => [host.name, { ansible_host: host.address }];
  const bare = state.kind === 'bare' && state.bare ? state.bare : undefined;
  const login = bare && !bare.rootLogin
    ? { ansible_user: ADMIN_USER, ansible_password: state.password, ansible_become: true, ansible_become_password: state.password }
    : { ansible_user: 'root', ansible_password: state.password };
  const bareVars = bare ? { [LAB_INVENTORY_VARS.aptMirror]: mirrorSourcesLine(bare.mirror.url), [LAB_INVENTORY_VARS.imageArchives]: [bare.imageArchive] } : {};
  const document = new Document({
    all: {
      vars: {
        ...login,
        ...bareVars,
        [LAB_INVENTORY_VARS.publishMode]: 'host',
        [LAB_INVENTORY_VARS.knownHosts]: state.knownHostsFile,
        [LAB_INVENTORY_VARS.labName]: state.name,
        [LAB_INVENTORY_VARS.controllerKey]: path.join(path.dirname(state.knownHostsFile), 'controller_ed25519'),
      },
      children: {
        managers: { hosts: Object.fromEntries(manager ? [hostEntry(manager)] : []) },
        workers: { hosts: Object.fromEntries(workers.map(hostEntry)) },
      },
    },
  });
  document.commentBefore =
    ` Written by \`swarmplay lab up --name ${state.name}\` on ${state.createdAt}; \`swarmplay lab down --name ${state.name}\` removes it.\n` +
    ` The lab hosts are network namespaces on this machine (${state.subnet}, controller ${state.controllerAddress}).\n` +
    ' This file holds the lab root password: keep it private (mode 0600, git-ignored).';
  const vars = document.getIn(['all', 'vars'], true);
  if (isMap(vars)) {
    for (const item of vars.items) {
      if (!isPair(item) || !isScalar((item as Pair).key)) continue;
      const key = (item as Pair<{ value: unknown; commentBefore?: string }>).key;
      if (key.value === LAB_INVENTORY_VARS.publishMode) {
        key.commentBefore =
          ' The lab kernel has no IP_VS, so the swarm ingress routing mesh cannot work here:\n' +
          ' publish service ports with mode=host (a port answers only on the nodes running a task).';
      }
      if (key.value === LAB_INVENTORY_VARS.controllerKey) {
        key.commentBefore = ' The controller key bootstrap.yaml installs: kept in the lab folder, gone with `lab down`.';
      }
      if (key.value === LAB_INVENTORY_VARS.aptMirror) {
        key.commentBefore = ' Bare lab: the hosts reach nothing but the bridge; apt reads the lab\'s package mirror.';
      }
      if (key.value === 'ansible_become') {
        key.commentBefore = ' Root SSH is off on these hosts: log in as admin, become root with sudo (its password is the lab password).';
      }
      if (key.value === LAB_INVENTORY_VARS.knownHosts) {
        key.commentBefore = ' Every `lab up` makes new host keys: the lab keeps its own known_hosts, renewed with the lab.';
      }
    }
  }
  return document.toString();
}

export function writeLabInventory(state: LabState, file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, labInventoryText(state), { mode: 0o600 });
  chmodSync(file, 0o600);
}
