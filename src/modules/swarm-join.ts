/**
 * `swarm_join`: joins the host to the swarm whose manager is at
 * `manager_addr`, with the token handed over from swarm_init's result.
 *
 * - Already a member of this swarm (its known managers include manager_addr,
 *   or its cluster is `cluster_id`): ok. A role other than the one asked is
 *   reported in msg, not changed: only a manager can promote or demote, which
 *   is swarm_node's job (the walkthrough joins docker02 as a worker, then promotes it).
 * - A member of another swarm: a clear failure, or with `force: true` leave
 *   that swarm and join this one.
 * - Before joining, a TCP connect from the host to the manager proves the
 *   address is reachable: a join to an unreachable manager would block for
 *   20 s and then leave the node "pending", retrying in the background. If a
 *   join fails anyway, the pending attempt is cancelled (`swarm leave --force`)
 *   so no host is left half-joined.
 * - "pending" with a node ID is not a failed join but a member reconnecting
 *   after a daemon restart (docker_daemon restarting every node at once leaves
 *   the managers without quorum for a few seconds): the plan only waits for it
 *   (swarm_member_settled) and is made again, never making it leave.
 *   Cancelling it would drop a manager from the raft and can leave the swarm
 *   without a leader.
 */
import { z } from 'zod';
import { defineModule, type CommandStep, type Step, type ModuleContext, type Plan } from './types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import { hostOfAddress, portOfAddress, withDefaultPort } from './network-address.js';
import { dockerInfo, isReconnectingMember, parseDockerInfo, DOCKER_INFO_COMMAND, type SwarmInfo } from '../facts/docker-info.js';
import { tcpConnect } from '../facts/tcp-http.js';
import { resolveAdvertiseAddress, waitForReconnectingMember, SWARM_PORT } from './swarm-init.js';

const swarmJoinArgs = z
  .object({
    role: z.enum(['worker', 'manager']).default('worker'),
    /** The first manager's address, "ADDR" or "ADDR:2377" (swarm_init's manager_addr). */
    manager_addr: z.string().min(1),
    /** swarm_init's join_token_worker or join_token_manager. Empty in check mode before the swarm exists (see joinStep). */
    token: z.string(),
    /** swarm_init's cluster_id: recognises membership even when the managers' addresses changed. */
    cluster_id: z.string().optional(),
    advertise_addr: z.string().min(1).optional(),
    listen_addr: z.string().min(1).optional(),
    /** The address (or interface) this node's overlay traffic goes over, apart from the control traffic. */
    data_path_addr: z.string().min(1).optional(),
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

/** The sentence docker adds to a join that timed out: wrong once the attempt is cancelled. */
const CONTINUES_IN_BACKGROUND = ' *The attempt to join the swarm will continue in the background\\..*$';

interface JoinTarget {
  host: string;
  role: SwarmJoinArgs['role'];
  token: string;
  managerAddr: string;
  advertise?: string;
  listenAddr?: string;
  dataPathAddr?: string;
}

/**
 * The join. An empty token is refused on the host, before docker sees it,
 * rather than by plan(): modules never see check mode, and in check mode on
 * fresh hosts swarm_init has not run, so the token is empty there. Failing
 * the plan would make `swarmplay run --check` on a new cluster fail on every
 * joining host; this way it lists the join a real run takes, and a real run
 * with no token still stops with the same clear message, without running
 * docker. docker's output loses its "will continue in the background"
 * advice: the compensation cancels that attempt.
 */
export function joinStep(target: JoinTarget): CommandStep {
  const { host, managerAddr } = target;
  const options = [
    ...(target.advertise ? ['--advertise-addr', target.advertise] : []),
    ...(target.listenAddr ? ['--listen-addr', target.listenAddr] : []),
    ...(target.dataPathAddr ? ['--data-path-addr', target.dataPathAddr] : []),
    managerAddr,
  ];
  const noToken = `no join token given for ${host}: pass swarm_init's join_token_${target.role}`;
  const command = [
    `token=${quote(target.token)}`,
    `if [ -z "$token" ]; then printf '%s\n' ${quote(noToken)} >&2; exit 2; fi`,
    `out=$(docker swarm join --token "$token" ${quoteArgs(options)} 2>&1) && { printf '%s\\n' "$out"; exit 0; }`,
    'rc=$?',
    `printf '%s\\n' "$out" | sed ${quote(`s/${CONTINUES_IN_BACKGROUND}//`)} >&2`,
    'exit $rc',
  ].join('\n');
  return {
    kind: 'command',
    id: 'join',
    description: `docker swarm join ${managerAddr} as ${target.role}`,
    command,
    display: `docker swarm join --token ******** ${managerAddr}`,
    timeoutMs: 90_000,
    failMessage: `${host} could not join the swarm at ${managerAddr}`,
    onFailure: {
      steps: [cancelPendingJoin(host, managerAddr)],
      whenFailed: `the join may still be pending on ${host}: if docker info there reads "pending", run swarm_leave with force: true`,
    },
  };
}

/**
 * A join that timed out leaves the node "pending", retrying in the
 * background: cancel it, so no host is left half-joined. Only then is there
 * something to say (a join refused at once, a bad token, leaves nothing), so
 * the command prints its sentence itself (okExitCodes 'any': the runner adds
 * a compensation's output to the failure) instead of a whenDone that would
 * be said after every failed join.
 */
export function cancelPendingJoin(host: string, managerAddr: string): CommandStep {
  const cancelled = `the pending join was cancelled; ${host} is not in any swarm: check that ${host} reaches ${managerAddr} over TCP (a firewall?) and run again`;
  const unknown = `could not tell whether the failed join left ${host} pending`;
  const stillPending = `the pending join could not be cancelled, ${host} may keep retrying it in the background: run swarm_leave with force: true on it`;
  return {
    kind: 'command',
    description: 'cancel the join if it was left pending',
    display: `${LEAVE_FORCE} (only if the join was left pending)`,
    command: [
      `state=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>&1) || { printf '%s (%s)\n' ${quote(unknown)} "$state"; exit 1; }`,
      '[ "$state" = pending ] || exit 0',
      `if out=$(${LEAVE_FORCE} 2>&1); then printf '%s\n' ${quote(cancelled)}; else printf '%s (%s)\n' ${quote(stillPending)} "$out"; exit 1; fi`,
    ].join('\n'),
    okExitCodes: 'any',
  };
}

export const swarmJoin = defineModule({
  name: 'swarm_join',
  schema: swarmJoinArgs,
  secretArgs: ['token'],
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const managerAddr = withDefaultPort(args.manager_addr, SWARM_PORT);
    const { swarm } = await ctx.fact(dockerInfo, {});
    const result = { manager_addr: managerAddr, node_id: swarm.nodeId, role: swarm.isManager ? 'manager' : 'worker' };
    if (isReconnectingMember(swarm)) return { steps: [waitForReconnectingMember(args.reconnect_timeout, true)], planAgain: true, result };

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
      steps.push({ kind: 'command', id: 'leave', description: `leave the swarm of ${others} (force)`, command: LEAVE_FORCE, timeoutMs: 60_000 });
    } else if (swarm.state === 'pending') {
      // A join that never completed (manager unreachable then): cancel it before joining again.
      steps.push({ kind: 'command', id: 'leave', description: 'cancel the pending join attempt', command: LEAVE_FORCE, timeoutMs: 60_000 });
    } else if (swarm.state !== 'inactive') {
      return { steps: [], result, failed: `${ctx.host}'s swarm state is '${swarm.state}'${swarm.error ? ` (${swarm.error})` : ''}; leave it first (swarm_leave with force: true)` };
    }

    let advertise: string | undefined;
    if (args.advertise_addr !== undefined) {
      const resolved = resolveAdvertiseAddress(ctx.host, await ctx.facts(), args.advertise_addr);
      if ('error' in resolved) return { steps: [], result, failed: resolved.error };
      advertise = resolved.address;
    }

    const port = portOfAddress(managerAddr, SWARM_PORT);
    const reach = await ctx.fact(tcpConnect, { host: hostOfAddress(managerAddr), port, seconds: args.connect_timeout });
    if (reach === 'closed') {
      return {
        steps: [],
        result,
        failed: `${ctx.host} cannot reach the swarm manager at ${managerAddr} (TCP connect failed within ${args.connect_timeout} s): check manager_addr, that docker runs there, and that port ${port}/tcp is open; ${ctx.host} was not changed`,
      };
    }

    steps.push(
      joinStep({ host: ctx.host, role: args.role, token: args.token, managerAddr, advertise, listenAddr: args.listen_addr, dataPathAddr: args.data_path_addr }),
      {
        kind: 'command',
        id: 'info',
        description: 'read the node ID the join gave',
        command: DOCKER_INFO_COMMAND,
        // The node has joined by now: a failed read only leaves node_id out.
        okExitCodes: 'any',
      },
    );
    return { steps, result, msg: `join ${ctx.host} to the swarm at ${managerAddr} as ${args.role}` };
  },
  finish(args, outcomes) {
    if (outcomes.byId('join')?.run?.exitCode !== 0) return {};
    const info = outcomes.byId('info')?.run;
    try {
      if (info?.exitCode === 0) return { node_id: parseDockerInfo(info.stdout).swarm.nodeId, role: args.role };
    } catch {
      // Unreadable: the role is still known.
    }
    return { role: args.role };
  },
});
