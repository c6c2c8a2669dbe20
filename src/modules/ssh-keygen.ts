/**
 * `ssh_keygen`: a key pair where none exists, as the walkthrough's `ssh-keygen` on
 * docker01 ("press Enter all the way": no passphrase). Runs on the host, or
 * on the controller with `delegate_to: localhost`. An existing private key is
 * never replaced; a missing public half is derived from it (`ssh-keygen -y`).
 * Returns public_key (one line), path and pub_path either way, so the next
 * task can hand the key to ssh_copy_id.
 */
import { z } from 'zod';
import { defineModule, type Step, type ModuleContext, type Plan } from './types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { numberArg } from './argument-types.js';

const sshKeygenArgs = z
  .object({
    /** The private key's path; `~/` is the login user's home. */
    path: z.string().min(1).default('~/.ssh/id_ed25519'),
    type: z.enum(['ed25519', 'rsa', 'ecdsa']).default('ed25519'),
    /** rsa/ecdsa only. */
    bits: numberArg.pipe(z.number().int().positive()).optional(),
    /** Default: ssh-keygen's own (user@hostname). */
    comment: z.string().optional(),
  })
  .strict();

export type SshKeygenArgs = z.infer<typeof sshKeygenArgs>;

/** The login user's home, for `~/` paths. */
export async function homeOf(ctx: Pick<ModuleContext, 'probe' | 'host'>, user?: string): Promise<string> {
  const command = user === undefined ? 'printf "%s\\n" "$HOME"' : `getent passwd ${quote(user)} | cut -d: -f6`;
  const result = await ctx.probe(command);
  const home = result.stdout.trim();
  if (result.exitCode !== 0 || !home.startsWith('/')) {
    throw new Error(user === undefined ? `cannot find the home folder on ${ctx.host}` : `no user ${user} on ${ctx.host}`);
  }
  return home;
}

export function expandHome(file: string, home: string): string {
  if (file === '~') return home;
  return file.startsWith('~/') ? `${home}/${file.slice(2)}` : file;
}

export const sshKeygen = defineModule({
  name: 'ssh_keygen',
  schema: sshKeygenArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const privatePath = args.path.startsWith('~') ? expandHome(args.path, await homeOf(ctx)) : args.path;
    const pubPath = `${privatePath}.pub`;
    const result = { path: privatePath, pub_path: pubPath, type: args.type };
    const privateExists = (await ctx.probe(quoteArgs(['test', '-e', privatePath]))).exitCode === 0;
    const publicKey = await ctx.readFile(pubPath);
    if (privateExists && publicKey !== null) {
      return { steps: [], result: { ...result, public_key: publicKey.toString('utf8').trim() } };
    }
    const tool = await ctx.probe('command -v ssh-keygen');
    if (tool.exitCode !== 0) return { steps: [], failed: `ssh-keygen is not installed on ${ctx.host} (package openssh-client)` };

    const dir = privatePath.slice(0, privatePath.lastIndexOf('/')) || '/';
    const words = [
      'ssh-keygen', '-q', '-t', args.type, '-N', '', '-f', privatePath,
      ...(args.bits !== undefined ? ['-b', String(args.bits)] : []),
      ...(args.comment !== undefined ? ['-C', args.comment] : []),
    ];
    const make: Step = privateExists
      ? {
          kind: 'command',
          description: `derive ${pubPath} from the existing private key`,
          // Through a temp file: a failed derive must not leave an empty .pub that a next run would take for the key.
          command: `{ ${quoteArgs(['ssh-keygen', '-y', '-f', privatePath])} > ${quote(`${pubPath}.new`)} && mv -f -- ${quote(`${pubPath}.new`)} ${quote(pubPath)}; } || { rm -f -- ${quote(`${pubPath}.new`)}; false; }`,
          failMessage: `cannot derive the public key from ${privatePath} (is it passphrase-protected?)`,
        }
      : {
          kind: 'command',
          description: `generate an ${args.type} key pair at ${privatePath}`,
          // umask 077: the folder and key are private from the start, not chmod-ed afterwards.
          command: `umask 077 && mkdir -p -- ${quote(dir)} && ${quoteArgs(words)} </dev/null`,
          failMessage: `ssh-keygen failed on ${ctx.host}`,
        };
    const readBack: Step = {
      kind: 'command',
      id: 'public_key',
      description: `read ${pubPath}`,
      command: quoteArgs(['cat', '--', pubPath]),
      failMessage: `${pubPath} is missing after ssh-keygen ran on ${ctx.host}`,
    };
    return { steps: [make, readBack], result };
  },
  finish(_args, outcomes) {
    const read = outcomes.byId('public_key')?.run;
    return read && read.exitCode === 0 ? { public_key: read.stdout.trim() } : {};
  },
});
