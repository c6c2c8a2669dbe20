/**
 * `meta:` tasks: they act on the run itself, not on a host (flushing
 * handlers, ending the play, a batch, a host or a role, dropping facts,
 * logging in anew, reading the inventory again). What they end is kept in
 * MetaEnds, which the play's task loop reads before each task.
 */
import { SwarmplayError } from '../errors.js';
import type { ModuleTask, RoleInstance } from '../language/playbook.js';
import { evaluateCondition } from '../language/expressions.js';
import type { HostState } from './host-state.js';
import type { PlayScope } from './variables.js';
import type { PlayRunnerDeps } from './play-runner.js';
import { scopeVars, type Scope } from './task-scope.js';

export const META_MODULE = 'meta';

/** What meta actions ended so far in one batch of a play. */
export class MetaEnds {
  /** meta: end_play was reached. */
  play = false;
  /** meta: end_batch was reached: the batch stops here, the next batch runs. */
  batch = false;
  /** Hosts that reached meta: end_host: done with this play, not failed. */
  readonly hosts = new Set<HostState>();
  /** Roles a host reached meta: end_role in: the rest of that role is left out for it. */
  private readonly roles = new Map<HostState, Set<RoleInstance>>();

  endRole(host: HostState, role: RoleInstance): void {
    this.roles.set(host, (this.roles.get(host) ?? new Set()).add(role));
  }

  roleEnded(host: HostState, role: RoleInstance): boolean {
    return this.roles.get(host)?.has(role) ?? false;
  }
}

/** What a meta action reaches of the play that runs it. */
export interface MetaActionEnv {
  ends: MetaEnds;
  playScope: PlayScope;
  /** The batch running now: clear_host_errors brings its failed hosts back. */
  batch: HostState[];
  deps: Pick<PlayRunnerDeps, 'invalidateFacts' | 'reconnect' | 'refreshInventory'>;
  flushHandlers(hosts: HostState[], scope: Scope): Promise<void>;
}

export async function runMetaAction(task: ModuleTask, allHosts: HostState[], scope: Scope, env: MetaActionEnv): Promise<void> {
  const { ends, deps } = env;
  const action = String(task.args._raw ?? task.args.action ?? '');
  // `when` on a meta task picks the hosts it acts for; with none, it does nothing.
  const conditions = [...scope.when, ...task.when];
  const hosts = allHosts.filter((h) => conditions.every((c) => evaluateCondition(c, scopeVars(env.playScope, scope, h, task.role), task.location)));
  if (hosts.length === 0) return;
  if (action === 'flush_handlers') await env.flushHandlers(allHosts, scope);
  else if (action === 'end_play') ends.play = true;
  else if (action === 'end_batch') ends.batch = true;
  // The loader refuses end_role outside a role.
  else if (action === 'end_role' && task.role) for (const h of hosts) ends.endRole(h, task.role);
  // Unlike Ansible, where ansible_* are then undefined, the next task gathers them again (there is no setup module to call).
  else if (action === 'clear_facts') for (const h of hosts) deps.invalidateFacts(h.name);
  else if (action === 'end_host') for (const h of hosts) ends.hosts.add(h);
  else if (action === 'reset_connection') {
    // A new connection, as Ansible's: a login made now sees what changed for the user (a group added by a task).
    if (deps.reconnect) await Promise.all(hosts.map((h) => deps.reconnect!(h.name).catch(() => undefined)));
  } else if (action === 'clear_host_errors') {
    // Hosts that failed earlier in this play take part again.
    for (const h of env.batch) if (!h.unreachable) h.failed = false;
  } else if (action === 'refresh_inventory') {
    // The hosts of this play stay as they are (as in Ansible); the next plays, groups and hostvars see the new reading.
    await deps.refreshInventory?.();
  } else if (action !== 'noop') {
    throw new SwarmplayError('BAD_ARGUMENT', `meta: unknown action '${action}'`, {
      location: task.location, hint: `use one of ${(await import('../modules/meta.js')).META_ACTIONS.join(', ')}`,
    });
  }
}
