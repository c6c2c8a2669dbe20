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
 * `force_new_cluster: true` is the way back after the swarm lost its raft
 * quorum (most managers gone: `docker node ls` says the swarm "does not have
 * a leader"): `docker swarm init --force-new-cluster` on this manager makes it
 * the only manager of the same swarm (services, networks, workers and the
 * cluster ID kept), then waits until it lists the nodes again. It is refused
 * while this manager still sees a leader and an unreachable manager (the
 * swarm has quorum: forcing would throw the reachable managers' state
 * away), and it changes nothing when every manager it lists is reachable
 * (nothing to recover: a second run, or a recovery already done). The result
 * names the other managers of the lost quorum (`former_managers`, their
 * addresses) so that a playbook clears their state before they join again.
 *
 * `autolock: true` turns swarm autolock on (`docker swarm update
 * --autolock=true`): a manager whose daemon restarts stays locked until it
 * is given the unlock key. The key is kept in `unlock_key_file`, a
 * controller file encrypted with the run's vault password (created, or
 * rewritten when the key differs, e.g. after `docker swarm unlock-key
 * --rotate`); it is never printed nor in the result. A manager found locked
 * (`docker info` says "locked") is unlocked from that file (`docker swarm
 * unlock`, the key on stdin), after which the task goes on as usual; this is
 * how bootstrap.yaml brings a restarted manager back. `autolock: false`
 * turns it off; left out, autolock is left as it is.
 *
 * `ca_rotate: true` replaces the swarm's root CA (`docker swarm ca --rotate
 * --detach`) and waits (`ca_rotate_timeout` seconds) until every node holds a
 * certificate from the new one (condition swarm_ca_rotated); every run with
 * it rotates again. A node that is down holds the wait until it is back.
 *
 * `data_path_addr` and `data_path_port` (init only) set where overlay
 * traffic goes apart from the control traffic, and its UDP port.
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
import { nodeList, NODE_LIST_COMMAND, type NodeListEntry } from '../facts/swarm-nodes.js';
import { FactError } from '../facts/types.js';
import { booleanArg } from './argument-types.js';
import path from 'node:path';

export const SWARM_PORT = 2377;

const swarmInitArgs = z
  .object({
    /** An address of the host, or the name of one of its interfaces; default: the default route's address. */
    advertise_addr: z.string().min(1).optional(),
    listen_addr: z.string().min(1).optional(),
    /** Seconds to wait for a member that reads "pending" (reconnecting after a daemon restart) to reach its managers. */
    reconnect_timeout: z.number().int().positive().default(60),
    rotate_tokens: z.enum(['worker', 'manager', 'both']).nullish().transform((v) => v ?? undefined),
    /** After the swarm lost its quorum: make this manager the only one of the same swarm. */
    force_new_cluster: booleanArg.default(false),
    /** Seconds the recovered manager may take to list the nodes again. */
    recover_timeout: z.number().int().positive().default(60),
    /** Address pools overlay networks take their subnets from (init only: docker cannot change them later). */
    default_addr_pool: z.array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'a pool in CIDR form, e.g. 10.20.0.0/16')).min(1).optional(),
    /** The prefix length of each network's subnet taken from the pools (docker's default 24). */
    subnet_size: z.number().int().min(8).max(30).optional(),
    /** The address (or interface) overlay traffic goes over, apart from the control traffic (init only). */
    data_path_addr: z.string().min(1).optional(),
    /** The UDP port of overlay (VXLAN) traffic, docker's default 4789 (init only: docker cannot change it later). */
    data_path_port: z.number().int().min(1024).max(49151).optional(),
    autolock: booleanArg.nullish().transform((v) => v ?? undefined),
    /** The vault-encrypted file (on the controller, relative to the playbook) that keeps the unlock key. */
    unlock_key_file: z.string().min(1).nullish().transform((v) => v ?? undefined),
    ca_rotate: booleanArg.nullish().transform((v) => v ?? false),
    ca_rotate_timeout: z.number().int().positive().default(300),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.autolock === true && args.unlock_key_file === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['unlock_key_file'], message: 'autolock: true needs unlock_key_file, the vault-encrypted file on the controller that keeps the unlock key' });
    }
  });

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

/** `docker swarm init`, or its --force-new-cluster form that recovers a swarm from one manager. */
function initStep(
  host: string, advertise: string, args: Pick<SwarmInitArgs, 'listen_addr' | 'default_addr_pool' | 'subnet_size' | 'data_path_addr' | 'data_path_port'>, force: boolean,
): Step {
  const words = ['docker', 'swarm', 'init', ...(force ? ['--force-new-cluster'] : []), '--advertise-addr', advertise];
  return {
    kind: 'command',
    id: 'init',
    description: words.join(' '),
    command: quoteArgs([
      ...words,
      ...(args.listen_addr ? ['--listen-addr', args.listen_addr] : []),
      ...(args.default_addr_pool ?? []).flatMap((pool) => ['--default-addr-pool', pool]),
      ...(args.subnet_size !== undefined ? ['--default-addr-pool-mask-length', String(args.subnet_size)] : []),
      ...(args.data_path_addr ? ['--data-path-addr', args.data_path_addr] : []),
      ...(args.data_path_port !== undefined ? ['--data-path-port', String(args.data_path_port)] : []),
    ]),
    timeoutMs: 60_000,
    failMessage: `${words.slice(0, 3).join(' ')}${force ? ' --force-new-cluster' : ''} failed on ${host}`,
  };
}

/** What the other nodes need to join, read after an init. The tokens are in the output only (the runner masks SWMTKN-...). */
function readJoinSteps(host: string): Step[] {
  return [
    ...(['worker', 'manager'] as const).map((role): Step => ({
      kind: 'command',
      id: TOKEN_STEP_ID[role],
      description: `read the ${role} join token`,
      command: swarmJoinToken.command({ role }),
      failMessage: `cannot read the ${role} join token on ${host}`,
    })),
    {
      kind: 'command',
      id: 'info',
      description: 'read the swarm\'s node and cluster IDs',
      command: DOCKER_INFO_COMMAND,
      // The swarm exists by now: a failed read only leaves node_id and cluster_id empty.
      okExitCodes: 'any',
    },
  ];
}

const NO_LEADER = /does not have a leader/i;
const REACHABLE_MANAGER = new Set(['Leader', 'Reachable']);

/**
 * force_new_cluster on an active manager: undefined when the swarm needs no
 * recovery (every manager this one lists is reachable: the caller plans as
 * for any manager); a refusal while the swarm has quorum; else the forced
 * init and the wait for a working single-manager swarm.
 */
async function planRecovery(
  ctx: ModuleContext, args: SwarmInitArgs, remoteManagers: readonly { nodeId: string; addr: string }[], selfId: string,
): Promise<Plan | undefined> {
  let nodes: NodeListEntry[] | undefined;
  try {
    nodes = await ctx.fact(nodeList, {});
  } catch (error) {
    if (!(error instanceof FactError)) throw error;
    if (!NO_LEADER.test(error.message)) {
      return { steps: [], failed: `cannot tell whether the swarm lost its quorum: ${error.message}; nothing was changed (a manager just lost answers this way for a few seconds: run again)` };
    }
  }
  if (nodes) {
    const managers = nodes.filter((n) => n.managerStatus !== '');
    const unreachable = managers.filter((n) => !REACHABLE_MANAGER.has(n.managerStatus));
    if (unreachable.length === 0) return undefined;
    const reachable = managers.length - unreachable.length;
    return {
      steps: [],
      failed: `the swarm still has its quorum: ${ctx.host} sees a leader and ${reachable} of ${managers.length} managers reachable ` +
        `(unreachable: ${unreachable.map((n) => n.hostname).join(', ')}); --force-new-cluster is only for a swarm that lost it, ` +
        'and would throw the reachable managers\' state away. Bring the unreachable managers back, or remove them (swarm_node state: absent) and rejoin them with bootstrap.yaml; nothing was changed',
    };
  }
  const resolved = resolveAdvertiseAddress(ctx.host, await ctx.facts(), args.advertise_addr);
  if ('error' in resolved) return { steps: [], failed: resolved.error };
  const formerManagers = remoteManagers.filter((m) => m.nodeId !== selfId).map((m) => m.addr);
  return {
    steps: [
      initStep(ctx.host, resolved.address, args, true),
      {
        kind: 'wait',
        id: 'recovered',
        description: `wait until ${ctx.host} lists the swarm's nodes as its only manager`,
        condition: 'command_succeeds',
        args: { command: `${NODE_LIST_COMMAND} >/dev/null`, timeoutMs: 10_000 },
        intervalMs: 1000,
        timeoutMs: args.recover_timeout * 1000,
        waitingFor: `${ctx.host} to lead the recovered swarm`,
      },
      ...readJoinSteps(ctx.host),
    ],
    msg: `the swarm lost its quorum (${ctx.host} sees no leader): recover it on ${ctx.host}, advertising ${resolved.address}, as its only manager`,
    result: { manager_addr: managerAddress('', resolved.address), former_managers: formerManagers },
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

function autolockStep(on: boolean): Step {
  return {
    kind: 'command',
    description: `docker swarm update --autolock=${on}`,
    // Turning it on prints the unlock key: it goes nowhere, the key is read again (and masked) to be kept.
    command: `docker swarm update --autolock=${on} >/dev/null`,
    failMessage: `cannot turn autolock ${on ? 'on' : 'off'}`,
  };
}

/** A new root CA, then the wait until every node has a certificate from it. */
function caRotation(previousIssuerKey: string, timeoutSeconds: number): Step[] {
  return [
    {
      kind: 'command',
      description: 'docker swarm ca --rotate',
      // It prints the new root certificate (public): not needed, the wait reads the state.
      command: 'docker swarm ca --rotate --detach >/dev/null',
      timeoutMs: 60_000,
      failMessage: 'cannot rotate the swarm\'s root CA',
    },
    {
      kind: 'wait',
      description: 'wait until every node has a certificate from the new CA',
      condition: 'swarm_ca_rotated',
      args: { previousIssuerKey },
      intervalMs: 1000,
      timeoutMs: timeoutSeconds * 1000,
      waitingFor: 'every node to get a certificate from the new CA',
    },
  ];
}

function keyFilePath(ctx: ModuleContext, file: string): string {
  return path.resolve(ctx.playbookDir, file);
}

/** With autolock on: the unlock key written to its file when the file lacks it; turning it off. */
async function autolockSteps(ctx: ModuleContext, args: SwarmInitArgs, enabled: boolean): Promise<{ steps: Step[]; note: string } | { failed: string }> {
  if (args.autolock === false) return enabled ? { steps: [autolockStep(false)], note: '; turn autolock off' } : { steps: [], note: '' };
  if (!enabled || args.unlock_key_file === undefined) return { steps: [], note: '' };
  const read = await ctx.probe('docker swarm unlock-key -q');
  const key = read.stdout.trim();
  if (read.exitCode !== 0 || !key) return { failed: `cannot read the swarm's unlock key on ${ctx.host} (docker swarm unlock-key -q exited ${read.exitCode})` };
  ctx.addSecret(key);
  const file = keyFilePath(ctx, args.unlock_key_file);
  const kept = await ctx.readSecretFile(file);
  if (kept?.content.toString('utf8').trim() === key) return { steps: [], note: '' };
  return {
    steps: [{
      kind: 'controller_write',
      description: `keep the unlock key in ${args.unlock_key_file} (vault-encrypted)`,
      source: 'docker swarm unlock-key',
      path: file,
      content: Buffer.from(ctx.vaultEncrypt(`${key}\n`)),
      mode: 0o600,
    }],
    note: `; keep the unlock key in ${args.unlock_key_file}`,
  };
}

/** A locked manager (autolock, after a daemon restart) unlocked with the key from its file, then planned again. */
async function unlock(ctx: ModuleContext, args: SwarmInitArgs): Promise<Plan> {
  if (args.unlock_key_file === undefined) {
    return { steps: [], failed: `${ctx.host} is a locked swarm manager (autolock, after its daemon restarted): give unlock_key_file (bootstrap: swarm_unlock_key_file) or run docker swarm unlock on it` };
  }
  const kept = await ctx.readSecretFile(keyFilePath(ctx, args.unlock_key_file));
  const key = kept?.content.toString('utf8').trim();
  if (!key) return { steps: [], failed: `${ctx.host} is a locked swarm manager and ${args.unlock_key_file} holds no unlock key` };
  return {
    steps: [{
      kind: 'command',
      description: `docker swarm unlock (the key from ${args.unlock_key_file} on stdin)`,
      command: 'docker swarm unlock',
      stdin: `${key}\n`,
      timeoutMs: 60_000,
      failMessage: `cannot unlock the swarm manager ${ctx.host} with the key from ${args.unlock_key_file}`,
      failHints: [{ whenOutputMatches: 'invalid key|not the right key|incorrect', message: `${args.unlock_key_file} does not hold this swarm's unlock key` }],
    }],
    planAgain: true,
    msg: `unlock ${ctx.host} with the key from ${args.unlock_key_file}`,
  };
}

export const swarmInit = defineModule({
  name: 'swarm_init',
  schema: swarmInitArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const { swarm } = await ctx.fact(dockerInfo, {});
    // Its timeout message never advises leaving: the node holds swarm state that a leave would throw away.
    if (isReconnectingMember(swarm)) return { steps: [waitForReconnectingMember(args.reconnect_timeout, false)], planAgain: true };
    if (swarm.state === 'locked') return unlock(ctx, args);
    if (args.force_new_cluster && swarm.state === 'active' && swarm.isManager) {
      const recovery = await planRecovery(ctx, args, swarm.remoteManagers, swarm.nodeId);
      if (recovery) return recovery;
    }
    if (swarm.state === 'active' && swarm.isManager) {
      // The key is known only once autolock is on: turn it on, then plan again to keep the key.
      if (args.autolock === true && !swarm.autolock) {
        return {
          steps: [autolockStep(true)],
          planAgain: true,
          msg: `turn autolock on; the unlock key goes to ${args.unlock_key_file}`,
        };
      }
      const keySteps = await autolockSteps(ctx, args, swarm.autolock);
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
      if ('failed' in keySteps) return { steps: [], failed: keySteps.failed };
      const caSteps = args.ca_rotate ? caRotation(swarm.caIssuerKey, args.ca_rotate_timeout) : [];
      return {
        steps: [...rotations, ...keySteps.steps, ...caSteps],
        msg: `${ctx.host} already manages swarm${swarm.clusterId ? ` ${swarm.clusterId}` : ''}, advertising ${swarm.nodeAddr}` +
          (rotations.length ? `; rotate the ${rolesToRotate(args.rotate_tokens).join(' and ')} join token${rotations.length > 1 ? 's' : ''}` : '') +
          (args.force_new_cluster ? '; it has a leader and every manager it lists is reachable: nothing to recover' : '') +
          keySteps.note + (caSteps.length ? '; rotate the root CA' : ''),
        result: {
          ...tokens, manager_addr: managerAddress(swarm.nodeAddr, ''), node_id: swarm.nodeId, cluster_id: swarm.clusterId ?? '',
          ...(args.force_new_cluster && { former_managers: [] }),
        },
      };
    }
    if (swarm.state === 'active') {
      return { steps: [], failed: `${ctx.host} is a worker of another swarm (managers: ${swarm.remoteManagers.map((m) => m.addr).join(', ')}); make it leave first (swarm_leave) or run swarm_init elsewhere` };
    }
    if (swarm.state !== 'inactive') {
      return { steps: [], failed: `${ctx.host}'s swarm state is '${swarm.state}'${swarm.error ? ` (${swarm.error})` : ''}: leave it first (swarm_leave with force: true)` };
    }
    if (args.force_new_cluster) {
      return { steps: [], failed: `${ctx.host} is in no swarm (swarm state: ${swarm.state}): force_new_cluster recovers a swarm from one of its managers; name a host that was a manager` };
    }
    const resolved = resolveAdvertiseAddress(ctx.host, await ctx.facts(), args.advertise_addr);
    if ('error' in resolved) return { steps: [], failed: resolved.error };
    const advertise = resolved.address;
    return {
      steps: [initStep(ctx.host, advertise, args, false), ...readJoinSteps(ctx.host)],
      msg: `initialise a swarm on ${ctx.host} advertising ${advertise}`,
      result: { manager_addr: managerAddress('', advertise) },
      // Autolock and its key file are seen to on the new swarm.
      ...(args.autolock === true && { planAgain: true }),
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
      ...(plan.result?.former_managers !== undefined && { former_managers: plan.result.former_managers }),
      node_id: swarm?.nodeId ?? '',
      cluster_id: swarm?.clusterId ?? '',
    };
  },
});
