/**
 * `swarm_node`: a node's role, availability and labels, or its removal, as
 * the walkthrough's `docker node promote docker02`, `docker node update
 * --availability drain docker01`, `docker node update --label-add mem=max
 * docker03` and `docker node rm docker03`. It runs on a manager (in a
 * playbook: `delegate_to: "{{ groups['managers'][0] }}"`) for the node named
 * by `node` (a hostname as `docker node ls` shows it, or a node ID).
 *
 * A hostname can name several nodes after a host left without `node rm` and
 * joined again: the one that is Ready is the node meant; the others are down
 * leftovers, which `state: absent` removes.
 *
 * Labels: `merge` adds or updates the given ones, `exact` also removes the
 * others, `absent` removes the given keys; `labels_to_remove` names keys to
 * remove besides (ignored for a key `labels` sets, and with `exact`).
 *
 * Draining (`availability: drain`) waits (`wait`, default true) until the
 * node runs no task and every replicated service is back to its replica
 * count elsewhere (the `node_drained` condition), so the next task can stop
 * the host. Demoting or removing a manager is refused when the remaining
 * managers would lose the raft quorum, and warned about when it leaves an
 * even count (swarm-quorum.ts).
 *
 * `state: absent` with `stale_only: true` removes only the entries of that
 * hostname that are not Ready (what a reinstalled host left behind) and
 * leaves a Ready one alone: bootstrap runs it before a host joins. A
 * manager's entry is demoted first, unless it is no longer in the managers'
 * raft group (what `--force-new-cluster` leaves of the other managers).
 */
import { z } from 'zod';
import { defineModule, type Step, type ModuleContext, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import { dockerInfo } from '../facts/docker-info.js';
import { nodeInspect, nodeList, type NodeListEntry, type SwarmNode } from '../facts/swarm-nodes.js';
import { judgeManagerLoss } from './swarm-quorum.js';

const labelValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const swarmNodeArgs = z
  .object({
    node: z.string().min(1),
    state: z.enum(['present', 'absent']).default('present'),
    // null (a playbook's `default(none)`) means "leave it as it is", like leaving the argument out.
    role: z.enum(['manager', 'worker']).nullish().transform((v) => v ?? undefined),
    availability: z.enum(['active', 'pause', 'drain']).nullish().transform((v) => v ?? undefined),
    labels: z.record(labelValue).nullish().transform((v) => v ?? undefined),
    labels_state: z.enum(['merge', 'exact', 'absent']).default('merge'),
    /** Label keys to remove besides (community.docker's docker_node): a key also in labels keeps its value. */
    labels_to_remove: z.array(z.string().min(1)).nullish().transform((v) => v ?? undefined),
    /** state absent: remove the node even while it is still up (`docker node rm --force`). */
    force: booleanArg.default(false),
    /** state absent: remove only the entries that are not Ready; ok when there are none. */
    stale_only: booleanArg.default(false),
    /** availability drain: wait until the node's tasks run elsewhere. */
    wait: booleanArg.default(true),
    /** Seconds the drain may take. */
    timeout: z.number().int().positive().default(300),
  })
  .strict();

export type SwarmNodeArgs = z.infer<typeof swarmNodeArgs>;

/** The `docker node update` flags that bring labels from `current` to what is asked. */
export function labelFlags(current: Record<string, string>, wanted: Record<string, string>, mode: SwarmNodeArgs['labels_state']): string[] {
  const flags: string[] = [];
  if (mode === 'absent') {
    for (const key of Object.keys(wanted)) if (Object.hasOwn(current, key)) flags.push('--label-rm', key);
    return flags;
  }
  for (const [key, value] of Object.entries(wanted)) if (current[key] !== value) flags.push('--label-add', `${key}=${value}`);
  if (mode === 'exact') for (const key of Object.keys(current)) if (!Object.hasOwn(wanted, key)) flags.push('--label-rm', key);
  return flags;
}

function labelsAfter(current: Record<string, string>, wanted: Record<string, string>, mode: SwarmNodeArgs['labels_state']): Record<string, string> {
  if (mode === 'exact') return { ...wanted };
  if (mode === 'absent') return Object.fromEntries(Object.entries(current).filter(([key]) => !Object.hasOwn(wanted, key)));
  return { ...current, ...wanted };
}

/** labels_to_remove as a labels map for the 'absent' rules: not with exact, never a key labels sets. */
function labelsToRemove(args: SwarmNodeArgs): Record<string, string> {
  if (!args.labels_to_remove || args.labels_state === 'exact') return {};
  return Object.fromEntries(args.labels_to_remove.filter((key) => !(args.labels && Object.hasOwn(args.labels, key))).map((key) => [key, '']));
}

function matching(nodes: NodeListEntry[], node: string): NodeListEntry[] {
  return nodes.filter((n) => n.hostname === node || n.id === node || (node.length >= 6 && n.id.startsWith(node)));
}

function describe(node: SwarmNode) {
  return { node_id: node.id, hostname: node.hostname, role: node.role, availability: node.availability, labels: node.labels, status: node.status };
}

export const swarmNode = defineModule({
  name: 'swarm_node',
  schema: swarmNodeArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const info = await ctx.fact(dockerInfo, {});
    if (info.swarm.state !== 'active' || !info.swarm.isManager) {
      return { steps: [], failed: `swarm_node must run on a swarm manager, and ${ctx.host} is not one (swarm state: ${info.swarm.state}); use delegate_to: a manager` };
    }
    const nodes = await ctx.fact(nodeList, {});
    const candidates = matching(nodes, args.node);

    if (args.state === 'absent') return planRemoval(ctx, args, nodes, candidates, info.swarm.nodeId);

    const ready = candidates.filter((n) => n.status === 'Ready');
    if (candidates.length === 0) {
      // A node that has just joined is listed without a hostname until its agent describes it.
      const undescribed = nodes.filter((n) => n.hostname === '');
      if (undescribed.length > 0) return { steps: [describedWait(undescribed.map((n) => n.id), args.node)], planAgain: true };
      return { steps: [], failed: `node ${args.node} is not in the swarm managed by ${info.name || ctx.host} (see docker node ls there); has it joined?` };
    }
    if (ready.length > 1) {
      return { steps: [], failed: `${args.node} names ${ready.length} ready nodes (${ready.map((n) => n.id).join(', ')}): give the node ID` };
    }
    const chosen = ready[0] ?? candidates[0]!;
    const node = await ctx.fact(nodeInspect, { node: chosen.id });
    if (!node) return { steps: [], failed: `node ${args.node} (${chosen.id}) left the swarm while being read` };

    const steps: Step[] = [];
    const warnings: string[] = [];
    if (args.role === 'manager' && node.role !== 'manager') {
      steps.push(...promoteSteps(node.id, node.hostname));
    } else if (args.role === 'worker' && node.role !== 'worker') {
      const quorum = judgeManagerLoss(nodes, node.id, `demoting ${node.hostname}`);
      if (quorum.refusal) return { steps: [], failed: quorum.refusal };
      if (quorum.warning) warnings.push(quorum.warning);
      steps.push({ kind: 'command', description: `docker node demote ${node.hostname}`, command: quoteArgs(['docker', 'node', 'demote', node.id]) });
    }
    const flags: string[] = [];
    if (args.availability && args.availability !== node.availability) flags.push('--availability', args.availability);
    if (args.labels) flags.push(...labelFlags(node.labels, args.labels, args.labels_state));
    const removals = labelsToRemove(args);
    flags.push(...labelFlags(node.labels, removals, 'absent'));
    if (flags.length > 0) {
      steps.push({
        kind: 'command',
        description: `docker node update ${flags.join(' ')} ${node.hostname}`,
        command: quoteArgs(['docker', 'node', 'update', ...flags, node.id]),
      });
    }
    if (args.wait && args.availability === 'drain') {
      // Also when already drained: a drain an earlier run did not see to its end is waited for (no change).
      steps.push(drainWait(node.id, node.hostname, args.timeout));
    }
    const after: SwarmNode = {
      ...node,
      role: args.role ?? node.role,
      availability: args.availability ?? node.availability,
      labels: labelsAfter(args.labels ? labelsAfter(node.labels, args.labels, args.labels_state) : node.labels, removals, 'absent'),
    };
    return { steps, result: describe(after), ...(warnings.length && { warnings }) };
  },
  finish(args, outcomes) {
    const unplaceable = (outcomes.byId('drained')?.waited?.unplaceable ?? []) as string[];
    if (unplaceable.length === 0) return {};
    return {
      unplaceable,
      msg: `${args.node} is drained; no other node may run ${unplaceable.join(', ')} (no suitable node), which stay below their count until ${args.node} is active again`,
    };
  },
});

function describedWait(nodeIds: string[], wanted: string): Step {
  return {
    kind: 'wait',
    description: `wait until the ${nodeIds.length === 1 ? 'node that has just joined names its host' : 'nodes that have just joined name their hosts'}`,
    condition: 'nodes_described',
    args: { node_ids: nodeIds },
    intervalMs: 300,
    timeoutMs: 30_000,
    waitingFor: `the swarm to know which node is ${wanted}`,
  };
}

function drainWait(nodeId: string, hostname: string, timeoutSeconds: number): Step {
  return {
    kind: 'wait',
    id: 'drained',
    description: `wait until ${hostname}'s tasks run elsewhere`,
    condition: 'node_drained',
    args: { node_id: nodeId, hostname },
    intervalMs: 1000,
    timeoutMs: timeoutSeconds * 1000,
    waitingFor: `${hostname} to be drained`,
  };
}

async function planRemoval(ctx: ModuleContext, args: SwarmNodeArgs, nodes: NodeListEntry[], allCandidates: NodeListEntry[], selfId: string): Promise<Plan> {
  const candidates = args.stale_only ? allCandidates.filter((c) => c.status !== 'Ready') : allCandidates;
  if (candidates.length === 0) return { steps: [], result: { removed: [] } };
  const steps: Step[] = [];
  const warnings: string[] = [];
  // Each removal is judged against the managers the earlier ones leave.
  let remaining = nodes;
  for (const candidate of candidates) {
    const node = await ctx.fact(nodeInspect, { node: candidate.id });
    if (!node) continue;
    const up = node.status === 'ready';
    if (up && !args.force) {
      return {
        steps: [],
        failed: `node ${args.node} (${node.id}) is still up: make it leave the swarm first (swarm_leave on it), or pass force: true`,
      };
    }
    // A manager entry --force-new-cluster left behind is out of the raft group (no manager status):
    // docker refuses to demote it ("can't find manager in raft memberlist") and removes it as it is.
    if (node.role === 'manager' && node.reachability !== undefined) {
      if (node.leader || candidate.id === selfId) {
        return { steps: [], failed: `node ${args.node} is the manager this task runs on; remove it from another manager, or make the last manager leave with swarm_leave force: true` };
      }
      const quorum = judgeManagerLoss(remaining, node.id, `removing ${node.hostname}`);
      if (quorum.refusal) return { steps: [], failed: quorum.refusal };
      if (quorum.warning) warnings.push(quorum.warning);
      remaining = remaining.filter((n) => n.id !== node.id);
      steps.push({ kind: 'command', description: `docker node demote ${node.hostname}`, command: quoteArgs(['docker', 'node', 'demote', node.id]) });
    }
    steps.push({
      kind: 'command',
      description: `docker node rm ${args.force ? '--force ' : ''}${node.hostname} (${node.id})`,
      command: quoteArgs(['docker', 'node', 'rm', ...(args.force ? ['--force'] : []), node.id]),
    });
  }
  return { steps, result: { removed: candidates.map((c) => c.id) }, ...(warnings.length && { warnings }) };
}

const PROMOTION_TIMEOUT_MS = 60_000;

/**
 * `docker node promote` returns before the node has joined the managers'
 * raft group; until it reads "reachable" the swarm has not really gained a
 * manager (and losing another one then could cost the quorum), so the task
 * waits for it, as the walkthrough checks `docker node ls` for "Reachable".
 */
function promoteSteps(nodeId: string, hostname: string): Step[] {
  return [
    {
      kind: 'command',
      id: 'promote',
      description: `docker node promote ${hostname} (${nodeId})`,
      command: quoteArgs(['docker', 'node', 'promote', nodeId]),
      failMessage: `docker node promote ${hostname} failed`,
    },
    {
      kind: 'wait',
      id: 'reachable',
      description: `wait until ${hostname} is a reachable manager`,
      condition: 'node_reachable_manager',
      args: { node_id: nodeId },
      intervalMs: 500,
      timeoutMs: PROMOTION_TIMEOUT_MS,
      waitingFor: `${hostname} to be a reachable manager`,
    },
  ];
}
