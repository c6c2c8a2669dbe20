/**
 * `docker_info`: the daemon's state from `docker info --format '{{json .}}'`
 * (version, swarm membership and managers, insecure registries). The one
 * parser of that output: modules and host facts both read it here.
 */
import { outputTail } from '../transport/output-tail.js';
import { asObject, asString, parseJsonText, type Json } from './docker-json.js';
import type { RunResult } from '../transport/types.js';
import { defineFact, FactError } from './types.js';

export const DOCKER_INFO_COMMAND = "docker info --format '{{json .}}'";

/** A Swarm manager's address as other nodes reach it. */
export interface RemoteManager {
  nodeId: string;
  addr: string;
}

export interface SwarmInfo {
  /** "inactive" | "pending" | "active" | "error" | "locked" */
  state: string;
  nodeId: string;
  nodeAddr: string;
  /** The node is a manager (it can answer `docker node ...`). */
  isManager: boolean;
  /** Only managers know the cluster's ID. */
  clusterId?: string;
  remoteManagers: RemoteManager[];
  error: string;
  /** Managers lock when their daemon restarts (autolock); only managers know. */
  autolock: boolean;
  /** The root CA's public key that signs the nodes' certificates (managers only); changes with `docker swarm ca --rotate`. */
  caIssuerKey: string;
}

export interface DockerInfo {
  serverVersion: string;
  name: string;
  swarm: SwarmInfo;
  /** Registries dockerd talks plain HTTP to (named ones and CIDRs, without the built-in 127.0.0.0/8). */
  insecureRegistries: string[];
}


function parseJson(stdout: string, what: string): Json {
  return asObject(parseJsonText(stdout, what));
}

/** Parses `docker info --format '{{json .}}'`. */
export function parseDockerInfo(stdout: string): DockerInfo {
  const info = parseJson(stdout, 'docker info');
  const swarm = asObject(info.Swarm);
  const registry = asObject(info.RegistryConfig);
  const indexConfigs = Object.values(asObject(registry.IndexConfigs)).map(asObject);
  const insecureNames = indexConfigs.filter((c) => c.Secure === false).map((c) => asString(c.Name));
  const cidrs = (Array.isArray(registry.InsecureRegistryCIDRs) ? registry.InsecureRegistryCIDRs : [])
    .map(asString)
    .filter((cidr) => cidr !== '' && cidr !== '127.0.0.0/8');
  const cluster = asObject(swarm.Cluster);
  return {
    serverVersion: asString(info.ServerVersion),
    name: asString(info.Name),
    swarm: {
      state: asString(swarm.LocalNodeState) || 'inactive',
      nodeId: asString(swarm.NodeID),
      nodeAddr: asString(swarm.NodeAddr),
      isManager: swarm.ControlAvailable === true,
      ...(asString(cluster.ID) && { clusterId: asString(cluster.ID) }),
      remoteManagers: (Array.isArray(swarm.RemoteManagers) ? swarm.RemoteManagers : []).map((m) => ({
        nodeId: asString(asObject(m).NodeID),
        addr: asString(asObject(m).Addr),
      })),
      error: asString(swarm.Error),
      autolock: asObject(asObject(cluster.Spec).EncryptionConfig).AutoLockManagers === true,
      caIssuerKey: asString(asObject(cluster.TLSInfo).CertIssuerPublicKey),
    },
    insecureRegistries: [...insecureNames, ...cidrs],
  };
}


/** Throws a FactError that says what to do when docker is missing or its daemon does not answer. */
export const dockerInfo = defineFact<Record<string, never>, DockerInfo>({
  name: 'docker_info',
  command: () => DOCKER_INFO_COMMAND,
  parse(result, _args, host) {
    if (result.exitCode === 127) throw new FactError(`docker is not installed on ${host} (no docker command on PATH)`);
    // A client newer than the daemon prints JSON with ServerErrors and exits 1 when the daemon is down.
    const serverErrors = result.stdout.trim().startsWith('{')
      ? (asObject(JSON.parse(result.stdout)).ServerErrors as unknown[] | undefined)
      : undefined;
    if (result.exitCode !== 0 || (serverErrors && serverErrors.length > 0)) {
      const detail = serverErrors?.length ? serverErrors.map(String).join('; ') : outputTail(result);
      throw new FactError(`the docker daemon on ${host} does not answer (${detail}); is docker running?`);
    }
    return parseDockerInfo(result.stdout);
  },
});

/**
 * A node that has been a member (it holds a node ID from its certificate) reads
 * "pending" after a daemon restart until it reaches a manager again, which can
 * take several seconds when managers restart together (no raft quorum yet). A
 * join that never completed is "pending" too, but without a node ID.
 */
export function isReconnectingMember(swarm: SwarmInfo): boolean {
  return swarm.state === 'pending' && swarm.nodeId !== '';
}

