/**
 * `rpm_key`: a GPG key in the host's rpm database, as Ansible's rpm_key.
 * `key` is a URL, a path on the host, or (for state absent) a key id. The
 * key's id is read on the host without changing it (`gpg --show-keys` on the
 * key, fetched with curl or wget for a URL), and `rpm -q gpg-pubkey-<id>`
 * says whether rpm has it: present imports it with `rpm --import` only when
 * missing, absent erases it only when there. `fingerprint` must match the
 * key's, or the task fails before importing. Needs rpm and gpg on the host,
 * as Ansible's does.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { booleanArg } from './argument-types.js';
import { quote } from '../transport/shell-quote.js';

const rpmKeyArgs = z
  .object({
    key: z.string().min(1),
    state: z.enum(['present', 'absent']).default('present'),
    validate_certs: booleanArg.default(true),
    fingerprint: z.union([z.string(), z.array(z.string())]).transform((value) => (Array.isArray(value) ? value : [value])).optional(),
  })
  .strict();

const KEY_ID = /^(0x)?[0-9a-f]{8}([0-9a-f]{8})?$/i;

/** `pub` key ids and fingerprints from gpg --with-colons output. */
export function keysOf(colons: string): { ids: string[]; fingerprints: string[] } {
  const ids: string[] = [];
  const fingerprints: string[] = [];
  let afterPub = false;
  for (const line of colons.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === 'pub') {
      ids.push(fields[4]!.toLowerCase());
      afterPub = true;
    } else if (fields[0] === 'fpr' && afterPub) {
      fingerprints.push(fields[9]!.toUpperCase());
      afterPub = false;
    } else if (fields[0] === 'sub') {
      afterPub = false;
    }
  }
  return { ids, fingerprints };
}

export const rpmKey = defineModule({
  name: 'rpm_key',
  schema: rpmKeyArgs,
  async plan(ctx, args): Promise<Plan> {
    const isUrl = /^(https?|ftp):\/\//.test(args.key);
    let ids: string[];
    let fingerprints: string[] = [];
    if (KEY_ID.test(args.key) && !isUrl) {
      ids = [args.key.replace(/^0x/i, '').toLowerCase()];
    } else {
      const insecure = args.validate_certs ? '' : 'k';
      const source = isUrl
        ? `{ curl -fsSL${insecure} ${quote(args.key)} 2>/dev/null || wget -qO-${args.validate_certs ? '' : ' --no-check-certificate'} ${quote(args.key)}; }`
        : `cat -- ${quote(args.key)}`;
      // A throwaway gpg home: reading a key must not leave a ~/.gnupg behind.
      const read = await ctx.probe(`command -v gpg >/dev/null 2>&1 || exit 127; home=$(mktemp -d) && trap 'rm -rf "$home"' EXIT; ${source} | gpg --homedir "$home" --with-colons --show-keys 2>/dev/null`);
      if (read.exitCode === 127) return { steps: [], failed: `gpg is not installed on ${ctx.host}: rpm_key reads the key's id with it (install gnupg2)` };
      ({ ids, fingerprints } = keysOf(read.stdout));
      if (ids.length === 0) return { steps: [], failed: `not a public key: ${args.key}${read.stdout.trim() ? ` (${read.stdout.trim().split('\n')[0]})` : ''}` };
    }
    if (args.fingerprint) {
      const wanted = args.fingerprint.map((fpr) => fpr.replace(/\s/g, '').toUpperCase());
      const missing = wanted.filter((fpr) => !fingerprints.includes(fpr));
      if (missing.length) return { steps: [], failed: `The specified fingerprint, '${missing[0]}', does not match any key fingerprints in the provided key` };
    }
    const short = ids.map((id) => id.slice(-8));
    const installed = await ctx.probe(short.map((id) => `rpm -q ${quote(`gpg-pubkey-${id}`)} >/dev/null 2>&1 && echo ${id}`).join('; ') + '; true');
    const have = new Set(installed.stdout.split('\n').map((line) => line.trim()).filter(Boolean));
    const result = { key: args.key, state: args.state };
    if (args.state === 'present') {
      if (short.every((id) => have.has(id))) return { steps: [], result };
      return { steps: [{ kind: 'command', description: `rpm --import ${args.key}`, command: `rpm --import ${quote(args.key)}`, failOutputLines: 3 }], result };
    }
    const present = short.filter((id) => have.has(id));
    if (present.length === 0) return { steps: [], result };
    return { steps: present.map((id) => ({ kind: 'command' as const, description: `rpm --erase gpg-pubkey-${id}`, command: `rpm --erase --allmatches ${quote(`gpg-pubkey-${id}`)}` })), result };
  },
});
