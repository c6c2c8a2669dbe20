/**
 * The loaded, validated shape of a playbook. The loader turns YAML into
 * these; the executor only ever sees these. Expressions stay as strings
 * (templated per host at run time); every node keeps its source location.
 */
import type { SourceLocation } from '../errors.js';

export type Strategy = 'linear' | 'free';

/** A value as written: strings may hold `{{ }}`, templated at run time. */
export type RawValue = unknown;

export interface TaskBase {
  name?: string;
  location: SourceLocation;
  when: string[];
  tags: string[];
  ignoreErrors: boolean;
  noLog: boolean;
  runOnce: boolean;
  delegateTo?: string;
  /** `become: true` on the task (or inherited from block/play). */
  become?: boolean;
  /**
   * Ansible's `check_mode:` keyword: false runs the task for real even under
   * --check (read-only commands whose output later tasks need); true always
   * only reports. Unset: the run's mode.
   */
  checkMode?: boolean;
  vars: Record<string, RawValue>;
}

export interface ModuleTask extends TaskBase {
  kind: 'module';
  module: string;
  /** Arguments as written (a mapping, or {_raw: "..."} for free form); templated per host then schema-checked. */
  args: Record<string, RawValue>;
  register?: string;
  notify: string[];
  /** A list expression or a literal list; `item` (or loop_control.loop_var) per element. */
  loop?: RawValue;
  loopVar: string;
  changedWhen?: string[];
  failedWhen?: string[];
  until?: string[];
  retries: number;
  /** Seconds. */
  delay: number;
}

export interface BlockTask extends TaskBase {
  kind: 'block';
  block: Task[];
  rescue: Task[];
  always: Task[];
}

export type Task = ModuleTask | BlockTask;

export interface Handler extends ModuleTask {
  /** `listen:` topics, besides its name. */
  listen: string[];
}

export interface Play {
  name: string;
  location: SourceLocation;
  /** A host pattern (possibly templated). */
  hosts: string;
  vars: Record<string, RawValue>;
  varsFiles: string[];
  gatherFacts: boolean;
  /** Batch sizes: numbers or "30%" strings; empty = all hosts at once. */
  serial: (number | string)[];
  anyErrorsFatal: boolean;
  maxFailPercentage?: number;
  strategy: Strategy;
  become?: boolean;
  tags: string[];
  preTasks: Task[];
  tasks: Task[];
  postTasks: Task[];
  handlers: Handler[];
}

export interface Playbook {
  file: string;
  /** Folder of the playbook file. */
  dir: string;
  plays: Play[];
}
