/**
 * Accounts as the host's name service sees them (getent, so LDAP or sssd
 * users count too, as for Ansible's user module with local: false):
 * - `user_account`: one user's passwd entry, its groups (id -Gn), the
 *   entries of the groups a task names, and, only when asked, the password
 *   hash (getent shadow) to compare with a wanted one; one round trip;
 * - `group_entries`: some groups' entries.
 * The hash is never shown: it is read to be compared, like a file's content.
 */
import { quoteArgs } from '../transport/shell-quote.js';
import { defineFact } from './types.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface UserAccount {
  user?: PasswdEntry;
  /** Every group the user is in, the primary one first (id -Gn). */
  groups: string[];
  /** The named groups that exist, by name and by gid. */
  knownGroups: GroupEntry[];
  /** The password hash (shadow's second field), when asked for and readable. */
  passwordHash?: string;
}

const SECTION = '::swarmplay-account::';

export function parsePasswdLine(line: string): PasswdEntry | undefined {
  const fields = line.split(':');
  if (fields.length < 7 || !/^\d+$/.test(fields[2]!) || !/^\d+$/.test(fields[3]!)) return undefined;
  return { name: fields[0]!, uid: Number(fields[2]), gid: Number(fields[3]), comment: fields[4]!, home: fields[5]!, shell: fields.slice(6).join(':') };
}

export function parseGroupLines(text: string): GroupEntry[] {
  return text.split('\n').flatMap((line) => {
    const fields = line.trim().split(':');
    if (fields.length < 4 || !/^\d+$/.test(fields[2]!)) return [];
    return [{ name: fields[0]!, gid: Number(fields[2]), members: fields[3]!.split(',').filter(Boolean) }];
  });
}

function sections(output: string): Map<string, string> {
  const found = new Map<string, string>();
  let current: string | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith(SECTION)) found.set((current = line.slice(SECTION.length).trim()), '');
    else if (current !== undefined) found.set(current, `${found.get(current)}${line}\n`);
  }
  return found;
}

export interface UserAccountArgs {
  name: string;
  /** Groups to look up (names or gids). */
  groups: string[];
  /** Read the password hash too. */
  hash: boolean;
}

export const userAccount = defineFact<UserAccountArgs, UserAccount>({
  name: 'user_account',
  command: ({ name, groups, hash }) => [
    `echo ${SECTION}passwd`,
    `${quoteArgs(['getent', 'passwd', '--', name])}`,
    `echo ${SECTION}groups`,
    `${quoteArgs(['id', '-Gn', '--', name])} 2>/dev/null`,
    `echo ${SECTION}named`,
    ...(groups.length ? [`${quoteArgs(['getent', 'group', '--', ...groups])}`] : []),
    ...(hash ? [`echo ${SECTION}shadow`, `${quoteArgs(['getent', 'shadow', '--', name])} | cut -d: -f2`] : []),
    'exit 0',
  ].join('\n'),
  parse: (result) => {
    const parts = sections(result.stdout);
    const user = parsePasswdLine((parts.get('passwd') ?? '').trim());
    const hash = parts.get('shadow')?.trim();
    return {
      ...(user && { user }),
      groups: user ? (parts.get('groups') ?? '').trim().split(/\s+/).filter(Boolean) : [],
      knownGroups: parseGroupLines(parts.get('named') ?? ''),
      ...(hash && { passwordHash: hash }),
    };
  },
});

export const groupEntries = defineFact<{ names: string[] }, GroupEntry[]>({
  name: 'group_entries',
  command: ({ names }) => `${quoteArgs(['getent', 'group', '--', ...names])}; exit 0`,
  parse: (result) => parseGroupLines(result.stdout),
});
