/**
 * `slurp`: a file of the host, base64-encoded in `content` (with `encoding:
 * base64` and `source`), as Ansible's slurp; `{{ r.content | b64decode }}`
 * gives the text back. Never changes anything.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { statPath } from './file-content.js';

const slurpArgs = z
  .object({
    src: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    if ((args.src === undefined) === (args.path === undefined)) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['src'], message: args.src === undefined ? 'src is required (or its alias path)' : 'give src only once (path is its alias)' });
    }
  })
  .transform((args) => ({ src: (args.src ?? args.path)! }));

export const slurp = defineModule({
  name: 'slurp',
  schema: slurpArgs,
  async plan(ctx, args): Promise<Plan> {
    const stat = await statPath(ctx, args.src);
    if (stat === null) return { steps: [], failed: `file not found: ${args.src}` };
    if (stat.kind === 'directory') return { steps: [], failed: `source is a directory and must be a file: ${args.src}` };
    const content = (await ctx.readFile(args.src)) ?? Buffer.alloc(0);
    return { steps: [], result: { content: content.toString('base64'), encoding: 'base64', source: args.src } };
  },
});
