/**
 * Bad input through the real CLI: one clear message with file:line:column,
 * exit code 5, and not a single connection to any host (checked in the
 * host's own sshd log).
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSshd, type TestSshd } from '../support/sshd.js';
import { runCli } from '../support/cli.js';

interface BadCase {
  name: string;
  playbook?: string;
  inventory?: string;
  args?: (files: { playbook: string; inventory: string; dir: string }) => string[];
  /** Expected in stderr: a file:line[:col] and a phrase. */
  where: RegExp;
  says: RegExp;
  code?: number;
}

const GOOD_PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - command: "true"
`;

const CASES: BadCase[] = [
  {
    name: 'YAML syntax error',
    playbook: `- hosts: all\n  tasks:\n    - command: "true\n      when: x\n`,
    where: /site\.yaml:\d+:\d+/,
    says: /yaml|quote|syntax/i,
  },
  {
    name: 'unknown module, with a suggestion',
    playbook: `- hosts: all\n  tasks:\n    - name: typo\n      cpoy:\n        dest: /tmp/x\n        content: x\n`,
    where: /site\.yaml:4:\d+/,
    says: /cpoy[\s\S]*did you mean[\s\S]*copy/i,
  },
  {
    name: 'unknown task keyword',
    playbook: `- hosts: all\n  tasks:\n    - command: "true"\n      whenn: true\n`,
    where: /site\.yaml:4:\d+/,
    says: /whenn[\s\S]*did you mean[\s\S]*when/i,
  },
  {
    name: 'missing required argument',
    playbook: `- hosts: all\n  tasks:\n    - copy:\n        content: x\n`,
    where: /site\.yaml:3:\d+/,
    says: /dest/,
  },
  {
    name: 'wrongly typed argument',
    playbook: `- hosts: all\n  tasks:\n    - wait_for:\n        port: [1, 2]\n`,
    where: /site\.yaml:4:\d+/,
    says: /port/,
  },
  {
    name: 'undefined variable',
    playbook: `- hosts: all\n  vars:\n    registry_port: 5000\n  tasks:\n    - name: uses a typo\n      debug:\n        msg: "{{ registry_prot }}"\n`,
    where: /site\.yaml:5:\d+/,
    says: /'registry_prot' is undefined[\s\S]*did you mean 'registry_port'/,
  },
  {
    name: 'missing playbook file',
    args: ({ dir, inventory }) => ['run', path.join(dir, 'nope.yaml'), '-i', inventory],
    where: /nope\.yaml/,
    says: /not (found|exist)|no such/i,
  },
  {
    name: 'missing inventory file',
    args: ({ dir, playbook }) => ['run', playbook, '-i', path.join(dir, 'missing-hosts.yaml')],
    where: /missing-hosts\.yaml/,
    says: /not (found|exist)|no such/i,
  },
  {
    name: 'bad option value',
    args: ({ playbook, inventory }) => ['run', playbook, '-i', inventory, '--forks', 'many'],
    where: /--forks/,
    says: /whole number/,
  },
];

describe('swarmplay run: bad input', function () {
  this.timeout(120_000);
  let host: TestSshd;
  let dir: string;
  let inventory: string;

  before(async () => {
    host = await startSshd({ address: '127.0.0.31' });
    // The harness's own readiness probe is logged a moment later; let it land before any log is compared.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-bad-'));
    inventory = path.join(dir, 'hosts.yaml');
    await writeFile(inventory, `all:\n  hosts:\n    h1:\n      ansible_host: ${host.address}\n      ansible_port: ${host.port}\n      ansible_user: root\n      ansible_ssh_private_key_file: ${host.clientKeyPath}\n`);
  });

  after(async () => {
    await host?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.name}: exit ${c.code ?? 5}, file:line, what would be right, no connection`, async () => {
      const playbook = path.join(dir, 'site.yaml');
      await writeFile(playbook, c.playbook ?? GOOD_PLAYBOOK);
      let inv = inventory;
      if (c.inventory) {
        inv = path.join(dir, 'bad-hosts.yaml');
        await writeFile(inv, c.inventory);
      }
      const args = c.args ? c.args({ playbook, inventory: inv, dir }) : ['run', playbook, '-i', inv];
      const logBefore = (await host.log()).length;
      const result = await runCli([...args, '--known-hosts', path.join(dir, 'known_hosts')]);
      assert.equal(result.code, c.code ?? 5, `exit code\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stderr, c.where);
      assert.match(result.stderr, c.says);
      const newLog = (await host.log()).slice(logBefore);
      assert.doesNotMatch(newLog, /Connection from|Accepted/, 'a host was connected despite bad input');
    });
  }

  it('check: validates without connecting, exit 0 for a good playbook', async () => {
    const playbook = path.join(dir, 'good.yaml');
    await writeFile(playbook, GOOD_PLAYBOOK);
    const logBefore = (await host.log()).length;
    const result = await runCli(['check', playbook, '-i', inventory]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /OK/);
    assert.doesNotMatch((await host.log()).slice(logBefore), /Connection from/);
  });
});
