import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { SwarmplayError, EXIT } from '../../src/errors.js';
import { defineModule, type ModuleDefinition } from '../../src/modules/types.js';
import { loadPlaybook, type ModuleCatalog } from '../../src/language/playbook-loader.js';
import { loadInventory } from '../../src/language/inventory.js';
import type { RunSettings } from '../../src/runner/playbook-run.js';
import { isPreparedRun, prepareRun, type PrepareOptions } from '../../src/runner/prepare.js';
import { Redactor } from '../../src/runner/redactor.js';

/** Stand-ins for the real modules: the prepare step must not depend on them. */
function fakeModule(name: string, schema: z.ZodTypeAny, freeFormArg?: string): ModuleDefinition {
  return defineModule({ name, schema, freeFormArg, plan: async () => ({ steps: [] }) });
}
const FAKE_MODULES = [
  fakeModule('command', z.object({ _raw: z.string().optional() }).strict(), '_raw'),
  fakeModule('debug', z.object({ msg: z.unknown().optional() }).strict()),
  fakeModule('copy', z.object({ dest: z.string(), src: z.string().optional(), content: z.string().optional() }).strict()),
  fakeModule('template', z.object({ dest: z.string(), src: z.string() }).strict()),
];
const modules: ModuleCatalog = {
  find: (name) => FAKE_MODULES.find((m) => m.name === name),
  names: () => FAKE_MODULES.map((m) => m.name),
};

const GOOD_PLAYBOOK = '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n';
const GOOD_INVENTORY = 'all:\n  hosts:\n    h1:\n      ansible_host: 127.0.0.1\n      ansible_password: sekrit-pass\n  children:\n    workers:\n      hosts:\n        h1:\n';

/** Loaders that count their calls and use the stand-in modules. */
function countingLoaders(): PrepareOptions & { reads: { playbook: number; inventory: number } } {
  const reads = { playbook: 0, inventory: 0 };
  return {
    reads,
    loadPlaybook: (file) => { reads.playbook++; return loadPlaybook(file, { modules }); },
    loadInventory: (file, options) => { reads.inventory++; return loadInventory(file, options); },
  };
}

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-prepare-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

async function settingsFor(playbook: string, inventory = GOOD_INVENTORY, more: Partial<RunSettings> = {}): Promise<RunSettings> {
  await writeFile(path.join(dir, 'site.yaml'), playbook);
  await writeFile(path.join(dir, 'hosts.yaml'), inventory);
  return {
    playbookPath: path.join(dir, 'site.yaml'),
    inventoryPath: path.join(dir, 'hosts.yaml'),
    tags: [], skipTags: [], checkMode: false, diffMode: false, extraVars: {}, strictHostKeys: false,
    ...more,
  };
}

async function prepareError(settings: RunSettings, options: PrepareOptions = countingLoaders()): Promise<SwarmplayError> {
  try {
    await prepareRun(settings, options);
  } catch (error) {
    assert.ok(error instanceof SwarmplayError, `not a SwarmplayError: ${(error as Error)?.stack ?? String(error)}`);
    return error;
  }
  assert.fail('prepareRun() accepted bad input');
}

describe('prepare: the checks before connecting, for every caller', () => {
  it('loads the playbook and the inventory once, and returns them with the settings', async () => {
    const loaders = countingLoaders();
    const settings = await settingsFor(GOOD_PLAYBOOK, GOOD_INVENTORY, { limit: 'workers' });
    const prepared = await prepareRun(settings, loaders);
    assert.deepEqual(loaders.reads, { playbook: 1, inventory: 1 });
    assert.equal(prepared.settings, settings);
    assert.equal(prepared.playbook.plays.length, 1);
    assert.deepEqual(prepared.inventory.hostNames(), ['h1']);
    assert.deepEqual([...prepared.limitHosts!], ['h1']);
    assert.ok(isPreparedRun(prepared));
    assert.ok(!isPreparedRun({ ...prepared }), 'a copy made by hand is not a prepared run');
  });

  it('knows the secrets of the inventory and the default password', async () => {
    const prepared = await prepareRun(await settingsFor(GOOD_PLAYBOOK, GOOD_INVENTORY, { defaultPassword: 'typed-at-prompt' }), countingLoaders());
    assert.equal(prepared.redactor.redactText('sekrit-pass typed-at-prompt'), '******** ********');
  });

  const CASES: { name: string; playbook?: string; inventory?: string; settings?: Partial<RunSettings>; files?: Record<string, string>; says: RegExp; at?: [string, number] }[] = [
    { name: 'an unknown module (the loader)', playbook: '- hosts: all\n  tasks:\n    - cpoy:\n        dest: /tmp/x\n', says: /cpoy/, at: ['site.yaml', 3] },
    { name: 'a missing argument (the loader)', playbook: '- hosts: all\n  tasks:\n    - copy:\n        content: x\n', says: /dest/, at: ['site.yaml', 3] },
    { name: 'a bad inventory (the loader)', inventory: 'all:\n  hostz: {}\n', says: /unknown key 'hostz'/, at: ['hosts.yaml', 2] },
    {
      name: 'an undefined variable',
      playbook: '- hosts: all\n  vars:\n    registry_port: 5000\n  tasks:\n    - name: typo\n      debug:\n        msg: "{{ registry_prot }}"\n',
      says: /'registry_prot' is undefined/, at: ['site.yaml', 5],
    },
    { name: 'a missing vars_files file', playbook: '- hosts: all\n  vars_files: [vars/nope.yaml]\n  tasks: []\n', says: /vars_files: .*nope\.yaml does not exist/, at: ['site.yaml', 1] },
    { name: 'a missing template file', playbook: '- hosts: all\n  tasks:\n    - template:\n        src: nope.hbs\n        dest: /tmp/x\n', says: /template: could not find nope\.hbs/, at: ['site.yaml', 3] },
    {
      name: 'a template with a syntax error',
      playbook: '- hosts: all\n  tasks:\n    - template:\n        src: bad.hbs\n        dest: /tmp/x\n',
      files: { 'templates/bad.hbs': 'a\n{{#if x}}\nb\n' },
      says: /Handlebars syntax error/, at: ['templates/bad.hbs', 4],
    },
    { name: 'a missing copy source', playbook: '- hosts: all\n  tasks:\n    - copy:\n        src: nope.json\n        dest: /tmp/x\n', says: /copy: could not find src nope\.json/, at: ['site.yaml', 3] },
    { name: 'a connection variable of the wrong type', inventory: 'all:\n  hosts:\n    h1:\n      ansible_port: twenty-two\n', says: /ansible_port must be a whole number/, at: ['hosts.yaml', 3] },
    { name: "a play's host pattern", playbook: "- hosts: 'workers[0'\n  tasks: []\n", says: /unbalanced '\['/, at: ['site.yaml', 1] },
    { name: 'the --limit pattern', settings: { limit: 'workers[0' }, says: /unbalanced '\['/ },
  ];

  for (const c of CASES) {
    it(`refuses ${c.name}: one bad-input error, before any connection`, async () => {
      for (const [file, text] of Object.entries(c.files ?? {})) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(path.join(dir, file), text);
      }
      const error = await prepareError(await settingsFor(c.playbook ?? GOOD_PLAYBOOK, c.inventory ?? GOOD_INVENTORY, c.settings));
      assert.equal(error.exitCode, EXIT.BAD_INPUT, error.format());
      assert.match(error.message, c.says);
      if (c.at) {
        assert.equal(error.location?.file, path.join(dir, c.at[0]), error.format());
        assert.equal(error.location?.line, c.at[1], error.format());
      }
    });
  }

  it("fills the caller's redactor before the later checks, so their errors can be redacted", async () => {
    const redactor = new Redactor();
    const settings = await settingsFor("- hosts: 'workers[0'\n  tasks: []\n");
    await prepareError(settings, { ...countingLoaders(), redactor });
    assert.equal(redactor.redactText('sekrit-pass'), '********');
  });
});
