/**
 * Ansible's lookups as templates call them: `lookup('file', 'x')`,
 * `query('first_found', [...])` (`q` too). They read the controller only:
 * files beside the playbook (its `files/` and `templates/` folders first,
 * as Ansible searches), environment variables and the variables
 * themselves. `lookup` joins several results with commas; `query` always
 * gives a list.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runtimeError, type Scope } from './scope.js';
import { compileTemplate } from './jinja-template.js';
import { resolveLookup } from './lazy-variables.js';
import { isPlainObject, isTruthy, readProperty, toText } from './values.js';

type Lookup = (terms: unknown[], kwargs: Record<string, unknown>, scope: Scope) => unknown[];

function baseDir(scope: Scope): string {
  const dir = readProperty(scope.vars, 'playbook_dir');
  return dir.found && typeof dir.value === 'string' ? dir.value : process.cwd();
}

/** Ansible's search order for a relative path: `<subdir>/` beside the playbook, then the playbook folder. */
function findFile(scope: Scope, name: string, subdir: string): string | undefined {
  if (path.isAbsolute(name)) return existsSync(name) ? name : undefined;
  const base = baseDir(scope);
  return [path.join(base, subdir, name), path.join(base, name)].find((file) => existsSync(file));
}

function readText(scope: Scope, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw runtimeError(scope, `cannot read ${file}: ${(error as Error).message}`);
  }
}

const LOOKUPS: Record<string, Lookup> = {
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
  first_found(terms, kwargs, scope) {
    const candidates: string[] = [];
    for (const term of terms.flat()) {
      if (isPlainObject(term)) {
        const files = [term.files ?? []].flat().map(toText);
        const paths = [term.paths ?? ['']].flat().map(toText);
        for (const dir of paths) for (const file of files) candidates.push(path.join(dir, file));
      } else {
        candidates.push(...toText(term).split(/[,;]/).map((t) => t.trim()).filter(Boolean));
      }
    }
    for (const candidate of candidates) {
      const file = findFile(scope, candidate, 'files');
      if (file) return [path.resolve(file)];
    }
    if (isTruthy(kwargs.skip)) return [];
    throw runtimeError(scope, `lookup('first_found'): none of ${candidates.join(', ')} was found`, 'Add one of the files, or pass skip=True.');
  },
};

function run(args: unknown[], kwargs: Record<string, unknown>, scope: Scope, what: string): unknown[] {
  const [name, ...terms] = args;
  if (typeof name !== 'string' || !Object.hasOwn(LOOKUPS, name)) {
    throw runtimeError(scope, `unknown lookup '${String(name)}' in ${what}()`, `The lookups swarmplay has: ${Object.keys(LOOKUPS).join(', ')}.`);
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
