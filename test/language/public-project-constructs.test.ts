/**
 * Constructs met in public Ansible projects that ansible-playbook accepts and
 * swarmplay's loader must accept too (each fixture written here, in our own
 * words, reproducing only the construct).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadPlaybook } from '../../src/language/playbook-loader.js';
import type { BlockTask, ModuleTask } from '../../src/language/playbook.js';

let scratch: string;
beforeEach(async () => { scratch = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-constructs-')); });
afterEach(async () => { await rm(scratch, { recursive: true, force: true }); });

async function write(relative: string, text: string): Promise<string> {
  const file = path.join(scratch, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

describe('constructs from public projects', () => {
  it("a role named by a relative path ('../..' from a tests/ folder) is found as Ansible finds it: joined to roles/ beside the playbook first", async () => {
    // A role repository whose own tests/ playbook applies the repository itself.
    await write('tasks/main.yml', '- name: greet\n  debug: { msg: hello }\n');
    const playbook = await write('tests/site.yml', '- hosts: all\n  roles:\n    - role: ../..\n      greeting: hi\n');
    const loaded = await loadPlaybook(playbook, { rolesPath: [] });
    const roleBlock = loaded.plays[0]!.tasks[0] as BlockTask;
    assert.equal((roleBlock.block[0] as ModuleTask).name, 'greet');
  });

  it('a relative role path that only resolves beside the playbook still works', async () => {
    await write('shared/base/tasks/main.yml', '- name: base task\n  debug: { msg: base }\n');
    const playbook = await write('site.yml', '- hosts: all\n  roles:\n    - ./shared/base\n');
    const loaded = await loadPlaybook(playbook, { rolesPath: [] });
    assert.equal(((loaded.plays[0]!.tasks[0] as BlockTask).block[0] as ModuleTask).name, 'base task');
  });

  it('ignore_errors, retries and delay may be templates: kept for the run to judge per host', async () => {
    const playbook = await write('site.yml', [
      '- hosts: all',
      '  tasks:',
      '    - name: join',
      '      command: /bin/true',
      '      register: joined',
      '      until: joined.rc == 0',
      '      retries: "{{ join_attempts }}"',
      '      delay: "{{ join_pause }}"',
      '      ignore_errors: "{{ ansible_check_mode }}"',
      '',
    ].join('\n'));
    const task = (await loadPlaybook(playbook, { rolesPath: [] })).plays[0]!.tasks[0] as ModuleTask;
    assert.equal(task.retries, '{{ join_attempts }}');
    assert.equal(task.delay, '{{ join_pause }}');
    assert.equal(task.ignoreErrors, '{{ ansible_check_mode }}');
  });

  it('a module swarmplay lacks, in a task file included under a when (another OS family): loads, warns at its line, fails only a host that runs it', async () => {
    await write('roles/engine/tasks/main.yml', [
      '- include_tasks: suse.yml',
      "  when: ansible_os_family == 'Suse'",
      '- name: on debian',
      '  debug: { msg: apt }',
      '',
    ].join('\n'));
    await write('roles/engine/tasks/suse.yml', '- name: add the suse repository\n  community.general.zypper_repository: { name: engine, repo: "https://example.org/engine" }\n');
    const playbook = await write('site.yml', '- hosts: all\n  roles: [engine]\n');
    const loaded = await loadPlaybook(playbook, { rolesPath: [] });
    const include = (loaded.plays[0]!.tasks[0] as BlockTask).block[0]!;
    const refused = (include as { loaded?: ModuleTask[] }).loaded![0]!;
    assert.equal(refused.module, 'fail');
    assert.match(String((refused.args as { msg: string }).msg), /suse\.yml:2: 'community\.general\.zypper_repository' is an Ansible module swarmplay does not have\. Run 'command: zypper/);
    assert.ok(loaded.warnings?.some((w) => /suse\.yml:2: .*zypper_repository.*a host that runs this task fails it/.test(w)), String(loaded.warnings));
  });

  it('a handler (run only when notified) with such a module loads too, with the warning', async () => {
    const playbook = await write('site.yml', '- hosts: all\n  tasks:\n    - debug: { msg: hi }\n  handlers:\n    - name: hold the engine\n      community.general.yum_versionlock: { name: engine }\n');
    const loaded = await loadPlaybook(playbook, { rolesPath: [] });
    assert.equal(loaded.plays[0]!.handlers[0]!.module, 'fail');
    assert.ok(loaded.warnings?.some((w) => /site\.yml:6: .*yum_versionlock.*dnf versionlock/.test(w)), String(loaded.warnings));
  });

  it('the same module in a task nothing may skip is refused at once, at its line', async () => {
    const playbook = await write('site.yml', '- hosts: all\n  tasks:\n    - community.general.zypper: { name: engine }\n');
    await assert.rejects(loadPlaybook(playbook, { rolesPath: [] }), (error: Error & { code?: string; location?: { line: number } }) => {
      assert.equal(error.code, 'UNKNOWN_MODULE');
      assert.equal(error.location?.line, 3);
      return true;
    });
  });

  it("a when with '{{ }}' inside (Ansible warns, and accepts it) loads", async () => {
    const playbook = await write('site.yml', "- hosts: all\n  tasks:\n    - debug: { msg: up }\n      when: \"'{{ node_state }}' == 'active'\"\n");
    const task = (await loadPlaybook(playbook, { rolesPath: [] })).plays[0]!.tasks[0] as ModuleTask;
    assert.deepEqual(task.when, ["'{{ node_state }}' == 'active'"]);
  });

  it("a test written as a filter ('result | changed') is refused with the 'is' spelling to use", async () => {
    const playbook = await write('site.yml', '- hosts: all\n  tasks:\n    - command: /bin/true\n      register: r\n    - debug: { msg: x }\n      when: r | changed\n');
    await assert.rejects(loadPlaybook(playbook, { rolesPath: [] }), (error: Error & { hint?: string }) => {
      assert.match(error.message, /unknown filter 'changed'/);
      assert.match(error.hint ?? '', /'changed' is a test, not a filter.*'VALUE is changed'/);
      return true;
    });
  });

  it("a module of the project's own library/ is named as such, with the nearest way", async () => {
    await write('library/cluster_probe.py', '# a module of the project, in Python\n');
    const playbook = await write('site.yml', '- hosts: all\n  tasks:\n    - cluster_probe: { detail: full }\n');
    await assert.rejects(loadPlaybook(playbook, { rolesPath: [] }), (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'UNKNOWN_MODULE');
      assert.match(error.message, /'cluster_probe' is this project's own Ansible module \(.*library\/cluster_probe\.py\): swarmplay runs no module code/);
      assert.match(error.hint ?? '', /command or shell/);
      return true;
    });
  });
});
