/**
 * community.docker's modules, by their full names, and the short names
 * Ansible routes to them. `docker_network` and `docker_image` are not among
 * the short names: they stay swarmplay's own modules (other arguments, other
 * defaults), so the playbooks written for those keep working; the
 * collection's are `community.docker.docker_network` and `community.docker.docker_image`.
 */
const SHORT_NAMES = [
  'docker_swarm', 'docker_node', 'docker_swarm_service', 'docker_login', 'docker_swarm_info', 'docker_node_info', 'docker_host_info', 'docker_container', 'docker_compose_v2', 'docker_volume',
];

/** Short name -> full name. */
export const COMMUNITY_DOCKER_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(
  SHORT_NAMES.map((name) => [name, `community.docker.${name}`]),
);
