/**
 * `template`: renders a template file on the controller with the task's
 * variables (Jinja as Ansible renders it, or Handlebars for a `.hbs` file), then puts the text on the host exactly as `copy` with `content`
 * would. The template is looked up like Ansible: absolute, or in the
 * playbook's `templates/` folder, or beside the playbook. Rendering happens
 * while planning, so a render error (bad syntax, undefined variable) fails the
 * task before anything on the host changes.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import type { TemplateOptions } from '../language/jinja-syntax.js';
import { accountArg, booleanArg, validateArg } from './argument-types.js';
import { modeSchema } from './file-mode.js';
import { reportBackupFile } from './file-content.js';
import { controllerFileCandidates, destinationPath, findControllerFile, planDestinationFile } from './copy.js';

const templateArgs = z
  .object({
    src: z.string().min(1),
    dest: z.string().min(1),
    mode: modeSchema.optional(),
    owner: accountArg.optional(),
    group: accountArg.optional(),
    backup: booleanArg.default(false),
    validate: validateArg.optional(),
    force: booleanArg.default(true),
    // Ansible's own defaults: trim_blocks on, lstrip_blocks off.
    trim_blocks: booleanArg.default(true),
    lstrip_blocks: booleanArg.default(false),
  })
  .strict();

export type TemplateArgs = z.infer<typeof templateArgs>;

/** The Jinja options a template task asks for, from its raw arguments (the static check reads them before any render). */
export function templateOptionsOf(args: Record<string, unknown>): TemplateOptions {
  const flag = (value: unknown, dflt: boolean): boolean => {
    const parsed = booleanArg.safeParse(value);
    return value === undefined || !parsed.success ? dflt : parsed.data;
  };
  return { trimBlocks: flag(args.trim_blocks, true), lstripBlocks: flag(args.lstrip_blocks, false) };
}

export const template = defineModule({
  name: 'template',
  schema: templateArgs,
  changesByWrites: true,
  reads: (args) => [{ path: destinationPath(args.dest, args.src.replace(/\.hbs$/, '')), content: true }],
  async plan(ctx, args): Promise<Plan> {
    const candidates = controllerFileCandidates(ctx.searchDirs, args.src, 'templates');
    const found = await findControllerFile(candidates);
    if (!found) return { steps: [], failed: `could not find template ${args.src} (looked in ${candidates.join(', ')})` };
    const content = await ctx.renderTemplate(found.file, { trimBlocks: args.trim_blocks, lstripBlocks: args.lstrip_blocks });
    const dest = destinationPath(args.dest, args.src.replace(/\.hbs$/, ''));
    return planDestinationFile(ctx, dest, content, args);
  },
  finish: reportBackupFile,
});
