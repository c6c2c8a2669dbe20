/**
 * `user`: a user account, as Ansible's user module on Linux: useradd when the
 * user is missing, usermod with only the settings that differ, userdel for
 * state absent (`remove: true` also removes the home and mail spool, `force`
 * even while logged in). Reads the account, its groups, the named groups and
 * (only when a password is given) the current hash in one round trip
 * (`user_account` fact, through getent).
 * - groups: the supplementary groups; with `append` the missing ones are
 *   added and others kept, without it the list is exact (`groups: []` or ''
 *   removes all). A group that does not exist fails before any change.
 * - password: a crypt hash (`openssl passwd -6`, password_hash filter), set
 *   when it differs (update_password: always) or only at creation
 *   (on_create). It is a secret: masked in every output, and the result says
 *   NOT_LOGGING_PASSWORD as Ansible's does.
 * - create_home (default true) makes the home from the skeleton at creation;
 *   move_home moves it when `home` changes.
 * Not offered (an unknown argument): SSH key generation (use ssh_keygen),
 * expiry and password ageing, SELinux and BSD/Solaris options.
 */
import { z } from 'zod';
import { defineModule, type CommandStep, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { accountArg, booleanArg, numberArg } from './argument-types.js';
import { userAccount, type GroupEntry } from '../facts/accounts.js';

/** A user or group name as shadow's tools accept it (and never an option). */
export const accountName = z.string().min(1).max(32).regex(/^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/, 'a name of letters, digits, "_", "." and "-", not starting with "-"');

const groupList = z.union([z.string(), z.array(accountArg)]).transform((value) =>
  (Array.isArray(value) ? value : value.split(',')).map((name) => name.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^-:,\s][^:,\s]*$/, 'a group name or gid')));

const userArgs = z
  .object({
    name: accountName.optional(),
    user: accountName.optional(),
    state: z.enum(['present', 'absent']).default('present'),
    uid: numberArg.pipe(z.number().int()).optional(),
    non_unique: booleanArg.default(false),
    group: accountArg.optional(),
    groups: groupList.optional(),
    append: booleanArg.default(false),
    comment: z.string().regex(/^[^:\n]*$/, 'no ":" or newline').optional(),
    home: z.string().regex(/^\//, 'an absolute path').optional(),
    shell: z.string().regex(/^[^:\n]+$/, 'a path, no ":"').optional(),
    password: z.string().regex(/^[^:\n]*$/, 'a crypt hash, no ":" or newline').optional(),
    update_password: z.enum(['always', 'on_create']).default('always'),
    password_lock: booleanArg.optional(),
    create_home: booleanArg.optional(),
    createhome: booleanArg.optional(),
    skeleton: z.string().min(1).optional(),
    move_home: booleanArg.default(false),
    system: booleanArg.default(false),
    remove: booleanArg.default(false),
    force: booleanArg.default(false),
    local: booleanArg.optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    if ((args.name === undefined) === (args.user === undefined)) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['name'], message: args.name === undefined ? 'name is required (or its alias user)' : 'give name only once (user is its alias)' });
    }
  })
  .transform(({ user, createhome, create_home, ...args }) => ({ ...args, name: (args.name ?? user)!, createHome: create_home ?? createhome ?? true }));

export type UserArgs = z.infer<typeof userArgs>;

const MASK = '********';

/** The command and, when it holds the hash, a display with it masked. */
function accountStep(description: string, words: string[], password?: string): CommandStep {
  const display = password === undefined ? undefined : quoteArgs(words.map((word) => (word === password ? MASK : word)));
  return { kind: 'command', description, command: quoteArgs(words), ...(display && { display }), failOutputLines: 3 };
}

function findGroup(known: GroupEntry[], nameOrGid: string): GroupEntry | undefined {
  return known.find((group) => group.name === nameOrGid || String(group.gid) === nameOrGid);
}

export const user = defineModule({
  name: 'user',
  schema: userArgs,
  secretArgs: ['password'],
  async plan(ctx, args): Promise<Plan> {
    const { name } = args;
    const lookup = [...new Set([...(args.group !== undefined ? [args.group] : []), ...(args.groups ?? []), name])];
    const account = await ctx.fact(userAccount, { name, groups: lookup, hash: args.password !== undefined || args.password_lock !== undefined });
    const current = account.user;
    const base = { name, state: args.state };

    if (args.state === 'absent') {
      if (!current) return { steps: [], result: base };
      const words = ['userdel', ...(args.force ? ['-f'] : []), ...(args.remove ? ['-r'] : []), name];
      return { steps: [accountStep(`remove user ${name}`, words)], result: { ...base, force: args.force, remove: args.remove } };
    }

    for (const wanted of [...(args.group !== undefined ? [args.group] : []), ...(args.groups ?? [])]) {
      if (!findGroup(account.knownGroups, wanted)) return { steps: [], failed: `Group ${wanted} does not exist`, result: base };
    }
    const warnings = args.password !== undefined && args.password !== '' && !/^[$!*]/.test(args.password)
      ? ['The input password appears not to have been hashed. The password argument must be a crypt hash (openssl passwd -6, or the password_hash filter)']
      : undefined;
    const groupsText = (args.groups ?? []).map((g) => findGroup(account.knownGroups, g)!.name).join(',');
    const result: Record<string, unknown> = {
      ...base,
      ...(args.password !== undefined && { password: 'NOT_LOGGING_PASSWORD' }),
      system: args.system,
      append: args.append,
    };

    if (!current) {
      const words = ['useradd'];
      if (args.uid !== undefined) words.push('-u', String(args.uid), ...(args.non_unique ? ['-o'] : []));
      if (args.group !== undefined) words.push('-g', args.group);
      // A group of the user's name already exists: useradd would try to make it again (USERGROUPS_ENAB), as Ansible avoids.
      else if (account.knownGroups.some((group) => group.name === name)) words.push('-N');
      if (args.groups?.length) words.push('-G', groupsText);
      if (args.comment !== undefined) words.push('-c', args.comment);
      if (args.home !== undefined) words.push('-d', args.home);
      if (args.shell !== undefined) words.push('-s', args.shell);
      if (args.password !== undefined) words.push('-p', args.password);
      if (args.system) words.push('-r');
      if (args.createHome) words.push('-m', ...(args.skeleton ? ['-k', args.skeleton] : []));
      else words.push('-M');
      words.push(name);
      const steps = [accountStep(`add user ${name}`, words, args.password)];
      if (args.password_lock === true) steps.push(accountStep(`lock the password of ${name}`, ['usermod', '-L', name]));
      return {
        steps, warnings,
        result: { ...result, create_home: args.createHome, ...(args.uid !== undefined && { uid: args.uid }), groups: groupsText, ...(args.home && { home: args.home }), ...(args.shell && { shell: args.shell }), ...(args.comment !== undefined && { comment: args.comment }) },
      };
    }

    const words: string[] = [];
    if (args.uid !== undefined && args.uid !== current.uid) words.push('-u', String(args.uid), ...(args.non_unique ? ['-o'] : []));
    if (args.group !== undefined && findGroup(account.knownGroups, args.group)!.gid !== current.gid) words.push('-g', args.group);
    if (args.groups !== undefined) {
      const primary = account.knownGroups.find((group) => group.gid === (args.group !== undefined ? findGroup(account.knownGroups, args.group)!.gid : current.gid))?.name
        ?? account.groups[0];
      const have = new Set(account.groups.filter((group) => group !== primary));
      const want = new Set(groupsText.split(',').filter(Boolean));
      if (args.append) {
        if ([...want].some((group) => !have.has(group))) words.push('-a', '-G', groupsText);
      } else if (have.size !== want.size || [...want].some((group) => !have.has(group))) {
        words.push('-G', groupsText);
      }
    }
    if (args.comment !== undefined && args.comment !== current.comment) words.push('-c', args.comment);
    if (args.home !== undefined && args.home !== current.home) words.push('-d', args.home, ...(args.move_home ? ['-m'] : []));
    if (args.shell !== undefined && args.shell !== current.shell) words.push('-s', args.shell);
    const hash = account.passwordHash;
    if (args.password !== undefined && args.update_password === 'always' && hash !== undefined && hash.replace(/^!/, '') !== args.password) {
      words.push('-p', args.password);
    }
    if (args.password_lock === true && hash !== undefined && !hash.startsWith('!')) words.push('-L');
    if (args.password_lock === false && hash?.startsWith('!')) words.push('-U');
    const steps = words.length ? [accountStep(`change user ${name}`, ['usermod', ...words, name], args.password)] : [];
    return {
      steps, warnings,
      result: {
        ...result,
        uid: args.uid ?? current.uid,
        group: args.group !== undefined ? findGroup(account.knownGroups, args.group)!.gid : current.gid,
        groups: args.groups !== undefined ? groupsText : account.groups.slice(1).join(','),
        comment: args.comment ?? current.comment,
        home: args.home ?? current.home,
        shell: args.shell ?? current.shell,
        move_home: args.move_home,
      },
    };
  },
});
