/**
 * `meta:` actions act on the run itself (flushing handlers, ending the play),
 * so the play runner carries them out; this definition exists so the loader
 * can check the action before any host is touched.
 */
import { z } from 'zod';
import { defineModule } from './types.js';

export const META_ACTIONS = [
  'flush_handlers', 'end_play', 'end_batch', 'end_host', 'end_role', 'clear_facts', 'clear_host_errors', 'reset_connection', 'refresh_inventory', 'noop',
] as const;

export const meta = defineModule({
  name: 'meta',
  freeFormArg: '_raw',
  controllerOnly: true,
  schema: z.object({ _raw: z.enum(META_ACTIONS) }).strict(),
  async plan() {
    return { steps: [] };
  },
});
