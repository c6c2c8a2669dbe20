/**
 * The remote side of putFile()/getFile(): POSIX sh scripts sent as one
 * command, the file content on stdin. No SFTP session per file, no temp file
 * on the controller: a write costs one round trip.
 *
 * A write never leaves a half-written file: the content goes to a temp file
 * in the target's folder (same filesystem, so the rename is atomic), is
 * fsynced, gets its mode and owner, and only then is renamed over the target.
 * If anything fails the temp file is removed and the target is untouched.
 */
import { randomBytes } from 'node:crypto';
import type { PutFileOptions, PutFileResult, RunOptions } from './types.js';
import { SwarmplayError } from '../errors.js';
import { quote } from './shell-quote.js';

/** Exit status of the read script when the file does not exist. */
export const FILE_ABSENT_EXIT = 100;

const MODE_PATTERN = /^0?[0-7]{3,4}$/;
const NAME_PATTERN = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$/;

/** mktemp's alphabet and length, so the stale-temp glob below matches both old and new temp names. */
const TEMP_SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const TEMP_SUFFIX_LENGTH = 6;

/** A random temp-name suffix: chosen here, so the host needs no mktemp process; unpredictable, so no one can plant the name. */
function randomTempSuffix(): string {
  const bytes = randomBytes(TEMP_SUFFIX_LENGTH * 2);
  let suffix = '';
  for (const byte of bytes) {
    if (byte >= 248) continue; // 248 = 4 * 62: keeps the choice uniform
    suffix += TEMP_SUFFIX_ALPHABET[byte % TEMP_SUFFIX_ALPHABET.length];
    if (suffix.length === TEMP_SUFFIX_LENGTH) return suffix;
  }
  return randomTempSuffix();
}

/**
 * The script that writes its stdin to `path` atomically; it prints `backup=PATH` when it kept a backup.
 * `inlineContent`: small text written from the script itself instead of stdin (see inlineText).
 * `contentBytes`, the length of what will arrive on stdin, guards against a
 * truncated upload: when the controller dies or the connection drops mid-way,
 * the copy sees an early end of input and succeeds, so without the count the
 * partial temp file would be renamed over the target.
 *
 * Written for few processes on the host (each costs about 1 ms of CPU, and a
 * run writes thousands of files): shell builtins and parameter expansion
 * where they do, one `dd` that copies, counts and (when nothing is set after
 * it) fsyncs the bytes, `mv`; chmod/chown and a separate `sync` of the
 * temp file only when there is something to set.
 */
export function atomicWriteScript(path: string, options: PutFileOptions = {}, contentBytes?: number, inlineContent?: string): string {
  if (path === '' || path.endsWith('/')) {
    throw new Error(`invalid file path ${JSON.stringify(path)}: expected the path of a file, not a folder`);
  }
  if (options.mode !== undefined && !MODE_PATTERN.test(options.mode)) {
    throw new Error(`invalid file mode ${JSON.stringify(options.mode)}: expected an octal string like "0644"`);
  }
  for (const name of [options.owner, options.group]) {
    if (name !== undefined && !NAME_PATTERN.test(name)) {
      throw new Error(`invalid user or group name ${JSON.stringify(name)}`);
    }
  }
  const ownership = options.owner !== undefined || options.group !== undefined
    ? `${options.owner ?? ''}${options.group !== undefined ? `:${options.group}` : ''}`
    : undefined;
  const lines = [
    'set -e',
    `dest=${quote(path)}`,
    // Write through a symlink to its target, as `cp` and Ansible's copy do, instead of replacing the link.
    'if [ -L "$dest" ]; then dest=$(readlink -f -- "$dest"); fi',
    // dirname/basename without their two processes (the path names a file: no trailing slash).
    'case "$dest" in */*) dir=${dest%/*}; base=${dest##*/}; [ -n "$dir" ] || dir=/ ;; *) dir=.; base=$dest ;; esac',
    // Temp files an earlier write left behind (its host lost power, or it was SIGKILLed): gone once
    // they are 10 minutes old. A write in progress keeps its temp file's mtime fresh. With no such
    // file the glob stays unexpanded and nothing is started.
    'for old in "$dir/.$base.swarmplay."??????; do',
    '  case "$old" in "$dir/.$base.swarmplay."??????) ;; *) continue ;; esac',
    '  [ -f "$old" ] && [ -n "$(find "$old" -maxdepth 0 -mmin +10 2>/dev/null)" ] && rm -f -- "$old"',
    'done',
    `tmp="$dir/.$base.swarmplay."${randomTempSuffix()}`,
  ];
  // The temp file is private (0600, as mktemp makes it) until it gets its mode and owner, unless it can
  // be created with them: a new file (or one of ours) whose mode umask can give (no x or special bits),
  // or a new file with the umask default. Then no chmod follows, and dd's own fsync makes data and mode
  // durable: two processes fewer per write. Otherwise (another owner to copy, x bits, an owner to set)
  // the old order: private temp, chown, chmod, then a sync of the temp.
  const umaskMode = options.mode !== undefined && ownership === undefined && (parseInt(options.mode, 8) & ~0o666) === 0
    ? (~parseInt(options.mode, 8) & 0o777).toString(8).padStart(4, '0')
    : undefined;
  if (options.mode === undefined || umaskMode !== undefined) {
    lines.push(
      'fix=',
      'if [ -e "$dest" ]; then',
      // An existing file: its owner is kept, so the temp stays private unless it is ours already.
      `  if ${options.mode === undefined ? 'true' : '! { [ -O "$dest" ] && [ -G "$dest" ]; }'}; then fix=1; fi`,
      'fi',
      options.mode === undefined ? 'if [ -n "$fix" ]; then umask 077; fi' : `if [ -n "$fix" ]; then umask 077; else umask ${umaskMode}; fi`,
    );
  } else {
    lines.push('fix=1', 'umask 077');
  }
  lines.push(
    // noclobber: created with O_EXCL, as mktemp does, never through a link someone planted.
    'set -C; : > "$tmp"; set +C',
    `trap 'rm -f -- "$tmp"' EXIT`,
    // A signal ends sh without its EXIT trap: when the connection drops, the first write to the
    // closed stderr raises SIGPIPE, and sshd may send HUP or TERM.
    `trap 'rm -f -- "$tmp"; exit 1' HUP INT TERM PIPE`,
    // In a setgid folder the temp takes the folder's group: when it replaces a file of our group, it is
    // private until chown gives it that group (a new file keeps the folder's group, as any new file).
    'if [ -z "$fix" ] && [ -e "$dest" ] && ! [ -G "$tmp" ]; then fix=1; chmod 600 "$tmp"; fi',
  );
  if (inlineContent !== undefined) {
    // Small text comes inside the script: the shell's own printf writes it, no stdin to spool and no dd.
    lines.push(`printf '%s' ${quote(inlineContent)} > "$tmp"`, 'if [ -z "$fix" ]; then sync -- "$tmp" 2>/dev/null || sync; fi');
  } else {
    lines.push(
      // dd copies stdin and says how many bytes it wrote: one process where cat and stat were two;
      // with nothing to fix afterwards it also fsyncs the temp (data and mode on disk before the rename).
      'if [ -n "$fix" ]; then conv=notrunc; else conv=notrunc,fsync; fi',
      'if ! copied=$(LC_ALL=C dd of="$tmp" bs=65536 conv=$conv 2>&1); then',
      '  printf \'%s\\n\' "$copied" >&2',
      '  exit 1',
      'fi',
    );
  }
  if (contentBytes !== undefined && inlineContent === undefined) {
    lines.push(
      // dd's last line: "N bytes (...) copied, ..." (or "1 byte copied, ...").
      'size=${copied##*records out',
      '}; size=${size%% *}',
      `if [ "$size" != ${Number(contentBytes)} ]; then`,
      `  printf 'the content arrived incomplete (%s of %s bytes); %s left as it was\\n' "$size" ${Number(contentBytes)} "$dest" >&2`,
      '  exit 1',
      'fi',
    );
  }
  const fixes: string[] = [];
  // Owner before mode: chown clears setuid/setgid bits, so chmod must come after it to keep them.
  if (ownership !== undefined) {
    fixes.push(`chown ${quote(ownership)} "$tmp"`);
  } else {
    // Keep the replaced file's owner; only root may give a file away, so a plain user skips this quietly.
    // Nothing to do (no process) when the replaced file and the temp file have the same owner and group: ours.
    fixes.push(
      'if [ -e "$dest" ] && ! { [ -O "$dest" ] && [ -G "$dest" ] && [ -G "$tmp" ]; }; then',
      '  chown --reference="$dest" -- "$tmp" 2>/dev/null || true',
      'fi',
    );
  }
  if (options.mode !== undefined) {
    fixes.push(`chmod ${quote(options.mode)} "$tmp"`);
  } else {
    // Keep the replaced file's mode; a new file has the umask default already.
    fixes.push('if [ -e "$dest" ]; then chmod --reference="$dest" -- "$tmp"; fi');
  }
  // Data, mode and owner on disk before the rename: a crash leaves the old file or the whole new one.
  fixes.push('sync -- "$tmp" 2>/dev/null || sync');
  lines.push('if [ -n "$fix" ]; then', ...fixes.map((line) => `  ${line}`), 'fi');
  if (options.validate !== undefined) {
    // The user's check, on the new file where it will be used (same folder, its mode and owner): sudoers, sshd_config.
    lines.push(
      `if ! checked=$( { ${options.validate.split('%s').join('"$tmp"')}
} 2>&1); then`,
      `  printf 'failed to validate with %s: %s\\n' ${quote(options.validate)} "$checked" >&2`,
      '  exit 1',
      'fi',
    );
  }
  if (options.backup) {
    lines.push(
      'if [ -e "$dest" ]; then',
      '  backup="$dest.$(date +%Y%m%d%H%M%S)~"',
      '  cp -p -- "$dest" "$backup"',
      `  printf 'backup=%s\\n' "$backup"`,
      'fi',
    );
  }
  // No fsync of the folder after the rename (Ansible's atomic_move has none either): the bytes, mode and
  // owner were synced before it, so a crash before the filesystem commits the rename leaves the old file
  // whole, never a half-written one, and the next run writes it again. Each write saves a process and a
  // journal commit (about a tenth of a 20-host first run).
  lines.push('mv -f -- "$tmp" "$dest"', 'trap - EXIT');
  return lines.join('\n');
}

/** The backup path the write script printed, if any. */
export function parseAtomicWriteOutput(stdout: string): { backupPath?: string } {
  const match = /^backup=(.*)$/m.exec(stdout);
  return match ? { backupPath: match[1] } : {};
}

/** The script that prints a file's bytes, or exits FILE_ABSENT_EXIT when there is no such file. */
export function readFileScript(path: string): string {
  return `[ -e ${quote(path)} ] || exit ${FILE_ABSENT_EXIT}; exec cat -- ${quote(path)}`;
}

/** What a command gave back, bytes untouched (getFile needs them raw). */
export interface RawRunResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** A transport's raw command runner: what putFile and getFile are built on, for SSH and local alike. */
export type RawRunner = (command: string, options: RunOptions) => Promise<RawRunResult>;

/**
 * Content up to this size that is text (UTF-8, no NUL) goes inside the write
 * script: the remote shell reads a command byte by byte, which for a small
 * file costs less than the stdin spool's `head` and `dd`, two processes.
 */
const INLINE_MAX_BYTES = 2048;

/** The content as text to write from inside the script, or undefined: it goes on stdin. */
export function inlineText(content: string | Buffer): string | undefined {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  if (bytes.length > INLINE_MAX_BYTES || bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * What a write sends: the atomic write script and its stdin (the content,
 * or nothing when it is inside the script). Bad paths, modes or names throw BAD_ARGUMENT.
 */
export function writeRequest(host: string, path: string, content: string | Buffer, options: PutFileOptions = {}): { script: string; stdin: Buffer } {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const inline = inlineText(bytes);
  try {
    return inline !== undefined
      ? { script: atomicWriteScript(path, options, bytes.length, inline), stdin: Buffer.alloc(0) }
      : { script: atomicWriteScript(path, options, bytes.length), stdin: bytes };
  } catch (error) {
    throw new SwarmplayError('BAD_ARGUMENT', `${host}: cannot write ${path}: ${(error as Error).message}`);
  }
}

/** What the write script returned, as putFile answers it: the backup it kept, or COMMAND_FAILED. */
export function writeOutcome(host: string, path: string, result: RawRunResult): PutFileResult {
  if (result.exitCode !== 0) {
    throw new SwarmplayError('COMMAND_FAILED',
      `${host}: writing ${path} failed (exit ${result.exitCode}): ${result.stderr.toString('utf8').trim() || 'no error output'}`);
  }
  return parseAtomicWriteOutput(result.stdout.toString('utf8'));
}

/** Connection.putFile on any transport: the atomic write script with the content on stdin. */
export async function putFileWith(host: string, runRaw: RawRunner, path: string, content: string | Buffer, options: PutFileOptions = {}): Promise<PutFileResult> {
  const { script, stdin } = writeRequest(host, path, content, options);
  return writeOutcome(host, path, await runRaw(script, { ...(stdin.length > 0 && { stdin }), become: options.become, displayCommand: `write ${path}` }));
}

/** Connection.getFile on any transport: the file's bytes, or null when it does not exist. */
export async function getFileWith(host: string, runRaw: RawRunner, path: string, options: { become?: boolean } = {}): Promise<Buffer | null> {
  const result = await runRaw(readFileScript(path), { become: options.become, displayCommand: `read ${path}` });
  if (result.exitCode === FILE_ABSENT_EXIT) return null;
  if (result.exitCode !== 0) {
    throw new SwarmplayError('COMMAND_FAILED',
      `${host}: reading ${path} failed (exit ${result.exitCode}): ${result.stderr.toString('utf8').trim()}`);
  }
  return result.stdout;
}
