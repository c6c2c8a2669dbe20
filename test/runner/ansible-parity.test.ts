/**
 * The same playbooks and inventory run under ansible-playbook (ansible-core,
 * installed by scripts/setup-machine.sh) and swarmplay; the PLAY RECAP, the
 * exit code and every debug message per host must be the same. The hosts
 * use ansible_connection: local, so this tests the runner's semantics
 * (variables, loops, handlers, blocks, serial, run_once, tags, until,
 * failures), not the SSH transport, which has its own tests against sshd.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runCli, jsonEvents } from '../support/cli.js';
import { runAnsiblePlaybook, type Recap } from '../support/ansible-playbook.js';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/parity');
const INVENTORY = path.join(FIXTURES, 'hosts.yaml');

interface Observed {
  code: number;
  recap: Recap;
  /** "task | host | message" for every debug message, in a stable order. */
  messages: string[];
}

function messageLines(task: string, host: string, result: Record<string, any>): string[] {
  if (Array.isArray(result.results)) {
    return result.results.filter((r: any) => !r.skipped && r.msg !== undefined).map((r: any) => `${task} | ${host} | ${r.msg}`);
  }
  return result.msg !== undefined && !result.skipped && !result.failed ? [`${task} | ${host} | ${result.msg}`] : [];
}

async function runAnsible(playbook: string, args: string[]): Promise<Observed> {
  const env = {
    ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_LOCALHOST_WARNING: 'False', ANSIBLE_DEPRECATION_WARNINGS: 'False',
  };
  const { code, recap, report } = await runAnsiblePlaybook(['-i', INVENTORY, path.join(FIXTURES, playbook), ...args], { env });
  const messages: string[] = [];
  for (const play of report.plays) {
    for (const task of play.tasks) {
      if (task.task.name === 'debug' || task.hosts && Object.values<any>(task.hosts).some((r) => r.action === 'debug' || r.action === 'ansible.builtin.debug')) {
        for (const host of Object.keys(task.hosts).sort()) messages.push(...messageLines(task.task.name, host, task.hosts[host]));
      }
    }
  }
  return { code, recap, messages };
}

async function runSwarmplay(playbook: string, args: string[]): Promise<Observed> {
  const result = await runCli(['run', path.join(FIXTURES, playbook), '-i', INVENTORY, '--json', ...args]);
  const events = jsonEvents(result.stdout);
  const recap = events.find((e) => e.event === 'recap')?.hosts;
  assert.ok(recap, `no recap from swarmplay:\n${result.stdout}\n${result.stderr}`);
  const messages: string[] = [];
  let module = '';
  let pending: string[] = [];
  const flush = () => { messages.push(...pending.sort()); pending = []; };
  for (const e of events) {
    if (e.event === 'task_start') { flush(); module = e.module; }
    if (e.event === 'host_result' && module === 'debug' && e.result) pending.push(...messageLines(e.task, e.host, e.result));
  }
  flush();
  return { code: result.code, recap, messages };
}

/**
 * Ansible's json callback files a handler's results under the task before
 * it, so messages are compared as "host | message", sorted.
 */
function comparable(lines: string[]): string[] {
  return lines.map((l) => l.split(' | ').slice(1).join(' | ')).sort();
}

const CASES: { playbook: string; args?: string[] }[] = [
  { playbook: 'vars-and-loops.yaml' },
  { playbook: 'vars-and-loops.yaml', args: ['-e', 'greeting=extra'] },
  { playbook: 'handlers-and-blocks.yaml' },
  { playbook: 'failures.yaml' },
  { playbook: 'serial-run-once.yaml' },
  { playbook: 'tags.yaml' },
  { playbook: 'tags.yaml', args: ['--tags', 'deploy'] },
  { playbook: 'tags.yaml', args: ['--skip-tags', 'setup'] },
  { playbook: 'tags.yaml', args: ['--tags', 'debugonly'] },
  { playbook: 'tags.yaml', args: ['--limit', 'workers:!h3'] },
  { playbook: 'until.yaml' },
  { playbook: 'roles.yaml' },
  { playbook: 'roles.yaml', args: ['--tags', 'app'] },
  { playbook: 'delegate-facts.yaml' },
];

describe('runner semantics: the same as ansible-playbook on the same playbooks', function () {
  this.timeout(120_000);
  // A work folder of this run's own in place of the inventory's /tmp/swarmplay-parity, so runs side by side share no
  // files; inside a scratch folder, which also holds the files the playbooks write beside it ("{{ work }}-h1-count").
  let scratch = '';
  let work = '';
  before(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-parity-'));
    work = path.join(scratch, 'work');
  });
  after(async () => { await rm(scratch, { recursive: true, force: true }); });

  for (const c of CASES) {
    it(`${c.playbook} ${(c.args ?? []).join(' ')}`.trim(), async () => {
      const args = [...(c.args ?? []), '-e', `work=${work}`];
      const theirs = await runAnsible(c.playbook, args);
      const ours = await runSwarmplay(c.playbook, args);
      assert.deepEqual(ours.recap, theirs.recap, 'PLAY RECAP');
      assert.equal(ours.code, theirs.code, 'exit code');
      assert.deepEqual(comparable(ours.messages), comparable(theirs.messages), 'debug messages');
    });
  }
});
