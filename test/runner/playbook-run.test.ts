import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EXIT } from '../../src/errors.js';
import type { RunnerEvent } from '../../src/runner/events.js';
import { loadPlaybook } from '../../src/language/playbook-loader.js';
import { loadInventory } from '../../src/language/inventory.js';
import { PlaybookRun, type RunSettings } from '../../src/runner/playbook-run.js';
import { prepareRun, type PreparedRun } from '../../src/runner/prepare.js';

describe('PlaybookRun: runs only what the prepare step checked', () => {
  let dir: string;
  let settings: RunSettings;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-playbook-run-'));
    await writeFile(path.join(dir, 'site.yaml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: hello\n');
    await writeFile(path.join(dir, 'hosts.yaml'), 'all:\n  hosts:\n    here:\n      ansible_connection: local\n');
    settings = {
      playbookPath: path.join(dir, 'site.yaml'),
      inventoryPath: path.join(dir, 'hosts.yaml'),
      tags: [], skipTags: [], checkMode: false, diffMode: false, extraVars: {}, strictHostKeys: false,
    };
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('refuses a playbook and inventory that did not go through prepareRun()', async () => {
    const playbook = await loadPlaybook(settings.playbookPath);
    const inventory = await loadInventory(settings.inventoryPath);
    const unchecked = { settings, playbook, inventory } as unknown as PreparedRun;
    assert.throws(() => new PlaybookRun(unchecked, () => {}), /prepareRun\(\)/);
  });

  it('runs the prepared playbook without reading the playbook or the inventory again', async () => {
    const reads = { playbook: 0, inventory: 0 };
    const prepared = await prepareRun(settings, {
      loadPlaybook: (file) => { reads.playbook++; return loadPlaybook(file); },
      loadInventory: (file, options) => { reads.inventory++; return loadInventory(file, options); },
    });
    const events: RunnerEvent[] = [];
    const outcome = await new PlaybookRun(prepared, (event) => events.push(event)).run();
    assert.equal(outcome.exitCode, EXIT.OK);
    assert.deepEqual(reads, { playbook: 1, inventory: 1 });
    assert.deepEqual(outcome.recap.here && { ok: outcome.recap.here.ok, failed: outcome.recap.here.failed }, { ok: 1, failed: 0 });
    assert.ok(events.some((e) => e.event === 'playbook_start'));
  });
});
