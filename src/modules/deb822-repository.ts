/**
 * `deb822_repository`: an apt source in deb822 form,
 * /etc/apt/sources.list.d/SLUG.sources, as Ansible's deb822_repository
 * (ansible-core 2.15): the fields in Ansible's order (sorted by argument
 * name, X-Repolib-Name for name, lists joined by spaces, booleans yes/no).
 * signed_by: a path that exists on the host is used as it is; a URL is
 * fetched by the host (curl or wget, a read-only probe) into
 * /etc/apt/keyrings/SLUG.asc (armored) or .gpg, written only when it
 * differs; key text is written inline, as Ansible does. state absent
 * removes the .sources file and SLUG.asc/.gpg. As in Ansible, the package
 * lists are not refreshed: follow with `apt: update_cache: true`.
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step, type FileDiff } from './types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { booleanArg, numberArg } from './argument-types.js';
import { modeSchema } from './file-mode.js';
import { planFileContent, statPath } from './file-content.js';

const words = z.union([z.string(), z.array(z.string())]).transform((value) => (Array.isArray(value) ? value : value.split(/[\s,]+/)).map((v) => v.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^\s\n]+$/, 'no spaces')).min(1));

const deb822Args = z
  .object({
    name: z.string().min(1).regex(/^[^\n]+$/, 'one line'),
    types: z.union([z.enum(['deb', 'deb-src']), z.array(z.enum(['deb', 'deb-src']))]).transform((v) => (Array.isArray(v) ? v : [v])).default(['deb']),
    uris: words.optional(),
    suites: words.optional(),
    components: words.optional(),
    architectures: words.optional(),
    languages: words.optional(),
    targets: words.optional(),
    signed_by: z.string().min(1).optional(),
    enabled: booleanArg.optional(),
    trusted: booleanArg.optional(),
    pdiffs: booleanArg.optional(),
    by_hash: booleanArg.optional(),
    allow_insecure: booleanArg.optional(),
    allow_weak: booleanArg.optional(),
    allow_downgrade_to_insecure: booleanArg.optional(),
    check_date: booleanArg.optional(),
    check_valid_until: booleanArg.optional(),
    date_max_future: numberArg.pipe(z.number().int()).optional(),
    inrelease_path: z.string().optional(),
    install_python_debian: booleanArg.default(true),
    mode: modeSchema.default('0644'),
    state: z.enum(['present', 'absent']).default('present'),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.state === 'present') {
      for (const field of ['uris', 'suites'] as const) {
        if (args[field] === undefined) refinement.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: `state present needs ${field}` });
      }
    }
  });

export type Deb822Args = z.infer<typeof deb822Args>;

/** Ansible's slug: lower case, runs of "_" and spaces as "-", anything else but [a-z0-9-] dropped. */
export function deb822Slug(name: string): string {
  return name.toLowerCase().replace(/[_\s]+/g, '-').replace(/[^a-z0-9-]+/g, '');
}

const KEYRINGS = '/etc/apt/keyrings';

function fieldName(key: string): string {
  if (key === 'name') return 'X-Repolib-Name';
  if (key === 'uris') return 'URIs';
  return key.split('_').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('-');
}

/** The .sources text: fields sorted by argument name, as Ansible writes them. */
export function deb822Text(args: Deb822Args, signedBy: string | undefined): string {
  const fields: Record<string, unknown> = {
    allow_downgrade_to_insecure: args.allow_downgrade_to_insecure, allow_insecure: args.allow_insecure, allow_weak: args.allow_weak,
    architectures: args.architectures, by_hash: args.by_hash, check_date: args.check_date, check_valid_until: args.check_valid_until,
    components: args.components, date_max_future: args.date_max_future, enabled: args.enabled, inrelease_path: args.inrelease_path,
    languages: args.languages, name: args.name, pdiffs: args.pdiffs, signed_by: signedBy, suites: args.suites, targets: args.targets,
    trusted: args.trusted, types: args.types, uris: args.uris,
  };
  const lines: string[] = [];
  for (const key of Object.keys(fields).sort()) {
    const value = fields[key];
    if (value === undefined) continue;
    let text = typeof value === 'boolean' ? (value ? 'yes' : 'no') : Array.isArray(value) ? value.join(' ') : String(value);
    // A multi-line value (inline key text) starts on the next line, continued with indented lines, "." for a
    // blank one: "Signed-By:" then the key, nothing after the colon (python-debian's dump, which Ansible's uses).
    if (text.includes('\n')) {
      lines.push(`${fieldName(key)}:\n${text.trim().split('\n').map((line) => `    ${line.trim() || '.'}`).join('\n')}`);
      continue;
    }
    lines.push(`${fieldName(key)}: ${text}`);
  }
  return `${lines.join('\n')}\n`;
}

export const deb822Repository = defineModule({
  name: 'deb822_repository',
  schema: deb822Args,
  async plan(ctx, args): Promise<Plan> {
    const slug = deb822Slug(args.name);
    const dest = `/etc/apt/sources.list.d/${slug}.sources`;
    if (args.state === 'absent') {
      const steps: Step[] = [];
      const diffs: FileDiff[] = [];
      for (const file of [dest, `${KEYRINGS}/${slug}.asc`, `${KEYRINGS}/${slug}.gpg`]) {
        const current = await ctx.readFile(file);
        if (current === null) continue;
        steps.push({ kind: 'command', description: `remove ${file}`, command: quoteArgs(['rm', '-f', '--', file]) });
        diffs.push({ path: file, before: file.endsWith('.gpg') ? '(binary keyring)\n' : current.toString('utf8'), after: '' });
      }
      return { steps, diffs, result: { repo: null, dest, key_filename: null } };
    }

    const steps: Step[] = [];
    const diffs: FileDiff[] = [];
    let signedBy = args.signed_by;
    let keyFilename: string | null = null;
    if (signedBy !== undefined && /^\w+:\/\//.test(signedBy)) {
      const fetched = await ctx.probe(`{ curl -fsSL ${quote(signedBy)} 2>/dev/null || wget -qO- ${quote(signedBy)}; } | base64 -w0`);
      const key = Buffer.from(fetched.stdout.trim(), 'base64');
      if (key.length === 0) return { steps: [], failed: `Could not fetch signed_by key: ${signedBy} gave nothing (is curl or wget on the host, and the URL reachable?)` };
      const armored = key.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----');
      keyFilename = `${KEYRINGS}/${slug}.${armored ? 'asc' : 'gpg'}`;
      if (!(await statPath(ctx, KEYRINGS))) steps.push({ kind: 'command', description: `create ${KEYRINGS}`, command: quoteArgs(['install', '-d', '-m', '755', '--', KEYRINGS]) });
      const plan = await planFileContent(ctx, { path: keyFilename, content: armored ? key.toString('utf8') : key, mode: '0644' });
      steps.push(...plan.steps);
      diffs.push(...(plan.diffs ?? []));
      signedBy = keyFilename;
    } else if (signedBy !== undefined && signedBy.startsWith('/') && !signedBy.includes('\n')) {
      if (!(await statPath(ctx, signedBy))) return { steps: [], failed: `signed_by ${signedBy} does not exist on the host (a keyring path, a URL, or the key's text)` };
      keyFilename = signedBy;
    }
    const repo = deb822Text(args, signedBy);
    const plan = await planFileContent(ctx, { path: dest, content: repo, mode: args.mode });
    steps.push(...plan.steps);
    diffs.push(...(plan.diffs ?? []));
    return { steps, diffs, result: { repo, dest, key_filename: keyFilename } };
  },
});
