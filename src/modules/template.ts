/**
 * `template`: renders a Handlebars file on the controller with the task's
 * variables, then puts the text on the host exactly as `copy` with `content`
 * would. The template is looked up like Ansible: absolute, or in the
 * playbook's `templates/` folder, or beside the playbook. Rendering happens
 * while planning, so a render error (bad syntax, undefined variable) fails the
 * task before anything on the host changes.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { accountArg, booleanArg } from './argument-types.js';
import { modeSchema } from './file-mode.js';
import { planFileContent } from './file-content.js';
import { controllerFileCandidates, destinationPath, findControllerFile } from './copy.js';

const templateArgs = z
  .object({
    src: z.string().min(1),
    dest: z.string().min(1),
    mode: modeSchema.optional(),
    owner: accountArg.optional(),
    group: accountArg.optional(),
    backup: booleanArg.default(false),
    force: booleanArg.default(true),
  })
  .strict();

export type TemplateArgs = z.infer<typeof templateArgs>;

export const template = defineModule({
  name: 'template',
  schema: templateArgs,
  async plan(ctx, args): Promise<Plan> {
    const candidates = controllerFileCandidates(ctx.searchDirs, args.src, 'templates');
    const found = await findControllerFile(candidates);
    if (!found) return { steps: [], failed: `could not find template ${args.src} (looked in ${candidates.join(', ')})` };
    const content = await ctx.renderTemplate(found.file);
    const dest = destinationPath(args.dest, args.src.replace(/\.hbs$/, ''));
    const plan = await planFileContent(ctx, {
      path: dest,
      content,
      mode: args.mode,
      owner: args.owner,
      group: args.group,
      backup: args.backup,
      force: args.force,
    });
    return {
      ...plan,
      result: {
        dest,
        src: args.src,
        checksum: plan.result?.checksum,
        size: plan.result?.size,
        ...(args.mode !== undefined && { mode: args.mode }),
        ...(args.owner !== undefined && { owner: args.owner }),
        ...(args.group !== undefined && { group: args.group }),
      },
    };
  },
  finish(_args, outcomes) {
    const backup = outcomes.all.find((outcome) => outcome.backupPath)?.backupPath;
    return backup ? { backup_file: backup } : {};
  },
});
