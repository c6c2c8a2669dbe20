/**
 * Whether a replicated service's tasks are spread over the nodes that may
 * run them. Swarm never moves a running task by itself: after a node
 * returns (or is made active after maintenance) it stays empty until tasks
 * are replaced, which docker_service `rebalance: true` does with `docker
 * service update --force` only when this says the spread is uneven.
 *
 * The nodes that may run the service: Ready, active, and matching its
 * placement constraints on node.id, node.hostname, node.role and
 * node.labels.*; a constraint on anything else (engine labels, platform)
 * cannot be judged here and is taken as met, which at worst rebalances
 * a service that was balanced already.
 */
import type { SwarmNode } from '../facts/swarm-nodes.js';
import type { TaskLine } from '../facts/swarm-service.js';

export interface Balance {
  balanced: boolean;
  /** Running tasks per eligible node: "docker01 3, docker02 3, docker03 0". */
  spread: string;
}

function attribute(node: SwarmNode, key: string): string | undefined {
  if (key === 'node.id') return node.id;
  if (key === 'node.hostname') return node.hostname;
  if (key === 'node.role') return node.role;
  if (key.startsWith('node.labels.')) return node.labels[key.slice('node.labels.'.length)] ?? '';
  return undefined;
}

export function meetsConstraint(node: SwarmNode, constraint: string): boolean {
  const match = /^\s*([^=!\s]+)\s*(==|!=)\s*(.*?)\s*$/.exec(constraint);
  if (!match) return true;
  const value = attribute(node, match[1]!);
  if (value === undefined) return true;
  return match[2] === '==' ? value === match[3] : value !== match[3];
}

export function judgeBalance(nodes: readonly SwarmNode[], constraints: readonly string[], tasks: readonly TaskLine[]): Balance {
  const eligible = nodes
    .filter((node) => node.status === 'ready' && node.availability === 'active' && constraints.every((c) => meetsConstraint(node, c)))
    .map((node) => node.hostname)
    .sort();
  const counts = new Map(eligible.map((hostname) => [hostname, 0]));
  for (const task of tasks) {
    if (task.desiredState === 'running' && task.state === 'running' && counts.has(task.node)) counts.set(task.node, counts.get(task.node)! + 1);
  }
  const values = [...counts.values()];
  const spread = [...counts].map(([hostname, count]) => `${hostname} ${count}`).join(', ');
  return { balanced: values.length < 2 || Math.max(...values) - Math.min(...values) <= 1, spread };
}
