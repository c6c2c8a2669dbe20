/**
 * One playbook under swarmplay on a lab's docker01 and under ansible-playbook
 * on its docker02, at the same time, for tests that compare the two tools on
 * twin hosts: each tool's recap of its host, and the check that they agree.
 */
import assert from 'node:assert/strict';
import { jsonEvents, recapOf, runCli } from './cli.js';
import { runAnsiblePlaybook } from './ansible-playbook.js';
import type { TestLab } from './lab.js';

export interface SideBySide {
  /** swarmplay's recap of docker01. */
  ours: Record<string, number>;
  /** Ansible's recap of docker02. */
  theirs: Record<string, number>;
  /** Each task's outcome (ok, changed, failed, skipped) by task name, in playbook order: swarmplay's on docker01. */
  ourTasks: Record<string, string>;
  /** Ansible's on docker02. */
  theirTasks: Record<string, string>;
}

/** Ansible's settings for lab hosts: no host key prompts, no retry files, one SSH connection per host. */
export const LAB_ANSIBLE_ENV: Readonly<Record<string, string>> = {
  ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_PIPELINING: 'True', ANSIBLE_DEPRECATION_WARNINGS: 'False',
  ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
  ANSIBLE_SSH_ARGS: '-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no',
};

/** Both runs must succeed; `extra` goes to both (--check). */
export async function runSideBySide(lab: TestLab, playbook: string, extra: string[] = []): Promise<SideBySide> {
  const [ours, theirs] = await Promise.all([
    runCli(['run', playbook, '-i', lab.inventory, '--limit', 'docker01', '--json', ...extra], { timeoutMs: 180_000 }),
    runAnsiblePlaybook(['-i', lab.inventory, '--limit', 'docker02', ...extra, playbook], { env: { ...LAB_ANSIBLE_ENV } }),
  ]);
  assert.equal(ours.code, 0, ours.stdout + ours.stderr);
  assert.equal(theirs.code, 0, theirs.output);
  const ourTasks: Record<string, string> = {};
  for (const event of jsonEvents(ours.stdout)) if (event.event === 'host_result') ourTasks[event.task] = event.status;
  const theirTasks: Record<string, string> = {};
  for (const { task, hosts } of theirs.report.plays.flatMap((play) => play.tasks)) {
    const result = hosts.docker02;
    if (result) theirTasks[task.name] = result.failed ? 'failed' : result.skipped ? 'skipped' : result.changed ? 'changed' : 'ok';
  }
  return { ours: recapOf(ours.stdout).docker01!, theirs: theirs.recap.docker02!, ourTasks, theirTasks };
}

/** The same ok, changed, failed and skipped under both tools. */
export function assertSameCounts(run: SideBySide, what: string): void {
  for (const key of ['ok', 'changed', 'failed', 'skipped'] as const) {
    assert.equal(run.ours[key], run.theirs[key], `${what}: ${key}: swarmplay ${JSON.stringify(run.ours)}, Ansible ${JSON.stringify(run.theirs)}`);
  }
}
