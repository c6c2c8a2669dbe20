/** Every condition a wait step may name. */
import type { ConditionDefinition } from './types.js';
import { commandSucceeds } from './command-succeeds.js';
import { registryAnswers } from './registry-answers.js';

const CONDITIONS: readonly ConditionDefinition[] = [commandSucceeds, registryAnswers];

const byName = new Map(CONDITIONS.map((condition) => [condition.name, condition]));

export function findCondition(name: string): ConditionDefinition | undefined {
  return byName.get(name);
}
