/**
 * group_vars/ and host_vars/ folders, found and read the way Ansible's
 * host_group_vars vars plugin and DataLoader.find_vars_files do (2.14):
 *
 * For an entity NAME under DIR/group_vars (or DIR/host_vars), the candidates
 * are tried in this order: `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json`, and
 * the first one that exists is the only one used: a directory `NAME/` hides a
 * `NAME.yml` beside it. A directory contributes all its files (recursively,
 * sorted by name, hidden files and `~` backups skipped, only files without
 * extension or with .yml/.yaml/.json), merged in that order, top-level keys
 * replaced (Ansible's default hash_behaviour=replace).
 *
 * YAML is read as YAML 1.1, the dialect Ansible's PyYAML speaks: `yes`/`no`
 * are booleans and `0644` is the number 420, as an Ansible user expects.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Document, LineCounter, parseDocument } from 'yaml';
import { SwarmplayError, snippetAt } from '../errors.js';
import { applyVaultAccess, decryptFileText, locateVaultedValues, revealStrings, vaultTag, type VaultAccess } from '../vault/vaulted-value.js';

export type VarsRecord = Record<string, unknown>;

const VARS_EXTENSIONS = ['.yml', '.yaml', '.json'];

export interface ParsedYaml {
  file: string;
  source: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** Parses one YAML (or JSON) file; a syntax error becomes YAML_SYNTAX at file:line:column. */
export function parseAnsibleYaml(file: string, source: string): ParsedYaml {
  const lines = new LineCounter();
  const isJson = extname(file) === '.json';
  const doc = parseDocument(source, {
    lineCounter: lines,
    prettyErrors: true,
    ...(isJson ? { version: '1.2' as const } : { version: '1.1' as const }),
    customTags: [vaultTag],
  });
  const first = doc.errors[0];
  if (first) {
    const at = first.linePos?.[0] ?? lines.linePos(first.pos[0]);
    const message = first.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
    throw new SwarmplayError('YAML_SYNTAX', `YAML syntax error: ${message}`, {
      location: { file, line: at.line, column: at.col },
      snippet: snippetAt(source, at.line, at.col),
    });
  }
  locateVaultedValues(doc, lines, file);
  return { file, source, doc, lines };
}

/** Reads a file or throws FILE_NOT_FOUND naming it. */
export async function readSourceFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new SwarmplayError('FILE_NOT_FOUND', `${what} not found: ${file}`, { cause: err });
    }
    if (code === 'EISDIR') throw new SwarmplayError('BAD_INVENTORY', `${what} is a directory, not a file: ${file}`);
    throw err;
  }
}

/**
 * One vars file: a mapping of variables (an empty file is no variables). A
 * whole-file ansible-vault file is decrypted and its strings marked secret;
 * inline `!vault` values are handled as `vault` says.
 */
export async function readVarsFile(file: string, vault?: VaultAccess): Promise<VarsRecord> {
  const { text: source, encrypted } = decryptFileText(await readSourceFile(file, 'vars file'), file, vault, 'vars file');
  const parsed = parseAnsibleYaml(file, source);
  const value: unknown = parsed.doc.toJS({ maxAliasCount: 1000 });
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    const contents = parsed.doc.contents;
    const pos = parsed.lines.linePos(contents?.range?.[0] ?? 0);
    throw new SwarmplayError('BAD_INVENTORY', `vars file ${file} must hold a mapping of variable names to values`, {
      location: { file, line: pos.line, column: pos.col },
      snippet: snippetAt(source, pos.line, pos.col),
      hint: 'write it as "name: value" lines',
    });
  }
  if (encrypted) revealStrings(value, vault?.keyring);
  return applyVaultAccess(value as VarsRecord, vault, { file, line: 1, column: 1 });
}

async function kindOf(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

async function filesInVarsDir(dir: string): Promise<string[]> {
  const found: string[] = [];
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    if (name.startsWith('.') || name.endsWith('~')) continue;
    const ext = extname(name);
    const full = join(dir, name);
    const kind = await kindOf(full);
    if (kind === 'dir' && !ext) found.push(...(await filesInVarsDir(full)));
    else if (kind === 'file' && (!ext || VARS_EXTENSIONS.includes(ext))) found.push(full);
  }
  return found;
}

/** The files that hold NAME's variables under `folder` (e.g. ./inventory/group_vars), in merge order. */
export async function findVarsFiles(folder: string, name: string): Promise<string[]> {
  const found: string[] = [];
  for (const ext of ['', ...VARS_EXTENSIONS]) {
    const candidate = join(folder, name + ext);
    const kind = await kindOf(candidate);
    if (kind === 'dir') found.push(...(await filesInVarsDir(candidate)));
    else if (kind === 'file') found.push(candidate);
    if (kind) break;
  }
  return found;
}

export interface EntityVars {
  vars: VarsRecord;
  /** The files read, in merge order (for -v output and error messages). */
  files: string[];
}

/**
 * The variables group_vars/NAME or host_vars/NAME (per `kind`) gives beside
 * `baseDir`; empty when there is no such file.
 */
export async function loadEntityVars(baseDir: string, kind: 'group_vars' | 'host_vars', name: string, vault?: VaultAccess): Promise<EntityVars> {
  // A name with a path separator cannot name a file of its own (Ansible skips it too).
  if (name.includes('/') || name === '.' || name === '..') return { vars: {}, files: [] };
  const files = await findVarsFiles(join(baseDir, kind), name);
  const vars: VarsRecord = {};
  for (const file of files) Object.assign(vars, await readVarsFile(file, vault));
  return { vars, files };
}
