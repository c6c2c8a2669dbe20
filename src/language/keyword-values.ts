/**
 * Typed values of play and task keywords: `serial: "30%"`, `when: [a, b]`,
 * `gather_facts: yes`, `loop_control: {loop_var: node}`... Each reader
 * accepts what Ansible accepts (yes/no and on/off too, since YAML 1.2 reads
 * them as strings), checks the syntax of any `{{ }}` inside, and otherwise
 * fails at the value's file:line:column saying what would be right.
 */
import { isMap, isScalar, isSeq, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import { SwarmplayError } from '../errors.js';
import type { Strategy } from './playbook.js';
import { checkExpressionSyntax, hasEmbeddedTemplate, unwrapCondition } from './expressions.js';
import { didYouMean } from './suggest.js';
import { checkTemplateSyntax, containsTemplate } from './template-string.js';
import { deref, describeNode, entriesOf, type Entry, type SourceFile } from './yaml-source.js';

export function typeError(source: SourceFile, entry: Entry, expected: string, example?: string): SwarmplayError {
  return source.error('BAD_PLAYBOOK', `'${entry.key}' must be ${expected}, got ${describeNode(entry.value)}`, entry.value ?? entry.keyNode,
    example ? `For example: ${example}` : undefined);
}

export function readString(source: SourceFile, entry: Entry): string {
  const v = source.value(entry.value);
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  throw typeError(source, entry, 'a non-empty string');
}

/** `connection:` ssh or local (smart and paramiko are Ansible's names for ssh); a template is read at run time. */
export function readConnection(source: SourceFile, entry: Entry): string {
  const value = readString(source, entry);
  if (!containsTemplate(value) && !['ssh', 'local', 'smart', 'paramiko'].includes(value)) {
    throw source.error('BAD_PLAYBOOK', `connection '${value}' is not one swarmplay has`, entry.value, "Use 'connection: ssh' or 'connection: local'.");
  }
  return value;
}

export function readHostPattern(source: SourceFile, entry: Entry): string {
  const v = source.value(entry.value);
  let pattern: string | undefined;
  if (typeof v === 'string' && v.trim() !== '') pattern = v.trim();
  else if (Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === 'string' && p.trim() !== '')) pattern = (v as string[]).join(':');
  if (pattern === undefined) throw typeError(source, entry, 'a host pattern (a string, or a list of strings)', "'hosts: all', 'hosts: managers', 'hosts: [docker01, docker02]'");
  checkTemplates(source, pattern, entry.value);
  return pattern;
}

export function readBoolean(source: SourceFile, entry: Entry): boolean {
  const v = source.value(entry.value);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const word = v.trim().toLowerCase();
    if (['yes', 'true', 'on', 'y'].includes(word)) return true;
    if (['no', 'false', 'off', 'n'].includes(word)) return false;
  }
  const hint = containsTemplate(v) ? ' (a template is not allowed here: the value must be known before the play runs)' : '';
  throw typeError(source, entry, `true or false${hint}`, `'${entry.key}: true'`);
}

/**
 * true/false, or a '{{ }}' template judged per host when the task runs
 * (`ignore_errors: "{{ ansible_check_mode }}"`, as Ansible templates it).
 */
export function readBooleanOrTemplate(source: SourceFile, entry: Entry): boolean | string {
  return templateOr(source, entry, () => readBoolean(source, entry));
}

/** A keyword's '{{ }}' template, checked and kept for run time; any other value as `read` reads it. */
function templateOr<T>(source: SourceFile, entry: Entry, read: () => T): T | string {
  const v = source.value(entry.value);
  if (typeof v === 'string' && containsTemplate(v)) {
    checkTemplates(source, v, entry.value);
    return v;
  }
  return read();
}

export function readInteger(source: SourceFile, entry: Entry, min: number): number {
  const v = source.value(entry.value);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min) throw typeError(source, entry, `a whole number of at least ${min}`, `'${entry.key}: 3'`);
  return n;
}

/**
 * A whole number, or a '{{ }}' template that gives one when the task runs
 * (Ansible templates retries and delay per host: `retries: "{{ join_retries }}"`).
 */
export function readIntegerOrTemplate(source: SourceFile, entry: Entry, min: number): number | string {
  return templateOr(source, entry, () => readInteger(source, entry, min));
}

export function readPercentage(source: SourceFile, entry: Entry): number {
  const v = source.value(entry.value);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?%?\s*$/.test(v) ? Number(v.trim().replace(/%$/, '')) : NaN;
  if (Number.isNaN(n) || n < 0 || n > 100) throw typeError(source, entry, 'a percentage from 0 to 100', `'${entry.key}: 30'`);
  return n;
}

export function readStrategy(source: SourceFile, entry: Entry): Strategy {
  const v = source.value(entry.value);
  if (v === 'linear' || v === 'free') return v;
  const hint = typeof v === 'string' ? didYouMean(v, ['linear', 'free']) : '';
  throw source.error('BAD_PLAYBOOK', `'strategy' must be 'linear' or 'free', got ${describeNode(entry.value)}`, entry.value ?? entry.keyNode,
    `${hint ? `${hint} ` : ''}linear (the default) runs each task on every host before the next; free lets each host run ahead.`);
}

export function readSerial(source: SourceFile, entry: Entry): (number | string)[] {
  const nodes = isSeq(entry.value) ? entry.value.items.map((i) => deref(source, i)) : [entry.value];
  if (nodes.length === 0) throw typeError(source, entry, 'a batch size, a percentage or a list of them', "'serial: 1', 'serial: \"30%\"', 'serial: [1, 5, \"50%\"]'");
  return nodes.map((node) => {
    const v = source.value(node);
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
    if (typeof v === 'string' && /^\s*\d+\s*$/.test(v) && Number(v) > 0) return Number(v);
    if (typeof v === 'string' && /^\s*\d+(\.\d+)?%\s*$/.test(v) && Number(v.trim().slice(0, -1)) > 0 && Number(v.trim().slice(0, -1)) <= 100) return v.trim();
    throw source.error('BAD_PLAYBOOK', `'serial' must be a positive whole number or a percentage like "30%", got ${describeNode(node)}`, node ?? entry.keyNode,
      "For example 'serial: 1', 'serial: \"30%\"', or a list of batch sizes 'serial: [1, 5, \"50%\"]'.");
  });
}

/** A string or a list of strings; tags may also be "a,b". */
export function readStringList(source: SourceFile, entry: Entry, commaSeparated: boolean): string[] {
  const v = source.value(entry.value);
  const items = Array.isArray(v) ? v : [v];
  if (items.length === 0 && Array.isArray(v)) return [];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === 'number') { out.push(String(item)); continue; }
    if (typeof item !== 'string' || item.trim() === '') throw typeError(source, entry, 'a string or a list of strings', `'${entry.key}: [a, b]'`);
    out.push(...(commaSeparated ? item.split(',').map((s) => s.trim()).filter(Boolean) : [item]));
  }
  for (const item of out) checkTemplates(source, item, entry.value);
  return out;
}

export function readVars(source: SourceFile, entry: Entry): Record<string, unknown> {
  // A list of mappings is merged in order, as Ansible's _load_vars does (older playbooks write `vars: [- a: 1]`).
  const maps = isSeq(entry.value) ? entry.value.items.map((i) => deref(source, i)) : [entry.value];
  if (isSeq(entry.value) && !maps.every((m) => isMap(m))) {
    throw typeError(source, entry, 'a mapping of variable names to values (or a list of such mappings)', "'vars: {port: 80}'");
  }
  if (!isSeq(entry.value) && !isMap(entry.value)) {
    if (entry.value === null || (isScalar(entry.value) && entry.value.value === null)) return {};
    throw typeError(source, entry, 'a mapping of variable names to values', "'vars: {port: 80}'");
  }
  const out: Record<string, unknown> = {};
  for (const v of maps.flatMap((m) => entriesOf(source, m as YAMLMap))) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.key)) {
      throw source.error('BAD_PLAYBOOK', `'${v.key}' is not a valid variable name`, v.keyNode, 'Variable names are letters, digits and underscores, not starting with a digit.');
    }
    const value = source.value(v.value);
    checkTemplates(source, value, v.value ?? v.keyNode);
    out[v.key] = value;
  }
  return out;
}

/** `when`, changed_when, failed_when, until: a string, a boolean, or a list of them (all must hold). */
export function readConditions(source: SourceFile, entry: Entry): string[] {
  const nodes = isSeq(entry.value) ? entry.value.items.map((i) => deref(source, i)) : [entry.value];
  return nodes.map((node) => {
    const v = source.value(node);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string' || v.trim() === '') {
      throw source.error('BAD_PLAYBOOK', `'${entry.key}' must be an expression, a boolean, or a list of them, got ${describeNode(node)}`, node ?? entry.keyNode,
        `For example '${entry.key}: inventory_hostname in groups.managers' or '${entry.key}: [a is defined, b == 1]'.`);
    }
    const expr = unwrapCondition(v);
    if (hasEmbeddedTemplate(expr) || expr.includes('}}')) {
      // "'{{ state }}' == 'active'": Ansible (with a warning) renders the templates, then judges the text as an expression.
      // Templates inside quoted strings keep it one; a bare "{{ role }} == 'x'" turns a value into code: refused.
      if (quotedTemplatesOnly(expr)) {
        checkTemplates(source, expr, node);
        return v;
      }
      throw source.error('EXPRESSION_SYNTAX', `'${entry.key}' is already an expression: it does not take '{{ }}' inside`, node,
        `Write the bare expression, e.g. '${entry.key}: ${v.replace(/\{\{\s*|\s*\}\}/g, '')}'.`);
    }
    try {
      checkExpressionSyntax(expr, source.locationOf(node));
    } catch (error) {
      throw source.withSnippet(error, node);
    }
    return v;
  });
}

/** Every '{{ }}' of a condition sits inside a quoted string: the condition parses as an expression as written. */
function quotedTemplatesOnly(expr: string): boolean {
  try {
    checkExpressionSyntax(expr);
    return true;
  } catch {
    return false;
  }
}

export function checkTemplates(source: SourceFile, value: unknown, node: YamlNode | Pair | null): void {
  try {
    checkTemplateSyntax(value, source.locationOf(node));
  } catch (error) {
    throw source.withSnippet(error, node);
  }
}

export function readIdentifier(source: SourceFile, entry: Entry): string {
  const v = source.value(entry.value);
  if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
    throw typeError(source, entry, 'a variable name (letters, digits, underscores)', `'${entry.key}: result'`);
  }
  return v;
}

export function readLoop(source: SourceFile, entry: Entry): unknown {
  const v = source.value(entry.value);
  if (Array.isArray(v)) {
    checkTemplates(source, v, entry.value);
    return v;
  }
  if (typeof v === 'string' && containsTemplate(v)) {
    checkTemplates(source, v, entry.value);
    return v;
  }
  throw source.error('BAD_PLAYBOOK', `'${entry.key}' must be a list, or a '{{ }}' expression that gives one, got ${describeNode(entry.value)}`, entry.value ?? entry.keyNode,
    `For example '${entry.key}: [a, b]' or '${entry.key}: "{{ groups.workers }}"'.` + (typeof v === 'string' ? ` To loop over the variable '${v}', write "{{ ${v} }}".` : ''));
}

export interface LoopControl {
  loopVar: string;
  indexVar?: string;
}

const LOOP_CONTROL_KEYWORDS = ['loop_var', 'index_var', 'label', 'pause', 'extended', 'extended_allitems'];

export function readLoopControl(source: SourceFile, entry: Entry): LoopControl {
  if (!isMap(entry.value)) throw typeError(source, entry, 'a mapping', "'loop_control: {loop_var: node}'");
  const control: LoopControl = { loopVar: 'item' };
  for (const e of entriesOf(source, entry.value)) {
    // label, pause and extended only change what Ansible prints or how fast it goes; accepted so playbooks work unchanged.
    if (e.key === 'loop_var') control.loopVar = readIdentifier(source, e);
    else if (e.key === 'index_var') control.indexVar = readIdentifier(source, e);
    else if (!LOOP_CONTROL_KEYWORDS.includes(e.key)) {
      throw source.error('UNKNOWN_KEYWORD', `unknown loop_control keyword '${e.key}'`, e.keyNode, didYouMean(e.key, LOOP_CONTROL_KEYWORDS, { otherwise: 'loop_control takes loop_var, index_var and label.' }));
    }
  }
  return control;
}

/** `environment:` a mapping of names to values, or one `{{ }}` that gives one (templated per host). */
export function readEnvironment(source: SourceFile, entry: Entry): unknown {
  const v = source.value(entry.value);
  if (v === null) return undefined;
  if (typeof v === 'string' && containsTemplate(v)) {
    checkTemplates(source, v, entry.value);
    return v;
  }
  if (Array.isArray(v) && v.every((e) => (e && typeof e === 'object' && !Array.isArray(e)) || (typeof e === 'string' && containsTemplate(e)))) {
    // Ansible merges a list of mappings, later ones winning.
    checkTemplates(source, v, entry.value);
    return v;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw typeError(source, entry, 'a mapping of environment variable names to values', "'environment: {HTTP_PROXY: \"http://proxy:3128\"}'");
  }
  for (const key of Object.keys(v)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw source.error('BAD_PLAYBOOK', `'${key}' is not a valid environment variable name`, entry.value, 'Names are letters, digits and underscores, not starting with a digit.');
    }
  }
  checkTemplates(source, v, entry.value);
  return v;
}

export function readBecomeMethod(source: SourceFile, entry: Entry): 'sudo' | 'su' {
  const v = source.value(entry.value);
  if (v === 'sudo' || v === 'su') return v;
  const hint = typeof v === 'string' ? didYouMean(v, ['sudo', 'su']) : '';
  throw source.error('BAD_PLAYBOOK', `'become_method' must be 'sudo' or 'su', got ${describeNode(entry.value)}`, entry.value ?? entry.keyNode,
    `${hint ? `${hint} ` : ''}swarmplay becomes another user with sudo (the default) or su.`);
}

/** `module_defaults`: {module: {arg: value}} or a list of such mappings; `group/...` names are kept as written. */
/** community.docker's action group (its meta/runtime.yml), named `group/docker` or `group/community.docker.docker`. */
const DOCKER_ACTION_GROUP = [
  'docker_compose', 'docker_compose_v2', 'docker_compose_v2_pull', 'docker_config', 'docker_container', 'docker_container_copy_into',
  'docker_container_exec', 'docker_container_info', 'docker_host_info', 'docker_image', 'docker_image_build', 'docker_image_export',
  'docker_image_info', 'docker_image_load', 'docker_image_pull', 'docker_image_push', 'docker_image_remove', 'docker_image_tag',
  'docker_login', 'docker_network', 'docker_network_info', 'docker_node', 'docker_node_info', 'docker_plugin', 'docker_prune',
  'docker_secret', 'docker_stack', 'docker_stack_info', 'docker_stack_task_info', 'docker_swarm', 'docker_swarm_info',
  'docker_swarm_service', 'docker_swarm_service_info', 'docker_volume', 'docker_volume_info',
].map((name) => `community.docker.${name}`);
const ACTION_GROUPS: Record<string, readonly string[]> = { 'group/docker': DOCKER_ACTION_GROUP, 'group/community.docker.docker': DOCKER_ACTION_GROUP };

/**
 * module_defaults: module name -> default arguments. An action group gives
 * its defaults to each of its modules; a module's own entry wins over its
 * group's, wherever it is written (as Ansible merges them).
 */
export function readModuleDefaults(source: SourceFile, entry: Entry): Record<string, Record<string, unknown>> {
  const v = source.value(entry.value);
  const maps = Array.isArray(v) ? v : [v];
  const out: Record<string, Record<string, unknown>> = {};
  const own: Array<[string, Record<string, unknown>]> = [];
  for (const m of maps) {
    if (!m || typeof m !== 'object' || Array.isArray(m)) {
      throw typeError(source, entry, 'a mapping of module names to their default arguments', "'module_defaults: {command: {chdir: /srv}}'");
    }
    for (const [module, args] of Object.entries(m as Record<string, unknown>)) {
      if (!args || typeof args !== 'object' || Array.isArray(args)) {
        throw source.error('BAD_PLAYBOOK', `module_defaults for '${module}' must be a mapping of arguments`, entry.value, `For example '${module}: {chdir: /srv}'.`);
      }
      if (!module.startsWith('group/')) {
        own.push([module.replace(/^ansible\.(?:builtin|legacy)\./, ''), args as Record<string, unknown>]);
        continue;
      }
      const members = ACTION_GROUPS[module];
      if (!members) {
        throw source.error('UNKNOWN_KEYWORD', `module_defaults of the action group '${module}' is not supported by swarmplay`, entry.value,
          `The action groups swarmplay knows: ${Object.keys(ACTION_GROUPS).join(', ')}. Otherwise give the defaults to each module by its name, e.g. 'module_defaults: {command: {chdir: /srv}}'.`);
      }
      for (const member of members) out[member] = { ...(out[member] ?? {}), ...(args as Record<string, unknown>) };
    }
  }
  for (const [module, args] of own) out[module] = { ...(out[module] ?? {}), ...args };
  checkTemplates(source, out, entry.value);
  return out;
}
