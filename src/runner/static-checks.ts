/**
 * Checks of a loaded playbook and inventory that need no host, made before
 * the first connection: bad input must stop the run with exit 5 and nothing
 * touched, not show up later as one failed task per host.
 *
 * - template files: found, and their syntax parses, Jinja or Handlebars by extension (a render
 *   needs a host's variables; the syntax does not);
 * - copy's controller `src`: found;
 * - docker_stack's compose files: found, and YAML (a `.j2` one: its Jinja syntax);
 * - connection variables (ansible_port, ansible_become...): well typed;
 * - each play's host pattern parses (else it would stop the run at that
 *   play, after the plays before it ran), reported at the play.
 *
 * Paths holding `{{ }}` are judged when the task runs. A missing file is
 * only reported for a task that always runs (no `when` on it or around it):
 * a guarded task may well name a file that is optional.
 */
import { readFile, stat } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { SwarmplayError, snippetAt } from '../errors.js';
import type { Playbook, Task, ModuleTask } from '../language/playbook.js';
import type { Inventory } from '../language/inventory.js';
import { resolveConnectionSpec } from './connection-vars.js';
import { matchHosts } from '../language/host-patterns.js';
import { checkTemplateFileSyntax } from '../language/template-file.js';
import { searchDirs } from './play-runner.js';

/**
 * copy's path helpers, imported by the first task that names a controller file:
 * with them come the module schemas (and zod), which a play without such a task
 * never needs at start.
 */
const controllerFiles = () => import('../modules/copy.js');

function* moduleTasks(tasks: Task[], conditional: boolean): Generator<{ task: ModuleTask; conditional: boolean }> {
  for (const task of tasks) {
    const guarded = conditional || task.when.length > 0;
    if (task.kind === 'include') {
      yield* moduleTasks(task.loaded ?? [], guarded);
      // An included role's handlers run only when notified: conditional by nature.
      yield* moduleTasks(task.roleHandlers ?? [], true);
    } else if (task.kind === 'block') {
      yield* moduleTasks(task.block, guarded);
      // rescue runs only on a failure: as good as conditional.
      yield* moduleTasks(task.rescue, true);
      yield* moduleTasks(task.always, guarded);
    } else {
      yield { task, conditional: guarded };
    }
  }
}

function literalPath(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && !value.includes('{{') ? value : undefined;
}

async function checkTemplate(task: ModuleTask, conditional: boolean, playbookDir: string): Promise<void> {
  const src = literalPath(task.args.src);
  if (!src) return;
  const { controllerFileCandidates, findControllerFile } = await controllerFiles();
  const candidates = controllerFileCandidates(searchDirs(task.role, playbookDir), src, 'templates');
  const found = await findControllerFile(candidates);
  if (!found) {
    if (conditional) return;
    throw new SwarmplayError('FILE_NOT_FOUND', `template: could not find ${src} (looked in ${candidates.join(', ')})`, {
      location: task.location, hint: 'template paths are relative to the templates/ folder beside the playbook, or to the playbook folder',
    });
  }
  const { templateOptionsOf } = await import('../modules/template.js');
  await checkTemplateFileSyntax(await readFile(found.file, 'utf8'), found.file, templateOptionsOf(task.args));
}

async function checkCopySource(task: ModuleTask, conditional: boolean, playbookDir: string): Promise<void> {
  const src = literalPath(task.args.src);
  const remote = task.args.remote_src;
  if (!src || conditional || remote === true || (typeof remote === 'string' && remote !== 'false' && remote !== 'no')) return;
  const { controllerFileCandidates } = await controllerFiles();
  const candidates = controllerFileCandidates(searchDirs(task.role, playbookDir), src, 'files');
  // A file or a folder (copy takes both).
  const exists = await Promise.all(candidates.map((file) => stat(file).then(() => true, () => false)));
  if (!exists.some(Boolean)) {
    throw new SwarmplayError('FILE_NOT_FOUND', `copy: could not find src ${src} (looked in ${candidates.join(', ')})`, {
      location: task.location, hint: 'copy paths are relative to the files/ folder beside the playbook, or to the playbook folder; remote_src: true takes src from the host',
    });
  }
}

async function checkComposeFiles(task: ModuleTask, conditional: boolean, playbookDir: string): Promise<void> {
  const compose = task.args.compose;
  const paths = (Array.isArray(compose) ? compose : [compose]).map(literalPath).filter((file): file is string => file !== undefined);
  const { controllerFileCandidates, findControllerFile } = await controllerFiles();
  for (const file of paths) {
    const candidates = controllerFileCandidates(searchDirs(task.role, playbookDir), file, 'files');
    const found = await findControllerFile(candidates);
    if (!found) {
      if (conditional) continue;
      throw new SwarmplayError('FILE_NOT_FOUND', `docker_stack: could not find compose file ${file} (looked in ${candidates.join(', ')})`, {
        location: task.location, hint: 'compose paths are relative to the files/ folder beside the playbook, or to the playbook folder',
      });
    }
    const text = await readFile(found.file, 'utf8');
    if (found.file.endsWith('.j2')) {
      await checkTemplateFileSyntax(text, found.file);
      continue;
    }
    try {
      parseYaml(text);
    } catch (error) {
      throw new SwarmplayError('YAML_SYNTAX', `docker_stack: compose file ${found.file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
        location: task.location, hint: 'fix the compose file; docker stack deploy reads YAML',
      });
    }
  }
}

/** Template files exist and parse; copy sources and compose files exist. Throws FILE_NOT_FOUND, TEMPLATE_SYNTAX or YAML_SYNTAX at the task. */
export async function checkControllerFiles(playbook: Playbook): Promise<void> {
  for (const play of playbook.plays) {
    for (const { task, conditional } of moduleTasks([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers], false)) {
      // Handlers run only when notified: conditional by nature.
      const isHandler = play.handlers.includes(task as never);
      if (task.module === 'template') await checkTemplate(task, conditional || isHandler, playbook.dir);
      else if (task.module === 'copy') await checkCopySource(task, conditional || isHandler, playbook.dir);
      else if (task.module === 'docker_stack') await checkComposeFiles(task, conditional || isHandler, playbook.dir);
    }
  }
}

/**
 * Every host's connection variables are well typed (a port that is a
 * number, become a boolean...). Throws BAD_INVENTORY at the host's line.
 * Values holding `{{ }}` are left to connection time.
 */
export async function checkConnectionVars(inventory: Inventory): Promise<void> {
  for (const host of inventory.hostNames()) {
    const vars = inventory.hostVars(host);
    const templated = Object.entries(vars).some(([key, value]) => key.startsWith('ansible_') && typeof value === 'string' && value.includes('{{'));
    if (templated) continue;
    try {
      resolveConnectionSpec(host, vars);
    } catch (error) {
      if (!(error instanceof SwarmplayError)) throw error;
      const location = error.location ?? inventory.hostLocation(host);
      const source = location ? await readFile(location.file, 'utf8').catch(() => undefined) : undefined;
      throw new SwarmplayError(error.code, error.message, {
        location,
        snippet: error.snippet ?? (location && source !== undefined ? snippetAt(source, location.line, location.column) : undefined),
        hint: error.hint,
        cause: error,
      });
    }
  }
}

/** Every play's literal `hosts:` pattern parses against the inventory. Throws BAD_PATTERN at the play. */
export async function checkHostPatterns(playbook: Playbook, inventory: Inventory): Promise<void> {
  for (const play of playbook.plays) {
    if (play.hosts.includes('{{')) continue;
    try {
      matchHosts(inventory, play.hosts);
    } catch (error) {
      if (!(error instanceof SwarmplayError) || error.location) throw error;
      const source = await readFile(play.location.file, 'utf8').catch(() => undefined);
      throw new SwarmplayError(error.code, error.message, {
        location: play.location,
        snippet: source === undefined ? undefined : snippetAt(source, play.location.line, play.location.column),
        hint: error.hint,
        cause: error,
      });
    }
  }
}
