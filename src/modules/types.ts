/**
 * What a module is. A module is one file exporting a ModuleDefinition: a zod
 * schema for its arguments (checked before any host is touched) and a
 * `plan()` that reads the host (facts, files, read-only commands) and returns
 * the changes it needs. The runner executes the plan, or in check mode only
 * reports it, so check mode cannot be wrong. An empty plan means "ok, no
 * change". A module never prints, never parses argv, never opens a
 * connection itself.
 */
import type { z } from 'zod';
import type { RunOptions, RunResult, PutFileOptions, PutFileResult } from '../transport/types.js';
import type { HostFacts } from '../runner/facts.js';

/** Read-only access to one host, given to plan(). */
export interface ModuleContext {
  /** Inventory name of the host this task runs for. */
  readonly host: string;
  /** All variables visible to the task on this host (already templated args are passed separately). */
  readonly vars: Readonly<Record<string, unknown>>;
  readonly checkMode: boolean;
  /** Folder of the playbook (relative `src:` and template paths resolve against it). */
  readonly playbookDir: string;
  /** Facts of the host, gathered once and cached for the run; refreshed after a change. */
  facts(): Promise<HostFacts>;
  /** A read-only probe. Must not change the host: it also runs in check mode. */
  probe(command: string, options?: RunOptions): Promise<RunResult>;
  readFile(path: string): Promise<Buffer | null>;
  /** Renders a Handlebars template file from the controller with the task's variables. */
  renderTemplate(path: string): Promise<string>;
}

/** What an `apply` change may do when the runner executes it. */
export interface ApplyContext {
  readonly host: string;
  run(command: string, options?: RunOptions): Promise<RunResult>;
  putFile(path: string, content: string | Buffer, options?: PutFileOptions): Promise<PutFileResult>;
  getFile(path: string): Promise<Buffer | null>;
}

export type Change =
  /** Run a command; a non-zero exit fails the task unless `allowFailure`. */
  | {
      kind: 'command';
      description: string;
      command: string;
      stdin?: string;
      become?: boolean;
      timeoutMs?: number;
      allowFailure?: boolean;
    }
  /** Write a file atomically. */
  | {
      kind: 'write';
      description: string;
      path: string;
      content: string | Buffer;
      mode?: string;
      owner?: string;
      group?: string;
      backup?: boolean;
    }
  /** Anything else: a step whose later commands depend on the output of earlier ones. */
  | {
      kind: 'apply';
      description: string;
      apply(ctx: ApplyContext): Promise<Record<string, unknown> | void>;
    };

export interface FileDiff {
  path: string;
  before: string;
  after: string;
}

export interface Plan {
  /** Empty: the host is as wanted ("ok"). */
  changes: Change[];
  /** Before/after of file content, shown with --diff. */
  diffs?: FileDiff[];
  /** Values to return in the task's result (registered), whether or not anything changes. */
  result?: Record<string, unknown>;
  /** The module decided the task fails (assert, fail, a bad state found while planning). */
  failed?: string;
  /** A human line for the output (debug's msg). */
  msg?: string;
  /** The effect cannot be predicted (command/shell without creates/removes): check mode skips the task. */
  unpredictable?: boolean;
  /** Variables to set on the host (set_fact), applied by the runner. */
  setFacts?: Record<string, unknown>;
  /** Risks the user should hear about; the runner says each distinct one once per run. */
  warnings?: string[];
}

/** The outcome of one executed change, passed to finish(). */
export interface ChangeOutcome {
  change: Change;
  /** For command changes. */
  run?: RunResult;
  /** For apply changes. */
  applied?: Record<string, unknown>;
  /** For write changes with backup. */
  backupPath?: string;
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
  /** Runs on the controller only; needs no connection (debug, set_fact, assert, fail). */
  readonly controllerOnly?: boolean;
  plan(ctx: ModuleContext, args: z.infer<Schema>): Promise<Plan>;
  /** Builds the task's result after the changes ran (command's rc/stdout). */
  finish?(args: z.infer<Schema>, outcomes: ChangeOutcome[], plan: Plan): Record<string, unknown>;
}

/** Helper that keeps the schema's type attached to plan()'s args. */
export function defineModule<Schema extends z.ZodTypeAny>(def: ModuleDefinition<Schema>): ModuleDefinition<Schema> {
  return def;
}
