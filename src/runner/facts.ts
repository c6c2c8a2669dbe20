/**
 * Host facts: gathered in one round trip per host, cached for the run,
 * refreshed after a change on that host. (Types here; the reader is filled
 * in by the facts implementation below the types.)
 */

export interface InterfaceAddress {
  name: string;
  ipv4: string[];
}

export interface DockerFacts {
  installed: boolean;
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
  interfaces: InterfaceAddress[];
  /** The address of the interface that holds the default route (Ansible's ansible_default_ipv4.address). */
  defaultIpv4?: string;
  docker: DockerFacts;
}
