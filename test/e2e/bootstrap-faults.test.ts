/**
 * playbooks/bootstrap.yaml against faults on the lab (issue 5, "faults with
 * clear messages and no half-configured host"): a wrong advertise address,
 * the manager unreachable during join, a host already in another swarm, a
 * registry port already taken. Each case runs the real CLI, asserts the exit
 * code and the key phrases of the failing host's message (which host, what
 * went wrong, what to do), then looks at the hosts with docker and OpenSSH:
 * no node left "pending", no stray registry container, docker running.
 *
 * One lab serves every case, in this order: the wrong address needs hosts in
 * no swarm (a fresh lab); the unreachable manager builds the cluster once
 * unblocked; the other-swarm and port cases start from that cluster.
 */
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { bringUpLab, until, type TestLab } from '../support/lab.js';
import { runCli, type CliResult } from '../support/cli.js';
import { EXIT } from '../../src/errors.js';

/** The lines "failed: [host] => message" (also "[host -> delegate]") of the CLI's output, by host. */
function failuresByHost(stdout: string): Record<string, string[]> {
  const failures: Record<string, string[]> = {};
  for (const match of stdout.matchAll(/^failed: \[([^\]\s]+)(?: -> [^\]]+)?\] => (.*)$/gm)) {
    (failures[match[1]!] ??= []).push(match[2]!);
  }
  return failures;
}

/** The PLAY RECAP counts, by host. */
function recapByHost(stdout: string): Record<string, { ok: number; changed: number; failed: number; unreachable: number }> {
  const recap: Record<string, { ok: number; changed: number; failed: number; unreachable: number }> = {};
  for (const m of stdout.matchAll(/^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    recap[m[1]!] = { ok: Number(m[2]), changed: Number(m[3]), unreachable: Number(m[4]), failed: Number(m[5]) };
  }
  return recap;
}

interface SwarmState {
  LocalNodeState: string;
  NodeID: string;
  ControlAvailable: boolean;
  Cluster?: { ID: string };
}

describe('playbooks/bootstrap.yaml faults on the lab', function () {
  this.timeout(600_000);
  let lab: TestLab;
  let controllerKey: string;
  const timings: Record<string, number> = {};
  const HOSTS = ['docker01', 'docker02', 'docker03'];
  // The lab's own subnet for this file: 10.203.4.0/24, docker01 .11, docker02 .12, docker03 .13.
  const MANAGER = '10.203.4.11:2377';

  const bootstrap = async (label: string, extra: string[] = []): Promise<CliResult & { failures: Record<string, string[]>; recap: ReturnType<typeof recapByHost> }> => {
    const started = Date.now();
    const result = await runCli(['run', 'playbooks/bootstrap.yaml', '-i', lab.inventory, '-e', `controller_ssh_key=${controllerKey}`, ...extra],
      { timeoutMs: 300_000 });
    timings[label] = Date.now() - started;
    return { ...result, failures: failuresByHost(result.stdout), recap: recapByHost(result.stdout) };
  };
  const output = (result: CliResult) => `\n--- stdout ---\n${result.stdout.slice(-6000)}\n--- stderr ---\n${result.stderr}`;

  /** One failure line of `host` matching every pattern. */
  function assertFailure(result: CliResult & { failures: Record<string, string[]> }, host: string, patterns: RegExp[]): void {
    const messages = result.failures[host] ?? [];
    assert.ok(messages.some((m) => patterns.every((p) => p.test(m))), `${host}: no failure matching ${patterns.join(' and ')} in ${JSON.stringify(messages)}${output(result)}`);
  }

  async function swarmOf(host: string): Promise<SwarmState> {
    return JSON.parse(await lab.ssh(host, "docker info --format '{{json .Swarm}}'")) as SwarmState;
  }

  /** docker answers on every host (a fault must never leave a daemon stopped). */
  async function assertDockerRunsEverywhere(): Promise<void> {
    for (const host of HOSTS) {
      assert.match((await lab.ssh(host, "docker info --format '{{.ServerVersion}}'")).trim(), /^\d+\.\d+/, `${host}: docker answers`);
    }
  }

  async function nodeList(): Promise<string[]> {
    return (await lab.ssh('docker01', "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'"))
      .trim().split('\n').map((line) => line.trim()).sort();
  }

  /**
   * The walkthrough's three nodes, all Ready; docker02 a manager (leadership may move after restarts), docker03 a worker.
   * A manager whose daemon just restarted lists itself Unknown until its agent registers again: wait for that, not for more.
   */
  async function assertThreeNodesReady(): Promise<void> {
    const expected = (nodes: string[]) => nodes.length === 3 && /^docker01 Ready (Leader|Reachable)$/.test(nodes[0]!)
      && /^docker02 Ready (Leader|Reachable)$/.test(nodes[1]!) && nodes[2] === 'docker03 Ready';
    const nodes = await until('the three nodes Ready', 30_000, async () => {
      const listed = await nodeList();
      return expected(listed) ? listed : undefined;
    }).catch(async () => nodeList());
    assert.equal(nodes.length, 3, `node list: ${JSON.stringify(nodes)}`);
    assert.match(nodes[0]!, /^docker01 Ready (Leader|Reachable)$/);
    assert.match(nodes[1]!, /^docker02 Ready (Leader|Reachable)$/);
    assert.equal(nodes[2], 'docker03 Ready');
  }

  // A chain of our own in docker01's INPUT, so unblocking removes exactly what the test added.
  const BLOCK_CHAIN = 'E2EFAULT';
  const block = (rules: string[]) => lab.ssh('docker01',
    `iptables -N ${BLOCK_CHAIN} && iptables -I INPUT -j ${BLOCK_CHAIN} && ${rules.map((r) => `iptables -A ${BLOCK_CHAIN} ${r}`).join(' && ')}`);
  const unblock = () => lab.ssh('docker01', `iptables -D INPUT -j ${BLOCK_CHAIN} && iptables -F ${BLOCK_CHAIN} && iptables -X ${BLOCK_CHAIN}`);

  before(async () => {
    const started = Date.now();
    lab = await bringUpLab({ name: 'e2efault', subnet: '10.203.4.0/24' });
    controllerKey = path.join(lab.dir, 'controller_ed25519');
    timings.labUp = Date.now() - started;
    // The hosts see this machine's filesystem: iptables is there for them, or this file cannot test the unreachable manager.
    await lab.ssh('docker01', 'command -v iptables');
  });

  after(async () => {
    const started = Date.now();
    await lab?.down();
    timings.labDown = Date.now() - started;
    console.log(`      bootstrap fault timings (ms): ${JSON.stringify(timings)}`);
  });

  it('a wrong advertise address: swarm init refuses before doing anything, listing the host\'s addresses; no host joins a swarm', async () => {
    const result = await bootstrap('wrongAdvertiseAddr', ['-e', 'swarm_advertise_addr=10.203.4.99']);
    assert.equal(result.code, EXIT.HOST_FAILED, output(result));
    assertFailure(result, 'docker01', [/advertise address 10\.203\.4\.99 is not an address of docker01/, /eth0 10\.203\.4\.11/, /give one of them/]);
    for (const host of ['docker02', 'docker03']) {
      assertFailure(result, host, [/no swarm to join: swarm init on docker01 failed/, /run the playbook again/]);
      assert.doesNotMatch((result.failures[host] ?? []).join('\n'), /manager_addr/, `${host}: no template error about the missing swarm`);
    }
    for (const host of HOSTS) {
      assert.equal(result.recap[host]?.failed, 1, `${host} recap ${JSON.stringify(result.recap)}`);
      assert.equal((await swarmOf(host)).LocalNodeState, 'inactive', `${host} is in no swarm`);
    }
    // The plays before the swarm completed everywhere: hosts files are written.
    assert.match(await lab.ssh('docker03', 'cat /etc/hosts'), /^10\.203\.4\.11\s+docker01\b/m);
    await assertDockerRunsEverywhere();
  });

  it('the manager unreachable during join: the joins fail naming the manager, the nodes stay inactive; a rerun converges once it is reachable', async () => {
    // 2377 closed to the others (not to docker01 itself): refused before any join is tried.
    await block([`! -i lo -p tcp --dport 2377 -j REJECT`]);
    const refused = await bootstrap('managerRefused');
    assert.equal(refused.code, EXIT.HOST_FAILED, output(refused));
    for (const host of ['docker02', 'docker03']) {
      assertFailure(refused, host, [new RegExp(`${host} cannot reach the swarm manager at ${MANAGER.replace(/\./g, '\\.')}`), /port 2377\/tcp is open/, new RegExp(`${host} was not changed`)]);
      assert.equal((await swarmOf(host)).LocalNodeState, 'inactive', `${host} is in no swarm (not pending)`);
    }
    // docker01 went on with what it could: its swarm and the registry.
    assert.equal(refused.recap.docker01?.failed, 0, output(refused));
    const manager = await swarmOf('docker01');
    assert.equal(manager.LocalNodeState, 'active');
    assert.equal(manager.ControlAvailable, true);
    assert.equal((await lab.ssh('docker01', "docker container inspect registry --format '{{.State.Running}}'")).trim(), 'true');
    await unblock();

    // The manager answers the reachability test, then goes silent: docker's own join times out and leaves the node
    // "pending", retrying in the background; swarm_join must cancel that. (The first SYN from each node passes.)
    await block([
      '! -i lo -p tcp --dport 2377 --syn -m recent --name e2efault_seen --rcheck -j DROP',
      '! -i lo -p tcp --dport 2377 --syn -m recent --name e2efault_seen --set -j ACCEPT',
    ]);
    const silent = await bootstrap('managerSilentAfterProbe');
    assert.equal(silent.code, EXIT.HOST_FAILED, output(silent));
    for (const host of ['docker02', 'docker03']) {
      assertFailure(silent, host, [new RegExp(`${host} could not join the swarm at ${MANAGER.replace(/\./g, '\\.')}`), /pending join was cancelled/, /run again/]);
      assert.doesNotMatch((silent.failures[host] ?? []).join('\n'), /continue in the background/, `${host}: docker's "continues in the background" is not repeated`);
      assert.equal((await swarmOf(host)).LocalNodeState, 'inactive', `${host} is in no swarm (not pending)`);
    }
    await unblock();

    const rerun = await bootstrap('managerReachableAgain');
    assert.equal(rerun.code, EXIT.OK, output(rerun));
    await assertThreeNodesReady();
    assert.deepEqual(JSON.parse(await lab.ssh('docker01', "docker node inspect docker03 --format '{{json .Spec.Labels}}'")), { mem: 'max' });
    await assertDockerRunsEverywhere();
  });

  it('a host already in another swarm: its join fails saying so and how to proceed, its swarm untouched; swarm_force_join makes it join', async () => {
    await lab.ssh('docker03', 'docker swarm leave --force');
    await lab.ssh('docker01', 'docker node rm --force docker03');
    await lab.ssh('docker03', 'docker swarm init --advertise-addr 10.203.4.13 >/dev/null');
    const ownSwarm = (await swarmOf('docker03')).Cluster?.ID;
    assert.ok(ownSwarm, 'docker03 manages a swarm of its own');

    const refused = await bootstrap('otherSwarm');
    assert.equal(refused.code, EXIT.HOST_FAILED, output(refused));
    assertFailure(refused, 'docker03', [
      /docker03 is already in another swarm \(managers: 10\.203\.4\.13:2377\), not the one at 10\.203\.4\.11:2377/,
      /swarm_leave/, /force: true/,
    ]);
    assert.equal(refused.recap.docker01?.failed, 0, output(refused));
    assert.equal(refused.recap.docker02?.failed, 0, output(refused));
    const untouched = await swarmOf('docker03');
    assert.equal(untouched.LocalNodeState, 'active');
    assert.equal(untouched.Cluster?.ID, ownSwarm, 'docker03 still manages its own swarm');
    assert.deepEqual((await nodeList()).map((n) => n.split(' ')[0]), ['docker01', 'docker02']);

    const forced = await bootstrap('otherSwarmForced', ['-e', 'swarm_force_join=true']);
    assert.equal(forced.code, EXIT.OK, output(forced));
    await assertThreeNodesReady();
    const joined = await swarmOf('docker03');
    assert.equal(joined.ControlAvailable, false, 'docker03 is a worker now');
    assert.equal(joined.Cluster, undefined);
    assert.deepEqual(JSON.parse(await lab.ssh('docker01', "docker node inspect docker03 --format '{{json .Spec.Labels}}'")), { mem: 'max' });
    await assertDockerRunsEverywhere();
  });

  it('a registry port already taken: the registry task names the port and its holder, the running registry is left as it was, the swarm stays whole', async () => {
    const registryBefore = (await lab.ssh('docker01', "docker container inspect registry --format '{{.Id}}'")).trim();
    const nodeIdsBefore = await Promise.all(HOSTS.map(async (host) => (await swarmOf(host)).NodeID));
    // restart always: the new registry port changes docker.service, so every daemon restarts before the registry task.
    await lab.ssh('docker01', 'docker run -d --restart always -p 5055:80 --name squatter httpd >/dev/null');

    const result = await bootstrap('registryPortTaken', ['-e', 'registry_port=5055']);
    assert.equal(result.code, EXIT.HOST_FAILED, output(result));
    assertFailure(result, 'docker01', [/port 5055 on docker01 is already in use by container squatter/, /free it or choose another port/]);
    for (const host of ['docker02', 'docker03']) {
      assertFailure(result, host, [/no registry to check: the registry task on docker01 failed/]);
    }
    // No half-made registry: the one container named registry is the one from before, running, still on its port.
    assert.deepEqual((await lab.ssh('docker01', "docker ps -a --format '{{.Names}}'")).trim().split('\n').sort(), ['registry', 'squatter']);
    const registryAfter = (await lab.ssh('docker01', "docker container inspect registry --format '{{.Id}} {{.State.Status}} {{json .HostConfig.PortBindings}}'")).trim();
    assert.match(registryAfter, new RegExp(`^${registryBefore} running .*"HostPort":"5000"`));
    assert.equal((await lab.ssh('docker01', "docker container inspect squatter --format '{{.State.Status}}'")).trim(), 'running');
    // Every daemon restarted for the new insecure registry: the members came back into the swarm, none was made to leave.
    await assertDockerRunsEverywhere();
    await assertThreeNodesReady();
    assert.deepEqual(await Promise.all(HOSTS.map(async (host) => (await swarmOf(host)).NodeID)), nodeIdsBefore, 'the same nodes, none left and joined again');
  });
});
