/**
 * The transport layer: how the runner reaches a host. Three verbs, as
 * pyinfra's connectors and Ansible's connection plugins have: run a shell
 * command, put a file, get a file. Modules never see a Connection directly;
 * the runner hands them a narrower context.
 */

export interface RunOptions {
  /** Written to the command's stdin, then stdin is closed. Secrets go here, never on a command line. */
  stdin?: string | Buffer;
  /** Kill the command (and report TIMEOUT) after this long. */
  timeoutMs?: number;
  /** Run through sudo (become). The become password goes on stdin, never on the command line. */
  become?: boolean;
  /**
   * How the command is named in errors (CONNECTION_LOST, TIMEOUT). Pass a
   * redacted form when the command line holds a secret; default: the command.
   */
  displayCommand?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface PutFileOptions {
  /** Octal string like "0644". Unset: keep the existing file's mode, or the umask default for a new file. */
  mode?: string;
  owner?: string;
  group?: string;
  /** Keep the replaced file as PATH.TIMESTAMP~ beside it; the path is returned. */
  backup?: boolean;
  /** A command run on the new file before the rename (`%s` is its path); when it fails, the target is left as it was. */
  validate?: string;
  become?: boolean;
}

export interface PutFileResult {
  backupPath?: string;
}

export interface Connection {
  /** The inventory name of the host. */
  readonly host: string;
  /** Runs `command` with /bin/sh -c on the host. */
  run(command: string, options?: RunOptions): Promise<RunResult>;
  /**
   * Writes `content` to `path` atomically: a temp file in the same folder,
   * fsync, chmod/chown, then rename over the target. Readers see the old or
   * the new file, never a mix.
   */
  putFile(path: string, content: string | Buffer, options?: PutFileOptions): Promise<PutFileResult>;
  /** The file's bytes, or null when it does not exist. */
  getFile(path: string, options?: { become?: boolean }): Promise<Buffer | null>;
  /** Runs `command` like run(), its output as bytes (several files read in one round trip). Optional. */
  runBytes?(command: string, options?: RunOptions): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }>;
  /**
   * Runs a long-lived command (`docker events`) and hands its stdout to
   * `onOutput` as it arrives, until the command ends or `signal` aborts it
   * (the remote command is then killed). Resolves with its exit code and
   * stderr; rejects with CONNECTION_LOST when the connection drops.
   * Optional: a transport that cannot follow output leaves it out.
   */
  follow?(command: string, onOutput: (chunk: string) => void, signal: AbortSignal): Promise<FollowResult>;
  close(): Promise<void>;
}

export interface FollowResult {
  exitCode: number;
  stderr: string;
}

/** How to reach a host, resolved from inventory variables (ansible_host, ansible_port, ...). */
export interface ConnectionSpec {
  host: string;
  address: string;
  port: number;
  user: string;
  password?: string;
  privateKeyPath?: string;
  become?: boolean;
  becomePassword?: string;
  /** Milliseconds; default 10000. */
  connectTimeoutMs?: number;
  /** Ansible's ansible_connection: 'local' runs commands on the controller itself. Default 'ssh'. */
  connection?: 'ssh' | 'local';
}
