/**
 * `swarm_join`: joins the host to the swarm whose manager is at
 * `manager_addr`, with the token handed over from swarm_init's result.
 *
 * - Already a member of this swarm (its known managers include manager_addr,
 *   or its cluster is `cluster_id`): ok. A role other than the one asked is
 *   reported in msg, not changed: only a manager can promote or demote, which
 *   is swarm_node's job (the seed joins docker02 as a worker, then promotes it).
 * - A member of another swarm: a clear failure, or with `force: true` leave
 *   that swarm and join this one.
 * - Before joining, a TCP connect from the host to the manager proves the
 *   address is reachable: a join to an unreachable manager would block for
 *   20 s and then leave the node "pending", retrying in the background. If a
 *   join fails anyway, the pending attempt is cancelled (`swarm leave --force`)
 *   so no host is left half-joined.
 * - "pending" with a node ID is not a failed join but a member reconnecting
 *   after a daemon restart (docker_daemon restarting every node at once leaves
 *   the managers without quorum for a few seconds): wait for it, and never
 *   make it leave. Cancelling it would drop a manager from the raft and can
 *   leave the swarm without a leader.
 */
import { z } from 'zod';
import { defineModule, type ApplyContext, type Step, type ModuleContext, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import {
  commandOutputTail, hostOfAddress, isReconnectingMember, parseDockerInfo, portOfAddress, readSettledDockerInfo, withDefaultPort,
  DOCKER_INFO_COMMAND, type SwarmInfo,
} from './docker-cli.js';
import { tcpConnectProbe } from '../facts/tcp-http.js';
import { resolveAdvertiseAddress, SWARM_PORT } from './swarm-init.js';

const swarmJoinArgs = z
  .object({
    role: z.enum(['worker', 'manager']).default('worker'),
    /** The first manager's address, "ADDR" or "ADDR:2377" (swarm_init's manager_addr). */
    manager_addr: z.string().min(1),
    /** swarm_init's join_token_worker or join_token_manager. Empty only in check mode, before the swarm exists. */
    token: z.string(),
    /** swarm_init's cluster_id: recognises membership even when the managers' addresses changed. */
    cluster_id: z.string().optional(),
    advertise_addr: z.string().min(1).optional(),
    listen_addr: z.string().min(1).optional(),
    force: booleanArg.default(false),
    /** Seconds the reachability test waits for the manager. */
    connect_timeout: z.number().int().positive().default(3),
    /** Seconds to wait for a member that reads "pending" (reconnecting after a restart) to reach its managers. */
    reconnect_timeout: z.number().int().positive().default(60),
  })
  .strict();

export type SwarmJoinArgs = z.infer<typeof swarmJoinArgs>;

function isMemberOf(swarm: SwarmInfo, managerAddr: string, clusterId: string | undefined): boolean {
  if (clusterId && swarm.clusterId && swarm.clusterId === clusterId) return true;
  return swarm.remoteManagers.some((m) => m.addr === managerAddr);
}

const LEAVE_FORCE = quoteArgs(['docker', 'swarm', 'leave', '--force']);

export const swarmJoin = defineModule({
  name: 'swarm_join',
  schema: swarmJoinArgs,
  secretArgs: ['token'],
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const managerAddr = withDefaultPort(args.manager_addr, SWARM_PORT);
    const info = await readSettledDockerInfo(ctx, args.reconnect_timeout);
    const { swarm } = info;
    const result = { manager_addr: managerAddr, node_id: swarm.nodeId, role: swarm.isManager ? 'manager' : 'worker' };

    if (swarm.state === 'active' && isMemberOf(swarm, managerAddr, args.cluster_id)) {
      const role = swarm.isManager ? 'manager' : 'worker';
      return {
        steps: [],
        result,
        msg: role === args.role
          ? `${ctx.host} is already a ${role} of this swarm`
          : `${ctx.host} is already a ${role} of this swarm (asked: ${args.role}); swarm_node run on a manager changes the role`,
      };
    }

    const steps: Step[] = [];
    if (swarm.state === 'active') {
      const others = swarm.remoteManagers.map((m) => m.addr).join(', ') || 'unknown managers';
      if (!args.force) {
        return {
          steps: [],
          result,
          failed: `${ctx.host} is already in another swarm (managers: ${others}), not the one at ${managerAddr}; make it leave (swarm_leave) or pass force: true to leave and join`,
        };
      }
      steps.push({ kind: 'command', description: `leave the swarm of ${others} (force)`, command: LEAVE_FORCE });
    } else if (isReconnectingMember(swarm)) {
      const managers = swarm.remoteManagers.map((m) => m.addr).join(', ') || 'unknown managers';
      return {
        steps: [],
        result,
        failed: `${ctx.host} is a member of a swarm (node ${swarm.nodeId}) that has not reached its managers (${managers}) within ${args.reconnect_timeout} s${swarm.error ? ` (${swarm.error})` : ''}; ${ctx.host} was not changed: check that docker runs on those managers and that port ${SWARM_PORT}/tcp is open between the nodes, then run again (to drop that membership on purpose: swarm_leave with force: true)`,
      };
    } else if (swarm.state === 'pending') {
      // A join that never completed (manager unreachable then): cancel it before joining again.
      steps.push({ kind: 'command', description: 'cancel the pending join attempt', command: LEAVE_FORCE });
    } else if (swarm.state !== 'inactive') {
      return { steps: [], result, failed: `${ctx.host}'s swarm state is '${swarm.state}'${swarm.error ? ` (${swarm.error})` : ''}; leave it first (swarm_leave with force: true)` };
    }

    let advertise: string | undefined;
    if (args.advertise_addr !== undefined) {
      const resolved = resolveAdvertiseAddress(ctx.host, await ctx.facts(), args.advertise_addr);
      if ('error' in resolved) return { steps: [], result, failed: resolved.error };
      advertise = resolved.address;
    }

    const reach = await ctx.probe(tcpConnectProbe(hostOfAddress(managerAddr), portOfAddress(managerAddr, SWARM_PORT), args.connect_timeout));
    if (reach.exitCode === 1) {
      return {
        steps: [],
        result,
        failed: `${ctx.host} cannot reach the swarm manager at ${managerAddr} (TCP connect failed within ${args.connect_timeout} s): check manager_addr, that docker runs there, and that port ${portOfAddress(managerAddr, SWARM_PORT)}/tcp is open; ${ctx.host} was not changed`,
      };
    }
    if (args.token === '' && !ctx.checkMode) {
      return { steps: [], result, failed: `no join token given for ${ctx.host}: pass swarm_init's join_token_${args.role}` };
    }

    const joinWords = [
      'docker', 'swarm', 'join', '--token', args.token,
      ...(advertise ? ['--advertise-addr', advertise] : []),
      ...(args.listen_addr ? ['--listen-addr', args.listen_addr] : []),
      managerAddr,
    ];
    steps.push({
      kind: 'apply',
      description: `docker swarm join ${managerAddr} as ${args.role}`,
      async apply(host: ApplyContext) {
        const join = await host.run(quoteArgs(joinWords), { timeoutMs: 90_000, displayCommand: `docker swarm join --token ******** ${managerAddr}` });
        if (join.exitCode === 0) {
          const after = await host.run(DOCKER_INFO_COMMAND);
          return after.exitCode === 0 ? { node_id: parseDockerInfo(after.stdout).swarm.nodeId, role: args.role } : { role: args.role };
        }
        // Do not leave the node pending, retrying a join in the background.
        const state = await host.run(DOCKER_INFO_COMMAND);
        const pending = state.exitCode === 0 && parseDockerInfo(state.stdout).swarm.state === 'pending';
        if (pending) await host.run(LEAVE_FORCE);
        // docker's own advice ("will continue in the background") is wrong once the attempt is cancelled.
        const cause = commandOutputTail(join).replace(/\s*The attempt to join the swarm will continue in the background\..*$/s, '');
        throw new Error(
          `${host.host} could not join the swarm at ${managerAddr}: ${cause}` +
            (pending
              ? ` (the pending join was cancelled; ${host.host} is not in any swarm): check that ${host.host} reaches ${managerAddr} over TCP (a firewall?) and run again`
              : ''),
        );
      },
    });
    return { changes, result, msg: `join ${ctx.host} to the swarm at ${managerAddr} as ${args.role}` };
  },
  finish(_args, outcomes, plan) {
    return { ...plan.result, ...outcomes.find((o) => o.applied)?.applied };
  },
});
