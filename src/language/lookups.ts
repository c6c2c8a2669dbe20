/**
 * Ansible's lookups as templates call them: `lookup('file', 'x')`,
 * `query('first_found', [...])` (`q` too), and the `with_<name>` loops,
 * which are the lookup of that name over the loop's terms. They read the
 * controller only: files on Ansible's search path (in a role: the role's
 * `<subdir>/` and folder first, then the task file's folder, then the
 * playbook's `<subdir>/` and folder), environment variables and the
 * variables themselves. `lookup` joins several results with commas; `query`
 * always gives a list.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { SwarmplayError, type SourceLocation } from '../errors.js';
import { runtimeError, type Scope } from './scope.js';
import { compileTemplate } from './jinja-template.js';
import { resolveLookup } from './lazy-variables.js';
import { LIST_LOOKUPS, type ListLookup } from './list-lookups.js';
import { isPlainObject, isTruthy, readProperty, toText } from './values.js';

type Lookup = ListLookup;

function stringVar(scope: Scope, name: string): string | undefined {
  const found = readProperty(scope.vars, name);
  return found.found && typeof found.value === 'string' && found.value !== '' ? found.value : undefined;
}

/** The folders a relative path is searched from, in Ansible's order (its ansible_search_path). */
function searchBases(scope: Scope): string[] {
  const bases = [stringVar(scope, 'role_path'), scope.location?.file ? path.dirname(scope.location.file) : undefined,
    stringVar(scope, 'playbook_dir') ?? process.cwd()];
  return [...new Set(bases.filter((b): b is string => b !== undefined))];
}

/** `~/x` is the controller user's home, as Ansible expands it. */
function expandHome(name: string): string {
  return name === '~' || name.startsWith('~/') ? path.join(homedir(), name.slice(1)) : name;
}

/** Every place a relative path may be, in order: `<base>/<subdir>/name` then `<base>/name` for each search base. */
function candidatesFor(scope: Scope, name: string, subdir: string): string[] {
  const expanded = expandHome(name);
  if (path.isAbsolute(expanded)) return [expanded];
  return searchBases(scope).flatMap((base) => [
    ...(expanded.split('/')[0] === subdir ? [] : [path.join(base, subdir, expanded)]), path.join(base, expanded),
  ]);
}

function findFile(scope: Scope, name: string, subdir: string): string | undefined {
  return candidatesFor(scope, name, subdir).find((file) => existsSync(file) && statSync(file).isFile());
}

/** A shell-style glob of one path segment (`*`, `?`, `[...]`). */
function globPattern(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** Runs a lookup's command through /bin/sh on the controller, in the playbook's folder, as Ansible's pipe does. */
function controllerCommand(scope: Scope, command: string): string {
  try {
    return execFileSync('/bin/sh', ['-c', command], { cwd: stringVar(scope, 'playbook_dir') ?? process.cwd(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failed = error as { status?: number; stderr?: string };
    throw runtimeError(scope, `lookup command '${command}' failed (exit ${failed.status ?? '?'}): ${String(failed.stderr ?? '').trim()}`);
  }
}

function readText(scope: Scope, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw runtimeError(scope, `cannot read ${file}: ${(error as Error).message}`);
  }
}

const LOOKUPS: Record<string, Lookup> = {
  ...LIST_LOOKUPS,
  file(terms, kwargs, scope) {
    return terms.map((term) => {
      const file = findFile(scope, toText(term), 'files');
      if (!file) throw runtimeError(scope, `lookup('file'): could not find ${toText(term)} (looked in files/ beside the playbook and the playbook folder)`);
      const text = readText(scope, file);
      return kwargs.rstrip === undefined || isTruthy(kwargs.rstrip) ? text.replace(/\s+$/, '') : text;
    });
  },
  template(terms, _kwargs, scope) {
    return terms.map((term) => {
      const file = findFile(scope, toText(term), 'templates');
      if (!file) throw runtimeError(scope, `lookup('template'): could not find ${toText(term)} (looked in templates/ beside the playbook and the playbook folder)`);
      return compileTemplate(readText(scope, file), { file }).render(scope.vars, scope.stack);
    });
  },
  /** A shell command on the controller; its output without the trailing newlines (Ansible's pipe). */
  pipe(terms, _kwargs, scope) {
    return terms.map((term) => controllerCommand(scope, toText(term)).replace(/\s+$/, ''));
  },
  /** A command's output, one item a line (Ansible's lines). */
  lines(terms, _kwargs, scope) {
    return terms.flatMap((term) => controllerCommand(scope, toText(term)).split(/\r?\n/).filter((line, i, all) => i < all.length - 1 || line !== ''));
  },
  env(terms, kwargs) {
    return terms.map((term) => process.env[toText(term)] ?? (kwargs.default === undefined ? '' : kwargs.default));
  },
  vars(terms, kwargs, scope) {
    return terms.map((term) => {
      const name = toText(term);
      const found = readProperty(scope.vars, name);
      if (found.found) return resolveLookup(scope, scope.vars, found.value, name);
      if (kwargs.default !== undefined) return kwargs.default;
      throw runtimeError(scope, `lookup('vars'): no variable named '${name}'`, "Give a default: lookup('vars', 'name', default='...').");
    });
  },
  /** Files matching each pattern, in the first search folder that holds the pattern's folder (Ansible's fileglob). */
  fileglob(terms, _kwargs, scope) {
    return terms.flatMap((term) => {
      const pattern = toText(term);
      const dir = candidatesFor(scope, path.dirname(pattern), 'files').find((d) => existsSync(d) && statSync(d).isDirectory());
      if (!dir) return [];
      const match = globPattern(path.basename(pattern));
      return readdirSync(dir).filter((f) => match.test(f)).sort().map((f) => path.join(dir, f)).filter((f) => statSync(f).isFile());
    });
  },
  first_found(terms, kwargs, scope) {
    const candidates: string[] = [];
    let skip = isTruthy(kwargs.skip);
    const split = (value: unknown): string[] => [value ?? []].flat().flatMap((v) => toText(v).split(/[,;]/)).map((t) => t.trim()).filter(Boolean);
    for (const term of terms.flat()) {
      if (isPlainObject(term)) {
        const files = split(term.files);
        const paths = term.paths === undefined ? [''] : split(term.paths);
        if (isTruthy(term.skip)) skip = true;
        for (const dir of paths) for (const file of files) candidates.push(path.join(dir, file));
      } else {
        candidates.push(...split(term));
      }
    }
    // A with_first_found loop searches the task's kind of folder (vars/ for include_vars, templates/ for template).
    const subdir = typeof kwargs._subdir === 'string' ? kwargs._subdir : 'files';
    for (const candidate of candidates) {
      const file = findFile(scope, candidate, subdir);
      if (file) return [path.resolve(file)];
    }
    if (skip) return [];
    throw runtimeError(scope, `lookup('first_found'): none of ${candidates.join(', ')} was found`, 'Add one of the files, or pass skip=True.');
  },
};

function run(args: unknown[], kwargs: Record<string, unknown>, scope: Scope, what: string): unknown[] {
  const [given, ...terms] = args;
  // `lookup('ansible.builtin.file', ...)` names the same lookup.
  const name = typeof given === 'string' ? given.replace(/^ansible\.(?:builtin|legacy)\./, '') : given;
  if (typeof name !== 'string' || !Object.hasOwn(LOOKUPS, name)) {
    throw runtimeError(scope, `unknown lookup '${String(given)}' in ${what}()`, `The lookups swarmplay has: ${Object.keys(LOOKUPS).join(', ')}.`);
  }
  return LOOKUPS[name]!(terms, kwargs, scope);
}

export function lookup(args: unknown[], scope: Scope, kwargs: Record<string, unknown>): unknown {
  const wantList = isTruthy(kwargs.wantlist);
  const { wantlist: _ignored, ...rest } = kwargs;
  const results = run(args, rest, scope, 'lookup');
  if (wantList) return results;
  if (results.every((r) => typeof r === 'string')) return results.join(',');
  return results.length === 1 ? results[0] : results;
}

export function query(args: unknown[], scope: Scope, kwargs: Record<string, unknown>): unknown {
  return run(args, kwargs, scope, 'query');
}

/** The folder a with_first_found loop searches first, from the task's module (Ansible's loop `_subdir`). */
function loopSubdir(module: string | undefined): string {
  if (module?.includes('template')) return 'templates';
  if (module?.includes('var')) return 'vars';
  return 'files';
}

/**
 * The items of `with_<name>: terms`: the templated terms as a list (a single
 * value becomes a list of one, as Ansible's listify does), given to the lookup.
 */
export function loopLookupItems(name: string, terms: unknown, vars: Record<string, unknown>, location: SourceLocation, module?: string): unknown[] {
  const scope: Scope = { vars, text: `with_${name}`, location, stack: [] };
  if (!Object.hasOwn(LOOKUPS, name)) {
    throw new SwarmplayError('EXPRESSION_ERROR', `unknown loop 'with_${name}'`, { location, hint: `The with_ loops swarmplay has: ${Object.keys(LOOKUPS).map((n) => `with_${n}`).join(', ')}.` });
  }
  const list = Array.isArray(terms) ? terms : [terms];
  return LOOKUPS[name]!(list, name === 'first_found' ? { _subdir: loopSubdir(module) } : {}, scope);
}
