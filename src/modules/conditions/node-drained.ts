/**
 * `node_drained`: a node set to drain runs no task any more, and every
 * service is back to its replica count on the other nodes. `docker node
 * update --availability drain` returns at once, while swarm is still
 * stopping the tasks; a host stopped then would take replicas down with it.
 * One round trip per poll, read on a manager.
 */
import { z } from 'zod';
import { defineCondition } from './types.js';
import { quoteArgs } from '../../transport/shell-quote.js';

const MARK = '--- services ---';

export function drainSnapshotCommand(nodeId: string): string {
  return [
    `${quoteArgs(['docker', 'node', 'ps', nodeId])} --format '{{.Name}}|{{.DesiredState}}|{{.CurrentState}}'`,
    `echo ${quoteArgs([MARK])}`,
    "docker service ls --format '{{.Name}} {{.Replicas}}'",
  ].join(' && ');
}

export interface DrainSnapshot {
  /** Tasks still on the node (wanted there, or not yet stopped). */
  onNode: string[];
  /** Services below their replica count: "web 5/6". */
  short: string[];
}

/** Task states that still hold the node: anything before the task has ended. */
const LIVE = /^(new|pending|assigned|accepted|preparing|ready|starting|running)\b/i;

export function parseDrainSnapshot(stdout: string): DrainSnapshot {
  const [tasksPart = '', servicesPart = ''] = stdout.split(`${MARK}\n`);
  const onNode = tasksPart.split('\n').map((line) => line.trim().split('|')).filter((fields) => fields.length >= 3)
    .filter(([, desired, current]) => desired === 'Running' || LIVE.test(current!))
    .map(([name, , current]) => `${name} (${current!.split(' ')[0]!.toLowerCase()})`);
  const short = servicesPart.split('\n').map((line) => /^(\S+) (\d+)\/(\d+)/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null && match[2] !== match[3])
    .map((match) => `${match[1]} ${match[2]}/${match[3]}`);
  return { onNode, short };
}

export const nodeDrained = defineCondition({
  name: 'node_drained',
  schema: z.object({ node_id: z.string().min(1), hostname: z.string().min(1) }).strict(),
  start(args) {
    let last: DrainSnapshot | undefined;
    return {
      async poll(host) {
        const answer = await host.probe(drainSnapshotCommand(args.node_id), { timeoutMs: 30_000 });
        if (answer.exitCode !== 0) {
          // A manager electing a leader answers with an error for a moment.
          return { state: 'waiting', progress: (answer.stderr || answer.stdout).trim().split('\n').pop() ?? `exit ${answer.exitCode}` };
        }
        last = parseDrainSnapshot(answer.stdout);
        if (last.onNode.length === 0 && last.short.length === 0) return { state: 'done' };
        const parts = [
          ...(last.onNode.length ? [`on ${args.hostname}: ${last.onNode.join(', ')}`] : []),
          ...(last.short.length ? [`below their replica count: ${last.short.join(', ')}`] : []),
        ];
        return { state: 'waiting', progress: parts.join('; ') };
      },
      timeoutMessage(timeoutMs, lastProgress) {
        const seconds = Math.round(timeoutMs / 1000);
        const hint = last?.short.length
          ? ': a service that only fits this node (a constraint, a host-mode port taken elsewhere) cannot run elsewhere; see docker service ps'
          : '';
        return `${args.hostname} is set to drain but not drained after ${seconds} s (${lastProgress || 'no answer'})${hint}; it stays drained`;
      },
    };
  },
});
