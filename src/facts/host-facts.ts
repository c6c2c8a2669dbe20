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

/** The facts under ansible_facts (names without the ansible_ prefix), as the setup module gives them. */
export function ansibleFactsOf(facts: HostFacts): Record<string, unknown> {
  return {
    hostname: facts.hostname,
    nodename: facts.hostname,
    distribution: facts.os.id,
    distribution_version: facts.os.versionId,
    ...(facts.osFamily !== undefined && { os_family: facts.osFamily }),
    ...(facts.pkgMgr !== undefined && { pkg_mgr: facts.pkgMgr }),
    ...(facts.serviceMgr !== undefined && { service_mgr: facts.serviceMgr }),
    kernel: facts.os.kernel,
    architecture: facts.os.arch,
    interfaces: facts.interfaces.map((i) => i.name),
    default_ipv4: facts.defaultIpv4 ? { address: facts.defaultIpv4 } : {},
    all_ipv4_addresses: facts.interfaces.flatMap((i) => i.ipv4),
    // Ansible's names and values (ansible_distribution is "Debian", not os-release's "debian").
    ...facts.ansible,
    docker: facts.docker,
  };
}
