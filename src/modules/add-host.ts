/**
 * `add_host`: adds a host (or new groups and variables to a known one) to the
 * inventory the run holds in memory, as Ansible's add_host: `name` (aliases
 * host, hostname; `name:port` sets ansible_port), `groups` (aliases group,
 * groupname; a list or comma-separated text), every other argument a host
 * variable. It runs once per task (each loop item once), for the play's
 * first host, never per host; later tasks see it in `groups` and later plays
 * target it. The inventory files are not touched.
 */
import { z } from 'zod';
import { defineModule } from './types.js';

const NAME_ALIASES = ['name', 'host', 'hostname'] as const;
const GROUP_ALIASES = ['groups', 'group', 'groupname'] as const;

const addHostArgs = z.record(z.unknown()).superRefine((args, refinement) => {
  const names = NAME_ALIASES.filter((k) => args[k] !== undefined);
  if (names.length !== 1) {
    refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['name'], message: names.length ? `give the host's name once (${names.join(', ')} are aliases)` : "name is required: the host to add (aliases host, hostname)" });
  } else if (!['string', 'number'].includes(typeof args[names[0]!]) || String(args[names[0]!]).trim() === '') {
    refinement.addIssue({ code: z.ZodIssueCode.custom, path: [names[0]!], message: 'the host name must be text' });
  }
  const groups = GROUP_ALIASES.filter((k) => args[k] !== undefined);
  if (groups.length > 1) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['groups'], message: `give the groups once (${groups.join(', ')} are aliases)` });
  const value = groups.length ? args[groups[0]!] : undefined;
  if (value !== undefined && typeof value !== 'string' && !(Array.isArray(value) && value.every((g) => typeof g === 'string'))) {
    refinement.addIssue({ code: z.ZodIssueCode.custom, path: [groups[0]!], message: 'a group name, a comma-separated list or a list of names' });
  }
}).transform((args) => {
  const nameKey = NAME_ALIASES.find((k) => args[k] !== undefined)!;
  const groupKey = GROUP_ALIASES.find((k) => args[k] !== undefined);
  const given = groupKey ? args[groupKey] : [];
  const groups = (typeof given === 'string' ? given.split(',') : (given as string[])).map((g) => g.trim()).filter(Boolean);
  const vars: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) if (![...NAME_ALIASES, ...GROUP_ALIASES].includes(key as never)) vars[key] = value;
  let name = String(args[nameKey]).trim();
  const withPort = /^([^:\[\]]+):(\d+)$/.exec(name);
  if (withPort) {
    name = withPort[1]!;
    vars.ansible_port ??= Number(withPort[2]);
  }
  return { name, groups, vars };
});

export const addHost = defineModule({
  name: 'add_host',
  schema: addHostArgs,
  controllerOnly: true,
  bypassHostLoop: true,
  async plan(_ctx, args) {
    return {
      steps: [],
      inventory: [{ kind: 'add_host', name: args.name, groups: args.groups, vars: args.vars }],
      result: { add_host: { groups: args.groups, host_name: args.name, host_vars: args.vars } },
    };
  },
});
