/**
 * `fetch`: copies a file of the host to the controller, as Ansible's fetch:
 * into `dest/<inventory_hostname>/<src path>` (one folder per host), or with
 * `flat: true` to `dest` itself (a `dest` ending in `/` gets src's file name).
 * A relative `dest` is taken from the playbook's folder, as Ansible does.
 * The file is read while planning and written on the controller atomically
 * only when its bytes differ (changed), so a second run is ok and `--check`
 * writes nothing. A missing source fails (`fail_on_missing`, default true) or
 * is reported ok with a message. The whole file is held in memory: meant for
 * configuration files and keys, not disk images.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { booleanArg } from './argument-types.js';
import { sha1, statPath } from './file-content.js';

const fetchArgs = z
  .object({
    src: z.string().min(1),
    dest: z.string().min(1),
    flat: booleanArg.default(false),
    fail_on_missing: booleanArg.default(true),
    validate_checksum: booleanArg.default(true),
  })
  .strict();

export type FetchArgs = z.infer<typeof fetchArgs>;

/** Where the file lands on the controller. */
export function fetchDestination(args: FetchArgs, host: string, playbookDir: string): string {
  const base = path.resolve(playbookDir, args.dest);
  if (args.flat) return args.dest.endsWith('/') ? path.join(base, path.posix.basename(args.src)) : base;
  // Ansible keeps src's whole path under the host's folder: dest/host/etc/hosts.
  return path.join(base, host, path.posix.normalize(`/${args.src}`));
}

function md5(content: Buffer): string {
  return createHash('md5').update(content).digest('hex');
}

export const fetch = defineModule({
  name: 'fetch',
  schema: fetchArgs,
  async plan(ctx, args): Promise<Plan> {
    const dest = fetchDestination(args, ctx.host, ctx.playbookDir);
    const stat = await statPath(ctx, args.src);
    if (stat === null || stat.kind === 'directory') {
      const msg = stat === null ? 'the remote file does not exist, not transferring' : 'remote file is a directory, fetch cannot work on directories';
      if (args.fail_on_missing || stat !== null) return { steps: [], failed: msg, result: { file: args.src } };
      return { steps: [], msg: `${msg}, ignored`, result: { file: args.src, msg: `${msg}, ignored` } };
    }
    const content = (await ctx.readFile(args.src)) ?? Buffer.alloc(0);
    const local = await readFile(dest).catch(() => null);
    const result = { dest, checksum: sha1(content), remote_checksum: sha1(content), md5sum: md5(content), remote_md5sum: null };
    if (local !== null && local.equals(content)) return { steps: [], result: { ...result, file: args.src } };
    return {
      steps: [{ kind: 'controller_write', description: `fetch ${args.src} to ${dest}`, source: args.src, path: dest, content }],
      result,
    };
  },
});
