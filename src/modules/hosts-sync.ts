/**
 * `hosts_sync`: one marked block in /etc/hosts mapping each host of a group
 * to its address, as the walkthrough's hand-written lines copied to every host:
 *
 *     # BEGIN SWARMPLAY HOSTS
 *     192.168.20.6 docker01
 *     ...
 *     # END SWARMPLAY HOSTS
 *
 * Every other line stays as it is; a host that leaves the group leaves the
 * block. The hosts come from `entries` (a list of {name, address, aliases}),
 * or from the inventory: each host of `group` (default all) with the address
 * in its `address_var` host variable (default ansible_host), or failing that
 * its gathered default IPv4 address.
 *
 * Writing: /etc/hosts is often a mount point (containers, the lab's hosts),
 * where renaming a file over it fails with EBUSY. The write goes to a temp
 * file beside it first (so a dropped connection leaves the old file whole),
 * is checked for size, then renamed over the target; only when the rename
 * fails is the temp file copied into the target in place.
 */
import { z } from 'zod';
import { defineModule, type Step, type ModuleContext, type Plan } from './types.js';
import { quote } from '../transport/shell-quote.js';
import { isIpAddress } from './network-address.js';

export const BEGIN_MARKER = '# BEGIN SWARMPLAY HOSTS';
export const END_MARKER = '# END SWARMPLAY HOSTS';

const hostName = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'not a valid host name');

const entrySchema = z
  .object({
    name: hostName,
    address: z.string().refine(isIpAddress, 'not an IP address'),
    aliases: z.array(hostName).default([]),
  })
  .strict();

const hostsSyncArgs = z
  .object({
    entries: z.array(entrySchema).optional(),
    group: z.string().min(1).default('all'),
    address_var: z.string().min(1).default('ansible_host'),
    path: z.string().min(1).default('/etc/hosts'),
  })
  .strict();

export type HostsSyncArgs = z.infer<typeof hostsSyncArgs>;
export type HostsEntry = z.infer<typeof entrySchema>;

type Vars = Readonly<Record<string, unknown>>;

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The group's hosts with their addresses, read from the inventory variables. */
export function entriesFromInventory(vars: Vars, group: string, addressVar: string): { entries: HostsEntry[] } | { error: string } {
  const members = record(vars.groups)[group];
  if (!Array.isArray(members)) return { error: `no group '${group}' in the inventory` };
  const hostvars = record(vars.hostvars);
  const entries: HostsEntry[] = [];
  for (const name of members.map(String)) {
    if (!hostName.safeParse(name).success) return { error: `inventory name '${name}' is not a valid host name for /etc/hosts` };
    const host = record(hostvars[name]);
    const candidates = [host[addressVar], record(host.ansible_default_ipv4).address, name];
    const address = candidates.find((c): c is string => typeof c === 'string' && isIpAddress(c));
    if (!address) {
      return { error: `no IP address for ${name}: its ${addressVar} is ${JSON.stringify(host[addressVar] ?? null)} and no facts were gathered; set ${addressVar} to an IP address or pass entries` };
    }
    entries.push({ name, address, aliases: [] });
  }
  return { entries };
}

export function renderBlock(entries: HostsEntry[]): string {
  const lines = entries.map((e) => [e.address, e.name, ...e.aliases].join(' '));
  return [BEGIN_MARKER, ...lines, END_MARKER].join('\n') + '\n';
}

/** `current` with its marked block replaced by `block` (appended when there is none). */
export function withBlock(current: string, block: string): string {
  const lines = current.split('\n');
  const begin = lines.indexOf(BEGIN_MARKER);
  const end = begin < 0 ? -1 : lines.indexOf(END_MARKER, begin);
  if (begin >= 0 && end >= 0) {
    const before = lines.slice(0, begin).join('\n');
    const after = lines.slice(end + 1).join('\n');
    return (begin > 0 ? `${before}\n` : '') + block + after;
  }
  if (current === '') return block;
  return current.endsWith('\n') ? current + block : `${current}\n${block}`;
}

/**
 * Writes stdin to `target` the safe way for a file that may be a mount point
 * (see the module's comment). Keeps the target's mode; checks the size that
 * arrived so a cut connection never truncates the target.
 */
export function inPlaceSafeWriteScript(target: string, size: number): string {
  const t = quote(target);
  return [
    'set -e',
    `tmp=$(mktemp "$(dirname -- ${t})/.swarmplay-hosts.XXXXXX")`,
    'trap \'rm -f -- "$tmp"\' EXIT',
    'cat > "$tmp"',
    `[ "$(wc -c < "$tmp")" -eq ${size} ] || { echo "incomplete content received" >&2; exit 3; }`,
    `if [ -e ${t} ]; then chmod "$(stat -c %a -- ${t})" "$tmp"; chown "$(stat -c %u:%g -- ${t})" "$tmp"; else chmod 644 "$tmp"; fi`,
    `if ! mv -f -- "$tmp" ${t} 2>/dev/null; then cat -- "$tmp" > ${t}; fi`,
  ].join('\n');
}

export const hostsSync = defineModule({
  name: 'hosts_sync',
  schema: hostsSyncArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    let entries = args.entries;
    if (!entries) {
      const found = entriesFromInventory(ctx.vars, args.group, args.address_var);
      if ('error' in found) return { steps: [], failed: found.error };
      entries = found.entries;
    }
    const names = entries.flatMap((e) => [e.name, ...e.aliases]);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) return { steps: [], failed: `${duplicate} is listed twice` };

    const currentBytes = await ctx.readFile(args.path);
    const current = currentBytes?.toString('utf8') ?? '';
    const wanted = withBlock(current, renderBlock(entries));
    const result = { path: args.path, hosts: entries.map((e) => ({ name: e.name, address: e.address })) };
    if (wanted === current) return { steps: [], result };
    const size = Buffer.byteLength(wanted, 'utf8');
    const change: Step = {
      kind: 'command',
      description: `${currentBytes === null ? 'create' : 'update'} the swarmplay block of ${args.path} (${entries.length} hosts)`,
      command: inPlaceSafeWriteScript(args.path, size),
      stdin: wanted,
    };
    return { steps: [change], diffs: [{ path: args.path, before: current, after: wanted }], result };
  },
});
