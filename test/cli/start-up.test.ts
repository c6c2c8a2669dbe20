/**
 * What a run loads at start, checked on the bundle as users run it: the
 * start-up target (a run of 0 tasks under 3x `node -e 0`) holds because a run
 * loads only what it uses. A play without tasks loads no module, no zod schema
 * and no Handlebars; a task loads the module registry (with zod) and the
 * modules its tasks name, no other, and Handlebars only comes with a `.hbs`
 * template. Never the lab's, the web
 * view's or the terminal reporter's code. The loaded files are those Node
 * resolves (module hooks, test/support/loaded-files.ts); the sources in each
 * are those esbuild's metafile lists (dist/bundle-meta.json).
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CLI, REPO_ROOT, recapOf, runCli } from '../support/cli.js';

const REGISTER = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '../support/loaded-files-register.js')).href;

/** Sources no plain run needs at start, by the path esbuild gives them. */
const NEVER_AT_START: Record<string, RegExp> = {
  // src/lab/defaults.ts is apart from the lab's code for the CLI's help: allowed.
  'the lab': /dist\/src\/lab\/(?!defaults\.js$)/,
  'the web view': /dist\/src\/ui\//,
  'the vault commands': /dist\/src\/vault\/keyring\.js$/,
  'listr2 and ora (terminal reporter)': /node_modules\/(listr2|ora)\//,
};
const MODULE_REGISTRY = /dist\/src\/modules\/index\.js$/;
const ZOD = /node_modules\/zod\//;
const HANDLEBARS = /node_modules\/handlebars\//;

interface Metafile { outputs: Record<string, { inputs: Record<string, unknown> }> }

let dir: string;
let inventory: string;
let sourcesByOutput: Map<string, string[]>;

/** The bundle's sources that a swarmplay command loaded. */
async function sourcesLoadedBy(args: string[]): Promise<{ sources: string[]; stdout: string }> {
  const record = path.join(dir, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  const result = await runCli(args, { env: { NODE_OPTIONS: `--import=${REGISTER}`, SWARMPLAY_LOADED_FILES: record } });
  assert.equal(result.code, 0, result.stderr);
  const files = new Set((await readFile(record, 'utf8')).trim().split('\n').map((url) => fileURLToPath(url)));
  assert.ok(files.has(CLI), `the hooks saw the command line itself load (${[...files].slice(0, 3).join(', ')})`);
  const outputs = [...sourcesByOutput.keys()].filter((output) => files.has(output));
  return { sources: outputs.flatMap((output) => sourcesByOutput.get(output)!), stdout: result.stdout };
}

function assertNone(sources: string[], pattern: RegExp, what: string): void {
  const found = sources.filter((source) => pattern.test(source));
  assert.deepEqual(found.slice(0, 3), [], `${what} loaded at start`);
}

describe('what a run loads at start (the bundled command line)', function () {
  this.timeout(60_000);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-start-up-'));
    const meta = JSON.parse(await readFile(path.join(REPO_ROOT, 'dist/bundle-meta.json'), 'utf8')) as Metafile;
    sourcesByOutput = new Map(Object.entries(meta.outputs).map(([output, { inputs }]) => [path.resolve(REPO_ROOT, output), Object.keys(inputs)]));
    inventory = path.join(dir, 'inventory.yaml');
    await writeFile(inventory, 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n');
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('a play of 0 tasks: no module, no zod schema, no Handlebars', async () => {
    const playbook = path.join(dir, 'zero.yaml');
    await writeFile(playbook, '- hosts: all\n  gather_facts: false\n  tasks: []\n');
    const { sources, stdout } = await sourcesLoadedBy(['run', playbook, '-i', inventory, '--json']);
    assert.deepEqual(recapOf(stdout).localhost, { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
    assertNone(sources, MODULE_REGISTRY, 'the module registry');
    assertNone(sources, ZOD, 'zod');
    assertNone(sources, HANDLEBARS, 'Handlebars');
    for (const [what, pattern] of Object.entries(NEVER_AT_START)) assertNone(sources, pattern, what);
  });

  it('--version loads no runner', async () => {
    const { sources } = await sourcesLoadedBy(['--version']);
    assertNone(sources, /dist\/src\/runner\//, 'the runner');
    assertNone(sources, /node_modules\/yaml\//, 'yaml');
  });

  it('a Jinja template task loads the registry and zod, not Handlebars; a .hbs one loads Handlebars', async () => {
    await writeFile(path.join(dir, 'motd.j2'), 'hello {{ who }}\n');
    await writeFile(path.join(dir, 'motd.hbs'), 'hello {{who}}\n');
    const playbook = (template: string) => `- hosts: all\n  gather_facts: false\n  vars: {who: world}\n  tasks:\n`
      + `    - template: {src: ${path.join(dir, template)}, dest: ${path.join(dir, `${template}.out`)}}\n`;
    await writeFile(path.join(dir, 'jinja.yaml'), playbook('motd.j2'));
    await writeFile(path.join(dir, 'handlebars.yaml'), playbook('motd.hbs'));

    const jinja = await sourcesLoadedBy(['run', path.join(dir, 'jinja.yaml'), '-i', inventory, '--json']);
    assert.equal(recapOf(jinja.stdout).localhost!.changed, 1);
    assert.equal(await readFile(path.join(dir, 'motd.j2.out'), 'utf8'), 'hello world\n');
    assert.ok(jinja.sources.some((source) => MODULE_REGISTRY.test(source)), 'the module registry loaded for a task');
    assert.ok(jinja.sources.some((source) => ZOD.test(source)), 'zod loaded for a task');
    assertNone(jinja.sources, HANDLEBARS, 'Handlebars (for a Jinja template)');
    assert.ok(jinja.sources.some((source) => /dist\/src\/modules\/template\.js$/.test(source)), 'the template module loaded');
    assertNone(jinja.sources, /dist\/src\/modules\/(docker-service|apt|swarm-init|lineinfile|community-docker\/(?!index).*)\.js$/, 'modules the playbook does not name');

    const handlebars = await sourcesLoadedBy(['run', path.join(dir, 'handlebars.yaml'), '-i', inventory, '--json']);
    assert.equal(recapOf(handlebars.stdout).localhost!.changed, 1);
    assert.equal(await readFile(path.join(dir, 'motd.hbs.out'), 'utf8'), 'hello world\n');
    assert.ok(handlebars.sources.some((source) => HANDLEBARS.test(source)), 'Handlebars loaded for a .hbs template');
  });
});
