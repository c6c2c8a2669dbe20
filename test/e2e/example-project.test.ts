/**
 * examples/swarm-cluster, an Ansible project as an Ansible user writes one
 * (INI inventory with group_vars, ansible.cfg, a role with defaults,
 * handlers, a meta dependency, a .j2 template, an include_tasks loop,
 * become_user, environment, a vault-encrypted variable), run unchanged on
 * the 3-node lab by swarmplay and by ansible-playbook: the same recap, the
 * same swarm as seen from outside both tools (docker over OpenSSH), and a
 * second run with changed=0 under each.
 */
import { strict as assert } from 'node:assert';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT, jsonEvents, runCli } from '../support/cli.js';
import { labSuite } from '../support/lab.js';
import { runAnsiblePlaybook, type AnsibleRun, type Recap } from '../support/ansible-playbook.js';

describe('examples/swarm-cluster: an Ansible project runs unchanged under swarmplay and ansible-playbook', function () {
  this.timeout(600_000);
  const lab = labSuite({ lab: { name: 'roles', subnet: '10.203.22.0/24' }, project: path.join(REPO_ROOT, 'examples/swarm-cluster') });
  let project: string;
  let env: Record<string, string>;

  before(async () => {
    project = lab.project;
    // The example names the default lab's addresses; this lab has its own subnet.
    const ini = path.join(project, 'inventory/hosts.ini');
    let text = await readFile(ini, 'utf8');
    for (const [host, address] of Object.entries(lab.hosts)) text = text.replace(new RegExp(`^${host} ansible_host=\\S+`, 'm'), `${host} ansible_host=${address}`);
    await writeFile(ini, text);
    env = { ...lab.ansibleEnv, LAB_PASSWORD: lab.password };
  });

  async function swarmplay(): Promise<{ code: number; recap: Recap; output: string }> {
    // This lab's host keys are recorded in the project's own file, not the user's ~/.ssh/known_hosts.
    const result = await runCli(['run', 'site.yml', '--json', '--known-hosts', path.join(project, 'known_hosts')], { cwd: project, env, timeoutMs: 300_000 });
    const recap = jsonEvents(result.stdout).find((e) => e.event === 'recap')?.hosts;
    assert.ok(recap, `no recap from swarmplay:\n${result.stdout}\n${result.stderr}`);
    return { code: result.code, recap, output: result.stdout + result.stderr };
  }

  function ansible(): Promise<AnsibleRun> {
    return runAnsiblePlaybook(['site.yml'], { cwd: project, env });
  }

  /** The swarm as docker on the hosts shows it: each node's role and labels, and the files the role wrote. */
  async function observedSwarm(): Promise<Record<string, unknown>> {
    const nodes = await lab.ssh('docker01', "docker node ls --format '{{.Hostname}}' | sort");
    const seen: Record<string, unknown> = {};
    for (const node of nodes.trim().split('\n')) {
      const spec = await lab.ssh('docker01', `docker node inspect ${node} --format '{{.Spec.Role}} {{json .Spec.Labels}}'`);
      const files = await lab.ssh(node, 'stat -c "%a %U" /etc/swarm-example/cluster.conf; grep -v password /etc/swarm-example/cluster.conf; grep -c s3cret-registry-pass /etc/swarm-example/cluster.conf; test -e /etc/swarm-example/reloaded && echo reloaded');
      seen[node] = { spec: spec.trim(), files: files.trim() };
    }
    return seen;
  }

  async function leaveSwarm(): Promise<void> {
    for (const host of ['docker03', 'docker02', 'docker01']) await lab.ssh(host, 'docker swarm leave --force >/dev/null 2>&1; rm -rf /etc/swarm-example');
  }

  it('forms the same swarm with the same recap, and a second run changes nothing, under both tools', async () => {
    const first = await swarmplay();
    assert.equal(first.code, 0, first.output);
    const formedBySwarmplay = await observedSwarm();
    assert.deepEqual(Object.keys(formedBySwarmplay), ['docker01', 'docker02', 'docker03']);
    assert.match(String((formedBySwarmplay.docker01 as any).spec), /^manager .*"zone":"a"/);
    assert.match(String((formedBySwarmplay.docker02 as any).spec), /^worker .*"cluster":"lab-swarm"/);
    assert.ok(!first.output.includes('s3cret-registry-pass'), 'the vault value appears in the output');
    const again = await swarmplay();
    assert.equal(again.code, 0, again.output);
    for (const [host, counts] of Object.entries(again.recap)) assert.equal(counts.changed, 0, `${host} changed on the second swarmplay run:\n${again.output}`);

    await leaveSwarm();
    const theirs = await ansible();
    assert.equal(theirs.code, 0, theirs.output);
    assert.deepEqual(first.recap, theirs.recap, 'PLAY RECAP of the first run');
    assert.deepEqual(await observedSwarm(), formedBySwarmplay, 'the swarm ansible-playbook formed');
    const theirsAgain = await ansible();
    assert.deepEqual(again.recap, theirsAgain.recap, 'PLAY RECAP of the second run');
  });
});
