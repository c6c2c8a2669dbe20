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

/** The same counts under both tools: ok, changed, failed and skipped unless other keys are named. */
export function assertSameCounts(run: SideBySide, what: string, keys: readonly string[] = ['ok', 'changed', 'failed', 'skipped']): void {
  for (const key of keys) {
    assert.equal(run.ours[key], run.theirs[key], `${what}: ${key}: swarmplay ${JSON.stringify(run.ours)}, Ansible ${JSON.stringify(run.theirs)}`);
  }
}

/** What a test reads of a host from outside both tools (over OpenSSH), as text to compare. */
export type HostState = (host: string) => Promise<string>;

/** --check under both tools: the same recap, and neither host changed. */
export async function assertCheckChangesNothing(lab: TestLab, playbook: string, state: HostState): Promise<void> {
  const [before1, before2] = await Promise.all([state('docker01'), state('docker02')]);
  assert.equal(before1, before2);
  assertSameCounts(await runSideBySide(lab, playbook, ['--check']), 'check');
  assert.equal(await state('docker01'), before1);
  assert.equal(await state('docker02'), before2);
}

/** A first run under both tools: the same recap, something changed, and both hosts end alike; returns what they read. */
export async function firstRunAlike(lab: TestLab, playbook: string, state: HostState): Promise<string> {
  const first = await runSideBySide(lab, playbook);
  assertSameCounts(first, 'first run');
  assert.ok(first.ours.changed! > 0, JSON.stringify(first.ours));
  const [state1, state2] = await Promise.all([state('docker01'), state('docker02')]);
  assert.equal(state1, state2);
  return state1;
}

/** A second run under both tools: the same recap, and nothing changed. */
export async function assertSecondRunChangesNothing(lab: TestLab, playbook: string): Promise<void> {
  const second = await runSideBySide(lab, playbook);
  assertSameCounts(second, 'second run');
  assert.equal(second.ours.changed, 0, JSON.stringify(second.ours));
}
