/**
 * Text shared by the plain and interactive reporters: Ansible-style result
 * lines, unified diffs and the PLAY RECAP block.
 */
import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../modules/types.js';
import type { RecapCounts, RunnerEvent } from '../runner/events.js';

export function banner(title: string, width = 79): string {
  const head = `${title} `;
  return head + '*'.repeat(Math.max(3, width - head.length));
}

export function unifiedDiff(diff: FileDiff): string {
  return createTwoFilesPatch(`${diff.path} (before)`, `${diff.path} (after)`, diff.before, diff.after, '', '', { context: 3 })
    .split('\n').slice(1).join('\n').trimEnd();
}

type HostResult = Extract<RunnerEvent, { event: 'host_result' }>;

/** `changed: [docker01] => (item=x) message`, as ansible-playbook prints results. */
export function resultLine(e: HostResult, verbose: boolean): string {
  const label = e.status === 'failed' && e.ignored ? 'failed (ignored)' : e.status === 'skipped' ? 'skipping' : e.status;
  const target = e.delegatedTo ? `[${e.host} -> ${e.delegatedTo}]` : `[${e.host}]`;
  let line = `${label}: ${target}`;
  if (e.item !== undefined) line += ` => (item=${e.item})`;
  const showMsg = e.msg && (e.status === 'failed' || e.status === 'unreachable' || e.result?.msg !== undefined || verbose);
  if (showMsg) line += ` => ${e.msg}`;
  if (verbose && e.result && e.status !== 'failed') {
    const { changed: _c, failed: _f, ...rest } = e.result;
    if (Object.keys(rest).length) line += `\n${JSON.stringify(rest, null, 2)}`;
  }
  return line;
}

export function recapLines(hosts: Record<string, RecapCounts>, elapsedMs: number): string[] {
  const names = Object.keys(hosts);
  const width = Math.max(26, ...names.map((n) => n.length + 1));
  const lines = [banner('PLAY RECAP')];
  for (const name of names) {
    const c = hosts[name];
    lines.push(
      `${name.padEnd(width)}: ok=${String(c.ok).padEnd(4)} changed=${String(c.changed).padEnd(4)} ` +
      `unreachable=${String(c.unreachable).padEnd(4)} failed=${String(c.failed).padEnd(4)} ` +
      `skipped=${String(c.skipped).padEnd(4)} rescued=${String(c.rescued).padEnd(4)} ignored=${c.ignored}`,
    );
  }
  lines.push('', `Elapsed: ${(elapsedMs / 1000).toFixed(2)} s`);
  return lines;
}
