/**
 * `tempfile`: a new temporary file or folder on the host (mktemp), as
 * Ansible's tempfile: `path` is the folder (default the host's $TMPDIR or
 * /tmp), the name is `prefix` + random + `suffix`; the result's `path` is
 * what was made. Always changed; in check mode nothing is made and `path`
 * is not known.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';

const tempfileArgs = z
  .object({
    state: z.enum(['file', 'directory']).default('file'),
    path: z.string().min(1).optional(),
    prefix: z.string().default('ansible.'),
    suffix: z.string().default(''),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.prefix.includes('/') || args.suffix.includes('/')) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['prefix'], message: 'prefix and suffix are parts of a file name: no "/"' });
    }
  });

export const tempfile = defineModule({
  name: 'tempfile',
  schema: tempfileArgs,
  async plan(_ctx, args): Promise<Plan> {
    const template = `${args.prefix}XXXXXXXX${args.suffix}`;
    const folder = args.path === undefined ? ['--tmpdir'] : ['-p', args.path];
    return {
      steps: [{
        kind: 'command',
        id: 'mktemp',
        description: `create a temporary ${args.state}`,
        command: quoteArgs(['mktemp', ...(args.state === 'directory' ? ['-d'] : []), ...folder, template]),
      }],
    };
  },
  finish(_args, outcomes) {
    const path = outcomes.byId('mktemp')?.run?.stdout.trim();
    return path ? { path } : {};
  },
});
