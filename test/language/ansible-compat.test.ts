/**
 * Projects written the way public Ansible roles and playbooks of this field
 * are (Docker hosts, swarm clusters, base server set-up): an INI inventory
 * named `hosts`, group_vars folders, roles with meta dependencies, the
 * with_* loops, lookups searched from the role, the filters and tests those
 * roles use. Each must be accepted by both `ansible-playbook --syntax-check`
 * and `swarmplay check`, and a run of each (every host local) must give the
 * same PLAY RECAP and the same debug messages under both tools: every
 * construct whose value matters prints it.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, runCli, jsonEvents } from '../support/cli.js';
import { runAnsiblePlaybook, type Recap } from '../support/ansible-playbook.js';

const exec = promisify(execFile);
const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/compat');

interface Project {
  /** The folder under test/fixtures/compat. */
  name: string;
  playbook: string;
  inventory: string;
}

const PROJECTS: Project[] = [
  { name: 'site', playbook: 'site.yml', inventory: 'hosts' },
  { name: 'inventory-forms', playbook: 'play.yml', inventory: 'inventory' },
  { name: 'ip-filters', playbook: 'play.yml', inventory: 'hosts' },
  { name: 'attributes', playbook: 'play.yml', inventory: 'hosts' },
];

interface Observed { code: number; recap: Recap; messages: string[]; output: string }

const ANSIBLE_ENV = {
  ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_HOST_KEY_CHECKING: 'False',
  ANSIBLE_LOCALHOST_WARNING: 'False', ANSIBLE_DEPRECATION_WARNINGS: 'False',
};

/** "host | message" for each debug message (a loop's item by item); messages that are data as JSON. */
function messagesOf(host: string, result: Record<string, any>): string[] {
  const one = (r: Record<string, any>) => (r.msg === undefined || r.skipped || r.failed ? [] : [`${host} | ${typeof r.msg === 'string' ? r.msg : JSON.stringify(r.msg)}`]);
  return Array.isArray(result.results) ? result.results.flatMap(one) : one(result);
}

async function ansible(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec('ansible-playbook', args, { cwd, env: { ...process.env, ...ANSIBLE_ENV }, maxBuffer: 64 << 20 })
    .then((r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }), (e) => ({ code: Number(e.code), stdout: String(e.stdout), stderr: String(e.stderr) }));
}

async function runAnsible(project: Project, cwd: string): Promise<Observed> {
  const { code, recap, output, report } = await runAnsiblePlaybook(['-i', project.inventory, project.playbook], { cwd, env: ANSIBLE_ENV });
  const messages: string[] = [];
  for (const play of report.plays) {
    for (const task of play.tasks) {
      for (const [host, result] of Object.entries<any>(task.hosts)) {
        if (String(result.action).endsWith('debug')) messages.push(...messagesOf(host, result));
      }
    }
  }
  return { code, recap, messages: messages.sort(), output };
}

async function runSwarmplay(project: Project, cwd: string): Promise<Observed> {
  const result = await runCli(['run', project.playbook, '-i', project.inventory, '--json'], { cwd });
  const events = jsonEvents(result.stdout);
  const recap = events.find((e) => e.event === 'recap')?.hosts;
  assert.ok(recap, `no recap from swarmplay:\n${result.stdout}\n${result.stderr}`);
  const messages: string[] = [];
  let module = '';
  for (const e of events) {
    if (e.event === 'task_start') module = e.module;
    if (e.event === 'host_result' && module === 'debug' && e.result) messages.push(...messagesOf(e.host, e.result));
  }
  return { code: result.code, recap, messages: messages.sort(), output: result.stdout + result.stderr };
}

describe('Ansible projects as the field writes them: accepted and run the same by ansible-playbook and swarmplay', function () {
  this.timeout(180_000);
  const work: string[] = [];
  after(async () => { for (const dir of work) await rm(dir, { recursive: true, force: true }); });

  /** Each tool runs on its own copy: a project may write into itself (an inventory file it then reads again). */
  async function copyOf(project: Project): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), `swarmplay-compat-${project.name}-`));
    work.push(dir);
    await cp(path.join(FIXTURES, project.name), dir, { recursive: true });
    return dir;
  }

  for (const project of PROJECTS) {
    it(`${project.name}: both syntax checks accept it`, async () => {
      const cwd = path.join(FIXTURES, project.name);
      const theirs = await ansible(['--syntax-check', '-i', project.inventory, project.playbook], cwd);
      assert.equal(theirs.code, 0, `ansible-playbook --syntax-check refused it:\n${theirs.stdout}\n${theirs.stderr}`);
      const ours = await runCli(['check', project.playbook, '-i', project.inventory], { cwd });
      assert.equal(ours.code, 0, `swarmplay check refused it:\n${ours.stdout}\n${ours.stderr}`);
    });

    it(`${project.name}: the same recap and the same values under both`, async () => {
      const theirs = await runAnsible(project, await copyOf(project));
      const ours = await runSwarmplay(project, await copyOf(project));
      assert.deepEqual(ours.recap, theirs.recap, `PLAY RECAP\nansible-playbook:\n${theirs.output}\nswarmplay:\n${ours.output}`);
      assert.equal(ours.code, theirs.code, 'exit code');
      assert.deepEqual(ours.messages, theirs.messages, 'debug messages');
    });
  }
});
