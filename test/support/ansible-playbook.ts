/**
 * Runs ansible-playbook with its json callback and reads its PLAY RECAP in
 * swarmplay's names, for the tests that compare the two tools.
 */
import { execFile } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export type Recap = Record<string, Record<string, number>>;

export interface AnsibleRun {
  code: number;
  recap: Recap;
  output: string;
  /** The json callback's whole report (plays, tasks, each host's result), for tests that read more than the recap. */
  report: { plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, any> }> }> };
}

export async function runAnsiblePlaybook(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<AnsibleRun> {
  const run = await exec('ansible-playbook', args, {
    cwd: options.cwd, env: { ...process.env, ...options.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1' }, maxBuffer: 64 << 20,
  }).then((r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }), (e) => ({ code: Number(e.code), stdout: String(e.stdout), stderr: String(e.stderr) }));
  assert.ok(run.stdout.includes('{'), `ansible-playbook gave no report (exit ${run.code}):\n${run.stderr}`);
  const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{')));
  const recap: Recap = {};
  for (const [host, s] of Object.entries<any>(report.stats)) {
    recap[host] = { ok: s.ok, changed: s.changed, unreachable: s.unreachable, failed: s.failures, skipped: s.skipped, rescued: s.rescued, ignored: s.ignored };
  }
  return { code: run.code, recap, output: run.stdout + run.stderr, report };
}
