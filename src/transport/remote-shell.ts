/**
 * A long-lived remote `sh` that runs framed commands read from its stdin, so
 * a task costs one round trip and one `sh -c`, not a new SSH channel, a
 * session process and a login shell (Mitogen's idea, without an interpreter
 * to ship: POSIX sh and GNU `head -c` are all it needs).
 *
 * Request, controller -> host (TOKEN is random per request, 128 bits):
 *   TOKEN STDIN_LENGTH\n
 *   the command's lines\n
 *   TOKEN\n
 *   exactly STDIN_LENGTH bytes of stdin
 * Reply: the command's stdout then `TOKEN STATUS\n`; its stderr then `TOKEN\n`.
 *
 * The command runs under `/bin/sh -c`, as on an exec channel: `exit`, `cd`
 * or `set -e` in it cannot touch the loop. Its stdin is exactly the bytes
 * sent (a regular file when small, a pipe when large); what it leaves unread
 * is never taken from the stream, so the stream stays in step.
 * Limits (callers use exec channels for these): no become (sudo's prompt
 * needs a live conversation), no timeout (a command cannot be killed alone),
 * and a background process that keeps the command's stdout open would write
 * into later replies, so tasks that start daemons must redirect their output
 * (as they must over any non-pty SSH channel anyway).
 */
import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';

/** Stdin up to this size goes through the shell's spool file (see LOOP); larger streams through a pipe. */
export const SPOOLED_STDIN_MAX_BYTES = 1024 * 1024;

const LOOP = [
  // The stdin of small commands goes through one private file per shell, unlinked at once and reached
  // as /proc/self/fd/9: one `head` fills it, the command reads it, no pipeline of four processes, no
  // drain, and nothing left behind however the shell ends. Larger stdin streams through a pipe instead.
  'spool=',
  'if f=$(mktemp 2>/dev/null); then',
  '  exec 9<>"$f"; rm -f -- "$f"',
  '  [ -r /proc/self/fd/9 ] && spool=/proc/self/fd/9',
  'fi',
  'while IFS=" " read -r token inlen; do',
  '  cmd=',
  '  while IFS= read -r line; do',
  '    [ "$line" = "$token" ] && break',
  '    cmd="$cmd$line',
  '"',
  '  done',
  // The stream ended inside a request (the connection dropped): its first lines must not run alone.
  '  [ "$line" = "$token" ] || exit 1',
  '  if [ "$inlen" -gt 0 ]; then',
  `    if [ -n "$spool" ] && [ "$inlen" -le ${SPOOLED_STDIN_MAX_BYTES} ]; then`,
  // A failed head may have read part of the stdin: the stream is out of step, so the shell ends
  // (the controller reports the command failed and opens another shell).
  '      head -c "$inlen" > "$spool" 9<&- || exit 1',
  '      /bin/sh -c "$cmd" < "$spool" 9<&-',
  '    else',
  '      head -c "$inlen" | { /bin/sh -c "$cmd" 9<&-; s=$?; cat >/dev/null; exit $s; }',
  '    fi',
  '  else',
  '    /bin/sh -c "$cmd" </dev/null 9<&-',
  '  fi',
  '  status=$?',
  '  printf "%s %s\\n" "$token" "$status"',
  '  printf "%s\\n" "$token" >&2',
  'done',
].join('\n');

/** The exec request that starts the loop; `exec` so the login shell (bash for root) steps aside for /bin/sh. */
export const REMOTE_SHELL_COMMAND = `exec /bin/sh -c '${LOOP.replace(/'/g, `'\\''`)}'`;

export interface ShellRunResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

interface PendingRequest {
  token: string;
  resolve: (result: ShellRunResult) => void;
  reject: (error: Error) => void;
  stdout: Buffer[];
  stderr: Buffer[];
  exitCode?: number;
  stderrDone: boolean;
}

export class RemoteShell {
  private pending: PendingRequest | undefined;
  private stdoutTail = Buffer.alloc(0);
  private stderrTail = Buffer.alloc(0);
  private endedError: Error | undefined;

  private constructor(private readonly channel: ClientChannel) {
    channel.on('data', (chunk: Buffer) => this.onStdout(chunk));
    channel.stderr.on('data', (chunk: Buffer) => this.onStderr(chunk));
    channel.on('close', () => this.onEnded(new Error('the remote shell ended')));
  }

  static open(client: Client): Promise<RemoteShell> {
    return new Promise((resolve, reject) => {
      client.exec(REMOTE_SHELL_COMMAND, (error, channel) => (error ? reject(error) : resolve(new RemoteShell(channel))));
    });
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  get alive(): boolean {
    return this.endedError === undefined;
  }

  /** Runs one command; one at a time per shell (callers keep a pool). */
  run(command: string, stdin: Buffer | undefined): Promise<ShellRunResult> {
    if (this.endedError) return Promise.reject(this.endedError);
    if (this.pending) return Promise.reject(new Error('remote shell is busy'));
    const token = `swarmplay-${randomBytes(16).toString('hex')}`;
    const body = command.endsWith('\n') ? command : `${command}\n`;
    return new Promise((resolve, reject) => {
      this.pending = { token, resolve, reject, stdout: [], stderr: [], stderrDone: false };
      const length = stdin?.length ?? 0;
      const header = `${token} ${length}\n${body}${token}\n`;
      // One write, so a small request goes out as one SSH packet instead of a header packet and a stdin packet.
      if (length === 0) this.channel.write(header);
      else if (length <= SPOOLED_STDIN_MAX_BYTES) this.channel.write(Buffer.concat([Buffer.from(header, 'utf8'), stdin!]));
      else {
        this.channel.write(header);
        this.channel.write(stdin!);
      }
    });
  }

  close(): void {
    try {
      this.channel.end();
      this.channel.close();
    } catch { /* already closed */ }
  }

  private onStdout(chunk: Buffer): void {
    const request = this.pending;
    if (!request || request.exitCode !== undefined) return; // nothing asked: stray output of a background process
    const data = Buffer.concat([this.stdoutTail, chunk]);
    const marker = Buffer.from(`${request.token} `);
    const at = data.indexOf(marker);
    if (at === -1) {
      // Keep the last bytes back: the marker may be split across chunks.
      const keep = Math.min(data.length, marker.length + 4);
      request.stdout.push(data.subarray(0, data.length - keep));
      this.stdoutTail = data.subarray(data.length - keep);
      return;
    }
    const lineEnd = data.indexOf(0x0a, at);
    if (lineEnd === -1) {
      this.stdoutTail = data;
      return;
    }
    request.stdout.push(data.subarray(0, at));
    request.exitCode = Number(data.subarray(at + marker.length, lineEnd).toString('latin1'));
    this.stdoutTail = Buffer.alloc(0);
    this.settleIfDone();
  }

  private onStderr(chunk: Buffer): void {
    const request = this.pending;
    if (!request || request.stderrDone) return;
    const data = Buffer.concat([this.stderrTail, chunk]);
    const marker = Buffer.from(`${request.token}\n`);
    const at = data.indexOf(marker);
    if (at === -1) {
      const keep = Math.min(data.length, marker.length);
      request.stderr.push(data.subarray(0, data.length - keep));
      this.stderrTail = data.subarray(data.length - keep);
      return;
    }
    request.stderr.push(data.subarray(0, at));
    request.stderrDone = true;
    this.stderrTail = Buffer.alloc(0);
    this.settleIfDone();
  }

  private settleIfDone(): void {
    const request = this.pending;
    if (!request || request.exitCode === undefined || !request.stderrDone) return;
    this.pending = undefined;
    request.resolve({ stdout: Buffer.concat(request.stdout), stderr: Buffer.concat(request.stderr), exitCode: request.exitCode });
  }

  private onEnded(error: Error): void {
    this.endedError ??= error;
    const request = this.pending;
    this.pending = undefined;
    request?.reject(this.endedError);
  }
}

/**
 * Up to `max` shells per connection, opened on demand. acquire() gives an
 * idle one, or opens one more, or says "none free" so the caller can use an
 * exec channel instead of waiting behind a long command.
 */
export class RemoteShellPool {
  private readonly idle: RemoteShell[] = [];
  private all = new Set<RemoteShell>();
  private opening = 0;

  constructor(private readonly client: Client, private readonly max: number, private readonly onOpened: () => void) {}

  async acquire(): Promise<RemoteShell | undefined> {
    while (this.idle.length > 0) {
      const shell = this.idle.pop()!;
      if (shell.alive) return shell;
      this.all.delete(shell);
    }
    if (this.all.size + this.opening >= this.max) return undefined;
    this.opening += 1;
    try {
      const shell = await RemoteShell.open(this.client);
      this.all.add(shell);
      this.onOpened();
      return shell;
    } catch {
      return undefined; // e.g. the server refused one more channel: the exec path still works
    } finally {
      this.opening -= 1;
    }
  }

  release(shell: RemoteShell): void {
    if (shell.alive) this.idle.push(shell);
    else this.all.delete(shell);
  }

  closeAll(): void {
    for (const shell of this.all) shell.close();
    this.all.clear();
    this.idle.length = 0;
  }
}
