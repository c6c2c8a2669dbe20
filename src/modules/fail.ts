/** `fail`: fails the task with a message, as Ansible's fail (usually with `when:`). */
import { z } from 'zod';
import { defineModule } from './types.js';

const failArgs = z.object({ msg: z.unknown().optional() }).strict();

export const fail = defineModule({
  name: 'fail',
  schema: failArgs,
  controllerOnly: true,
  async plan(_ctx, args) {
    const msg = args.msg === undefined ? 'Failed as requested from task' : typeof args.msg === 'string' ? args.msg : JSON.stringify(args.msg);
    return { steps: [], failed: msg };
  },
});
