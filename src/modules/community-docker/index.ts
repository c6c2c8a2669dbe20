/**
 * community.docker's modules, by their full names, and the short names
 * Ansible routes to them. `docker_network` and `docker_image` are not among
 * the short names: they stay swarmplay's own modules (other arguments, other
 * defaults), so the playbooks written for those keep working; the
 * collection's are `community.docker.docker_network` and `community.docker.docker_image`.
 */
import type { ModuleDefinition } from '../types.js';
import { dockerSwarm } from './docker-swarm.js';
import { dockerNode } from './docker-node.js';
import { dockerSwarmService } from './docker-swarm-service.js';
import { communityDockerNetwork } from './docker-network.js';
import { communityDockerImage } from './docker-image.js';
import { dockerLogin } from './docker-login.js';
import { dockerSwarmInfo } from './docker-swarm-info.js';
import { dockerNodeInfo } from './docker-node-info.js';
import { dockerHostInfo } from './docker-host-info.js';
import { dockerContainer } from './docker-container.js';
import { dockerComposeV2 } from './docker-compose-v2.js';
import { dockerVolume } from './docker-volume.js';

export const COMMUNITY_DOCKER_MODULES: readonly ModuleDefinition[] = [
  dockerSwarm, dockerNode, dockerSwarmService, communityDockerNetwork, communityDockerImage, dockerLogin,
  dockerSwarmInfo, dockerNodeInfo, dockerHostInfo, dockerContainer, dockerComposeV2, dockerVolume,
] as readonly ModuleDefinition[];

const SHORT_NAMES = [
  'docker_swarm', 'docker_node', 'docker_swarm_service', 'docker_login', 'docker_swarm_info', 'docker_node_info', 'docker_host_info', 'docker_container', 'docker_compose_v2', 'docker_volume',
];

/** Short name -> full name. */
export const COMMUNITY_DOCKER_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(
  SHORT_NAMES.map((name) => [name, `community.docker.${name}`]),
);
