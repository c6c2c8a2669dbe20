/**
 * ansible.cfg and the ANSIBLE_* environment, found and read as ansible-core
 * 2.14 does (config/manager.py, config/base.yml):
 *
 * - the file: $ANSIBLE_CONFIG (a file, or a folder holding ansible.cfg),
 *   else ./ansible.cfg (skipped, with a warning, when the current folder is
 *   world-writable), else ~/.ansible.cfg, else /etc/ansible/ansible.cfg;
 *   the first that exists is the only one read;
 * - Python's configparser: [sections], `key = value` or `key: value`, keys
 *   case-insensitive, `#`/`;` comment lines, `;` inline comments after a
 *   space, indented continuation lines, no interpolation (Ansible reads raw);
 *   a duplicate section or key is an error, as configparser's strict mode;
 * - each setting: the environment variable wins over the file, an empty
 *   variable counts as unset; paths are relative to the file's folder (to
 *   the current folder when from the environment), ~ expanded; booleans as
 *   Ansible's boolean() (yes/on/1/true/t/y, anything else false).
 *
 * The settings swarmplay uses are the typed fields below. Others that only
 * tune how Ansible itself works (pipelining, ControlPersist ssh_args,
 * callbacks...) are accepted and listed in `unused`, which `-v` shows once.
 * This file reads no vault or inventory code: it only names paths.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { SwarmplayError, snippetAt } from '../errors.js';

export interface AnsibleConfig {
  /** The ansible.cfg read; undefined when none was found. */
  file?: string;
  /** [defaults] inventory / ANSIBLE_INVENTORY: comma-separated sources, resolved. */
  inventory?: string[];
  remoteUser?: string;
  forks?: number;
  /** Connect timeout, seconds. */
  timeout?: number;
  /** Set only when the file or environment says so (swarmplay's own default: unknown keys are recorded). */
  hostKeyChecking?: boolean;
  privateKeyFile?: string;
  /** Where roles are looked for, in order (roles_path / ANSIBLE_ROLES_PATH, else Ansible's default). */
  rolesPath: string[];
  vaultPasswordFile?: string;
  vaultIdentityList: string[];
  askVaultPass?: boolean;
  askPass?: boolean;
  become?: boolean;
  becomeMethod?: string;
  becomeUser?: string;
  becomeAskPass?: boolean;
  /** Settings given that swarmplay does not need, each with why ("[ssh_connection] pipelining: ..."). */
  unused: string[];
  /** Said once to the user (a skipped world-writable ./ansible.cfg). */
  warnings: string[];
}

type Kind = 'string' | 'integer' | 'boolean' | 'path' | 'pathlist' | 'pathspec' | 'list';

interface Definition {
  field: keyof AnsibleConfig;
  section: string;
  key: string;
  env: string;
  kind: Kind;
}

const DEFINITIONS: Definition[] = [
  { field: 'inventory', section: 'defaults', key: 'inventory', env: 'ANSIBLE_INVENTORY', kind: 'pathlist' },
  { field: 'remoteUser', section: 'defaults', key: 'remote_user', env: 'ANSIBLE_REMOTE_USER', kind: 'string' },
  { field: 'forks', section: 'defaults', key: 'forks', env: 'ANSIBLE_FORKS', kind: 'integer' },
  { field: 'timeout', section: 'defaults', key: 'timeout', env: 'ANSIBLE_TIMEOUT', kind: 'integer' },
  { field: 'hostKeyChecking', section: 'defaults', key: 'host_key_checking', env: 'ANSIBLE_HOST_KEY_CHECKING', kind: 'boolean' },
  { field: 'privateKeyFile', section: 'defaults', key: 'private_key_file', env: 'ANSIBLE_PRIVATE_KEY_FILE', kind: 'path' },
  { field: 'rolesPath', section: 'defaults', key: 'roles_path', env: 'ANSIBLE_ROLES_PATH', kind: 'pathspec' },
  { field: 'vaultPasswordFile', section: 'defaults', key: 'vault_password_file', env: 'ANSIBLE_VAULT_PASSWORD_FILE', kind: 'path' },
  { field: 'vaultIdentityList', section: 'defaults', key: 'vault_identity_list', env: 'ANSIBLE_VAULT_IDENTITY_LIST', kind: 'list' },
  { field: 'askVaultPass', section: 'defaults', key: 'ask_vault_pass', env: 'ANSIBLE_ASK_VAULT_PASS', kind: 'boolean' },
  { field: 'askPass', section: 'defaults', key: 'ask_pass', env: 'ANSIBLE_ASK_PASS', kind: 'boolean' },
  { field: 'become', section: 'privilege_escalation', key: 'become', env: 'ANSIBLE_BECOME', kind: 'boolean' },
  { field: 'becomeMethod', section: 'privilege_escalation', key: 'become_method', env: 'ANSIBLE_BECOME_METHOD', kind: 'string' },
  { field: 'becomeUser', section: 'privilege_escalation', key: 'become_user', env: 'ANSIBLE_BECOME_USER', kind: 'string' },
  { field: 'becomeAskPass', section: 'privilege_escalation', key: 'become_ask_pass', env: 'ANSIBLE_BECOME_ASK_PASS', kind: 'boolean' },
];

/** Why a setting swarmplay accepts changes nothing here. */
const UNUSED_REASONS: Array<[RegExp, string]> = [
  [/^pipelining$|^ssh_args$|^control_path(_dir)?$|^retries$|^scp_if_ssh$|^transfer_method$|^ssh_transfer_method$/,
    'swarmplay keeps one SSH connection and one persistent shell per host for the whole run'],
  [/^(callbacks_enabled|callback_whitelist|callbacks_enabled|stdout_callback|callback_result_format|display_skipped_hosts|display_ok_hosts|nocolor|bin_ansible_callbacks)$/,
    'swarmplay has its own output (plain, terminal or --json)'],
  [/^(gathering|fact_caching.*|gather_timeout)$/, 'swarmplay gathers facts per play, in one round trip per host'],
  [/^(interpreter_python|ansible_python_interpreter)$/, 'swarmplay needs no Python on the hosts'],
];

/** Ansible's default roles_path. */
export function defaultRolesPath(home = homedir()): string[] {
  return [join(home, '.ansible/roles'), '/usr/share/ansible/roles', '/etc/ansible/roles'];
}

interface IniValue {
  value: string;
  line: number;
}

/** Python configparser (strict, inline `;` comments, raw): section -> key -> value. */
export function parseConfigIni(file: string, text: string): Map<string, Map<string, IniValue>> {
  const sections = new Map<string, Map<string, IniValue>>();
  const lines = text.split(/\r\n|\n|\r/);
  let current: Map<string, IniValue> | undefined;
  let last: { entry: IniValue; indent: number } | undefined;
  const fail = (lineNo: number, message: string, hint: string): never => {
    throw new SwarmplayError('BAD_OPTION', `${message} in ${file}`, {
      location: { file, line: lineNo, column: 1 },
      snippet: snippetAt(text, lineNo, 1),
      hint,
    });
  };
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const commentAt = raw.search(/\s;/);
    const line = (commentAt >= 0 ? raw.slice(0, commentAt) : raw).replace(/\s+$/, '');
    const stripped = line.trim();
    const indent = raw.length - raw.replace(/^\s+/, '').length;
    if (/^\s*[#;]/.test(raw)) return;
    if (!stripped) {
      last = undefined;
      return;
    }
    if (last && indent > last.indent) {
      last.entry.value += `\n${stripped}`;
      return;
    }
    const header = /^\[(.+)\]/.exec(stripped);
    if (header) {
      const name = header[1]!;
      if (sections.has(name)) fail(lineNo, `section [${name}] appears twice`, 'merge the two sections into one');
      current = new Map();
      sections.set(name, current);
      last = undefined;
      return;
    }
    if (!current) fail(lineNo, 'a setting before any [section]', 'start the file with a section header, e.g. [defaults]');
    const delimiter = stripped.search(/[=:]/);
    if (delimiter <= 0) fail(lineNo, `expected "key = value", got: ${stripped}`, 'write each setting as key = value under its [section]');
    const key = stripped.slice(0, delimiter).trim().toLowerCase();
    if (current!.has(key)) fail(lineNo, `the setting ${key} appears twice in one section`, 'keep only one of them');
    const entry = { value: stripped.slice(delimiter + 1).trim(), line: lineNo };
    current!.set(key, entry);
    last = { entry, indent };
  });
  return sections;
}

/** Ansible's unquote: one pair of matching outer quotes removed. */
function unquote(text: string): string {
  return /^(["']).*\1$/s.test(text) && text.length >= 2 ? text.slice(1, -1) : text;
}

function expandPath(text: string, baseDir: string, home: string): string {
  let path = text.replace(/\{\{CWD\}\}/g, process.cwd());
  path = path.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => process.env[name] ?? whole);
  if (path === '~' || path.startsWith('~/')) path = home + path.slice(1);
  return isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
}

export interface ConfigLookup {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  home?: string;
}

/** Which ansible.cfg Ansible would read (undefined: none), and the warnings that go with the choice. */
export function findConfigFile(lookup: ConfigLookup = {}): { file?: string; warnings: string[] } {
  const env = lookup.env ?? process.env;
  const cwd = lookup.cwd ?? process.cwd();
  const home = lookup.home ?? homedir();
  const warnings: string[] = [];
  const candidates: string[] = [];
  const fromEnv = env.ANSIBLE_CONFIG;
  if (fromEnv !== undefined) {
    let path = expandPath(fromEnv, cwd, home);
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'ansible.cfg');
    candidates.push(path);
  }
  const cwdFile = join(cwd, 'ansible.cfg');
  let skippedCwd = false;
  try {
    if (statSync(cwd).mode & 0o002) skippedCwd = existsSync(cwdFile);
    else candidates.push(cwdFile);
  } catch {
    // an unreadable current folder is no config source
  }
  candidates.push(join(home, '.ansible.cfg'), '/etc/ansible/ansible.cfg');
  const file = candidates.find((c) => existsSync(c));
  if (skippedCwd && file !== candidates[0]) {
    warnings.push(`the current folder (${cwd}) is world-writable, so its ansible.cfg is ignored (as Ansible does)`);
  }
  return { file, warnings };
}

/** ansible.cfg (found as Ansible finds it) with the ANSIBLE_* environment over it. */
export function loadAnsibleConfig(lookup: ConfigLookup = {}): AnsibleConfig {
  const env = lookup.env ?? process.env;
  const cwd = lookup.cwd ?? process.cwd();
  const home = lookup.home ?? homedir();
  const { file, warnings } = findConfigFile({ env, cwd, home });
  const config: AnsibleConfig = { file, rolesPath: defaultRolesPath(home), vaultIdentityList: [], unused: [], warnings };
  let sections = new Map<string, Map<string, IniValue>>();
  if (file) {
    const ext = extname(file);
    if (ext !== '.cfg' && ext !== '.ini') {
      throw new SwarmplayError('BAD_OPTION', `unsupported configuration file type: ${file}`, {
        hint: 'Ansible (and swarmplay) read INI config files named *.cfg or *.ini; check ANSIBLE_CONFIG',
      });
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new SwarmplayError('BAD_OPTION', `cannot read the config file ${file}: ${(error as Error).message}`);
    }
    sections = parseConfigIni(file, text);
  }
  const used = new Set<string>();
  for (const def of DEFINITIONS) {
    used.add(`${def.section}.${def.key}`);
    const fromEnv = env[def.env];
    const fromFile = sections.get(def.section)?.get(def.key);
    let raw: string | undefined;
    let baseDir = cwd;
    let where: string;
    if (fromEnv !== undefined && fromEnv !== '') {
      raw = fromEnv;
      where = `$${def.env}`;
    } else if (fromFile) {
      raw = fromFile.value;
      baseDir = dirname(file!);
      where = `${file}:${fromFile.line}`;
    } else {
      continue;
    }
    (config as unknown as Record<string, unknown>)[def.field] = typed(def, raw, baseDir, home, where);
  }
  for (const [section, entries] of sections) {
    for (const key of entries.keys()) {
      if (used.has(`${section}.${key}`)) continue;
      const reason = UNUSED_REASONS.find(([pattern]) => pattern.test(key))?.[1] ?? 'swarmplay does not use it';
      config.unused.push(`[${section}] ${key}: ${reason}`);
    }
  }
  return config;
}

function typed(def: Definition, raw: string, baseDir: string, home: string, where: string): unknown {
  switch (def.kind) {
    case 'string':
      return unquote(raw);
    case 'integer': {
      const n = Number(unquote(raw).trim());
      if (!Number.isInteger(n)) {
        throw new SwarmplayError('BAD_OPTION', `${def.key} must be a whole number, got ${JSON.stringify(raw)} (${where})`);
      }
      return n;
    }
    case 'boolean':
      return ['y', 'yes', 'on', '1', 'true', 't', '1.0'].includes(unquote(raw).trim().toLowerCase());
    case 'path':
      return expandPath(unquote(raw), baseDir, home);
    case 'pathlist':
      return raw.split(',').map((p) => p.trim()).filter(Boolean).map((p) => expandPath(p, baseDir, home));
    case 'pathspec':
      return raw.split(':').filter(Boolean).map((p) => expandPath(p, baseDir, home));
    case 'list':
      return raw.split(',').map((p) => unquote(p.trim())).filter(Boolean);
  }
}
