/**
 * `ssh_copy_id`: puts a public key in a user's authorized_keys, as the walkthrough's
 * `ssh-copy-id docker02`: the folder ~/.ssh with mode 700 and the file with
 * mode 600, both owned by the user; a key already there (same type and
 * base64, whatever its comment or options) is not added again; other lines
 * stay. The first login is by password (the inventory's ansible_password);
 * afterwards the playbook switches to the key.
 */
import { z } from 'zod';
import { defineModule, type Step, type ModuleContext, type Plan } from './types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { attributeChanges, planFileContent, statPath } from './file-content.js';

const sshCopyIdArgs = z
  .object({
    /** One or more public key lines (ssh_keygen's public_key). */
    key: z.string().min(1),
    /** Default: the login user. */
    user: z.string().regex(/^[a-z_][a-z0-9_.-]*\$?$/i, 'not a user name').optional(),
    /** Default: ~USER/.ssh/authorized_keys. */
    path: z.string().min(1).optional(),
  })
  .strict();

export type SshCopyIdArgs = z.infer<typeof sshCopyIdArgs>;

const KEY_TYPE = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/** "type base64" of a key line, skipping options before the type; undefined for comments and junk. */
export function keyIdentity(line: string): string | undefined {
  const words = line.trim().split(/\s+/);
  if (words[0] === undefined || words[0].startsWith('#')) return undefined;
  const at = words.findIndex((w) => KEY_TYPE.test(w));
  if (at < 0 || words[at + 1] === undefined) return undefined;
  return `${words[at]} ${words[at + 1]}`;
}

/** `current` with each key of `keys` appended unless already there. */
export function withKeys(current: string, keys: string[]): string {
  const present = new Set(current.split('\n').map(keyIdentity).filter(Boolean));
  let content = current;
  for (const key of keys) {
    const identity = keyIdentity(key)!;
    if (present.has(identity)) continue;
    present.add(identity);
    if (content !== '' && !content.endsWith('\n')) content += '\n';
    content += `${key.trim()}\n`;
  }
  return content;
}

interface Account {
  user: string;
  group: string;
  home: string;
}

async function account(ctx: ModuleContext, user: string | undefined): Promise<Account> {
  // One probe: name, primary group and home of the user (the login user when none is named).
  const who = user === undefined ? '' : ` ${quote(user)}`;
  const result = await ctx.probe(
    `u=$(id -un${who}) && g=$(id -gn${who}) && h=$(getent passwd "$u" | cut -d: -f6) && printf '%s\\n%s\\n%s\\n' "$u" "$g" "\${h:-$HOME}"`,
  );
  const [name, group, home] = result.stdout.split('\n');
  if (result.exitCode !== 0 || !name || !group || !home?.startsWith('/')) {
    throw new Error(user === undefined ? `cannot read the login user's account on ${ctx.host}` : `no user ${user} on ${ctx.host}`);
  }
  return { user: name, group, home };
}

export const sshCopyId = defineModule({
  name: 'ssh_copy_id',
  schema: sshCopyIdArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const keys = args.key.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const bad = keys.find((k) => keyIdentity(k) === undefined);
    if (keys.length === 0 || bad !== undefined) {
      // Only the first word is shown: a private key pasted by mistake must not reach the output.
      const first = (bad ?? args.key).trim().split(/\s+/)[0]!.slice(0, 20);
      return { steps: [], failed: `key is not an OpenSSH public key line (like 'ssh-ed25519 AAAA... comment'); it starts with ${JSON.stringify(first)}` };
    }
    const owner = await account(ctx, args.user);
    const file = args.path ?? `${owner.home}/.ssh/authorized_keys`;
    const dir = file.slice(0, file.lastIndexOf('/')) || '/';

    const steps: Step[] = [];
    const dirStat = await statPath(ctx, dir);
    if (dirStat === null) {
      steps.push({
        kind: 'command',
        description: `create ${dir} (700, ${owner.user}:${owner.group})`,
        command: `${quoteArgs(['mkdir', '-p', '-m', '700', '--', dir])} && ${quoteArgs(['chown', `${owner.user}:${owner.group}`, '--', dir])}`,
      });
    } else if (dirStat.kind !== 'directory') {
      return { steps: [], failed: `${dir} on ${ctx.host} exists and is not a folder` };
    } else if (args.path === undefined) {
      steps.push(...attributeChanges(dir, dirStat, { mode: '0700', owner: owner.user, group: owner.group }));
    }

    const current = (await ctx.readFile(file))?.toString('utf8') ?? '';
    const content = withKeys(current, keys);
    const filePlan = await planFileContent(ctx, { path: file, content, mode: '0600', owner: owner.user, group: owner.group });
    return {
      steps: [...steps, ...filePlan.steps],
      ...(filePlan.diffs && { diffs: filePlan.diffs }),
      result: { path: file, user: owner.user, keys_added: keys.length - keys.filter((k) => current.split('\n').some((l) => keyIdentity(l) === keyIdentity(k))).length },
    };
  },
});
