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
import type { PutFileOptions } from './types.js';
import { quote } from './shell-quote.js';

/** Exit status of the read script when the file does not exist. */
export const FILE_ABSENT_EXIT = 100;

const MODE_PATTERN = /^0?[0-7]{3,4}$/;
const NAME_PATTERN = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$/;

/**
 * The script that writes its stdin to `path` atomically; it prints `backup=PATH` when it kept a backup.
 * `contentBytes`, the length of what will arrive on stdin, guards against a
 * truncated upload: when the controller dies or the connection drops mid-way,
 * `cat` sees an early end of input and succeeds, so without the count the
 * partial temp file would be renamed over the target.
 */
export function atomicWriteScript(path: string, options: PutFileOptions = {}, contentBytes?: number): string {
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
    'dir=$(dirname -- "$dest")',
    'base=$(basename -- "$dest")',
    // Temp files an earlier write left behind (its host lost power, or it was SIGKILLed): gone once
    // they are 10 minutes old. A write in progress keeps its temp file's mtime fresh.
    'for old in "$dir/.$base.swarmplay."??????; do',
    '  case "$old" in "$dir/.$base.swarmplay."??????) ;; *) continue ;; esac',
    '  [ -f "$old" ] && [ -n "$(find "$old" -maxdepth 0 -mmin +10 2>/dev/null)" ] && rm -f -- "$old"',
    'done',
    'tmp=$(mktemp "$dir/.$base.swarmplay.XXXXXX")',
    `trap 'rm -f -- "$tmp"' EXIT`,
    // A signal ends sh without its EXIT trap: when the connection drops, the first write to the
    // closed stderr raises SIGPIPE, and sshd may send HUP or TERM.
    `trap 'rm -f -- "$tmp"; exit 1' HUP INT TERM PIPE`,
    'cat > "$tmp"',
  ];
  if (contentBytes !== undefined) {
    lines.push(
      'size=$(stat -c %s -- "$tmp")',
      `if [ "$size" != ${Number(contentBytes)} ]; then`,
      `  printf 'the content arrived incomplete (%s of %s bytes); %s left as it was\\n' "$size" ${Number(contentBytes)} "$dest" >&2`,
      '  exit 1',
      'fi',
    );
  }
  if (options.mode !== undefined) {
    lines.push(`chmod ${quote(options.mode)} "$tmp"`);
  } else {
    // mktemp makes 0600: keep the replaced file's mode, or give a new file the umask default.
    lines.push(
      'if [ -e "$dest" ]; then chmod "$(stat -c %a -- "$dest")" "$tmp";',
      'else chmod "$(printf %o $((0666 & ~0$(umask))))" "$tmp"; fi',
    );
  }
  if (ownership !== undefined) {
    lines.push(`chown ${quote(ownership)} "$tmp"`);
  } else {
    // Keep the replaced file's owner; only root may give a file away, so a plain user skips this quietly.
    lines.push('if [ -e "$dest" ]; then chown "$(stat -c %u:%g -- "$dest")" "$tmp" 2>/dev/null || true; fi');
  }
  lines.push('sync -- "$tmp" 2>/dev/null || sync');
  if (options.backup) {
    lines.push(
      'if [ -e "$dest" ]; then',
      '  backup="$dest.$(date +%Y%m%d%H%M%S)~"',
      '  cp -p -- "$dest" "$backup"',
      `  printf 'backup=%s\\n' "$backup"`,
      'fi',
    );
  }
  lines.push(
    'mv -f -- "$tmp" "$dest"',
    'trap - EXIT',
    // Make the rename itself durable.
    'sync -- "$dir" 2>/dev/null || true',
  );
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
