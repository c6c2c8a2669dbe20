/**
 * Loads a few tasks written inline as a one-play playbook in a scratch
 * folder, for the tests that check how arguments are taken or refused at
 * load time (before any host is contacted).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SwarmplayError } from '../../src/errors.js';
import { loadPlaybook } from '../../src/language/playbook-loader.js';
import type { ModuleTask } from '../../src/language/playbook.js';
import { findModule } from '../../src/modules/index.js';

/** Task lines, indented by the caller: one text, or one line an element. */
export type TaskLines = string | readonly string[];

export interface TaskSnippets {
  /** The playbook `- hosts: all` with these task lines. */
  load(tasks: TaskLines): ReturnType<typeof loadPlaybook>;
  /** The SwarmplayError loading them throws; fails the test when they load. */
  loadError(tasks: TaskLines): Promise<SwarmplayError>;
  /** The registry's name of each loaded task's module (a short or full name resolves to it). */
  moduleNames(tasks: TaskLines): Promise<(string | undefined)[]>;
  /** The error one task line is refused with, checked to have this code and to name the task's line. */
  refusedAtItsLine(task: string, code?: string): Promise<SwarmplayError>;
}

/** Registers mocha hooks for a scratch folder named after `label` and returns the loaders. */
export function taskSnippets(label: string): TaskSnippets {
  let scratch = '';
  before(async () => { scratch = await mkdtemp(path.join(os.tmpdir(), `swarmplay-${label}-`)); });
  after(async () => { await rm(scratch, { recursive: true, force: true }); });

  async function load(tasks: TaskLines) {
    const file = path.join(scratch, 'site.yaml');
    const text = typeof tasks === 'string' ? tasks : tasks.map((line) => `${line}\n`).join('');
    await writeFile(file, `- hosts: all\n  tasks:\n${text}`);
    return loadPlaybook(file);
  }

  async function loadError(tasks: TaskLines): Promise<SwarmplayError> {
    try {
      await load(tasks);
    } catch (error) {
      assert.ok(error instanceof SwarmplayError, String(error));
      return error;
    }
    return assert.fail('loaded without an error');
  }

  async function moduleNames(tasks: TaskLines): Promise<(string | undefined)[]> {
    const playbook = await load(tasks);
    return playbook.plays[0]!.tasks.map((task) => findModule((task as ModuleTask).module)?.name);
  }

  /** The task is the snippet playbook's third line, after `- hosts: all` and `tasks:`. */
  async function refusedAtItsLine(task: string, code = 'BAD_ARGUMENT'): Promise<SwarmplayError> {
    const error = await loadError([task]);
    assert.equal(error.code, code, error.message);
    assert.equal(error.location?.line, 3, `${error.message} at line ${error.location?.line}`);
    return error;
  }

  return { load, loadError, moduleNames, refusedAtItsLine };
}
