/**
 * `group_by`: puts the host in the group `key` (made when new, under
 * `parents`, default all) in the inventory the run holds in memory, as
 * Ansible's group_by; later plays target the group. Runs per host.
 */
import { z } from 'zod';
import { defineModule } from './types.js';

const groupName = z.string().trim().min(1).refine((v) => !/\s/.test(v), 'a group name has no spaces');

const groupByArgs = z.object({
  key: groupName,
  parents: z.union([groupName.transform((p) => [p]), z.array(groupName)]).default(['all']),
}).strict();

export const groupBy = defineModule({
  name: 'group_by',
  schema: groupByArgs,
  controllerOnly: true,
  async plan(ctx, args) {
    return {
      steps: [],
      inventory: [{ kind: 'group_by', host: ctx.host, group: args.key, parents: args.parents }],
      result: { add_group: args.key, parent_groups: args.parents },
    };
  },
});
