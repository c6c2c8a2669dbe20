/**
 * The items a task (or include) loops over: `loop` templated (a bare
 * expression string is evaluated), or for `with_<lookup>` the templated
 * terms given to that lookup, as Ansible does.
 */
import { SwarmplayError, type SourceLocation } from '../errors.js';
import { evaluateExpression } from '../language/expressions.js';
import { loopLookupItems } from '../language/lookups.js';
import { renderValue } from '../language/template-string.js';

export interface LoopSpec {
  loop?: unknown;
  loopWith?: string;
  location: SourceLocation;
  /** The module: with_first_found searches vars/ for include_vars, templates/ for template. */
  module?: string;
}

export function loopItems(task: LoopSpec, vars: Record<string, unknown>): unknown[] {
  const { loop, location } = task;
  const rendered = typeof loop === 'string' && !loop.includes('{{') && task.loopWith === undefined
    ? evaluateExpression(loop, vars, location)
    : renderValue(loop, vars, location);
  const items = task.loopWith === undefined ? rendered : loopLookupItems(task.loopWith, rendered, vars, location, task.module);
  if (!Array.isArray(items)) {
    throw new SwarmplayError('EXPRESSION_ERROR', `${location.file}:${location.line}: loop must be a list, got ${items === null ? 'null' : typeof items}`, { location });
  }
  return items;
}
