/**
 * The loaded, validated shape of a playbook. The loader turns YAML into
 * these; the executor only ever sees these. Expressions stay as strings
 * (templated per host at run time); every node keeps its source location.
 */
import type { SourceLocation } from '../errors.js';
import type { RoleRequest } from './roles.js';

export type Strategy = 'linear' | 'free';

/** A value as written: strings may hold `{{ }}`, templated at run time. */
export type RawValue = unknown;

export interface TaskBase {
  name?: string;
  location: SourceLocation;
  when: string[];
  tags: string[];
  /** true/false, or a template judged per host when the task runs. */
  ignoreErrors: boolean | string;
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
  /** `become_user`, `become_method` (sudo | su), `become_flags`: inherited like become. */
  becomeUser?: string;
  becomeMethod?: BecomeMethod;
  becomeFlags?: string;
  /** `environment:` a mapping (or a `{{ }}` giving one) exported for the task's commands. */
  environment?: RawValue;
  /** The role this task came from: its variables, files/ and templates/. */
  role?: RoleInstance;
  /** `any_errors_fatal` on a task or block. */
  anyErrorsFatal?: boolean;
  /** `ignore_unreachable`: an unreachable host counts as ignored and stays in the play. */
  ignoreUnreachable?: boolean;
  /** `throttle`: at most this many hosts run the task at once. */
  throttle?: number;
  /** `remote_user` and `connection` of a task or block: over the play's, under the host's ansible_user/ansible_connection. */
  remoteUser?: string;
  connection?: string;
  /** `module_defaults`: arguments a module takes when the task does not give them, by module name. */
  moduleDefaults?: Record<string, Record<string, RawValue>>;
}

export type BecomeMethod = 'sudo' | 'su';

/** How a task logs in to its host: the remote_user and connection keywords in force for it. */
export type Login = Pick<TaskBase, 'remoteUser' | 'connection'>;

/**
 * One application of a role: its folder, its files' variables and the
 * parameters it was given. Tasks of the role point at it; the play keeps every
 * role it applies (their defaults and vars are visible play-wide, as Ansible's).
 */
export interface RoleInstance {
  name: string;
  /** The role's folder. */
  path: string;
  /** defaults/main: the lowest precedence. */
  defaults: Record<string, RawValue>;
  /** vars/main: above play vars. */
  vars: Record<string, RawValue>;
  /** Parameters of the roles: entry or include_role: above set_fact. */
  params: Record<string, RawValue>;
  /** The roles this one was applied through (meta dependencies), outermost first. */
  parents: RoleInstance[];
  /** Exposed to the play: roles:, import_role, include_role with public: true. */
  public: boolean;
}

export interface ModuleTask extends TaskBase {
  kind: 'module';
  module: string;
  /** Arguments as written (a mapping, or {_raw: "..."} for free form); templated per host then schema-checked. */
  args: Record<string, RawValue>;
  register?: string;
  /** Variables the module sets besides register (a facts module's getent_passwd, packages): known to the load-time check. */
  definesVariables?: string[];
  notify: string[];
  /** A list expression or a literal list; `item` (or loop_control.loop_var) per element. */
  loop?: RawValue;
  /** `with_<name>`: the loop's items are the lookup `name` over the templated `loop` (its terms). */
  loopWith?: string;
  loopVar: string;
  /** loop_control.index_var: the item's index, from 0. */
  indexVar?: string;
  changedWhen?: string[];
  failedWhen?: string[];
  until?: string[];
  /** A whole number, or a template rendered when the task runs. */
  retries: number | string;
  /** Seconds, or a template rendered when the task runs. */
  delay: number | string;
  /** `async: seconds` with `poll`: poll > 0 waits for the end; poll 0 starts it and async_status finds the result. */
  async?: number;
  poll?: number;
  /** `delegate_facts`: set_fact results go to the delegated host. */
  delegateFacts?: boolean;
}

export interface BlockTask extends TaskBase {
  kind: 'block';
  block: Task[];
  rescue: Task[];
  always: Task[];
}

/**
 * include_tasks / include_role resolved per host at run time: a templated
 * path, or a loop over the include. Literal paths were loaded and checked
 * when the playbook loaded (`loaded`).
 */
export interface IncludeTask extends TaskBase {
  kind: 'include';
  /** include_tasks or include_role. */
  action: 'include_tasks' | 'include_role';
  /** The file (or role name) as written; may hold `{{ }}`. */
  target: string;
  /** Where a relative path resolves. */
  baseDir: string;
  loop?: RawValue;
  /** `with_<name>`, as on a module task. */
  loopWith?: string;
  loopVar: string;
  indexVar?: string;
  /** The tasks of a literal target, loaded once when the playbook loaded. */
  loaded?: Task[];
  /** include_role's tasks_from, vars_from, defaults_from, handlers_from, public, apply. */
  roleOptions?: Record<string, RawValue>;
  /** include_role whose name (or *_from) holds `{{ }}`: the role is read per host when the include runs. */
  roleRequest?: RoleRequest;
  /** The handlers of a literal include_role's role: they join the play's when the include runs. */
  roleHandlers?: Handler[];
}

export type Task = ModuleTask | BlockTask | IncludeTask;

export interface Handler extends ModuleTask {
  /** `listen:` topics, besides its name. */
  listen: string[];
}

export interface Play {
  name: string;
  /**
   * The play's `remote_user` and `connection`: the login user and transport
   * of hosts whose variables name none (ansible_user, ansible_connection win, as in Ansible).
   */
  remoteUser?: string;
  connection?: string;
  location: SourceLocation;
  /** A host pattern (possibly templated). */
  hosts: string;
  vars: Record<string, RawValue>;
  /** A path, or a list of candidate paths of which the first found is read. */
  varsFiles: (string | string[])[];
  gatherFacts: boolean;
  /** Batch sizes: numbers or "30%" strings; empty = all hosts at once. */
  serial: (number | string)[];
  anyErrorsFatal: boolean;
  maxFailPercentage?: number;
  strategy: Strategy;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: BecomeMethod;
  becomeFlags?: string;
  environment?: RawValue;
  moduleDefaults?: Record<string, Record<string, RawValue>>;
  /** Roles applied by `roles:` and import_role, in order: their defaults and vars are play-wide. */
  roles: RoleInstance[];
  /** vars_prompt entries: asked on a terminal, else their default. */
  varsPrompt: VarsPrompt[];
  tags: string[];
  preTasks: Task[];
  tasks: Task[];
  postTasks: Task[];
  handlers: Handler[];
  /** The `when` of the import_playbook that brought this play: per host, it guards fact gathering and every task. */
  importedWhen?: string[];
}

export interface VarsPrompt {
  name: string;
  prompt: string;
  private: boolean;
  default?: RawValue;
  confirm: boolean;
  location: SourceLocation;
}

export interface Playbook {
  file: string;
  /** Folder of the playbook file. */
  dir: string;
  plays: Play[];
  /** Said once when the run starts (deprecated spellings). */
  warnings: string[];
}
