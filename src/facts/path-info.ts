/**
 * `path_info`: everything Ansible's stat module returns about one path, read
 * in one probe: GNU stat's fields (with or without following a symlink),
 * the access the connecting user has, the link's target and, for a regular
 * file, its checksum. `stat`, `find` and `get_url` read paths through it.
 */
import { quote } from '../transport/shell-quote.js';
import { defineFact, FactError } from './types.js';

export const CHECKSUM_ALGORITHMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface PathInfoArgs {
  path: string;
  follow?: boolean;
  /** Omitted: no checksum is computed. */
  checksum?: ChecksumAlgorithm;
}

export interface PathInfo {
  exists: boolean;
  path: string;
  /** "0644", as Ansible prints it. */
  mode?: string;
  type?: 'file' | 'directory' | 'link' | 'block' | 'char' | 'fifo' | 'socket' | 'other';
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
  size?: number;
  atime?: number;
  mtime?: number;
  ctime?: number;
  inode?: number;
  nlink?: number;
  dev?: number;
  readable?: boolean;
  writeable?: boolean;
  executable?: boolean;
  /** The link's target as written (a symlink, not followed). */
  linkTarget?: string;
  /** The link's target made absolute. */
  linkSource?: string;
  checksum?: string;
}

const TYPES: Record<string, PathInfo['type']> = {
  'regular file': 'file', 'regular empty file': 'file', directory: 'directory', 'symbolic link': 'link',
  'block special file': 'block', 'character special file': 'char', fifo: 'fifo', socket: 'socket',
};

/** The probe; lines `stat:`, `access:`, `link:`, `source:`, `sum:`; exit 0 with `absent` when nothing is there. */
export function pathInfoCommand(args: PathInfoArgs): string {
  const path = quote(args.path);
  const follow = args.follow ? ' -L' : '';
  const lines = [
    `p=${path}`,
    'if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo absent; exit 0; fi',
    `printf 'stat:'; stat${follow} -c '%a|%u|%g|%U|%G|%s|%.9X|%.9Y|%.9Z|%i|%h|%d|%F' -- "$p" || exit 1`,
    'a=; [ -r "$p" ] && a=${a}r; [ -w "$p" ] && a=${a}w; [ -x "$p" ] && a=${a}x; echo "access:$a"',
    'if [ -L "$p" ]; then printf "link:%s\\n" "$(readlink -- "$p")"; printf "source:%s\\n" "$(readlink -f -- "$p")"; fi',
  ];
  if (args.checksum) {
    const test = args.follow ? '[ -f "$p" ]' : '[ -f "$p" ] && [ ! -L "$p" ]';
    lines.push(`if ${test} && [ -r "$p" ]; then s=$(${args.checksum}sum < "$p") || exit 1; echo "sum:\${s%% *}"; fi`);
  }
  return lines.join('\n');
}

export function parsePathInfo(stdout: string, path: string): PathInfo | undefined {
  if (stdout.trim() === 'absent') return { exists: false, path };
  const field = (name: string) => stdout.split('\n').find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1);
  const statLine = field('stat');
  const parts = statLine?.split('|');
  if (!parts || parts.length < 13) return undefined;
  const [mode, uid, gid, owner, group, size, atime, mtime, ctime, inode, nlink, dev] = parts;
  const access = field('access') ?? '';
  const info: PathInfo = {
    exists: true,
    path,
    mode: parseInt(mode!, 8).toString(8).padStart(4, '0'),
    type: TYPES[parts.slice(12).join('|')] ?? 'other',
    uid: Number(uid), gid: Number(gid), owner: owner!, group: group!,
    size: Number(size), atime: Number(atime), mtime: Number(mtime), ctime: Number(ctime),
    inode: Number(inode), nlink: Number(nlink), dev: Number(dev),
    readable: access.includes('r'), writeable: access.includes('w'), executable: access.includes('x'),
  };
  const link = field('link');
  if (link !== undefined) info.linkTarget = link;
  const source = field('source');
  if (source !== undefined) info.linkSource = source;
  const sum = field('sum');
  if (sum !== undefined) info.checksum = sum;
  return info;
}

export const pathInfo = defineFact<PathInfoArgs, PathInfo>({
  name: 'path_info',
  command: pathInfoCommand,
  parse(result, args, host) {
    const info = result.exitCode === 0 ? parsePathInfo(result.stdout, args.path) : undefined;
    if (!info) {
      throw new FactError(`${host}: cannot read ${args.path}: ${(result.stderr || result.stdout).trim().split('\n').pop() || `exit ${result.exitCode}`}`);
    }
    return info;
  },
});
