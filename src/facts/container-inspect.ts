/**
 * `container_inspect`: one container's state from `docker container inspect
 * NAME --format '{{json .}}'` (image, running, restart policy, published
 * ports, bind mounts), or null when there is no such container. The one
 * parser of that output; checked on test/fixtures/docker/container-inspect-registry.json.
 */
import { asObject, asString, parseJsonText } from './docker-json.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { defineFact, FactError } from './types.js';
import { outputTail } from '../transport/output-tail.js';

export interface ContainerState {
  id: string;
  image: string;
  running: boolean;
  status: string;
  restartPolicy: string;
  /** Container port ("5000/tcp") -> host ports. */
  ports: Record<string, string[]>;
  /** Container port -> "HOST_IP:HOST_PORT" as bound ("" for an IP not given: every address). */
  portBindings: Record<string, string[]>;
  /** HostConfig.Binds as given to docker ("/src:/dst:rw", "name:/dst"). */
  bindSpecs: string[];
  /** Host path -> container path, for bind mounts. */
  binds: Record<string, string>;
  /** Volume name -> container path, for named volumes. */
  volumes: Record<string, string>;
  /** "KEY=VALUE", the image's and the container's own. */
  env: string[];
  /** The command (Config.Cmd) as words. */
  cmd: string[];
}

export function containerInspectCommand(name: string): string {
  return `${quoteArgs(['docker', 'container', 'inspect', name])} --format '{{json .}}'`;
}

export function parseContainerInspect(stdout: string): ContainerState {
  const container = asObject(parseJsonText(stdout, 'docker container inspect'));
  const state = asObject(container.State);
  const hostConfig = asObject(container.HostConfig);
  const ports: Record<string, string[]> = {};
  const portBindings: Record<string, string[]> = {};
  for (const [port, bindings] of Object.entries(asObject(hostConfig.PortBindings))) {
    ports[port] = (Array.isArray(bindings) ? bindings : []).map((b) => asString(asObject(b).HostPort));
    portBindings[port] = (Array.isArray(bindings) ? bindings : []).map((b) => `${asString(asObject(b).HostIp)}:${asString(asObject(b).HostPort)}`);
  }
  const binds: Record<string, string> = {};
  const volumes: Record<string, string> = {};
  for (const mount of Array.isArray(container.Mounts) ? container.Mounts : []) {
    const m = asObject(mount);
    if (m.Type === 'bind') binds[asString(m.Source)] = asString(m.Destination);
    if (m.Type === 'volume') volumes[asString(m.Name)] = asString(m.Destination);
  }
  const config = asObject(container.Config);
  const strings = (value: unknown) => (Array.isArray(value) ? value.map(asString) : []);
  return {
    id: asString(container.Id),
    image: asString(asObject(container.Config).Image),
    running: state.Running === true,
    status: asString(state.Status),
    restartPolicy: asString(asObject(hostConfig.RestartPolicy).Name),
    ports,
    portBindings,
    bindSpecs: Array.isArray(hostConfig.Binds) ? hostConfig.Binds.map(asString) : [],
    binds,
    volumes,
    env: strings(config.Env),
    cmd: strings(config.Cmd),
  };
}

export const containerInspect = defineFact<{ name: string }, ContainerState | null>({
  name: 'container_inspect',
  command: ({ name }) => containerInspectCommand(name),
  parse(result, { name }, host) {
    if (result.exitCode !== 0) {
      if (/no such (container|object)/i.test(`${result.stdout}\n${result.stderr}`)) return null;
      throw new FactError(`cannot inspect container ${name} on ${host}: ${outputTail(result)}`);
    }
    return parseContainerInspect(result.stdout);
  },
});
