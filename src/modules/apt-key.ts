/**
 * `apt_key`: an OpenPGP key apt trusts, as Ansible's apt_key, done with gpg
 * instead of the deprecated apt-key: the key goes to `keyring` (default
 * /etc/apt/trusted.gpg.d/ID.gpg, or KEY.gpg named after the data's
 * fingerprint when no id is given), dearmored. Which keys apt trusts is read
 * from /etc/apt/trusted.gpg and trusted.gpg.d (or the given keyring) with
 * `gpg --show-keys`; an id (long id or fingerprint, 0x allowed) already
 * there means no change, without fetching anything. data, file (on the
 * host) and url (fetched by the host with curl or wget, read-only) give the
 * key; keyserver receives it by id. state absent removes the keyring file
 * holding the id (or the key from a shared keyring with gpg --delete-keys).
 * Prefer deb822_repository's signed_by or a keyring in /etc/apt/keyrings.
 * Kept different from Ansible on purpose (compared with ansible-core 2.14 in
 * test/e2e/apt-sources-ansible.test.ts): Ansible's apt-key imports the key
 * into an empty keyring file with gpg, which writes a GnuPG keyring (the key
 * plus gpg's trust packets) and leaves an empty KEYRING~ beside it; here the
 * keyring is the key dearmored, nothing beside it. Same key and fingerprint,
 * same mode 0644, apt reads both, and each tool finds the other's key there.
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { booleanArg } from './argument-types.js';

const aptKeyArgs = z
  .object({
    id: z.union([
      z.string().regex(/^(0x)?[0-9A-Fa-f]{8,40}$/, 'a key id or fingerprint (hex, 0x allowed)'),
      z.number().transform((_value, refinement) => {
        refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'write the key id quoted ("0xF8D2585B8783D481"): YAML reads 0x... or digits as a number' });
        return z.NEVER;
      }),
    ]).optional(),
    url: z.string().regex(/^\w+:\/\/\S+$/, 'a URL').optional(),
    data: z.string().min(1).optional(),
    file: z.string().regex(/^\//, 'an absolute path on the host').optional(),
    keyring: z.string().regex(/^\//, 'an absolute path').optional(),
    keyserver: z.string().regex(/^\S+$/, 'a key server').optional(),
    validate_certs: booleanArg.default(true),
    state: z.enum(['present', 'absent']).default('present'),
  })
  .strict()
  .superRefine((args, refinement) => {
    const sources = (['data', 'file', 'keyserver', 'url'] as const).filter((key) => args[key] !== undefined);
    if (sources.length > 1) refinement.addIssue({ code: z.ZodIssueCode.custom, message: `parameters are mutually exclusive: data|file|keyserver|url (got ${sources.join(', ')})` });
    if (args.state === 'present' && sources.length === 0 && args.id === undefined) refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'state present needs one of data, file, url, keyserver (with id)' });
    if (args.keyserver !== undefined && args.id === undefined) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['id'], message: 'keyserver needs id' });
    if (args.state === 'absent' && args.id === undefined) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['id'], message: 'state absent needs id' });
  })
  .transform((args) => ({ ...args, id: args.id?.replace(/^0x/i, '').toUpperCase() }));

const SECTION = '::swarmplay-keyring::';

/** Fingerprints per keyring file, from `gpg --show-keys --with-colons` of each. */
export function parseKeyrings(output: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  let current: string | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith(SECTION)) files.set((current = line.slice(SECTION.length).trim()), []);
    else if (current !== undefined && line.startsWith('fpr:')) files.get(current)!.push(line.split(':')[9]!);
  }
  return files;
}

/** The fingerprints in gpg --show-keys --with-colons output (primary keys' first). */
export function fingerprints(output: string): string[] {
  return output.split('\n').filter((line) => line.startsWith('fpr:')).map((line) => line.split(':')[9]!).filter(Boolean);
}

const matchesId = (fingerprint: string, id: string) => fingerprint.toUpperCase().endsWith(id);

export const aptKey = defineModule({
  name: 'apt_key',
  schema: aptKeyArgs,
  async plan(ctx, args): Promise<Plan> {
    const where = args.keyring ? quote(args.keyring) : '/etc/apt/trusted.gpg /etc/apt/trusted.gpg.d/*.gpg /etc/apt/trusted.gpg.d/*.asc';
    const listing = await ctx.probe(`for f in ${where}; do [ -f "$f" ] && { echo "${SECTION}$f"; gpg --batch --show-keys --with-colons "$f" 2>/dev/null; }; done; exit 0`);
    const keyrings = parseKeyrings(listing.stdout);
    const holding = (id: string) => [...keyrings].filter(([, fprs]) => fprs.some((fpr) => matchesId(fpr, id))).map(([file]) => file);
    const result: Record<string, unknown> = { id: args.id ?? null, fp: null, key_id: null };

    if (args.state === 'absent') {
      const files = holding(args.id!);
      const steps: Step[] = files.map((file) => (keyrings.get(file)!.length <= 2 && file !== '/etc/apt/trusted.gpg'
        ? { kind: 'command', description: `remove the keyring ${file}`, command: quoteArgs(['rm', '-f', '--', file]) }
        : { kind: 'command', description: `delete key ${args.id} from ${file}`, command: quoteArgs(['gpg', '--batch', '--yes', '--no-default-keyring', '--keyring', file, '--delete-keys', args.id!]) }));
      return { steps, result };
    }

    if (args.id !== undefined && holding(args.id).length) return { steps: [], result: { ...result, fp: args.id, key_id: args.id.slice(-16) } };

    // The key's bytes as a shell pipeline that prints them (read-only), to learn its fingerprint and to dearmor it.
    let source: string | undefined;
    let stdin: string | undefined;
    if (args.data !== undefined) stdin = args.data;
    else if (args.file !== undefined) source = `cat ${quote(args.file)}`;
    else if (args.url !== undefined) source = `{ curl -fsSL${args.validate_certs ? '' : 'k'} ${quote(args.url)} 2>/dev/null || wget -qO-${args.validate_certs ? '' : ' --no-check-certificate'} ${quote(args.url)}; }`;

    let fingerprint = args.id;
    if (source !== undefined || stdin !== undefined) {
      const shown = await ctx.probe(`${source !== undefined ? `${source} | ` : ''}gpg --batch --show-keys --with-colons 2>&1`, stdin !== undefined ? { stdin } : undefined);
      const found = fingerprints(shown.stdout);
      if (found.length === 0) return { steps: [], failed: `the key ${args.url ?? args.file ?? 'data'} is not an OpenPGP key gpg can read: ${shown.stdout.trim().split('\n').at(-1) ?? ''}` };
      if (args.id !== undefined && !found.some((fpr) => matchesId(fpr, args.id!))) return { steps: [], failed: `the key given does not hold id ${args.id} (it holds ${found[0]})` };
      fingerprint = found[0]!;
      if (holding(fingerprint).length) return { steps: [], result: { ...result, fp: fingerprint, key_id: fingerprint.slice(-16) } };
    }
    const keyring = args.keyring ?? `/etc/apt/trusted.gpg.d/${(args.id ?? fingerprint!).slice(-16)}.gpg`;
    const step: Step = args.keyserver !== undefined
      ? { kind: 'command', description: `receive key ${args.id} from ${args.keyserver} into ${keyring}`, command: `${quoteArgs(['gpg', '--batch', '--no-default-keyring', '--keyring', keyring, '--keyserver', args.keyserver, '--recv-keys', args.id!])} && chmod 644 ${quote(keyring)}`, failOutputLines: 4 }
      : {
        kind: 'command', description: `add key ${fingerprint} to ${keyring}`,
        // Armored keys are dearmored; a binary key is apt's format already.
        command: `umask 022; k=$(mktemp) && ${source ?? 'cat'} > "$k" && if grep -q 'BEGIN PGP' "$k"; then gpg --batch --yes --dearmor -o ${quote(keyring)} "$k"; else cp "$k" ${quote(keyring)}; fi; rc=$?; rm -f "$k"; exit $rc`,
        ...(stdin !== undefined && { stdin }), failOutputLines: 4,
      };
    return { steps: [step], result: { ...result, fp: fingerprint, key_id: fingerprint?.slice(-16) ?? null } };
  },
});
