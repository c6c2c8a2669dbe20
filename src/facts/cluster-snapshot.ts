/**
 * `cluster_snapshot`: the whole swarm as one manager sees it, in one round
 * trip of read-only docker commands: nodes, services and tasks, between
 * marker lines. The one reader of the cluster: `swarmplay status` and
 * `swarmplay ui` both read it here, through the parsers of swarm-nodes.ts and
 * swarm-service.ts.
 *
 * `history: false` reads only the tasks swarm wants running (what status
 * shows); `history: true` also the tasks it keeps from before (failed,
 * rejected, shut down: up to the swarm's task history limit per slot), so a
 * failed task's error stays visible.
 *
 * Exit 3: `docker node ls` refused (not a manager, no swarm, no leader, no docker).
 */
import { parseNodeInspect, type SwarmNode } from './swarm-nodes.js';
import { parseServiceInspect, parseServicePs, type ServiceState, type TaskLine } from './swarm-service.js';
import { defineFact, FactError } from './types.js';
import { outputTail } from '../transport/output-tail.js';

export interface ClusterSnapshot {
  /** The manager the state was read from (inventory name). */
  manager: string;
  takenAt: Date;
  nodes: SwarmNode[];
  services: ServiceState[];
  /** Tasks swarm wants running, and with `history` the older ones too. */
  tasks: TaskLine[];
}

export interface ClusterSnapshotArgs {
  history?: boolean;
}

export function clusterSnapshotCommand({ history = false }: ClusterSnapshotArgs = {}): string {
  return [
    'nodes=$(docker node ls -q 2>&1) || { printf "%s\\n" "$nodes" >&2; exit 3; }',
    'echo --nodes--',
    "docker node inspect --format '{{json .}}' $nodes",
    'echo --services--',
    'services=$(docker service ls -q)',
    "[ -z \"$services\" ] || docker service inspect --format '{{json .}}' $services",
    'echo --tasks--',
    `[ -z "$services" ] || docker service ps --no-trunc${history ? '' : ' --filter desired-state=running'} --format '{{json .}}' $services`,
  ].join('\n');
}

function section(stdout: string, name: string, next?: string): string {
  const start = stdout.indexOf(`--${name}--`);
  if (start < 0) throw new Error(`unexpected output from the manager (no --${name}-- section): ${JSON.stringify(stdout.slice(0, 200))}`);
  const from = start + name.length + 4;
  const end = next ? stdout.indexOf(`--${next}--`, from) : -1;
  return stdout.slice(from, end < 0 ? undefined : end);
}

const jsonLines = (text: string) => text.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('{'));

/** Parses clusterSnapshotCommand's output. */
export function parseClusterSnapshot(stdout: string, manager: string, takenAt: Date): ClusterSnapshot {
  return {
    manager,
    takenAt,
    nodes: jsonLines(section(stdout, 'nodes', 'services')).map(parseNodeInspect),
    services: jsonLines(section(stdout, 'services', 'tasks')).map(parseServiceInspect),
    tasks: parseServicePs(section(stdout, 'tasks')),
  };
}

/** The manager could not answer: it is not one, the swarm has no leader (quorum lost), docker is down. */
export class ClusterUnreadable extends FactError {
  constructor(message: string, readonly detail: string) {
    super(message);
  }

  /** The managers lost their quorum: no node can answer until enough managers are back. */
  get quorumLost(): boolean {
    return /does not have a leader|no leader|quorum/i.test(this.detail);
  }

  get notAManager(): boolean {
    return /not a swarm manager|swarm mode/i.test(this.detail);
  }
}

export const clusterSnapshot = defineFact<ClusterSnapshotArgs, ClusterSnapshot>({
  name: 'cluster_snapshot',
  command: (args) => clusterSnapshotCommand(args),
  parse(result, _args, host) {
    if (result.exitCode !== 0) {
      const detail = outputTail(result);
      throw new ClusterUnreadable(`cannot read the swarm on ${host}: ${detail}`, detail);
    }
    return parseClusterSnapshot(result.stdout, host, new Date());
  },
});
