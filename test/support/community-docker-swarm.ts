/**
 * The swarm test/fixtures/community-docker/swarm.yaml builds, read from
 * outside swarmplay (OpenSSH's client and the docker CLI on the hosts), with
 * the IDs and times left out so that two builds of it compare equal.
 */
import path from 'node:path';
import { REPO_ROOT } from './cli.js';
import type { TestLab } from './lab.js';

export const COMMUNITY_PLAYBOOK = path.join(REPO_ROOT, 'test/fixtures/community-docker/swarm.yaml');
/** The password the playbook logs in with: it must appear in no output. */
export const LOGIN_PASSWORD = 'cd-secret-0f3a9';

const MANAGER_STATE = [
  "docker node ls --format '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}' | sort",
  "for n in $(docker node ls -q); do docker node inspect $n --format '{{.Description.Hostname}} {{json .Spec.Labels}}'; done | sort",
  "docker network inspect cd_net --format '{{.Driver}} {{.Scope}} attachable={{.Attachable}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}'",
  "docker container inspect cd_registry --format '{{.Config.Image}} {{.State.Status}} {{.HostConfig.RestartPolicy.Name}} {{json .HostConfig.PortBindings}} {{json .HostConfig.Binds}}'",
  "docker service inspect cd_web --format '{{.Spec.TaskTemplate.ContainerSpec.Image}} {{.Spec.Mode.Replicated.Replicas}} {{json .Spec.TaskTemplate.ContainerSpec.Env}} {{json .Spec.TaskTemplate.Placement.Constraints}} {{json .Spec.EndpointSpec.Ports}} {{.Spec.UpdateConfig.Parallelism}} {{.Spec.UpdateConfig.Order}}'",
  "docker service ps cd_web --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' | cut -d' ' -f1-2",
  "wget -qO- http://127.0.0.1:5000/v2/_catalog",
  "sed -n 's/.*\"\\(127.0.0.1:5000\\)\".*/login \\1/p' /root/.docker/config.json",
].join('; echo; ');

export interface SwarmState {
  manager: string;
  /** Each host's swarm state and manager flag. */
  members: Record<string, string>;
}

export async function readSwarm(lab: TestLab): Promise<SwarmState> {
  const members: Record<string, string> = {};
  for (const host of Object.keys(lab.hosts)) {
    members[host] = (await lab.ssh(host, "docker info --format '{{.Swarm.LocalNodeState}} manager={{.Swarm.ControlAvailable}}'")).trim();
  }
  return { manager: await lab.ssh('docker01', MANAGER_STATE), members };
}

/** Leaves the swarm everywhere and removes what the playbook made, so it can build it again. */
export async function resetHosts(lab: TestLab): Promise<void> {
  await Promise.all(Object.keys(lab.hosts).map((host) => lab.ssh(host,
    'docker swarm leave --force >/dev/null 2>&1; docker rm -f cd_registry >/dev/null 2>&1; docker rmi 127.0.0.1:5000/cd-web >/dev/null 2>&1; rm -rf /root/.docker /var/lib/cd-registry; true')));
}
