/**
 * "This path should hold these bytes, with this mode and owner": the planning
 * shared by copy, template, lineinfile, blockinfile (and any later module that
 * writes a file). It reads the current file and, only when an attribute was
 * asked for, its mode and owner in one `stat` probe; it returns a write change
 * plus a diff only when the bytes differ, chmod/chown commands only when just
 * the attributes differ, and nothing when the host is already right.
 */
import { createHash } from 'node:crypto';
import type { Step, FileDiff, ModuleContext, Plan, StepOutcomes } from './types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { resolveMode, type ModeSpec } from './file-mode.js';

export type PathKind = 'file' | 'directory' | 'link' | 'other';

export interface PathStat {
  kind: PathKind;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  owner: string;
  group: string;
  uid: number;
  gid: number;
}

/**
 * The probe that reads a path's mode, owners and type without following a
 * symlink. %F (the type, which may hold spaces) comes last so the rest splits on spaces.
 */
export function statCommand(path: string): string {
  return `stat -c '%a %u %g %U %G %F' -- ${quote(path)}`;
}

/** Parses statCommand's output; undefined when it is not that output. */
export function parseStat(output: string): PathStat | undefined {
  const match = /^([0-7]+) (\d+) (\d+) (\S+) (\S+) (.+)$/.exec(output.trim());
  if (!match) return undefined;
  const type = match[6]!;
  const kind: PathKind = type.startsWith('regular')
    ? 'file'
    : type === 'directory'
      ? 'directory'
      : type === 'symbolic link'
        ? 'link'
        : 'other';
  return {
    kind,
    mode: parseInt(match[1]!, 8),
    uid: Number(match[2]),
    gid: Number(match[3]),
    owner: match[4]!,
    group: match[5]!,
  };
}

/** The path's type, mode and owners, or null when it does not exist. */
export async function statPath(ctx: ModuleContext, path: string): Promise<PathStat | null> {
  const result = await ctx.probe(statCommand(path));
  if (result.exitCode !== 0) return null;
  const stat = parseStat(result.stdout);
  if (!stat) throw new Error(`cannot read the state of ${path}: unexpected stat output ${JSON.stringify(result.stdout)}`);
  return stat;
}

export interface WantedAttributes {
  mode?: ModeSpec;
  owner?: string;
  group?: string;
}

/** An owner or group as written (a name or a numeric id) matches what stat says. */
function sameAccount(wanted: string, name: string, id: number): boolean {
  return wanted === name || wanted === String(id);
}

/**
 * chmod/chown commands that bring an existing path's attributes to what is
 * wanted; empty when they already are. `recurse` applies them to a whole tree
 * (the caller decides whether the tree needs it).
 */
export function attributeChanges(
  path: string,
  stat: PathStat,
  wanted: WantedAttributes,
  options: { recurse?: boolean } = {},
): Step[] {
  const steps: Step[] = [];
  const recursive = options.recurse ? ['-R'] : [];
  if (wanted.mode !== undefined) {
    const mode = resolveMode(wanted.mode, stat.mode, stat.kind === 'directory');
    if (options.recurse || parseInt(mode, 8) !== stat.mode) {
      steps.push({
        kind: 'command',
        description: `set mode ${mode} on ${path}`,
        command: quoteArgs(['chmod', ...recursive, mode, '--', path]),
      });
    }
  }
  const ownerDiffers = wanted.owner !== undefined && (options.recurse || !sameAccount(wanted.owner, stat.owner, stat.uid));
  const groupDiffers = wanted.group !== undefined && (options.recurse || !sameAccount(wanted.group, stat.group, stat.gid));
  if (ownerDiffers || groupDiffers) {
    // chown OWNER:GROUP, chown OWNER or chgrp GROUP: one command for what differs.
    const account = ownerDiffers && groupDiffers ? `${wanted.owner}:${wanted.group}` : ownerDiffers ? wanted.owner! : wanted.group!;
    const program = ownerDiffers ? 'chown' : 'chgrp';
    // -h: a symlink's own owner, never its target's.
    const noDereference = stat.kind === 'link' ? ['-h'] : [];
    steps.push({
      kind: 'command',
      description: `set ${ownerDiffers && groupDiffers ? 'owner and group' : ownerDiffers ? 'owner' : 'group'} ${account} on ${path}`,
      command: quoteArgs([program, ...recursive, ...noDereference, account, '--', path]),
    });
  }
  return steps;
}

export interface WantedFile extends WantedAttributes {
  path: string;
  content: string | Buffer;
  /** Keep the replaced file beside it (PATH.TIMESTAMP~). */
  backup?: boolean;
  /** false: leave an existing file's content alone (copy's force: no). Default true. */
  force?: boolean;
  /** A command that must accept the new content first (`visudo -cf %s`). */
  validate?: string;
}

/** Text for a diff; binary content is shown as a placeholder, never as bytes. */
function diffText(content: Buffer): string {
  if (content.includes(0)) return `(binary content, ${content.length} bytes)\n`;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return `(binary content, ${content.length} bytes)\n`;
  }
}

/** Ansible reports a file's checksum as SHA-1 of its bytes. */
export function sha1(content: string | Buffer): string {
  return createHash('sha1').update(content).digest('hex');
}

/**
 * Plans making `wanted.path` hold `wanted.content` with the wanted attributes.
 * Returns changes and diffs; the result describes the file as it will be.
 */
export async function planFileContent(ctx: ModuleContext, wanted: WantedFile): Promise<Plan> {
  const after = Buffer.isBuffer(wanted.content) ? wanted.content : Buffer.from(wanted.content, 'utf8');
  const current = await ctx.readFile(wanted.path);
  const result = { path: wanted.path, checksum: sha1(after), size: after.length };
  const attributesWanted = wanted.mode !== undefined || wanted.owner !== undefined || wanted.group !== undefined;

  if (current !== null && wanted.force === false) return { steps: [], result };

  const stat = current !== null && attributesWanted ? await statPath(ctx, wanted.path) : null;
  if (current !== null && current.equals(after)) {
    return { steps: stat ? attributeChanges(wanted.path, stat, wanted) : [], result };
  }

  const mode = wanted.mode === undefined ? undefined : resolveMode(wanted.mode, stat?.mode, false);
  const write: Step = {
    kind: 'write',
    description: current === null ? `create ${wanted.path}` : `update ${wanted.path}`,
    path: wanted.path,
    content: wanted.content,
    ...(mode !== undefined && { mode }),
    ...(wanted.owner !== undefined && { owner: wanted.owner }),
    ...(wanted.group !== undefined && { group: wanted.group }),
    ...(wanted.backup && current !== null && { backup: true }),
    ...(wanted.validate !== undefined && { validate: wanted.validate }),
  };
  const diff: FileDiff = {
    path: wanted.path,
    before: current === null ? '' : diffText(current),
    after: diffText(after),
  };
  return { steps: [write], diffs: [diff], result };
}

/** The finish() of a module whose write may keep a backup: Ansible's backup_file, when one was made. */
export function reportBackupFile(_args: unknown, outcomes: StepOutcomes): Record<string, unknown> {
  const backup = outcomes.all.find((outcome) => outcome.backupPath)?.backupPath;
  return backup ? { backup_file: backup } : {};
}
