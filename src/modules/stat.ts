/**
 * `stat`: what is at a path, as Ansible's stat returns it under `stat`
 * (exists, isdir, isreg, islnk, mode "0644", uid, gid, pw_name, gr_name,
 * size, mtime, atime, ctime, checksum, readable/writeable/executable, the
 * permission bits, lnk_source/lnk_target). Read in one probe through the
 * `path_info` fact; never changes anything. MIME types and file attributes
 * (get_mime, get_attributes) are accepted and not read: swarmplay returns
 * no `mimetype` or `attributes`.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { booleanArg, checkOnePathAlias } from './argument-types.js';
import { CHECKSUM_ALGORITHMS, pathInfo, type PathInfo } from '../facts/path-info.js';

const statArgs = z
  .object({
    path: z.string().min(1).optional(),
    dest: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    follow: booleanArg.default(false),
    get_checksum: booleanArg.default(true),
    checksum_algorithm: z.enum(CHECKSUM_ALGORITHMS).optional(),
    checksum: z.enum(CHECKSUM_ALGORITHMS).optional(),
    checksum_algo: z.enum(CHECKSUM_ALGORITHMS).optional(),
    get_mime: booleanArg.default(true),
    get_attributes: booleanArg.default(true),
  })
  .strict()
  .superRefine((args, refinement) => {
    checkOnePathAlias(args, refinement, ['dest', 'name']);
    const algorithms = [args.checksum_algorithm, args.checksum, args.checksum_algo].filter((value) => value !== undefined).length;
    if (algorithms > 1) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['checksum_algorithm'], message: 'give checksum_algorithm only once (checksum and checksum_algo are its aliases)' });
    }
  })
  .transform(({ dest, name, checksum, checksum_algo, ...args }) => ({
    ...args,
    path: (args.path ?? dest ?? name)!,
    checksum_algorithm: args.checksum_algorithm ?? checksum ?? checksum_algo ?? 'sha1',
  }));

/** Ansible's `stat` dictionary from what path_info read. */
export function ansibleStat(info: PathInfo): Record<string, unknown> {
  if (!info.exists) return { exists: false };
  const bits = parseInt(info.mode!, 8);
  const bit = (mask: number) => (bits & mask) !== 0;
  return {
    exists: true,
    path: info.path,
    mode: info.mode,
    isdir: info.type === 'directory',
    isreg: info.type === 'file',
    islnk: info.type === 'link',
    isblk: info.type === 'block',
    ischr: info.type === 'char',
    isfifo: info.type === 'fifo',
    issock: info.type === 'socket',
    uid: info.uid,
    gid: info.gid,
    pw_name: info.owner,
    gr_name: info.group,
    size: info.size,
    atime: info.atime,
    mtime: info.mtime,
    ctime: info.ctime,
    inode: info.inode,
    nlink: info.nlink,
    dev: info.dev,
    readable: info.readable,
    writeable: info.writeable,
    executable: info.executable,
    rusr: bit(0o400), wusr: bit(0o200), xusr: bit(0o100),
    rgrp: bit(0o40), wgrp: bit(0o20), xgrp: bit(0o10),
    roth: bit(0o4), woth: bit(0o2), xoth: bit(0o1),
    isuid: bit(0o4000), isgid: bit(0o2000),
    ...(info.linkSource !== undefined && { lnk_source: info.linkSource, lnk_target: info.linkTarget }),
    ...(info.checksum !== undefined && { checksum: info.checksum }),
  };
}

export const stat = defineModule({
  name: 'stat',
  schema: statArgs,
  async plan(ctx, args): Promise<Plan> {
    const info = await ctx.fact(pathInfo, {
      path: args.path,
      follow: args.follow,
      ...(args.get_checksum && { checksum: args.checksum_algorithm }),
    });
    return { steps: [], result: { stat: ansibleStat(info) } };
  },
});
