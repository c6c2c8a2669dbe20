/** What swarmplay knows of a host after gathering facts: read by modules, the runner and the `ansible_*` variables. */

export interface InterfaceAddress {
  name: string;
  ipv4: string[];
}

export interface DockerFacts {
  installed: boolean;
  /** Whether dockerd answered (`docker info` worked). Unset when docker is not installed. */
  daemonRunning?: boolean;
  version?: string;
  /** "inactive" | "active" | "pending" | "error" | "locked" */
  swarmState?: string;
  nodeId?: string;
  isManager?: boolean;
  clusterId?: string;
  insecureRegistries?: string[];
}

export interface HostFacts {
  hostname: string;
  os: { id: string; versionId: string; prettyName: string; kernel: string; arch: string };
  /** Ansible's ansible_os_family: Debian, RedHat, Suse... */
  osFamily?: string;
  /** Ansible's ansible_pkg_mgr: apt, dnf, yum... ("unknown" when none is found). */
  pkgMgr?: string;
  /** Ansible's ansible_service_mgr: systemd, sysvinit, openrc, or PID 1's own name. */
  serviceMgr?: string;
  interfaces: InterfaceAddress[];
  /** The address of the interface that holds the default route (Ansible's ansible_default_ipv4.address). */
  defaultIpv4?: string;
  docker: DockerFacts;
  /** The facts under Ansible's names, without the ansible_ prefix (src/facts/ansible-facts.ts). */
  ansible?: Record<string, unknown>;
}
