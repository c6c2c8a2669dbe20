/**
 * `authorized_key`: SSH public keys in a user's authorized_keys, as
 * ansible.posix.authorized_key. `key` holds one key or several, one a line
 * (blank lines and # comments skipped). A key is identified by its type and
 * base64 body: present adds it, or rewrites its line when its options
 * (`key_options`, else those written in `key`) or comment differ; absent
 * removes it; `exclusive` leaves only the given keys. The file is
 * ~USER/.ssh/authorized_keys unless `path` says; with manage_dir (default)
 * the .ssh folder is made (0700) and the file is 0600, both owned by the
 * user. Keys fetched from a URL are not offered: give the key's text
 * (a lookup('file', ...) reads it on the controller).
 */
import path from 'node:path';
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import { planFileContent, statPath } from './file-content.js';
import { userAccount } from '../facts/accounts.js';
import { splitLines } from './lineinfile.js';
import { accountName } from './user.js';

const KEY_TYPES = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)(-cert-v01@openssh\.com)?$/;

export interface KeyLine {
  options?: string;
  type: string;
  body: string;
  comment?: string;
}

/** Splits an options field that may hold quoted commas and spaces (command="a b",no-pty). */
function splitOptionsAndRest(line: string): [string | undefined, string] {
  let inQuote = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (char === '\\' && inQuote) index++;
    else if (char === '"') inQuote = !inQuote;
    else if (/\s/.test(char) && !inQuote) return [line.slice(0, index), line.slice(index).trim()];
  }
  return [line, ''];
}

/** One authorized_keys line, or undefined when it is not a key (a comment, blank, garbage). */
export function parseKeyLine(line: string): KeyLine | undefined {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const words = text.split(/\s+/);
  let options: string | undefined;
  let rest = text;
  if (!KEY_TYPES.test(words[0]!)) {
    [options, rest] = splitOptionsAndRest(text);
  }
  const [type, body, ...comment] = rest.split(/\s+/);
  if (!type || !body || !KEY_TYPES.test(type)) return undefined;
  return { ...(options && { options }), type, body, ...(comment.length && { comment: comment.join(' ') }) };
}

export function formatKeyLine(key: KeyLine): string {
  return [key.options, key.type, key.body, key.comment].filter((part) => part !== undefined && part !== '').join(' ');
}

const authorizedKeyArgs = z
  .object({
    user: accountName,
    key: z.string().min(1),
    path: z.string().min(1).optional(),
    manage_dir: booleanArg.default(true),
    state: z.enum(['present', 'absent']).default('present'),
    key_options: z.string().optional(),
    exclusive: booleanArg.default(false),
    comment: z.string().optional(),
    validate_certs: booleanArg.default(true),
    follow: booleanArg.default(false),
  })
  .strict()
  .transform((args, refinement) => {
    if (/^https?:\/\//.test(args.key.trim())) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['key'], message: "keys from a URL are not fetched: give the key's text (lookup('file', 'id_ed25519.pub'))" });
      return z.NEVER;
    }
    const keys: KeyLine[] = [];
    for (const line of args.key.split('\n')) {
      if (line.trim() === '' || line.trim().startsWith('#')) continue;
      const parsed = parseKeyLine(line);
      if (!parsed) {
        refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['key'], message: `invalid key specified: ${line.trim().slice(0, 40)}...` });
        return z.NEVER;
      }
      keys.push({
        ...parsed,
        ...(args.key_options !== undefined && { options: args.key_options || undefined }),
        ...(args.comment !== undefined && { comment: args.comment }),
      });
    }
    return { ...args, keys };
  });

const sameKey = (a: KeyLine, b: KeyLine) => a.type === b.type && a.body === b.body;

export const authorizedKey = defineModule({
  name: 'authorized_key',
  schema: authorizedKeyArgs,
  async plan(ctx, args): Promise<Plan> {
    const account = await ctx.fact(userAccount, { name: args.user, groups: [], hash: false });
    if (!account.user) return { steps: [], failed: `Failed to lookup user ${args.user}: no such user` };
    const home = account.user.home;
    const file = args.path ?? path.posix.join(home, '.ssh', 'authorized_keys');
    const owner = args.user;
    const group = String(account.user.gid);
    const current = (await ctx.readFile(file))?.toString('utf8');
    const lines = splitLines(current ?? '');

    let kept: string[];
    if (args.state === 'absent') {
      kept = lines.filter((line) => {
        const parsed = parseKeyLine(line);
        return !parsed || !args.keys.some((key) => sameKey(key, parsed));
      });
    } else {
      kept = [];
      const placed = new Set<KeyLine>();
      for (const line of lines) {
        const parsed = parseKeyLine(line);
        const wanted = parsed && args.keys.find((key) => sameKey(key, parsed));
        if (wanted) {
          if (!placed.has(wanted)) kept.push(formatKeyLine(wanted));
          placed.add(wanted);
        } else if (!args.exclusive || !parsed) {
          // exclusive drops other keys; comments and blank lines stay.
          if (!args.exclusive || line.trim() === '' || line.trim().startsWith('#')) kept.push(line);
        }
      }
      for (const key of args.keys) if (!placed.has(key)) kept.push(formatKeyLine(key));
    }

    const result = { user: args.user, key: args.key, key_options: args.key_options ?? null, keyfile: file, exclusive: args.exclusive, manage_dir: args.manage_dir, state: args.state };
    const content = kept.length ? `${kept.join('\n')}\n` : '';
    if (current === undefined && args.state === 'absent') return { steps: [], result };

    const steps: Step[] = [];
    const dir = path.posix.dirname(file);
    if (args.manage_dir && args.path === undefined) {
      const stat = await statPath(ctx, dir);
      if (!stat) {
        steps.push({ kind: 'command', description: `create ${dir}`, command: quoteArgs(['install', '-d', '-m', '700', '-o', owner, '-g', group, '--', dir]) });
      }
    }
    const unchanged = current !== undefined && splitLines(current).join('\n') === kept.join('\n');
    const plan = await planFileContent(ctx, {
      path: file,
      content: unchanged ? current! : content,
      ...(args.manage_dir && { mode: '0600', owner, group }),
    });
    return { ...plan, steps: [...steps, ...plan.steps], result };
  },
});
