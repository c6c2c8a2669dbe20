/**
 * Includes, vault files and magic variables as an Ansible project uses them,
 * run on a 2-host lab by ansible-playbook and by swarmplay from the same
 * folder (test/fixtures/ansible-includes: an ansible.cfg naming the inventory
 * and the vault password file): every task's message on every host and the
 * recap must be the same under both tools.
 *
 * - includes.yml: include_role with a templated name and a loop
 *   (loop_control.loop_var), a literal include_role in a loop, tasks_from,
 *   defaults_from, vars_from, handlers_from, public and apply, include_tasks
 *   with a templated file in a loop, a role chosen per host;
 * - vault.yml: vars_files, group_vars, include_vars (dir, files_matching,
 *   name; one file) and a task file, all encrypted whole with ansible-vault;
 *   import_playbook with when and vars (of a playbook encrypted whole), and
 *   its FQCN spelling;
 * - magic.yml: inventory_file, inventory_dir, playbook_dir, role_name,
 *   role_path, ansible_play_hosts/_batch/_all (with serial, and after a
 *   failure), groups, group_names, hostvars.
 *
 * Then bad input: a wrong vault password, an encrypted playbook without
 * one, an INI syntax error: exit 5, file:line, no host contacted.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, jsonEvents, runCli } from '../support/cli.js';
import { labSuite } from '../support/lab.js';

const exec = promisify(execFile);
const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/ansible-includes');
/** What the vault files hold: never in swarmplay's output. */
const SECRETS = ['s3cret-db-pw', 'tok-123-secret', 'vf-s3cret', 'gv-s3cret', 'inc-vault-pw'];

interface Outcome {
  code: number;
  /** "task | host | message" lines, sorted. */
  lines: string[];
  recap: Record<string, Record<string, number>>;
  output: string;
}

describe('includes, vault files and magic variables: the same under swarmplay and ansible-playbook', function () {
  this.timeout(180_000);
  const lab = labSuite({ lab: { name: 'inca', subnet: '10.203.31.0/24', hosts: 2, docker: false }, project: FIXTURE });
  let project: string;
  let env: Record<string, string>;

  before(async () => {
    project = lab.project;
    await copyFile(lab.inventory, path.join(project, 'inventory/lab.yaml'));
    // Each lab up makes new host keys.
    env = { ...lab.ansibleEnv, ANSIBLE_SSH_ARGS: '-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no' };
  });

  // An include's own result message differs by design ("All items completed" in Ansible's): compare what tasks said.
  const message = (msg: unknown): string => (msg === undefined || msg === 'All items completed' ? '' : typeof msg === 'string' ? msg : JSON.stringify(msg));

  async function ansible(playbook: string): Promise<Outcome> {
    const run = await exec('ansible-playbook', [playbook], {
      cwd: project, env: { ...process.env, ...env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1' }, maxBuffer: 64 << 20,
    }).then((r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }), (e) => ({ code: Number(e.code), stdout: String(e.stdout), stderr: String(e.stderr) }));
    assert.ok(run.stdout.includes('{'), `ansible-playbook gave no report (exit ${run.code}):\n${run.stderr}`);
    const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{')));
    const lines: string[] = [];
    for (const play of report.plays) {
      for (const task of play.tasks) {
        for (const [host, r] of Object.entries<any>(task.hosts)) lines.push(`${task.task.name} | ${host} | ${r.skipped ? 'skipped' : message(r.msg)}`);
      }
    }
    const recap: Outcome['recap'] = {};
    for (const [host, s] of Object.entries<any>(report.stats)) {
      recap[host] = { ok: s.ok, changed: s.changed, unreachable: s.unreachable, failed: s.failures, skipped: s.skipped, rescued: s.rescued, ignored: s.ignored };
    }
    return { code: run.code, lines: lines.sort(), recap, output: run.stdout + run.stderr };
  }

  async function swarmplay(playbook: string): Promise<Outcome> {
    const result = await runCli(['run', playbook, '--json'], { cwd: project, env, timeoutMs: 120_000 });
    const events = jsonEvents(result.stdout);
    const lines = events.filter((e) => e.event === 'host_result')
      .map((e) => `${e.task} | ${e.host} | ${e.status === 'skipped' ? 'skipped' : message(e.result?.msg ?? e.msg)}`);
    const recap = events.find((e) => e.event === 'recap')?.hosts;
    assert.ok(recap, `no recap from swarmplay:\n${result.stdout}\n${result.stderr}`);
    for (const counts of Object.values<Record<string, number>>(recap)) delete counts.elapsedMs;
    return { code: result.code, lines: lines.sort(), recap, output: result.stdout + result.stderr };
  }

  async function both(playbook: string): Promise<[Outcome, Outcome]> {
    return Promise.all([ansible(playbook), swarmplay(playbook)]);
  }

  function assertSame(theirs: Outcome, ours: Outcome): void {
    assert.equal(ours.code, theirs.code, ours.output);
    assert.deepEqual(ours.lines, theirs.lines);
    assert.deepEqual(ours.recap, theirs.recap);
  }

  it('include_role (templated name, loops, *_from, public, apply) and include_tasks (templated file in a loop)', async () => {
    const [theirs, ours] = await both('includes.yml');
    assert.equal(theirs.code, 0, theirs.output);
    assertSame(theirs, ours);
    // The role each loop item chose ran with its item; the loud handler (handlers_from) is the one notified.
    assert.ok(ours.lines.includes('greet : greet | docker01 | hello bob from greet'), ours.lines.join('\n'));
    assert.ok(ours.lines.includes('other : other role | docker02 | other zed other'), ours.lines.join('\n'));
    assert.ok(ours.lines.includes('greet : greeted loudly | docker01 | loud handler'), ours.lines.join('\n'));
  });

  it('vault-encrypted vars_files, group_vars, include_vars (dir, files_matching, name), task file and imported playbook; import_playbook with when', async () => {
    const [theirs, ours] = await both('vault.yml');
    assert.equal(theirs.code, 0, theirs.output);
    assertSame(theirs, ours);
    assert.ok(ours.lines.includes('what include_vars read | docker01 | api_token,db_password,db_user 12'), ours.lines.join('\n'));
    assert.ok(ours.lines.includes('imported task | docker01 | skipped'), ours.lines.join('\n'));
    for (const secret of SECRETS) assert.ok(!ours.output.includes(secret), `${secret} in swarmplay's output`);
  });

  it('magic variables per host, with serial and after a failure', async () => {
    const [theirs, ours] = await both('magic.yml');
    assert.equal(theirs.code, 2, theirs.output);
    assertSame(theirs, ours);
    const dir = path.join(project, 'inventory');
    assert.ok(ours.lines.some((l) => l.startsWith('play magic | docker02 | ') && l.includes(`"${path.join(dir, 'lab.yaml')}", "${dir}", "${project}"`)), ours.lines.join('\n'));
  });

  describe('bad input stops the run before any host: exit 5, file:line', () => {
    // The only host of this inventory does not answer: a run that went on would end unreachable (exit 4).
    let nowhere: string;
    let elsewhere: string;
    before(async () => {
      // A folder without ansible.cfg: only what the command line gives.
      elsewhere = await mkdtemp(path.join(project, 'elsewhere-'));
      nowhere = path.join(project, 'nowhere.yaml');
      await writeFile(nowhere, 'all:\n  hosts:\n    nowhere:\n      ansible_host: 10.203.31.250\n      ansible_password: x\n');
      await writeFile(path.join(project, 'wrong-password.txt'), 'not-the-password\n');
      await writeFile(path.join(project, 'broken.ini'), '[web]\nweb1 ansible_host=10.203.31.251\n[web:vars]\nthis line has no equals sign\n');
    });

    const cases: Array<{ what: string; args: () => string[]; says: RegExp; at: () => string }> = [
      {
        what: 'a wrong vault password names the encrypted file',
        args: () => ['run', path.join(project, 'vault.yml'), '-i', nowhere, '--vault-password-file', path.join(project, 'wrong-password.txt')],
        says: /cannot decrypt file .*encrypted\.yml: the vault password is wrong/, at: () => `${path.join(project, 'tasks/encrypted.yml')}:1:1`,
      },
      {
        what: 'an encrypted playbook without a password says how to give one',
        args: () => ['run', path.join(project, 'imported.yml'), '-i', nowhere],
        says: /imported\.yml is encrypted with ansible-vault, and no vault password was given[\s\S]*--vault-password-file/, at: () => `${path.join(project, 'imported.yml')}:1:1`,
      },
      {
        what: 'an INI syntax error names its line and the right form',
        args: () => ['run', path.join(project, 'magic.yml'), '-i', path.join(project, 'broken.ini')],
        says: /expected key=value, got: this line has no equals sign/, at: () => `${path.join(project, 'broken.ini')}:4`,
      },
    ];
    for (const c of cases) {
      it(c.what, async () => {
        const result = await runCli(c.args(), { cwd: elsewhere });
        const output = result.stdout + result.stderr;
        assert.equal(result.code, 5, output);
        assert.match(output, c.says);
        assert.ok(output.includes(c.at()), `expected ${c.at()} in:\n${output}`);
        assert.doesNotMatch(output, /unreachable/i);
        for (const secret of SECRETS) assert.ok(!output.includes(secret), `${secret} in the output`);
      });
    }
  });
});
