/**
 * `yum_repository`: one repository section of a `.repo` file under
 * /etc/yum.repos.d, as Ansible's yum_repository: state present replaces the
 * section `[name]` with the options given (booleans as 1/0, `description`
 * written as `name`, lists of baseurl/gpgkey one per line, exclude and
 * includepkgs space-joined), keys sorted; other sections of the file stay.
 * The file is written the way Python's configparser writes it (`key = value`,
 * a blank line after each section). As in Ansible, whether anything changes
 * is decided on the sections' content, not on the file's formatting; a file
 * left without sections is removed. The content is computed on the
 * controller (check mode and diff for free).
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { accountArg, booleanArg } from './argument-types.js';
import { planFileContent } from './file-content.js';
import { quote } from '../transport/shell-quote.js';

const text = z.union([z.string(), z.number()]).transform(String);
const list = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((value) => (Array.isArray(value) ? value : [value]));

/** The options written into the section, by their names in the file. */
const REPO_OPTIONS = {
  async: booleanArg, bandwidth: text, cost: text, deltarpm_metadata_percentage: text, deltarpm_percentage: text,
  enabled: booleanArg, enablegroups: booleanArg, exclude: list, failovermethod: z.enum(['roundrobin', 'priority']), gpgcakey: z.string(),
  gpgcheck: booleanArg, http_caching: z.enum(['all', 'packages', 'none']), include: z.string(), includepkgs: list, ip_resolve: z.enum(['4', '6', 'IPv4', 'IPv6', 'whatever']),
  keepalive: booleanArg, keepcache: z.enum(['0', '1']), metadata_expire: text, metadata_expire_filter: z.string(), metalink: z.string(), mirrorlist: z.string(),
  mirrorlist_expire: text, module_hotfixes: booleanArg, password: z.string(), priority: text, protect: booleanArg, proxy: z.string(), proxy_password: z.string(),
  proxy_username: z.string(), repo_gpgcheck: booleanArg, retries: text, s3_enabled: booleanArg, skip_if_unavailable: booleanArg,
  ssl_check_cert_permissions: booleanArg, sslcacert: z.string(), sslclientcert: z.string(), sslclientkey: z.string(), sslverify: booleanArg,
  throttle: text, timeout: text, ui_repoid_vars: z.string(), username: z.string(),
} as const;

const yumRepositoryArgs = z
  .object({
    name: z.string().regex(/^[^\s[\]]+$/, 'a repository id without spaces or brackets'),
    description: z.string().min(1).optional(),
    baseurl: list.optional(),
    gpgkey: list.optional(),
    file: z.string().regex(/^[^/]+$/, 'a file name without a folder').optional(),
    reposdir: z.string().regex(/^\//, 'an absolute path').default('/etc/yum.repos.d'),
    state: z.enum(['present', 'absent']).default('present'),
    validate_certs: booleanArg.optional(),
    mode: z.union([z.string(), z.number()]).transform(String).optional(),
    owner: accountArg.optional(),
    group: accountArg.optional(),
    ...Object.fromEntries(Object.entries(REPO_OPTIONS).map(([key, schema]) => [key, (schema as z.ZodTypeAny).optional()])) as {
      [K in keyof typeof REPO_OPTIONS]: z.ZodOptional<(typeof REPO_OPTIONS)[K]>
    },
  })
  .strict()
  .superRefine((args, refinement) => {
    const issue = (message: string) => refinement.addIssue({ code: z.ZodIssueCode.custom, message });
    if (args.state === 'present' && args.baseurl === undefined && args.metalink === undefined && args.mirrorlist === undefined) {
      issue("Parameter 'baseurl', 'metalink' or 'mirrorlist' is required.");
    }
    if (args.state === 'present' && args.description === undefined) issue("Parameter 'description' is required.");
    if (args.sslverify !== undefined && args.validate_certs !== undefined) issue('give sslverify only once (validate_certs is its alias)');
  });

type YumRepositoryArgs = z.infer<typeof yumRepositoryArgs>;
type Sections = Map<string, Map<string, string>>;

/** A .repo file's sections and options, as configparser reads them (indented lines continue a value). */
export function parseRepoFile(content: string): Sections {
  const sections: Sections = new Map();
  let current: Map<string, string> | undefined;
  let lastKey: string | undefined;
  for (const line of content.split('\n')) {
    if (/^\s*([#;].*)?$/.test(line)) continue;
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      lastKey = undefined;
    } else if (/^\s/.test(line) && current && lastKey !== undefined) {
      current.set(lastKey, `${current.get(lastKey)}\n${line.trim()}`);
    } else if (current) {
      const option = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
      if (option) {
        lastKey = option[1]!.toLowerCase();
        current.set(lastKey, option[2]!);
      }
    }
  }
  return sections;
}

/** Ansible's comparison form: sections and keys sorted, `key = value`. */
function dump(sections: Sections): string {
  return [...sections.keys()].sort().map((name) => {
    const options = sections.get(name)!;
    return `[${name}]\n${[...options.keys()].sort().map((key) => `${key} = ${options.get(key)}\n`).join('')}\n`;
  }).join('');
}

/** The file as configparser writes it: sections in order, continuation lines indented by a tab. */
function render(sections: Sections): string {
  return [...sections].map(([name, options]) =>
    `[${name}]\n${[...options].map(([key, value]) => `${key} = ${value.split('\n').join('\n\t')}\n`).join('')}\n`).join('');
}

function sectionOf(args: YumRepositoryArgs): Map<string, string> {
  const values: Record<string, string> = {};
  const given = args as Record<string, unknown>;
  for (const key of Object.keys(REPO_OPTIONS)) {
    const value = given[key];
    if (value === undefined) continue;
    values[key] = typeof value === 'boolean' ? (value ? '1' : '0') : Array.isArray(value) ? value.join(' ') : String(value);
  }
  if (args.validate_certs !== undefined) values.sslverify = args.validate_certs ? '1' : '0';
  if (args.baseurl) values.baseurl = args.baseurl.join('\n');
  if (args.gpgkey) values.gpgkey = args.gpgkey.join('\n');
  values.name = args.description!;
  return new Map(Object.keys(values).sort().map((key) => [key, values[key]!]));
}

export const yumRepository = defineModule({
  name: 'yum_repository',
  schema: yumRepositoryArgs,
  changesByWrites: true,
  async plan(ctx, args): Promise<Plan> {
    const dest = `${args.reposdir.replace(/\/+$/, '')}/${args.file ?? args.name}.repo`;
    const current = await ctx.readFile(dest);
    const sections = parseRepoFile(current?.toString('utf8') ?? '');
    const before = dump(sections);
    if (args.state === 'present') sections.set(args.name, sectionOf(args));
    else sections.delete(args.name);
    const result = { repo: args.name, state: args.state };
    if (dump(sections) === before) return { steps: [], result };
    if (sections.size === 0) {
      const remove: Step = { kind: 'command', description: `remove ${dest} (no repository left in it)`, command: `rm -f -- ${quote(dest)}` };
      return { steps: [remove], diffs: [{ path: dest, before: current?.toString('utf8') ?? '', after: '' }], result };
    }
    const plan = await planFileContent(ctx, { path: dest, content: render(sections), mode: args.mode ?? (current === null ? '0644' : undefined), owner: args.owner, group: args.group });
    return { ...plan, result };
  },
});
