/**
 * `swarm_init`: makes the host the first manager of a new swarm, as the walkthrough's
 * `docker swarm init --advertise-addr 192.168.20.6`. A host that already
 * manages a swarm is left alone (ok). Either way the result carries what the
 * other nodes need to join, so nobody copies a token from a screen:
 * join_token_worker, join_token_manager, manager_addr (ADDR:2377), node_id,
 * cluster_id. The tokens are secrets: they appear in the registered result
 * only (the runner's redactor masks SWMTKN-... in every output), never in msg.
 *
 * `rotate_tokens: worker|manager|both` replaces the join tokens of a swarm
 * the host already manages (`docker swarm join-token --rotate`), after a
 * token leaked: joins with the old token are refused from then on, and the
 * result carries the new ones, so the rest of bootstrap joins with them.
 * Every run with it rotates again (changed). A swarm just initialised has
 * fresh tokens: nothing is rotated there.
 *
 * The advertise address is checked against the host's own addresses first:
 * dockerd 20.10 accepts an address the host does not have, and the other
 * nodes then fail to join much later with a timeout.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type Step, type WaitStep } from './types.js';
import type { HostFacts } from '../facts/host-facts.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { hostOfAddress, isIpAddress, withDefaultPort } from './network-address.js';
import { dockerInfo, isReconnectingMember, parseDockerInfo, DOCKER_INFO_COMMAND } from '../facts/docker-info.js';
import { swarmJoinToken } from '../facts/swarm-join-token.js';

export const SWARM_PORT = 2377;

const swarmInitArgs = z
  .object({
    /** An address of the host, or the name of one of its interfaces; default: the default route's address. */
    advertise_addr: z.string().min(1).optional(),
    listen_addr: z.string().min(1).optional(),
    /** Seconds to wait for a member that reads "pending" (reconnecting after a daemon restart) to reach its managers. */
    reconnect_timeout: z.number().int().positive().default(60),
    rotate_tokens: z.enum(['worker', 'manager', 'both']).nullish().transform((v) => v ?? undefined),
    /** Address pools overlay networks take their subnets from (init only: docker cannot change them later). */
    default_addr_pool: z.array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'a pool in CIDR form, e.g. 10.20.0.0/16')).min(1).optional(),
    /** The prefix length of each network's subnet taken from the pools (docker's default 24). */
    subnet_size: z.number().int().min(8).max(30).optional(),
  })
  .strict();

export type SwarmInitArgs = z.infer<typeof swarmInitArgs>;

/**
 * The address to advertise: an IP the host has, the first IPv4 of a named
 * interface, or (nothing asked) the default route's address. Returns an error
 * message instead when the host has no such address.
 */
export function resolveAdvertiseAddress(
  host: string,
  facts: HostFacts,
  wanted: string | undefined,
): { address: string } | { error: string } {
  const interfaces = facts.interfaces ?? [];
  const known = interfaces.flatMap((i) => i.ipv4);
  const listing = interfaces.map((i) => `${i.name} ${i.ipv4.join(',') || '-'}`).join('; ');
  if (wanted === undefined) {
    if (facts.defaultIpv4) return { address: facts.defaultIpv4 };
    const candidates = known.filter((ip) => !ip.startsWith('127.'));
    if (candidates.length === 1) return { address: candidates[0]! };
    return { error: `cannot choose an address to advertise on ${host} (no default route; addresses: ${listing || 'none'}): set advertise_addr` };
  }
  const ip = hostOfAddress(wanted);
  if (isIpAddress(ip)) {
    // Facts that list no interface at all cannot refute the address: let docker judge.
    if (known.length > 0 && !known.includes(ip) && ip.includes('.')) {
      return { error: `advertise address ${ip} is not an address of ${host} (its interfaces: ${listing}); give one of them, or an interface name` };
    }
    return { address: wanted };
  }
  const byName = interfaces.find((i) => i.name === wanted);
  if (byName?.ipv4[0]) return { address: byName.ipv4[0] };
  return { error: `advertise address '${wanted}' is neither an address nor an interface with an IPv4 address on ${host} (its interfaces: ${listing || 'none'})` };
}

/**
 * A member reconnecting after a daemon restart ("pending" with a node ID) is
 * waited for, never changed: the runner plans again once it has reached its
 * managers, or fails with what to check after `reconnect_timeout` seconds.
 */
export function waitForReconnectingMember(reconnectTimeout: number, leaveHint: boolean): WaitStep {
  return {
    kind: 'wait',
    id: 'settled',
    description: 'wait for the swarm member to reach its managers after a restart',
    condition: 'swarm_member_settled',
    args: { leaveHint },
    intervalMs: 1000,
    timeoutMs: reconnectTimeout * 1000,
    waitingFor: 'the reconnecting swarm member to reach its managers',
  };
}

function managerAddress(nodeAddr: string, fallback: string): string {
  return withDefaultPort(nodeAddr || hostOfAddress(fallback), SWARM_PORT);
}

const TOKEN_STEP_ID = { worker: 'worker_token', manager: 'manager_token' } as const;
const ROTATE_STEP_ID = { worker: 'rotate_worker', manager: 'rotate_manager' } as const;

function rolesToRotate(rotate: SwarmInitArgs['rotate_tokens']): ('worker' | 'manager')[] {
  if (rotate === 'both') return ['worker', 'manager'];
  return rotate ? [rotate] : [];
}

export const swarmInit = defineModule({
  name: 'swarm_init',
  schema: swarmInitArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const { swarm } = await ctx.fact(dockerInfo, {});
    // Its timeout message never advises leaving: the node holds swarm state that a leave would throw away.
    if (isReconnectingMember(swarm)) return { steps: [waitForReconnectingMember(args.reconnect_timeout, false)], planAgain: true };
    if (swarm.state === 'active' && swarm.isManager) {
      const tokens = {
        join_token_worker: await ctx.fact(swarmJoinToken, { role: 'worker' }),
        join_token_manager: await ctx.fact(swarmJoinToken, { role: 'manager' }),
      };
      // The new token is the rotation's only output (-q): it goes to the result, masked like any SWMTKN-.
      const rotations = rolesToRotate(args.rotate_tokens).map((role): Step => ({
        kind: 'command',
        id: ROTATE_STEP_ID[role],
        description: `docker swarm join-token --rotate ${role}`,
        command: quoteArgs(['docker', 'swarm', 'join-token', '--rotate', '-q', role]),
        failMessage: `cannot rotate the ${role} join token on ${ctx.host}`,
      }));
      return {
        steps: rotations,
        msg: `${ctx.host} already manages swarm${swarm.clusterId ? ` ${swarm.clusterId}` : ''}, advertising ${swarm.nodeAddr}` +
          (rotations.length ? `; rotate the ${rolesToRotate(args.rotate_tokens).join(' and ')} join token${rotations.length > 1 ? 's' : ''}` : ''),
        result: { ...tokens, manager_addr: managerAddress(swarm.nodeAddr, ''), node_id: swarm.nodeId, cluster_id: swarm.clusterId ?? '' },
      };
    }
    if (swarm.state === 'active') {
      return { steps: [], failed: `${ctx.host} is a worker of another swarm (managers: ${swarm.remoteManagers.map((m) => m.addr).join(', ')}); make it leave first (swarm_leave) or run swarm_init elsewhere` };
    }
    if (swarm.state !== 'inactive') {
      return { steps: [], failed: `${ctx.host}'s swarm state is '${swarm.state}'${swarm.error ? ` (${swarm.error})` : ''}: leave it first (swarm_leave with force: true)` };
    }
    const resolved = resolveAdvertiseAddress(ctx.host, await ctx.facts(), args.advertise_addr);
    if ('error' in resolved) return { steps: [], failed: resolved.error };
    const advertise = resolved.address;
    const steps: Step[] = [
      {
        kind: 'command',
        id: 'init',
        description: `docker swarm init --advertise-addr ${advertise}`,
        command: quoteArgs([
          'docker', 'swarm', 'init', '--advertise-addr', advertise,
          ...(args.listen_addr ? ['--listen-addr', args.listen_addr] : []),
          ...(args.default_addr_pool ?? []).flatMap((pool) => ['--default-addr-pool', pool]),
          ...(args.subnet_size !== undefined ? ['--default-addr-pool-mask-length', String(args.subnet_size)] : []),
        ]),
        timeoutMs: 60_000,
        failMessage: `docker swarm init failed on ${ctx.host}`,
      },
      // What the other nodes need to join. The tokens are in the output only (the runner masks SWMTKN-...).
      ...(['worker', 'manager'] as const).map((role): Step => ({
        kind: 'command',
        id: TOKEN_STEP_ID[role],
        description: `read the ${role} join token`,
        command: swarmJoinToken.command({ role }),
        failMessage: `cannot read the ${role} join token on ${ctx.host}`,
      })),
      {
        kind: 'command',
        id: 'info',
        description: 'read the new swarm\'s node and cluster IDs',
        command: DOCKER_INFO_COMMAND,
        // The swarm exists by now: a failed read only leaves node_id and cluster_id empty.
        okExitCodes: 'any',
      },
    ];
    return {
      steps,
      msg: `initialise a swarm on ${ctx.host} advertising ${advertise}`,
      result: { manager_addr: managerAddress('', advertise) },
    };
  },
  finish(args, outcomes, plan) {
    if (outcomes.byId('init') === undefined) {
      const rotated: Record<string, unknown> = {};
      for (const role of rolesToRotate(args.rotate_tokens)) {
        const run = outcomes.byId(ROTATE_STEP_ID[role])?.run;
        if (run?.exitCode === 0) rotated[`join_token_${role}`] = swarmJoinToken.parse(run, { role }, '');
      }
      return rotated;
    }
    if (outcomes.byId('init')?.run?.exitCode !== 0) return {};
    const result: Record<string, unknown> = {};
    for (const role of ['worker', 'manager'] as const) {
      const read = outcomes.byId(TOKEN_STEP_ID[role])?.run;
      if (read?.exitCode === 0) result[`join_token_${role}`] = swarmJoinToken.parse(read, { role }, '');
    }
    const info = outcomes.byId('info')?.run;
    let swarm;
    try {
      swarm = info?.exitCode === 0 ? parseDockerInfo(info.stdout).swarm : undefined;
    } catch {
      swarm = undefined;
    }
    return {
      ...result,
      manager_addr: swarm?.nodeAddr ? managerAddress(swarm.nodeAddr, '') : plan.result?.manager_addr,
      node_id: swarm?.nodeId ?? '',
      cluster_id: swarm?.clusterId ?? '',
    };
  },
});
