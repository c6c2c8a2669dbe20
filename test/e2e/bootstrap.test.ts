/**
 * The walkthrough's cluster from bare lab hosts with playbooks/bootstrap.yaml, then
 * teardown and rebuild. Every check is made on the hosts with docker and ssh
 * (OpenSSH's client), not through swarmplay's report.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { runCli, recapOf, jsonEvents } from '../support/cli.js';

const exec = promisify(execFile);

/** The steps a `-v` run lists, as "task | host | step", sorted (hosts finish in any order). */
function stepLines(stdout: string): string[] {
  let task = '';
  const lines: string[] = [];
  for (const line of stdout.split('\n')) {
    const banner = /^(?:TASK|RUNNING HANDLER) \[(.*)\]/.exec(line);
    if (banner) task = banner[1]!;
    const step = /^ {2}step \[([^\]]+)\]: (.*)$/.exec(line);
    if (step) lines.push(`${task} | ${step[1]} | ${step[2]}`);
  }
  return lines.sort();
}

describe('playbooks/bootstrap.yaml on the lab', function () {
  this.timeout(600_000);
  let lab: TestLab;
  let controllerKey: string;
  const timings: Record<string, number> = {};

  const playbook = async (name: string, extra: string[] = []) => {
    const started = Date.now();
    const result = await runCli(['run', `playbooks/${name}.yaml`, '-i', lab.inventory, '--json',
      '-e', `controller_ssh_key=${controllerKey}`, ...extra], { timeoutMs: 300_000 });
    return { ...result, ms: Date.now() - started };
  };

  async function assertClusterBuilt(): Promise<void> {
    const nodes = (await lab.ssh('docker01', "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'"))
      .trim().split('\n').sort();
    assert.deepEqual(nodes, ['docker01 Ready Leader', 'docker02 Ready Reachable', 'docker03 Ready'], 'node list');
    const labels = await lab.ssh('docker01', "docker node inspect docker03 --format '{{json .Spec.Labels}}'");
    assert.deepEqual(JSON.parse(labels), { mem: 'max' });
    const registry = `${lab.hosts.docker01}:5000`;
    for (const host of ['docker01', 'docker02', 'docker03']) {
      const insecure = await lab.ssh(host, "docker info --format '{{json .RegistryConfig.InsecureRegistryCIDRs}} {{json .RegistryConfig.IndexConfigs}}'");
      assert.match(insecure, new RegExp(`"${registry.replace(/\./g, '\\.')}":\\{[^}]*"Secure":false`), `${host} trusts the registry as insecure`);
      const hostsFile = await lab.ssh(host, 'cat /etc/hosts');
      for (const [name, address] of Object.entries(lab.hosts)) {
        assert.match(hostsFile, new RegExp(`^${address.replace(/\./g, '\\.')}\\s+${name}\\b`, 'm'), `${host}: /etc/hosts maps ${name}`);
      }
      // The controller's key logs in (no password offered).
      const { stdout } = await exec('ssh', ['-i', controllerKey, '-o', 'BatchMode=yes', '-o', 'PasswordAuthentication=no',
        '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
        `root@${lab.hosts[host]}`, 'hostname']);
      assert.equal(stdout.trim(), host);
    }
    // docker01's own key reaches the others by name, as the walkthrough's ssh-copy-id did.
    const fromManager = await lab.ssh('docker01', 'ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR docker03 hostname');
    assert.equal(fromManager.trim(), 'docker03');
    // An image pushed on docker01 pulls on docker03 (a tag of our own, not the playbook's check image).
    const tag = `${registry}/e2e-check:${Date.now()}`;
    await lab.ssh('docker01', `docker tag httpd ${tag} && docker push ${tag} >/dev/null`);
    await lab.ssh('docker03', `docker pull ${tag} >/dev/null`);
    assert.match(await lab.ssh('docker03', `docker image inspect ${tag} --format '{{.Id}}'`), /^sha256:/);
  }

  before(async () => {
    lab = await bringUpLab({ name: 'e2eboot', subnet: '10.203.5.0/24' });
    controllerKey = path.join(lab.dir, 'controller_ed25519');
  });

  after(async () => {
    await lab?.down();
    console.log(`      bootstrap timings (ms): ${JSON.stringify(timings)}`);
  });

  it('builds the walkthrough cluster from fresh hosts', async () => {
    const result = await playbook('bootstrap');
    timings.firstRun = result.ms;
    assert.equal(result.code, 0, result.stdout.slice(-4000) + result.stderr);
    await assertClusterBuilt();
  });

  it('changes nothing on a second run', async () => {
    const result = await playbook('bootstrap');
    timings.secondRun = result.ms;
    assert.equal(result.code, 0, result.stderr);
    const changedTasks = jsonEvents(result.stdout).filter((e) => e.event === 'host_result' && e.status === 'changed')
      .map((e) => `${e.host}: ${e.task} ${e.msg ?? ''} ${JSON.stringify(e.result ?? {})}`);
    for (const [host, counts] of Object.entries(recapOf(result.stdout))) {
      assert.equal(counts.changed, 0, `${host}: ${JSON.stringify(counts)}; changed: ${changedTasks.join('; ')}`);
    }
    const warnings = jsonEvents(result.stdout).filter((e) => e.event === 'warning' && /insecure registry/.test(e.msg));
    assert.equal(warnings.length, 1, 'the insecure registry risk is said once per run');
    assert.match(warnings[0].msg, new RegExp(`${lab.hosts.docker01.replace(/\./g, '\\.')}:5000`));
  });

  it('--check -v lists exactly the steps the real run then takes (a node label removed by hand)', async () => {
    await lab.ssh('docker01', 'docker node update --label-rm mem docker03 >/dev/null');
    const plainRun = async (extra: string[]) => runCli(['run', 'playbooks/bootstrap.yaml', '-i', lab.inventory, '-v',
      '-e', `controller_ssh_key=${controllerKey}`, ...extra], { timeoutMs: 300_000 });
    const checked = await plainRun(['--check']);
    assert.equal(checked.code, 0, checked.stdout.slice(-4000) + checked.stderr);
    assert.deepEqual(JSON.parse(await lab.ssh('docker01', "docker node inspect docker03 --format '{{json .Spec.Labels}}'")), {},
      '--check changed nothing');
    const ran = await plainRun([]);
    assert.equal(ran.code, 0, ran.stdout.slice(-4000) + ran.stderr);
    const planned = stepLines(checked.stdout);
    const taken = stepLines(ran.stdout);
    assert.ok(taken.some((line) => /mem=max/.test(line) && /docker03/.test(line)), `the run puts the label back: ${taken.join('\n')}`);
    assert.deepEqual(planned, taken);
    assert.deepEqual(JSON.parse(await lab.ssh('docker01', "docker node inspect docker03 --format '{{json .Spec.Labels}}'")), { mem: 'max' });
  });

  it('tears the swarm down everywhere', async () => {
    const result = await playbook('teardown');
    timings.teardown = result.ms;
    assert.equal(result.code, 0, result.stdout.slice(-4000) + result.stderr);
    for (const host of Object.keys(lab.hosts)) {
      assert.equal((await lab.ssh(host, "docker info --format '{{.Swarm.LocalNodeState}}'")).trim(), 'inactive', host);
    }
  });

  it('rebuilds the same cluster after a teardown', async () => {
    const result = await playbook('bootstrap');
    timings.rebuild = result.ms;
    assert.equal(result.code, 0, result.stdout.slice(-4000) + result.stderr);
    await assertClusterBuilt();
  });
});
