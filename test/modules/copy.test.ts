import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { copy } from '../../src/modules/copy.js';
import { template } from '../../src/modules/template.js';
import { fakeHost, applyWrites, stepOutcomes } from '../support/fake-host.js';

describe('copy module', () => {
  let playbookDir: string;
  before(() => {
    playbookDir = mkdtempSync(path.join(tmpdir(), 'swarmplay-copy-'));
    mkdirSync(path.join(playbookDir, 'files'));
    writeFileSync(path.join(playbookDir, 'files', 'motd'), 'welcome\n');
    chmodSync(path.join(playbookDir, 'files', 'motd'), 0o640);
    writeFileSync(path.join(playbookDir, 'beside.txt'), 'beside\n');
    mkdirSync(path.join(playbookDir, 'templates'));
    writeFileSync(path.join(playbookDir, 'templates', 'daemon.json.hbs'), '{{x}}');
  });
  after(() => rmSync(playbookDir, { recursive: true, force: true }));

  describe('arguments', () => {
    it('rejects unknown arguments, wrong types, and content with src', () => {
      assert.equal(copy.schema.safeParse({ content: 'x', dest: '/x', mod: '0644' }).success, false);
      assert.equal(copy.schema.safeParse({ content: 'x', dest: 5 }).success, false);
      assert.equal(copy.schema.safeParse({ content: 'x', dest: '/x', mode: 'rw-r--r--' }).success, false);
      assert.equal(copy.schema.safeParse({ content: 'x', src: 'a', dest: '/x' }).success, false);
      assert.equal(copy.schema.safeParse({ dest: '/x' }).success, false);
      assert.equal(copy.schema.safeParse({ content: 'x' }).success, false);
      assert.equal(copy.schema.safeParse({ content: 'x', dest: '/etc/' }).success, false);
      assert.equal(copy.schema.safeParse({ content: 'x', dest: '/x', mode: 'preserve' }).success, false);
      assert.equal(copy.schema.parse({ content: 'x', dest: '/x', backup: 'yes', mode: 644 }).backup, true);
    });
  });

  it('is ok when dest already holds the content', async () => {
    const host = fakeHost({ files: { '/etc/motd': 'hello\n' } });
    const plan = await copy.plan(host, copy.schema.parse({ content: 'hello\n', dest: '/etc/motd' }));
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.result?.dest, '/etc/motd');
  });

  it('writes content with a diff when it differs, and is ok after', async () => {
    const host = fakeHost({ files: { '/etc/motd': 'old\n' } });
    const args = copy.schema.parse({ content: 'new\n', dest: '/etc/motd', mode: '0644', owner: 'root', group: 'root', backup: true });
    const plan = await copy.plan(host, args);
    assert.equal(plan.steps.length, 1);
    assert.deepEqual(plan.steps[0], {
      kind: 'write', description: 'update /etc/motd', path: '/etc/motd', content: 'new\n', mode: '0644', owner: 'root', group: 'root', backup: true,
    });
    assert.deepEqual(plan.diffs, [{ path: '/etc/motd', before: 'old\n', after: 'new\n' }]);
    applyWrites(host, plan);
    assert.deepEqual((await copy.plan(host, args)).steps, []);
  });

  it('writes a mapping given as content as JSON, as Ansible does', async () => {
    const plan = await copy.plan(fakeHost(), copy.schema.parse({ content: { 'insecure-registries': ['r:5000'] }, dest: '/etc/docker/daemon.json' }));
    assert.equal((plan.steps[0] as { content: string }).content, '{"insecure-registries":["r:5000"]}');
  });

  it('finds src in the playbook files/ folder, then beside the playbook', async () => {
    const plan = await copy.plan(fakeHost({ playbookDir }), copy.schema.parse({ src: 'motd', dest: '/etc/', mode: 'preserve' }));
    assert.equal(plan.steps.length, 1);
    const write = plan.steps[0] as { path: string; content: Buffer; mode: string };
    assert.equal(write.path, '/etc/motd');
    assert.equal(write.content.toString(), 'welcome\n');
    assert.equal(write.mode, '0640');
    const beside = await copy.plan(fakeHost({ playbookDir }), copy.schema.parse({ src: 'beside.txt', dest: '/tmp/b' }));
    assert.equal((beside.steps[0] as { content: Buffer }).content.toString(), 'beside\n');
  });

  it('fails clearly when src is missing or a folder', async () => {
    const missing = await copy.plan(fakeHost({ playbookDir }), copy.schema.parse({ src: 'nope', dest: '/x' }));
    assert.match(missing.failed!, /could not find src nope \(looked in .*files\/nope/);
    const folder = await copy.plan(fakeHost({ playbookDir }), copy.schema.parse({ src: 'templates', dest: '/x' }));
    assert.match(folder.failed!, /folder/);
  });

  it('copies from the host itself with remote_src', async () => {
    const host = fakeHost({ files: { '/etc/a': 'A', '/etc/b': 'B' } });
    const plan = await copy.plan(host, copy.schema.parse({ src: '/etc/a', dest: '/etc/b', remote_src: true }));
    assert.equal((plan.steps[0] as { content: Buffer }).content.toString(), 'A');
  });

  it('reports the backup path in its result', () => {
    const args = copy.schema.parse({ content: 'x', dest: '/x', backup: true });
    const plan = { steps: [] };
    const step = { kind: 'write' as const, description: '', path: '/x', content: 'x' };
    assert.deepEqual(copy.finish!(args, stepOutcomes([{ step, backupPath: '/x.2024~' }]), plan), { backup_file: '/x.2024~' });
  });
});

describe('template module', () => {
  let playbookDir: string;
  before(() => {
    playbookDir = mkdtempSync(path.join(tmpdir(), 'swarmplay-template-'));
    mkdirSync(path.join(playbookDir, 'templates'));
    writeFileSync(path.join(playbookDir, 'templates', 'docker.service.hbs'), 'ExecStart={{dockerd}}\n');
  });
  after(() => rmSync(playbookDir, { recursive: true, force: true }));

  it('rejects unknown arguments and a missing dest', () => {
    assert.equal(template.schema.safeParse({ src: 'a.hbs', dest: '/a', content: 'x' }).success, false);
    assert.equal(template.schema.safeParse({ src: 'a.hbs' }).success, false);
  });

  it('renders the template found in templates/ and plans it like copy', async () => {
    const rendered: string[] = [];
    const host = fakeHost({
      playbookDir,
      files: { '/etc/systemd/system/docker.service': 'ExecStart=old\n' },
      templates: (file) => {
        rendered.push(file);
        return 'ExecStart=/usr/bin/dockerd\n';
      },
    });
    const args = template.schema.parse({ src: 'docker.service.hbs', dest: '/etc/systemd/system/docker.service' });
    const plan = await template.plan(host, args);
    assert.deepEqual(rendered, [path.join(playbookDir, 'templates', 'docker.service.hbs')]);
    assert.deepEqual(plan.diffs, [{ path: '/etc/systemd/system/docker.service', before: 'ExecStart=old\n', after: 'ExecStart=/usr/bin/dockerd\n' }]);
    applyWrites(host, plan);
    assert.deepEqual((await template.plan(host, args)).steps, []);
  });

  it('stops before reading the host when rendering fails', async () => {
    const host = fakeHost({
      playbookDir,
      templates: () => {
        throw new Error("undefined variable 'dockerd'");
      },
    });
    await assert.rejects(template.plan(host, template.schema.parse({ src: 'docker.service.hbs', dest: '/x' })), /undefined variable/);
    assert.deepEqual(host.read, []);
    assert.deepEqual(host.probed, []);
  });

  it('fails naming the places it looked when the template is missing', async () => {
    const plan = await template.plan(fakeHost({ playbookDir }), template.schema.parse({ src: 'nope.hbs', dest: '/x' }));
    assert.match(plan.failed!, /could not find template nope.hbs/);
  });
});
