/**
 * `known_hosts`: a host's key in an OpenSSH known_hosts file on the host, as
 * Ansible's known_hosts module. `key` is a known_hosts line ("HOST TYPE
 * BASE64", as ssh-keyscan prints it) whose host must be `name` (or
 * [name]:port). present: an entry of the host with the same key is kept;
 * one with the same key type but another key is replaced (a new host key);
 * absent: every entry of the host goes. Hashed entries (|1|salt|hash) are
 * matched by computing the hash on the controller; `hash_host` writes the
 * new entry hashed. The path defaults to ~/.ssh/known_hosts of the
 * connecting user (the folder is made 0700 when missing).
 */
import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';
import { planFileContent, statPath } from './file-content.js';
import { joinLines, splitLines } from './lineinfile.js';

const knownHostsArgs = z
  .object({
    name: z.string().min(1).regex(/^[^\s,#|]+$/, 'a host name or address').optional(),
    host: z.string().min(1).regex(/^[^\s,#|]+$/, 'a host name or address').optional(),
    key: z.string().regex(/^[^\n]+\n?$/, 'one known_hosts line').optional(),
    path: z.string().min(1).default('~/.ssh/known_hosts'),
    hash_host: booleanArg.default(false),
    state: z.enum(['present', 'absent']).default('present'),
  })
  .strict()
  .superRefine((args, refinement) => {
    const name = (args.name ?? args.host)?.toLowerCase();
    if (name === undefined || (args.name !== undefined && args.host !== undefined)) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['name'], message: name === undefined ? 'name is required (or its alias host)' : 'give name only once (host is its alias)' });
      return;
    }
    if (args.state === 'present' && args.key === undefined) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['key'], message: 'state is present but all of the following are missing: key' });
    if (args.key !== undefined) {
      const [hosts, type, body] = args.key.trim().split(/\s+/);
      if (!type || !body) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['key'], message: 'a known_hosts line: HOST TYPE BASE64 (as ssh-keyscan prints it)' });
      else if (!hosts!.startsWith('|1|') && !hosts!.toLowerCase().split(',').some((h) => h === name || h.replace(/^\[(.*)\]:\d+$/, '$1') === name)) {
        refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['key'], message: `Host parameter does not match hashed host field in supplied key: the key is for ${hosts}, not ${name}` });
      }
    }
  })
  .transform(({ host, ...args }) => ({ ...args, name: (args.name ?? host)!.toLowerCase() }));

/** Whether a known_hosts host field (plain list or |1|salt|hash) names the host. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return field.toLowerCase().split(',').includes(name);
}

export function hashHost(name: string, salt: Buffer = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

export const knownHosts = defineModule({
  name: 'known_hosts',
  schema: knownHostsArgs,
  async plan(ctx, args): Promise<Plan> {
    let file = args.path;
    if (file.startsWith('~/')) file = path.posix.join((await ctx.probe('printf %s "$HOME"')).stdout.trim() || '/root', file.slice(2));
    const current = (await ctx.readFile(file))?.toString('utf8');
    const lines = splitLines(current ?? '');
    // A [host]:port key is stored under that form; match entries by it.
    const [keyHosts, keyType, keyBody] = (args.key ?? '').trim().split(/\s+/);
    const lookup = keyHosts && /^\[.*\]:\d+$/.test(keyHosts) ? keyHosts.toLowerCase().split(',').find((h) => h.startsWith('[')) ?? args.name : args.name;
    const entryOf = (line: string) => {
      if (line.trim() === '' || line.startsWith('#') || line.startsWith('@')) return undefined;
      const [hosts, type, body] = line.trim().split(/\s+/);
      return hosts && hostFieldMatches(hosts, lookup) ? { type, body } : undefined;
    };
    const result = { name: args.name, path: file, hash_host: args.hash_host, key: args.key ?? null };
    let after: string[];
    if (args.state === 'absent') {
      after = lines.filter((line) => !entryOf(line));
    } else {
      if (lines.some((line) => { const e = entryOf(line); return e?.type === keyType && e.body === keyBody; })) return { steps: [], result };
      const hosts = args.hash_host ? hashHost(lookup) : keyHosts!;
      after = [...lines.filter((line) => entryOf(line)?.type !== keyType), `${hosts} ${keyType} ${keyBody}`];
    }
    if (after.length === lines.length && args.state === 'absent') return { steps: [], result };
    const steps: Step[] = [];
    const dir = path.posix.dirname(file);
    if (current === undefined && !(await statPath(ctx, dir))) {
      steps.push({ kind: 'command', description: `create ${dir}`, command: quoteArgs(['mkdir', '-p', '-m', '700', '--', dir]) });
    }
    const plan = await planFileContent(ctx, { path: file, content: joinLines(after) });
    return { ...plan, steps: [...steps, ...plan.steps], result };
  },
});
