/** Every condition a wait step may name. */
import type { ConditionDefinition } from './types.js';
import { commandSucceeds } from './command-succeeds.js';
import { hostAnswers } from './host-answers.js';
import { nodeDrained } from './node-drained.js';
import { nodeReachableManager } from './node-reachable-manager.js';
import { nodesDescribed } from './nodes-described.js';
import { registryAnswers } from './registry-answers.js';
import { serviceConverged } from './service-converged.js';
import { stackConverged } from './stack-converged.js';
import { stackRemoved } from './stack-removed.js';
import { swarmMemberSettled } from './swarm-member-settled.js';
import { swarmCaRotated } from './swarm-ca-rotated.js';

const CONDITIONS: readonly ConditionDefinition[] = [
  commandSucceeds, hostAnswers, nodeDrained, nodeReachableManager, nodesDescribed, registryAnswers, serviceConverged, stackConverged, stackRemoved, swarmMemberSettled, swarmCaRotated,
];

const byName = new Map(CONDITIONS.map((condition) => [condition.name, condition]));

export function findCondition(name: string): ConditionDefinition | undefined {
  return byName.get(name);
}
