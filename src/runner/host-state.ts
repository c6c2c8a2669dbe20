/**
 * What the runner knows about one host during a run. Registered results and
 * set_fact values live for the whole playbook run (as in Ansible); a host
 * that failed or was unreachable takes no part in later tasks or plays.
 */
import type { HostFacts } from '../facts/host-facts.js';
import type { Handler } from '../language/playbook.js';

export class HostState {
  /** Variables set by set_fact and register; above play and task vars. */
  readonly runtimeVars: Record<string, unknown> = {};
  /** Handlers notified and not yet run (chosen when notified). */
  readonly notified = new Set<Handler>();
  /**
   * The facts `ansible_*` show: the host's latest reading from the fact
   * cache, taken again before each of its tasks once facts were gathered
   * (so a reading dropped by a change is gathered again, once).
   */
  facts?: HostFacts;
  /** Facts were gathered for this host: from then on its `ansible_*` follow the fact cache. */
  factsGathered = false;
  unreachable = false;
  failed = false;

  constructor(
    readonly name: string,
    /** Inventory variables: group_vars and host_vars already merged with Ansible's precedence. */
    readonly inventoryVars: Record<string, unknown>,
  ) {}

  get active(): boolean {
    return !this.unreachable && !this.failed;
  }
}
