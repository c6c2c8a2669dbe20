/**
 * `node_drained`: a node set to drain runs no task any more, and every
 * service is back to its replica count on the other nodes. `docker node
 * update --availability drain` returns at once, while swarm is still
 * stopping the tasks; a host stopped then would take replicas down with it.
 * A service that fits no other node (a constraint on this node's hostname
 * or labels: its tasks pend with "no suitable node") cannot come back to its
 * count while the node is drained: it is not waited for, and the result
 * names it. One round trip per poll, read on a manager.
 */
import { z } from 'zod';
import { defineCondition } from './types.js';
import { quoteArgs } from '../../transport/shell-quote.js';

const MARK = '--- services ---';
const TASKS_MARK = '--- tasks ---';

export function drainSnapshotCommand(nodeId: string): string {
  return [
    `${quoteArgs(['docker', 'node', 'ps', nodeId])} --format '{{.Name}}|{{.DesiredState}}|{{.CurrentState}}'`,
    `echo ${quoteArgs([MARK])}`,
    "docker service ls --format '{{.Name}} {{.Replicas}}'",
    `echo ${quoteArgs([TASKS_MARK])}`,
    // The tasks swarm wants running, with their errors: which short service has no node to go to.
    "ids=$(docker service ls -q) && { [ -z \"$ids\" ] || docker service ps --no-trunc --filter desired-state=running --format '{{.Name}}|{{.CurrentState}}|{{.Error}}' $ids; }",
  ].join(' && ');
}

export interface DrainSnapshot {
  /** Tasks still on the node (wanted there, or not yet stopped). */
  onNode: string[];
  /** Services below their replica count that another node could still take: "web 5/6". */
  short: string[];
  /** Services below their count whose tasks no node can take ("no suitable node"). */
  unplaceable: string[];
}

function serviceOfTask(taskName: string): string {
  const dot = taskName.lastIndexOf('.');
  return dot > 0 ? taskName.slice(0, dot) : taskName;
}

/** Task states that still hold the node: anything before the task has ended. */
const LIVE = /^(new|pending|assigned|accepted|preparing|ready|starting|running)\b/i;

export function parseDrainSnapshot(stdout: string): DrainSnapshot {
  const [tasksPart = '', rest = ''] = stdout.split(`${MARK}\n`);
  const [servicesPart = '', runningPart = ''] = rest.split(`${TASKS_MARK}\n`);
  const noNode = new Set(runningPart.split('\n').map((line) => line.split('|'))
    .filter((fields) => fields.length >= 3 && /^pending/i.test(fields[1]!) && /no suitable node/.test(fields.slice(2).join('|')))
    .map((fields) => serviceOfTask(fields[0]!)));
  const onNode = tasksPart.split('\n').map((line) => line.trim().split('|')).filter((fields) => fields.length >= 3)
    .filter(([, desired, current]) => desired === 'Running' || LIVE.test(current!))
    .map(([name, , current]) => `${name} (${current!.split(' ')[0]!.toLowerCase()})`);
  const below = servicesPart.split('\n').map((line) => /^(\S+) (\d+)\/(\d+)/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null && match[2] !== match[3]);
  const short = below.filter((match) => !noNode.has(match[1]!)).map((match) => `${match[1]} ${match[2]}/${match[3]}`);
  const unplaceable = below.filter((match) => noNode.has(match[1]!)).map((match) => `${match[1]} ${match[2]}/${match[3]}`);
  return { onNode, short, unplaceable };
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
        if (last.onNode.length === 0 && last.short.length === 0) {
          return { state: 'done', result: { unplaceable: last.unplaceable } };
        }
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
