/**
 * `blockinfile`: keeps a block of lines between two marker lines in a file,
 * as Ansible's blockinfile. The markers default to
 * "# BEGIN SWARMPLAY MANAGED BLOCK" / "# END SWARMPLAY MANAGED BLOCK"
 * (Ansible writes ANSIBLE; set `marker: "# {mark} ANSIBLE MANAGED BLOCK"` to
 * take over blocks Ansible wrote). With both markers found, the lines between
 * them are replaced; otherwise the block is inserted like lineinfile's line
 * (insertafter EOF by default, insertbefore BOF, or around the last line
 * matching a pattern). `state: absent`, or an empty block, removes the block
 * and its markers. Written through file-content.ts (atomic, diff, mode/owner).
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { checkOnePathAlias, pathAliasesShape } from './argument-types.js';
import { planFileContent, reportBackupFile } from './file-content.js';
import { checkOneInsertion, editedFileShape, insertionIndex, insertionShape, joinLines, splitLines } from './lineinfile.js';

export const DEFAULT_MARKER = '# {mark} SWARMPLAY MANAGED BLOCK';

const blockinfileArgs = z
  .object({
    ...pathAliasesShape,
    block: z.union([z.string(), z.number()]).transform(String).default(''),
    content: z.string().optional(),
    marker: z.string().includes('{mark}', { message: 'marker must contain {mark}, replaced by marker_begin and marker_end' }).default(DEFAULT_MARKER),
    marker_begin: z.string().min(1).default('BEGIN'),
    marker_end: z.string().min(1).default('END'),
    state: z.enum(['present', 'absent']).default('present'),
    ...insertionShape,
    ...editedFileShape,
  })
  .strict()
  .superRefine((args, refinement) => {
    checkOnePathAlias(args, refinement);
    checkOneInsertion(args, refinement);
    if (args.marker_begin === args.marker_end) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['marker_end'], message: 'marker_begin and marker_end must differ' });
    }
  })
  // `content` is Ansible's alias of block.
  .transform(({ dest, destfile, name, content, ...args }) => ({
    ...args,
    block: content ?? args.block,
    path: (args.path ?? dest ?? destfile ?? name)!,
  }));

export type BlockinfileArgs = z.infer<typeof blockinfileArgs>;

/** The file's lines with the block put in place (or taken out). */
export function placeBlock(lines: string[], args: BlockinfileArgs): string[] {
  const begin = args.marker.replaceAll('{mark}', args.marker_begin);
  const end = args.marker.replaceAll('{mark}', args.marker_end);
  const blockLines = args.state === 'present' && args.block !== '' ? [begin, ...splitLines(args.block), end] : [];

  let beginIndex = -1;
  let endIndex = -1;
  lines.forEach((text, index) => {
    if (text.replace(/\r$/, '') === begin) beginIndex = index;
    if (text.replace(/\r$/, '') === end) endIndex = index;
  });

  let at: number;
  let rest: string[];
  if (beginIndex !== -1 && endIndex !== -1) {
    const [first, last] = beginIndex < endIndex ? [beginIndex, endIndex] : [endIndex, beginIndex];
    rest = [...lines.slice(0, first), ...lines.slice(last + 1)];
    at = first;
  } else {
    if (blockLines.length === 0) return lines;
    rest = lines;
    at = insertionIndex(lines, args);
  }
  return [...rest.slice(0, at), ...blockLines, ...rest.slice(at)];
}

export const blockinfile = defineModule({
  name: 'blockinfile',
  schema: blockinfileArgs,
  changesByWrites: true,
  reads: (args) => [{ path: args.path, content: true }],
  async plan(ctx, args): Promise<Plan> {
    const current = await ctx.readFile(args.path);
    if (current === null) {
      if (args.state === 'absent' || args.block === '') return { steps: [], result: { path: args.path } };
      if (!args.create) return { steps: [], failed: `Path ${args.path} does not exist! (use create: true to create it)` };
    }
    const text = current?.toString('utf8') ?? '';
    const before = splitLines(text);
    const after = placeBlock(before, args);
    const unchanged = after.length === before.length && after.every((line, index) => line === before[index]);
    const content = unchanged && current !== null ? text : joinLines(after);
    const plan = await planFileContent(ctx, {
      path: args.path,
      content,
      mode: args.mode,
      owner: args.owner,
      group: args.group,
      backup: args.backup,
      validate: args.validate,
    });
    return { ...plan, result: { path: args.path } };
  },
  finish: reportBackupFile,
});
