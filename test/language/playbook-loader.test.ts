import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SwarmplayError } from '../../src/errors.js';
import { defineModule, type ModuleDefinition } from '../../src/modules/types.js';
import { loadPlaybook, type ModuleCatalog } from '../../src/language/playbook-loader.js';
import type { BlockTask, ModuleTask } from '../../src/language/playbook.js';

// Tests run from dist/test/language; fixtures stay in the source tree.
const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../../../test/fixtures');

/** Small stand-ins for the real modules: the loader's checks must not depend on them. */
function fakeModule(name: string, schema: z.ZodTypeAny, freeFormArg?: string): ModuleDefinition {
  return defineModule({ name, schema, freeFormArg, plan: async () => ({ steps: [] }) });
}

const portSchema = z.union([z.number().int(), z.string().regex(/^\d+$/)]);
const FAKE_MODULES = [
  fakeModule('command', z.object({ _raw: z.string().optional(), cmd: z.string().optional(), chdir: z.string().optional(), creates: z.string().optional() }).strict(), '_raw'),
  fakeModule('shell', z.object({ _raw: z.string().optional(), cmd: z.string().optional(), chdir: z.string().optional() }).strict(), '_raw'),
  fakeModule('copy', z.object({ dest: z.string(), content: z.string().optional(), src: z.string().optional(), mode: z.union([z.string(), z.number()]).optional() }).strict()),
  fakeModule('file', z.object({ path: z.string(), state: z.enum(['file', 'directory', 'absent', 'touch', 'link']).optional(), mode: z.string().optional() }).strict()),
  fakeModule('wait_for', z.object({ port: portSchema.optional(), path: z.string().optional(), timeout: z.number().optional() }).strict()),
  fakeModule('debug', z.object({ msg: z.unknown().optional(), var: z.string().optional() }).strict()),
  fakeModule('systemd', z.object({ name: z.string().optional(), state: z.enum(['started', 'stopped', 'restarted', 'reloaded']).optional(), enabled: z.boolean().optional(), daemon_reload: z.boolean().optional() }).strict()),
  fakeModule('set_fact', z.record(z.unknown())),
];
const modules: ModuleCatalog = {
  find: (name) => FAKE_MODULES.find((m) => m.name === name),
  names: () => FAKE_MODULES.map((m) => m.name),
};

async function loadError(file: string): Promise<SwarmplayError> {
  try {
    await loadPlaybook(file, { modules });
  } catch (error) {
    assert.ok(error instanceof SwarmplayError, `not a SwarmplayError: ${(error as Error)?.stack ?? String(error)}`);
    return error;
  }
  assert.fail(`${file} loaded without an error`);
}

let scratch: string;
before(async () => { scratch = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-loader-')); });
after(async () => { await rm(scratch, { recursive: true, force: true }); });

async function loadText(text: string, name = 'site.yaml') {
  const file = path.join(scratch, name);
  await writeFile(file, text);
  return loadPlaybook(file, { modules });
}

describe('playbook loader: a full playbook', () => {
  it('loads every play and task keyword with source locations', async () => {
    const file = path.join(fixtures, 'playbooks', 'site.yaml');
    const playbook = await loadPlaybook(file, { modules });
    assert.equal(playbook.file, file);
    assert.equal(playbook.dir, path.dirname(file));
    assert.equal(playbook.plays.length, 2);

    const [swarm, web] = playbook.plays;
    assert.equal(swarm!.name, 'Build the swarm');
    assert.equal(swarm!.hosts, 'docker');
    assert.deepEqual(swarm!.location, { file, line: 2, column: 3 });
    assert.deepEqual(swarm!.vars, { registry: '{{ groups.managers[0] }}:5000', swarm_port: 2377 });
    assert.deepEqual(swarm!.varsFiles, ['vars/common.yaml']);
    assert.equal(swarm!.gatherFacts, false);
    assert.deepEqual(swarm!.serial, [1, '50%']);
    assert.equal(swarm!.anyErrorsFatal, true);
    assert.equal(swarm!.maxFailPercentage, 30);
    assert.equal(swarm!.strategy, 'linear');
    assert.equal(swarm!.become, true);
    assert.deepEqual(swarm!.tags, ['swarm', 'docker']);

    const [pre] = swarm!.preTasks as ModuleTask[];
    assert.equal(pre!.module, 'command');
    assert.deepEqual(pre!.args, { _raw: 'uptime' });

    const [install, join, block, imported] = swarm!.tasks;
    const installTask = install as ModuleTask;
    assert.equal(installTask.kind, 'module');
    assert.equal(installTask.name, 'make the folders');
    assert.equal(installTask.module, 'file');
    assert.deepEqual(installTask.args, { path: '{{ item }}', state: 'directory' });
    assert.deepEqual(installTask.loop, ['/etc/docker', '/srv/registry']);
    assert.equal(installTask.loopVar, 'item');
    assert.deepEqual(installTask.when, ['ansible_facts is defined or true']);
    assert.deepEqual(installTask.tags, ['files', 'setup']);
    assert.deepEqual(installTask.notify, ['restart docker']);
    assert.equal(installTask.location.file, file);
    assert.equal(installTask.location.line, 21);

    const joinTask = join as ModuleTask;
    assert.equal(joinTask.module, 'shell');
    assert.deepEqual(joinTask.args, { _raw: 'docker swarm join --token {{ token }} {{ registry }}', chdir: '/tmp' });
    assert.equal(joinTask.register, 'joined');
    assert.deepEqual(joinTask.when, ['inventory_hostname not in groups.managers', 'true']);
    assert.deepEqual(joinTask.changedWhen, ["'already' not in joined.stdout"]);
    assert.deepEqual(joinTask.failedWhen, ['joined.rc not in [0, 1]']);
    assert.deepEqual(joinTask.until, ['joined is succeeded']);
    assert.equal(joinTask.retries, 5);
    assert.equal(joinTask.delay, 2);
    assert.equal(joinTask.ignoreErrors, true);
    assert.equal(joinTask.noLog, true);
    assert.equal(joinTask.runOnce, false);
    assert.equal(joinTask.delegateTo, '{{ groups.managers[0] }}');
    assert.deepEqual(joinTask.vars, { token: '{{ hostvars[groups.managers[0]].init.token }}' });
    assert.equal(joinTask.loopVar, 'node');
    assert.equal(joinTask.loop, '{{ groups.workers }}');

    const blockTask = block as BlockTask;
    assert.equal(blockTask.kind, 'block');
    assert.equal(blockTask.name, 'try and recover');
    assert.deepEqual(blockTask.when, ['true']);
    assert.equal(blockTask.block.length, 1);
    assert.equal(blockTask.rescue.length, 1);
    assert.equal(blockTask.always.length, 1);
    assert.deepEqual((blockTask.rescue[0] as ModuleTask).args, { msg: 'rescued' });
    assert.deepEqual((blockTask.always[0] as ModuleTask).args, { path: '/tmp/done', state: 'touch' });

    const importBlock = imported as BlockTask;
    assert.equal(importBlock.kind, 'block');
    assert.deepEqual(importBlock.tags, ['imported']);
    assert.deepEqual(importBlock.when, ['swarm_port == 2377']);
    const [fromCommon, nestedImport] = importBlock.block;
    assert.equal((fromCommon as ModuleTask).module, 'debug');
    // Locations inside an import point into the imported file.
    assert.deepEqual(fromCommon!.location, { file: path.join(fixtures, 'playbooks', 'tasks', 'common.yaml'), line: 1, column: 3 });
    // A nested import resolves relative to the file that imports it.
    const leaf = (nestedImport as BlockTask).block[0] as ModuleTask;
    assert.equal(nestedImport!.name, 'import_tasks: nested/leaf.yaml');
    assert.equal(leaf.name, 'leaf');
    assert.deepEqual(leaf.location, { file: path.join(fixtures, 'playbooks', 'tasks', 'nested', 'leaf.yaml'), line: 1, column: 3 });

    assert.equal(swarm!.postTasks.length, 1);
    const [handler, listener] = swarm!.handlers;
    assert.equal(handler!.name, 'restart docker');
    assert.deepEqual(handler!.args, { name: 'docker', state: 'restarted' });
    assert.deepEqual(handler!.listen, []);
    assert.deepEqual(listener!.listen, ['docker config changed']);

    assert.equal(web!.name, 'web');
    assert.equal(web!.strategy, 'free');
    assert.equal(web!.gatherFacts, true);
    assert.deepEqual(web!.serial, []);
    assert.deepEqual(web!.tasks.map((t) => (t as ModuleTask).module), ['file', 'copy', 'debug', 'command']);
    const [kv, merged, fqcn, withItems] = web!.tasks as ModuleTask[];
    assert.deepEqual(kv!.args, { path: '/srv/www', state: 'directory', mode: '0755' });
    assert.deepEqual(merged!.args, { dest: '/srv/www/index.html', content: 'hello', mode: '0644' });
    assert.equal(fqcn!.module, 'debug');
    assert.deepEqual(withItems!.loop, [1, 2]);
  });
});

describe('playbook loader: values', () => {
  it('accepts Ansible boolean words and a list of hosts', async () => {
    const pb = await loadText('- hosts: [a, b]\n  gather_facts: no\n  become: yes\n  tasks:\n    - command: uptime\n      ignore_errors: "yes"\n');
    assert.equal(pb.plays[0]!.hosts, 'a:b');
    assert.equal(pb.plays[0]!.gatherFacts, false);
    assert.equal(pb.plays[0]!.become, true);
    assert.equal((pb.plays[0]!.tasks[0] as ModuleTask).ignoreErrors, true);
  });
  it('a module with no arguments gets an empty mapping; tasks and handlers may be empty', async () => {
    const pb = await loadText('- hosts: all\n  tasks:\n    - debug:\n  handlers:\n');
    assert.deepEqual((pb.plays[0]!.tasks[0] as ModuleTask).args, {});
    assert.deepEqual(pb.plays[0]!.handlers, []);
  });
  it('key=value free form keeps quoted values and templates whole', async () => {
    const pb = await loadText(`- hosts: all\n  tasks:\n    - debug: msg="{{ a ~ ' ' ~ b }}" var=x\n`);
    assert.deepEqual((pb.plays[0]!.tasks[0] as ModuleTask).args, { msg: "{{ a ~ ' ' ~ b }}", var: 'x' });
  });
  it('does not type-check templated arguments statically', async () => {
    const pb = await loadText('- hosts: all\n  tasks:\n    - wait_for:\n        port: "{{ swarm_port }}"\n        timeout: "{{ t }}"\n');
    assert.deepEqual((pb.plays[0]!.tasks[0] as ModuleTask).args, { port: '{{ swarm_port }}', timeout: '{{ t }}' });
  });
  it('tags may be a comma-separated string; when may be a list', async () => {
    const pb = await loadText('- hosts: all\n  tasks:\n    - command: uptime\n      tags: "a, b"\n      when: [true, x is defined]\n');
    const task = pb.plays[0]!.tasks[0] as ModuleTask;
    assert.deepEqual(task.tags, ['a', 'b']);
    assert.deepEqual(task.when, ['true', 'x is defined']);
  });
  it('remote_user and connection are read on a task and on a block; an unknown connection is refused', async () => {
    const pb = await loadText('- hosts: all\n  tasks:\n    - command: uptime\n      remote_user: deploy\n      connection: local\n    - block:\n        - command: id\n      remote_user: "{{ app_user }}"\n');
    const task = pb.plays[0]!.tasks[0] as ModuleTask;
    assert.equal(task.remoteUser, 'deploy');
    assert.equal(task.connection, 'local');
    assert.equal(pb.plays[0]!.tasks[1]!.remoteUser, '{{ app_user }}');
    await assert.rejects(loadText('- hosts: all\n  tasks:\n    - command: uptime\n      connection: winrm\n'), /connection 'winrm' is not one swarmplay has/);
  });
  it('merge keys work in tasks', async () => {
    const pb = await loadText('- hosts: all\n  vars:\n    base: &base {ignore_errors: true, tags: [x]}\n  tasks:\n    - <<: *base\n      command: uptime\n');
    const task = pb.plays[0]!.tasks[0] as ModuleTask;
    assert.equal(task.ignoreErrors, true);
    assert.deepEqual(task.tags, ['x']);
  });
  it('retries and delay default as Ansible does', async () => {
    const pb = await loadText('- hosts: all\n  tasks:\n    - command: uptime\n      register: r\n      until: r.rc == 0\n');
    const task = pb.plays[0]!.tasks[0] as ModuleTask;
    assert.equal(task.retries, 3);
    assert.equal(task.delay, 5);
  });
  it('a missing playbook is FILE_NOT_FOUND naming it', async () => {
    const error = await loadError(path.join(scratch, 'nope.yaml'));
    assert.equal(error.code, 'FILE_NOT_FOUND');
    assert.match(error.message, /nope\.yaml/);
    assert.equal(error.exitCode, 5);
  });
  it('uses the real module registry when none is given', async () => {
    let registryExists = true;
    try {
      await import('../../src/modules/index.js' as string);
    } catch {
      registryExists = false;
    }
    const file = path.join(scratch, 'real.yaml');
    await writeFile(file, '- hosts: all\n  tasks:\n    - command: uptime\n');
    if (registryExists) {
      const pb = await loadPlaybook(file);
      assert.equal((pb.plays[0]!.tasks[0] as ModuleTask).module, 'command');
    } else {
      await assert.rejects(loadPlaybook(file), /modules\/index/);
    }
  });
  it('an import cycle through three files names the chain', async () => {
    await mkdir(path.join(scratch, 'cycle'), { recursive: true });
    await writeFile(path.join(scratch, 'cycle', 'a.yaml'), '- import_tasks: b.yaml\n');
    await writeFile(path.join(scratch, 'cycle', 'b.yaml'), '- import_tasks: c.yaml\n');
    await writeFile(path.join(scratch, 'cycle', 'c.yaml'), '- import_tasks: a.yaml\n');
    const file = path.join(scratch, 'cycle', 'site.yaml');
    await writeFile(file, '- hosts: all\n  tasks:\n    - import_tasks: a.yaml\n');
    const error = await loadError(file);
    assert.equal(error.code, 'BAD_PLAYBOOK');
    assert.match(error.message, /circular import_tasks: site\.yaml -> a\.yaml -> b\.yaml -> c\.yaml -> a\.yaml/);
    assert.equal(error.location?.file, path.join(scratch, 'cycle', 'c.yaml'));
  });
});

interface BadCase {
  /** Fixture under test/fixtures/bad/. */
  file: string;
  code: string;
  /** Where the error points: file (relative to bad/, default the fixture), line, column. */
  at: [number, number] | [string, number, number];
  says: RegExp;
  /** Expected in the hint (what would be right), when there is one to check. */
  hint?: RegExp;
}

const BAD: BadCase[] = [
  { file: 'yaml-unclosed-quote.yaml', code: 'YAML_SYNTAX', at: [4, 16], says: /Missing closing "quote/, hint: /never closed/ },
  { file: 'yaml-bad-indent.yaml', code: 'YAML_SYNTAX', at: [6, 6], says: /YAML syntax error: Sequence item without - indicator/, hint: /indentation/ },
  { file: 'yaml-duplicate-key.yaml', code: 'YAML_SYNTAX', at: [6, 7], says: /unique/i, hint: /only once/ },
  { file: 'yaml-tab-indent.yaml', code: 'YAML_SYNTAX', at: [5, 2], says: /YAML syntax error/, hint: /spaces, never tabs/ },
  { file: 'yaml-multiple-documents.yaml', code: 'YAML_SYNTAX', at: [5, 1], says: /multiple documents|document/i, hint: /one YAML document/ },
  { file: 'empty.yaml', code: 'BAD_PLAYBOOK', at: [1, 1], says: /playbook is empty/, hint: /list of plays/ },
  { file: 'comments-only.yaml', code: 'BAD_PLAYBOOK', at: [1, 1], says: /playbook is empty/ },
  { file: 'binary.yaml', code: 'BAD_PLAYBOOK', at: [1, 1], says: /not a text file/ },
  { file: 'not-a-list.yaml', code: 'BAD_PLAYBOOK', at: [1, 1], says: /must be a list of plays, but this file holds a mapping/, hint: /'- '/ },
  { file: 'empty-list.yaml', code: 'BAD_PLAYBOOK', at: [1, 1], says: /no plays/ },
  { file: 'play-not-a-mapping.yaml', code: 'BAD_PLAYBOOK', at: [1, 3], says: /each play must be a mapping/ },
  { file: 'play-without-hosts.yaml', code: 'BAD_PLAYBOOK', at: [1, 3], says: /no 'hosts'/, hint: /hosts: all/ },
  { file: 'unknown-play-keyword.yaml', code: 'UNKNOWN_KEYWORD', at: [2, 3], says: /unknown play keyword 'taks'/, hint: /did you mean 'tasks'/i },
  { file: 'unsupported-play-keyword.yaml', code: 'UNKNOWN_KEYWORD', at: [2, 3], says: /'order' is an Ansible play keyword that swarmplay does not support/ },
  { file: 'unknown-task-keyword.yaml', code: 'UNKNOWN_KEYWORD', at: [5, 7], says: /unknown task keyword 'whenn'/, hint: /did you mean 'when'/i },
  { file: 'unsupported-task-keyword.yaml', code: 'UNKNOWN_KEYWORD', at: [5, 7], says: /'debugger' is an Ansible task keyword that swarmplay does not support/, hint: /run with -v/ },
  { file: 'unknown-module.yaml', code: 'UNKNOWN_MODULE', at: [5, 7], says: /unknown module 'cpoy'/, hint: /did you mean 'copy'/i },
  { file: 'unknown-module-no-suggestion.yaml', code: 'UNKNOWN_MODULE', at: [4, 7], says: /unknown module 'frobnicate_everything'/, hint: /Modules: command, copy/ },
  { file: 'two-modules.yaml', code: 'BAD_PLAYBOOK', at: [5, 7], says: /only one module.*'command' and 'shell'/, hint: /two tasks/ },
  { file: 'no-module.yaml', code: 'BAD_PLAYBOOK', at: [4, 7], says: /no module/, hint: /command: uptime/ },
  { file: 'task-not-a-mapping.yaml', code: 'BAD_PLAYBOOK', at: [4, 7], says: /each task must be a mapping.*"command uptime"/ },
  { file: 'tasks-not-a-list.yaml', code: 'BAD_PLAYBOOK', at: [3, 5], says: /'tasks' must be a list of tasks, got a mapping/ },
  { file: 'bad-serial-word.yaml', code: 'BAD_PLAYBOOK', at: [2, 11], says: /'serial' must be a positive whole number or a percentage/, hint: /30%/ },
  { file: 'bad-serial-percent.yaml', code: 'BAD_PLAYBOOK', at: [2, 15], says: /'serial' .*"150%"/ },
  { file: 'bad-strategy.yaml', code: 'BAD_PLAYBOOK', at: [2, 13], says: /'strategy' must be 'linear' or 'free'/, hint: /did you mean 'linear'/i },
  { file: 'bad-max-fail-percentage.yaml', code: 'BAD_PLAYBOOK', at: [2, 24], says: /percentage from 0 to 100, got the number 150/ },
  { file: 'bad-boolean.yaml', code: 'BAD_PLAYBOOK', at: [5, 22], says: /'ignore_errors' must be true or false, got the string "maybe"/ },
  { file: 'bad-gather-facts-template.yaml', code: 'BAD_PLAYBOOK', at: [2, 17], says: /template is not allowed here/ },
  { file: 'bad-when-syntax.yaml', code: 'EXPRESSION_SYNTAX', at: [5, 13], says: /ended too early in expression 'inventory_hostname =='/ },
  { file: 'when-with-braces.yaml', code: 'EXPRESSION_SYNTAX', at: [5, 13], says: /does not take '\{\{ \}\}'/, hint: /when: role == 'manager'/ },
  { file: 'when-wrong-type.yaml', code: 'BAD_PLAYBOOK', at: [5, 13], says: /'when' must be an expression, a boolean, or a list/ },
  { file: 'jinja-statement.yaml', code: 'TEMPLATE_SYNTAX', at: [5, 9], says: /'\{% if %\}' opened at line 1 is not closed/, hint: /endif/ },
  { file: 'unclosed-template.yaml', code: 'TEMPLATE_SYNTAX', at: [5, 9], says: /'\{\{' is not closed/ },
  { file: 'unknown-filter.yaml', code: 'EXPRESSION_SYNTAX', at: [5, 9], says: /unknown filter 'jion'/, hint: /did you mean 'join'/i },
  { file: 'circular-import.yaml', code: 'BAD_PLAYBOOK', at: ['includes/circular-b.yaml', 1, 18], says: /circular include_tasks: .*circular-import\.yaml -> includes\/circular-a\.yaml -> includes\/circular-b\.yaml -> includes\/circular-a\.yaml/ },
  { file: 'import-missing-file.yaml', code: 'FILE_NOT_FOUND', at: [5, 21], says: /file not found: .*includes\/nope\.yaml/, hint: /relative to the folder of import-missing-file\.yaml/ },
  { file: 'import-templated-path.yaml', code: 'BAD_PLAYBOOK', at: [4, 21], says: /cannot hold '\{\{ \}\}'/ },
  { file: 'import-bad-task.yaml', code: 'UNKNOWN_MODULE', at: ['includes/bad-task.yaml', 3, 3], says: /unknown module 'cpoy'/, hint: /copy/ },
  { file: 'loop-not-a-list.yaml', code: 'BAD_PLAYBOOK', at: [5, 13], says: /'loop' must be a list, or a '\{\{ \}\}' expression that gives one, got the number 5/ },
  { file: 'loop-bare-variable.yaml', code: 'BAD_PLAYBOOK', at: [5, 13], says: /'loop' must be a list/, hint: /"\{\{ groups \}\}"/ },
  { file: 'missing-required-argument.yaml', code: 'BAD_ARGUMENT', at: [4, 7], says: /missing required argument 'dest' for module 'copy'/, hint: /dest: \.\.\./ },
  { file: 'wrong-argument-type.yaml', code: 'BAD_ARGUMENT', at: [5, 9], says: /argument 'port' of module 'wait_for' must be a number or a string, got a list/, hint: /'port' takes a number or a string/ },
  { file: 'unknown-argument.yaml', code: 'BAD_ARGUMENT', at: [5, 9], says: /unknown argument 'dets' for module 'copy'/, hint: /did you mean 'dest'/i },
  { file: 'bad-enum-argument.yaml', code: 'BAD_ARGUMENT', at: [6, 9], says: /argument 'state' of module 'file' must be one of "file", "directory"/ },
  { file: 'free-form-not-key-value.yaml', code: 'BAD_ARGUMENT', at: [4, 13], says: /'file' does not take free-form text: '\/tmp\/x' is not key=value/, hint: /path: \.\.\./ },
  { file: 'block-with-module.yaml', code: 'BAD_PLAYBOOK', at: [6, 7], says: /a block cannot have 'command'/, hint: /inside 'block:'/ },
  { file: 'empty-block.yaml', code: 'BAD_PLAYBOOK', at: [4, 14], says: /'block' must hold at least one task/ },
  { file: 'bad-register.yaml', code: 'BAD_PLAYBOOK', at: [5, 17], says: /'register' must be a variable name/ },
  { file: 'listen-in-task.yaml', code: 'UNKNOWN_KEYWORD', at: [5, 7], says: /'listen' is only for handlers/ },
  { file: 'handler-without-name.yaml', code: 'BAD_PLAYBOOK', at: [4, 7], says: /a handler needs a 'name'/ },
  { file: 'bad-loop-control.yaml', code: 'UNKNOWN_KEYWORD', at: [7, 9], says: /unknown loop_control keyword 'loopvar'/, hint: /did you mean 'loop_var'/i },
  { file: 'alias-bomb.yaml', code: 'BAD_PLAYBOOK', at: [6, 11], says: /cannot read this value: .*alias/i },
  { file: 'bad-vars.yaml', code: 'BAD_PLAYBOOK', at: [2, 9], says: /'vars' must be a mapping of variable names to values \(or a list of such mappings\), got a list/ },
  { file: 'bad-vars-name.yaml', code: 'BAD_PLAYBOOK', at: [3, 5], says: /'my-var' is not a valid variable name/ },
];

describe('playbook loader: bad-input corpus (test/fixtures/bad)', () => {
  it('has at least 25 cases', () => assert.ok(BAD.length >= 25));

  for (const c of BAD) {
    it(`${c.file}: ${c.code} at ${c.at.join(':')}, ${c.says}`, async () => {
      const file = path.join(fixtures, 'bad', c.file);
      const error = await loadError(file);
      assert.equal(error.code, c.code, error.format());
      const [where, line, column] = c.at.length === 3 ? c.at : [c.file, c.at[0], c.at[1]];
      assert.deepEqual(error.location, { file: path.join(fixtures, 'bad', where), line, column }, error.format());
      assert.match(error.message, c.says, error.format());
      if (c.hint) assert.match(error.hint ?? '', c.hint, error.format());
      // Bad input exits 5, and the formatted message starts with file:line:column and shows the source.
      assert.equal(error.exitCode, 5);
      assert.ok(error.format().startsWith(`${path.join(fixtures, 'bad', where)}:${line}:${column}: `), error.format());
      if (c.code !== 'BAD_PLAYBOOK' || !/empty|text file/.test(error.message)) {
        assert.match(error.snippet ?? '', new RegExp(`^\\s*${line} \\| `, 'm'), error.format());
      }
    });
  }
});
