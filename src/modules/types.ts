import type { TemplateOptions } from '../language/jinja-syntax.js';
/**
 * What a module is. A module is one file exporting a ModuleDefinition: a zod
 * schema for its arguments (checked before any host is touched) and a
 * `plan()` that reads the host (facts, files, read-only probes, each bounded
 * in time) and returns the steps it needs as data. The runner executes the
 * steps, or in check mode only reports them: modules never see check mode,
 * so `--check -v` shows exactly what a real run would do. A plan without
 * command or write steps means "ok, no change". A module never prints, never
 * parses argv, never opens a connection itself.
 */
import type { z } from 'zod';
import type { RunOptions, RunResult } from '../transport/types.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { FactReader } from '../facts/types.js';
import type { VaultAccess } from '../vault/vaulted-value.js';

/** Read-only access to one host, given to plan(). */
export interface ModuleContext {
  /** Inventory name of the host this task runs for. */
  readonly host: string;
  /** All variables visible to the task on this host (already templated args are passed separately). */
  readonly vars: Readonly<Record<string, unknown>>;
  /** Folder of the playbook (relative `src:` and template paths resolve against it). */
  readonly playbookDir: string;
  /** Folders a relative `src:` is searched in, in order: the task's role (files/, templates/), then the playbook's. */
  readonly searchDirs: readonly string[];
  /** Facts of the host, read through the host's fact cache; fresh after a change. */
  facts(): Promise<HostFacts>;
  /** One named fact, read through the host's fact cache (src/facts/): fresh after a change on the host. */
  fact<Args, Value>(reader: FactReader<Args, Value>, args: Args): Promise<Value>;
  /** A read-only probe, bounded in time. Must not change the host: it also runs in check mode. */
  probe(command: string, options?: RunOptions): Promise<RunResult>;
  readFile(path: string): Promise<Buffer | null>;
  /** Renders a template file from the controller with the task's variables. */
  /** Renders a template file: Jinja (Ansible's trim_blocks/lstrip_blocks given here), or Handlebars for `.hbs`. */
  renderTemplate(path: string, options?: TemplateOptions): Promise<string>;
  /** Set when the run is interrupted: a plan that waits on the controller (pause) stops. */
  readonly signal?: AbortSignal;
  /** Asks a question on the controller's terminal (pause): the run's live view keeps quiet until \`ask\` settles. */
  onTerminal<T>(ask: () => Promise<T>): Promise<T>;
  /** The run's vault passwords, for encrypted files read on the controller (include_vars). */
  readonly vault?: VaultAccess;
  /**
   * Reads a controller file that holds a secret (a relative path searched as
   * copy's src is, under files/): an ansible-vault file is decrypted with
   * the run's vault passwords. From then on its content is a secret in every
   * output. Null when no candidate exists.
   */
  readSecretFile(file: string): Promise<{ path: string; content: Buffer } | null>;
  /** Marks a value the plan learnt (a key read from the host) as a secret in every output. */
  addSecret(value: string): void;
  /** Encrypts with the run's vault password (ansible-vault text); throws a SwarmplayError when the run has none. */
  vaultEncrypt(plaintext: string): string;
}

/**
 * Steps run when the step they belong to fails (best effort, in order), to
 * leave the host as it was: the cancelled join, the removed half-made
 * container, the previous unit put back. The task fails all the same.
 */
export interface Compensation {
  steps: Step[];
  /** Added to the failure message when every compensation step succeeded. */
  whenDone?: string;
  /** Added when a compensation step failed too. */
  whenFailed?: string;
}

interface StepBase {
  /** What the step does, as `--check -v` and `-v` show it: never a secret. */
  description: string;
  /** Names the step's outcome for finish() (see StepOutcome). */
  id?: string;
  onFailure?: Compensation;
  /**
   * A task that fails at this step reports changed only when an earlier step not so marked changed
   * the host, as Ansible's modules report it: pip refusing an install changed nothing; a reboot whose
   * command fails, or whose host does not come back in time, says changed: false.
   */
  unchangedWhenFailing?: true;
}

/** Run a command on the host. */
export interface CommandStep extends StepBase {
  kind: 'command';
  command: string;
  /** The command as shown in errors and logs, secrets masked; default the command itself. */
  display?: string;
  stdin?: string;
  become?: boolean;
  timeoutMs?: number;
  /** Exit codes that count as success (default [0]); 'any': never fails the task. */
  okExitCodes?: number[] | 'any';
  /** Run again while the output matches (swarm's "update out of sequence" race). */
  retry?: { whileOutputMatches: string; attempts: number; delayMs: number };
  /** The failure message, before the output's last lines; default the description. */
  failMessage?: string;
  /** A different failure message when the output matches: the first match wins. */
  failHints?: { whenOutputMatches: string; message: string }[];
  /** Output lines of a failure, when the command's own output is what the user needs (ssh-keygen, docker build). */
  failOutputLines?: number;
  /**
   * false: the step runs but is not a change of the host's configuration: uri's
   * request (what it changes is on the server, and Ansible's uri reports ok), apt's
   * package-list refresh beside package work (Ansible does not count it either).
   * A plan of only such steps reports ok; `--check` still lists them and runs none.
   */
  countsAsChange?: false;
  /** The connection may drop while the command runs (a reboot): that is success, not a failure. */
  connectionMayDrop?: boolean;
}

/** Write a file atomically. */
export interface WriteStep extends StepBase {
  kind: 'write';
  path: string;
  content: string | Buffer;
  mode?: string;
  owner?: string;
  group?: string;
  backup?: boolean;
  /** A command that must accept the new file before it replaces the old one (`%s` is its path). */
  validate?: string;
}

/**
 * Wait until a read-only condition holds: the runner polls the named
 * condition (src/modules/conditions/) every `intervalMs` until it says done
 * or failed, or `timeoutMs` passes. A wait alone changes nothing.
 */
export interface WaitStep extends StepBase {
  kind: 'wait';
  condition: string;
  args: Record<string, unknown>;
  intervalMs: number;
  timeoutMs: number;
  /** What was waited for, for the timeout message: "docker to answer". */
  waitingFor: string;
  /**
   * The host's connection is gone or going (a reboot): every poll goes over a
   * new connection, and one that cannot be made yet counts as "waiting".
   */
  reconnect?: boolean;
}

/**
 * Save bytes read from the host (while planning) to a file on the controller
 * (fetch), atomically. It changes the controller, not the host, and reports
 * changed as Ansible's fetch does.
 */
export interface ControllerWriteStep extends StepBase {
  kind: 'controller_write';
  /** Where the bytes came from on the host, for the step's line. */
  source: string;
  /** Absolute path on the controller. */
  path: string;
  content: Buffer;
  /** Default 0644; a key file is 0600. */
  mode?: number;
}

export type Step = CommandStep | WriteStep | WaitStep | ControllerWriteStep;

/** Steps that change the host: a plan holding one reports "changed". */
export function changesHost(step: Step): boolean {
  if (step.kind === 'command') return step.countsAsChange !== false;
  return step.kind !== 'wait';
}

export interface FileDiff {
  path: string;
  before: string;
  after: string;
}

export interface Plan {
  /** In order. None that change the host: the host is as wanted ("ok"). */
  steps: Step[];
  /** Before/after of file content, shown with --diff. */
  diffs?: FileDiff[];
  /** Values to return in the task's result (registered), whether or not anything changes. */
  result?: Record<string, unknown>;
  /** The module decided the task fails (assert, fail, a bad state found while planning). */
  failed?: string;
  /** The module decided the task does not run (script's creates/removes): reported skipped with this reason, as Ansible's action plugins do. */
  skipped?: string;
  /** A human line for the output (debug's msg). */
  msg?: string;
  /** The effect cannot be predicted (command/shell without creates/removes): check mode skips the task. */
  unpredictable?: boolean;
  /**
   * The host is in passing (a swarm member reconnecting after a restart):
   * after the steps, which only wait, the runner asks plan() again with
   * fresh facts. In check mode the wait is reported and nothing more.
   */
  planAgain?: boolean;
  /**
   * The change happened earlier, outside this task (a background job that
   * async_status reads): the task reports changed without a step of its own.
   */
  changedEarlier?: boolean;

  /** Changes of the run's inventory (add_host, group_by), applied by the runner; they count as a change, as in Ansible. */
  inventory?: InventoryChange[];
  /** Variables to set on the host (set_fact), applied by the runner. */
  setFacts?: Record<string, unknown>;
  /** Risks the user should hear about; the runner says each distinct one once per run. */
  warnings?: string[];
}

/** A change of the inventory the run holds in memory: later tasks and plays see it. */
export type InventoryChange =
  | { kind: 'add_host'; name: string; groups: string[]; vars: Record<string, unknown> }
  | { kind: 'group_by'; host: string; group: string; parents: string[] };

/** The outcome of one executed step, passed to finish(). */
export interface StepOutcome {
  step: Step;
  /** For command steps. */
  run?: RunResult;
  /** For wait steps: what the condition returned when it held. */
  waited?: Record<string, unknown>;
  /** For write steps with backup. */
  backupPath?: string;
}

/** The outcomes of a plan's steps, and a way to find one by its id. */
export interface StepOutcomes {
  readonly all: readonly StepOutcome[];
  byId(id: string): StepOutcome | undefined;
}

export interface ModuleDefinition<Schema extends z.ZodTypeAny = z.ZodTypeAny> {
  /** As written in playbooks: `copy`, `swarm_init`. */
  readonly name: string;
  readonly schema: Schema;
  /**
   * When the task's free-form string (`command: ls -l`) is given instead of a
   * mapping, it is passed as this argument.
   */
  readonly freeFormArg?: string;
  /** Arguments whose values are secrets: never shown in any output. */
  readonly secretArgs?: readonly string[];
  /**
   * The variables the task sets on the host (the facts getent and package_facts
   * return), from its arguments as written: the load-time check of undefined
   * names counts them as defined, as it does set_fact's.
   */
  definesVariables?(args: Record<string, unknown>): string[];
  /** Runs on the controller only; needs no connection (debug, set_fact, assert, fail). */
  readonly controllerOnly?: boolean;
  /** Runs once, for the play's first host, whatever the hosts (add_host: Ansible's bypass_host_loop). */
  readonly bypassHostLoop?: boolean;
  plan(ctx: ModuleContext, args: z.infer<Schema>): Promise<Plan>;
  /**
   * The host paths plan() will read (stat, test -e, and the bytes when
   * `content`), so that the runner can read a play's paths ahead in one round
   * trip. Only a forecast: plan() reads what it reads all the same.
   */
  reads?(args: z.infer<Schema>): { path: string; content: boolean }[];
  /** Its changes are file writes (as a rule): reads of other files stay good after it, so a read-ahead reaches past it. */
  readonly changesByWrites?: boolean;
  /**
   * Builds the task's result from what the steps returned (command's rc/stdout, swarm_init's tokens). Pure.
   * A `msg` it returns is the task's message when the plan has none (what a wait found).
   * `failed: true` with a `msg` fails the task from what the steps returned (uri's status code).
   */
  finish?(args: z.infer<Schema>, outcomes: StepOutcomes, plan: Plan): Record<string, unknown>;
}

/** Helper that keeps the schema's type attached to plan()'s args. */
export function defineModule<Schema extends z.ZodTypeAny>(def: ModuleDefinition<Schema>): ModuleDefinition<Schema> {
  return def;
}
