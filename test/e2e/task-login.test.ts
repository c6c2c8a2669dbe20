/**
 * remote_user and connection on a task or a block, on a real OpenSSH server
 * (a bare lab host, where root and admin may log in): the task's keyword wins
 * over its block's, the block's over the play's, and the host's ansible_user
 * over them all; `connection: local` runs the task on the controller with the
 * host's variables. swarmplay and
 * ansible-playbook run the same playbook; who owns each file they wrote is
 * read from outside both (ssh + stat), and the local file on the controller.
 */
import { strict as assert } from 'node:assert';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT, runCli, jsonEvents } from '../support/cli.js';
import { runAnsiblePlaybook } from '../support/ansible-playbook.js';
import { bringUpLab, type TestLab } from '../support/lab.js';

const PLAYBOOK = path.join(REPO_ROOT, 'test', 'fixtures', 'keywords', 'task-login.yaml');
const TOOLS = ['swarmplay', 'ansible'] as const;
const NAMES = ['free', 'pinned'] as const;

describe('remote_user and connection on tasks and blocks, on a real sshd beside ansible-playbook', function () {
  this.timeout(900_000);
  let lab: TestLab;
  let inventory: string;
  let host: string;

  before(async () => {
    lab = await bringUpLab({ name: 'l2login', subnet: '10.203.50.0/24', hosts: 1, bare: true, withPython: true });
    host = Object.keys(lab.hosts)[0]!;
    // The same host twice: `free` names no user, `pinned` has ansible_user, which wins over every remote_user keyword in Ansible.
    inventory = path.join(lab.dir, 'login.ini');
    const reach = `ansible_host=${lab.hosts[host]} ansible_password=${lab.password} ansible_python_interpreter=/usr/bin/python3`;
    // The lab's own known_hosts: its host keys are new at every lab up and never belong in the machine's.
    const knownHosts = String(parseYaml(await readFile(lab.inventory, 'utf8')).all.vars.swarmplay_known_hosts);
    await writeFile(inventory, `free ${reach}\npinned ${reach} ansible_user=root\n\n[all:vars]\nswarmplay_known_hosts=${knownHosts}\n`);
  });
  after(async () => {
    for (const tool of TOOLS) for (const name of NAMES) await rm(`/tmp/l2-login-local-${tool}-${name}`, { force: true });
    await lab?.down();
  });

  async function owners(tool: string, name: string): Promise<string> {
    return (await lab.ssh(host, `cd /tmp/login-${tool}/${name} && stat -c '%n %U' play task block block-task; test -e /tmp/l2-login-local-${tool}-${name} && echo local-on-host || true`)).trim();
  }

  it('each file is written by the login its task names, and the local task runs on the controller', async () => {
    const ours = await runCli(['run', PLAYBOOK, '-i', inventory, '-e', 'tool=swarmplay', '--json'], { cwd: lab.dir, timeoutMs: 300_000 });
    assert.equal(ours.code, 0, ours.stdout.slice(-3000) + ours.stderr);
    const theirs = await runAnsiblePlaybook(['-i', inventory, '-e', 'tool=ansible', PLAYBOOK], {
      env: {
        ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_RETRY_FILES_ENABLED: 'False',
        ANSIBLE_SSH_ARGS: '-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no',
      },
    });
    assert.equal(theirs.code, 0, theirs.output.slice(-3000));

    for (const tool of TOOLS) {
      assert.equal(await owners(tool, 'free'), 'play root\ntask admin\nblock admin\nblock-task root', `${tool}: the keywords decide`);
      assert.equal(await owners(tool, 'pinned'), 'play root\ntask root\nblock root\nblock-task root', `${tool}: ansible_user wins`);
      for (const name of NAMES) {
        assert.equal(await readFile(`/tmp/l2-login-local-${tool}-${name}`, 'utf8'), `${name} ${lab.hosts[host]}\n`, `${tool}'s local file for ${name}`);
      }
    }

    const ourRecap = jsonEvents(ours.stdout).find((e) => e.event === 'recap')?.hosts;
    assert.deepEqual(ourRecap, theirs.recap, 'the same recap');
    const said = jsonEvents(ours.stdout).filter((e) => e.event === 'host_result' && e.msg?.startsWith('logged in as')).map((e) => e.msg);
    assert.deepEqual(said.sort(), ['logged in as admin', 'logged in as root']);
  });
});
