/**
 * The static undefined-variable check, made before any host is connected:
 * a name read by an expression that nothing can define (not the inventory,
 * play vars, vars_files, extra vars, a register, a set_fact, a loop variable,
 * task/block vars, facts or a magic variable) is bad input, reported with
 * the task's file:line and exit code 5. Names read under `is defined` or
 * `default`, or after a short-circuit that proves them defined
 * (`x is defined and x | bool`, `{% if x is defined %}{{ x }}`), are fine. The check is deliberately generous: a name defined
 * anywhere in the playbook counts as defined everywhere, because set_fact
 * and register in one play are read in later ones; the runner still reports
 * an undefined value at run time for the cases this check cannot see.
 */
import { readFileSync } from 'node:fs';
import { SwarmplayError, snippetAt, type SourceLocation } from '../errors.js';
import type { Playbook, Task, Play } from './playbook.js';
import type { Inventory } from './inventory.js';
import { referencedNames, templateNames } from './names.js';
import { needsStatements, parseTemplateString } from './template-string.js';
import { didYouMean } from './suggest.js';

const MAGIC_VARIABLES = [
  'inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', 'hostvars', 'play_hosts',
  'ansible_play_hosts', 'ansible_play_batch', 'ansible_play_hosts_all', 'ansible_check_mode', 'ansible_version', 'playbook_dir',
  'inventory_file', 'inventory_dir', 'role_name', 'role_path', 'ansible_facts', 'omit',
];

const RUNTIME_DEFINERS = ['include_vars', 'add_host', 'group_by'];

function tasksOf(play: Play): Task[] {
  const all: Task[] = [];
  const visit = (tasks: Task[]): void => {
    for (const task of tasks) {
      all.push(task);
      if (task.kind === 'include') visit([...(task.loaded ?? []), ...(task.roleHandlers ?? [])]);
      if (task.kind === 'block') {
        visit(task.block);
        visit(task.rescue);
        visit(task.always);
      }
    }
  };
  visit([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers]);
  return all;
}

function definedNames(playbook: Playbook, inventory: Inventory, extraVars: Record<string, unknown>, varsFilesKeys: string[]): Set<string> {
  const known = new Set<string>([...MAGIC_VARIABLES, ...Object.keys(extraVars), ...varsFilesKeys]);
  for (const host of inventory.hostNames()) for (const name of Object.keys(inventory.hostVars(host))) known.add(name);
  for (const play of playbook.plays) {
    for (const name of Object.keys(play.vars)) known.add(name);
    for (const prompt of play.varsPrompt) known.add(prompt.name);
    for (const task of tasksOf(play)) {
      for (const name of Object.keys(task.vars)) known.add(name);
      // A role's defaults, vars and parameters, and those of the roles it came through.
      for (let role = task.role; role; role = undefined) {
        for (const r of [...role.parents, role]) for (const layer of [r.defaults, r.vars, r.params]) for (const name of Object.keys(layer)) known.add(name);
      }
      if (task.kind === 'block') continue;
      if (task.loop !== undefined) known.add(task.loopVar);
      if (task.indexVar) known.add(task.indexVar);
      if (task.kind !== 'module') continue;
      if (task.register) known.add(task.register);
      if (task.module === 'set_fact') for (const name of Object.keys(task.args)) known.add(name);
      for (const name of task.definesVariables ?? []) known.add(name);
    }
  }
  return known;
}

/** Every `{{ }}` expression and bare condition of a task (and every template string with statements), with the task's location. */
function expressionsOf(task: Task, templates: string[] = []): string[] {
  const out: string[] = [...task.when];
  const strings = (value: unknown): void => {
    if (typeof value === 'string') {
      if (needsStatements(value)) templates.push(value);
      else if (value.includes('{{')) {
        for (const part of parseTemplateString(value)) if (part.kind === 'expression') out.push(part.expression);
      }
    } else if (Array.isArray(value)) value.forEach(strings);
    else if (value && typeof value === 'object') Object.values(value).forEach(strings);
  };
  strings(task.name);
  strings(task.delegateTo);
  strings(task.vars);
  strings(task.environment);
  if (task.kind === 'include') {
    strings(task.target);
    if (typeof task.loop === 'string' && !task.loop.includes('{{') && task.loopWith === undefined) out.push(task.loop);
    else strings(task.loop);
  }
  if (task.kind === 'module') {
    strings(task.args);
    if (typeof task.loop === 'string' && !task.loop.includes('{{') && task.loopWith === undefined) out.push(task.loop);
    else strings(task.loop);
    out.push(...(task.changedWhen ?? []), ...(task.failedWhen ?? []));
    // until reads the registered result of this very task.
  }
  return out;
}

function failAt(name: string, location: SourceLocation, known: Set<string>): never {
  const suggestion = didYouMean(name, [...known], { lowerCase: true });
  let snippet: string | undefined;
  try {
    snippet = snippetAt(readFileSync(location.file, 'utf8'), location.line, location.column);
  } catch {
    snippet = undefined;
  }
  throw new SwarmplayError('UNDEFINED_VARIABLE', `'${name}' is undefined: no inventory, play, vars file, register, set_fact, loop or extra variable defines it`, {
    location,
    snippet,
    hint: `${suggestion ? `${suggestion} Otherwise ` : ''}define '${name}' (vars:, group_vars/, -e ${name}=...), or guard it with '${name} | default(...)' or 'when: ${name} is defined'`,
  });
}

export function checkUndefinedVariables(
  playbook: Playbook, inventory: Inventory, extraVars: Record<string, unknown>, varsFilesKeys: string[],
): void {
  // Variables a file read at run time defines (include_vars, add_host, a templated include) cannot be known now.
  if (playbook.plays.some((play) => tasksOf(play).some((t) => (t.kind === 'module' && RUNTIME_DEFINERS.includes(t.module)) || (t.kind === 'include' && !t.loaded)))) return;
  const known = definedNames(playbook, inventory, extraVars, varsFilesKeys);
  const isKnown = (name: string): boolean => known.has(name) || name.startsWith('ansible_');
  for (const play of playbook.plays) {
    for (const task of tasksOf(play)) {
      const templates: string[] = [];
      const expressions = expressionsOf(task, templates);
      for (const text of templates) {
        let refs: ReturnType<typeof templateNames>;
        try {
          refs = templateNames(text, task.location);
        } catch {
          continue; // the loader already reported syntax errors
        }
        for (const name of refs.names) if (!isKnown(name)) failAt(name, task.location, known);
      }
      for (const expr of expressions) {
        let refs: ReturnType<typeof referencedNames>;
        try {
          refs = referencedNames(expr, task.location);
        } catch {
          continue; // the loader already reported syntax errors
        }
        for (const name of refs.names) if (!isKnown(name)) failAt(name, task.location, known);
      }
    }
  }
}
