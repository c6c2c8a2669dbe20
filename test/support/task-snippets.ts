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

export interface TaskSnippets {
  /** The playbook `- hosts: all` with these task lines (indented by the caller). */
  load(tasks: string): ReturnType<typeof loadPlaybook>;
  /** The SwarmplayError loading them throws; fails the test when they load. */
  loadError(tasks: string): Promise<SwarmplayError>;
}

/** Registers mocha hooks for a scratch folder named after `label` and returns the loaders. */
export function taskSnippets(label: string): TaskSnippets {
  let scratch = '';
  before(async () => { scratch = await mkdtemp(path.join(os.tmpdir(), `swarmplay-${label}-`)); });
  after(async () => { await rm(scratch, { recursive: true, force: true }); });

  async function load(tasks: string) {
    const file = path.join(scratch, 'site.yaml');
    await writeFile(file, `- hosts: all\n  tasks:\n${tasks}`);
    return loadPlaybook(file);
  }

  async function loadError(tasks: string): Promise<SwarmplayError> {
    try {
      await load(tasks);
    } catch (error) {
      assert.ok(error instanceof SwarmplayError, String(error));
      return error;
    }
    return assert.fail('loaded without an error');
  }

  return { load, loadError };
}
