/**
 * `swarm_init`: makes the host the first manager of a new swarm, as the seed's
 * `docker swarm init --advertise-addr 192.168.20.6`. A host that already
 * manages a swarm is left alone (ok). Either way the result carries what the
 * other nodes need to join, so nobody copies a token from a screen:
 * join_token_worker, join_token_manager, manager_addr (ADDR:2377), node_id,
 * cluster_id. The tokens are secrets: they appear in the registered result
 * only (the runner's redactor masks SWMTKN-... in every output), never in msg.
 *
 * The advertise address is checked against the host's own addresses first:
 * dockerd 20.10 accepts an address the host does not have, and the other
 * nodes then fail to join much later with a timeout.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan } from './types.js';
import type { HostFacts } from '../facts/host-facts.js';
import { quoteArgs } from '../transport/shell-quote.js';
import {
  commandOutputTail, hostOfAddress, isIpAddress, isReconnectingMember, readSettledDockerInfo, withDefaultPort, DOCKER_INFO_COMMAND, parseDockerInfo,
} from './docker-cli.js';

export const SWARM_PORT = 2377;

const swarmInitArgs = z
  .object({
    /** An address of the host, or the name of one of its interfaces; default: the default route's address. */
    advertise_addr: z.string().min(1).optional(),
    listen_addr: z.string().min(1).optional(),
    /** Seconds to wait for a member that reads "pending" (reconnecting after a daemon restart) to reach its managers. */
    reconnect_timeout: z.number().int().positive().default(60),
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

export function joinTokenCommand(role: 'worker' | 'manager'): string {
  return quoteArgs(['docker', 'swarm', 'join-token', '-q', role]);
}

/** The join tokens, read on a manager. */
async function readJoinTokens(run: (command: string) => Promise<{ stdout: string; stderr: string; exitCode: number }>, host: string) {
  const tokens: Record<string, string> = {};
  for (const role of ['worker', 'manager'] as const) {
    const result = await run(joinTokenCommand(role));
    if (result.exitCode !== 0) throw new Error(`cannot read the ${role} join token on ${host}: ${commandOutputTail(result)}`);
    tokens[`join_token_${role}`] = result.stdout.trim();
  }
  return tokens;
}

function managerAddress(nodeAddr: string, fallback: string): string {
  return withDefaultPort(nodeAddr || hostOfAddress(fallback), SWARM_PORT);
}

export const swarmInit = defineModule({
  name: 'swarm_init',
  schema: swarmInitArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const info = await readSettledDockerInfo(ctx, args.reconnect_timeout);
    const { swarm } = info;
    if (swarm.state === 'active' && swarm.isManager) {
      const tokens = await readJoinTokens((c) => ctx.probe(c), ctx.host);
      return {
        steps: [],
        msg: `${ctx.host} already manages swarm${swarm.clusterId ? ` ${swarm.clusterId}` : ''}, advertising ${swarm.nodeAddr}`,
        result: { ...tokens, manager_addr: managerAddress(swarm.nodeAddr, ''), node_id: swarm.nodeId, cluster_id: swarm.clusterId ?? '' },
      };
    }
    if (swarm.state === 'active') {
      return { steps: [], failed: `${ctx.host} is a worker of another swarm (managers: ${swarm.remoteManagers.map((m) => m.addr).join(', ')}); make it leave first (swarm_leave) or run swarm_init elsewhere` };
    }
    if (isReconnectingMember(swarm)) {
      // Never advise leaving here: the node holds swarm state that a leave would throw away.
      return { steps: [], failed: `${ctx.host} is a member of a swarm (node ${swarm.nodeId}) that has not reached its managers (${swarm.remoteManagers.map((m) => m.addr).join(', ') || 'unknown'}) within ${args.reconnect_timeout} s${swarm.error ? ` (${swarm.error})` : ''}; ${ctx.host} was not changed: check that docker runs on those managers and that port ${SWARM_PORT}/tcp is open between them, then run again` };
    }
    if (swarm.state !== 'inactive') {
      return { steps: [], failed: `${ctx.host}'s swarm state is '${swarm.state}'${swarm.error ? ` (${swarm.error})` : ''}: leave it first (swarm_leave with force: true)` };
    }
    const resolved = resolveAdvertiseAddress(ctx.host, await ctx.facts(), args.advertise_addr);
    if ('error' in resolved) return { steps: [], failed: resolved.error };
    const advertise = resolved.address;
    const command = quoteArgs([
      'docker', 'swarm', 'init', '--advertise-addr', advertise,
      ...(args.listen_addr ? ['--listen-addr', args.listen_addr] : []),
    ]);
    return {
      steps: [{
        kind: 'apply',
        description: `docker swarm init --advertise-addr ${advertise}`,
        async apply(host) {
          const init = await host.run(command, { timeoutMs: 60_000 });
          if (init.exitCode !== 0) throw new Error(`docker swarm init failed on ${host.host}: ${commandOutputTail(init)}`);
          const after = await host.run(DOCKER_INFO_COMMAND);
          const swarmAfter = after.exitCode === 0 ? parseDockerInfo(after.stdout).swarm : undefined;
          const tokens = await readJoinTokens((c) => host.run(c), host.host);
          return {
            ...tokens,
            manager_addr: managerAddress(swarmAfter?.nodeAddr ?? '', advertise),
            node_id: swarmAfter?.nodeId ?? '',
            cluster_id: swarmAfter?.clusterId ?? '',
          };
        },
      }],
      msg: `initialise a swarm on ${ctx.host} advertising ${advertise}`,
      result: { manager_addr: managerAddress('', advertise) },
    };
  },
  finish(_args, outcomes) {
    return { ...outcomes.find((o) => o.applied)?.applied };
  },
});
