/**
 * Day two on bare hosts (rrday2, 10.203.34.0/24): `lab up --bare`, Docker
 * installed by bootstrap.yaml from the lab's mirror, three managers (docker03
 * made one in the test's host_vars), two services made by hand as a user's
 * would be: "w" (3 replicas) and "m" (pinned to the label mem=max, docker03's).
 *
 * 1. `lab reimage docker03` (the docker lab cannot reinstall a host: its hosts
 *    share this machine's /usr, so the bare lab is the real reinstall): a run
 *    with the user's own known_hosts (hashed and named entries, other hosts'
 *    lines) refuses the new key with both fingerprints and the command that
 *    forgets that host; the command removes docker03's entries and nothing
 *    else; bootstrap.yaml then installs Docker there again and rejoins it:
 *    its stale manager entry demoted and removed, each host listed once, its
 *    role and label back, m running on it again.
 * 2. playbooks/recover.yaml: refused without a named manager, with a named
 *    manager that does not answer, and while the swarm keeps its quorum (one
 *    manager's dockerd killed); with two of three managers' dockerd killed
 *    it rebuilds the swarm from docker01: three managers, each host listed
 *    once, both services at their counts; a second run changes nothing.
 *
 * Every check is made with docker and ssh-keygen over OpenSSH, outside swarmplay.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { labSuite, until, tasksRunningOn, swarmNodeLines, DOCKERD_PID } from '../support/lab.js';
import { runCli, recapOf, jsonEvents, type CliResult } from '../support/cli.js';
import { EXIT } from '../../src/errors.js';

const exec = promisify(execFile);

const KILL_DOCKERD = `${DOCKERD_PID}\nkill -KILL "$pid" && echo "$pid"`;

/** ssh-keygen's fingerprint of one `type base64` key. */
async function fingerprint(key: string): Promise<string> {
  const child = exec('ssh-keygen', ['-l', '-f', '-']);
  child.child.stdin!.end(`${key}\n`);
  return (await child).stdout.split(' ')[1]!;
}

/** What OpenSSH's own reader finds for `name` in a known_hosts file ('' when nothing). */
async function knownHostsLookup(name: string, file: string): Promise<string> {
  return exec('ssh-keygen', ['-F', name, '-f', file]).then((r) => r.stdout, () => '');
}

describe('day two on bare hosts: a reinstalled host rejoins; a swarm that lost its quorum is recovered', function () {
  this.timeout(600_000);
  const lab = labSuite({
    lab: { name: 'rrday2', subnet: '10.203.34.0/24', bare: true },
    bootstrap: true,
    // Three managers: the reinstalled host was one, and the recovery needs a quorum to lose.
    beforeBootstrap: (up) => appendFileSync(path.join(up.dir, 'host_vars', 'docker03.yaml'), '\nswarm_role: manager\n'),
    timingsName: 'day-two recovery',
  });
  const { run, output, manager, timings } = lab;
  let userInventory: string;
  let userKnownHosts: string;

  const nodeLines = () => swarmNodeLines(manager);
  const messages = (result: CliResult) => jsonEvents(result.stdout).map((e) => String(e.msg ?? '')).join('\n');

  const runningOn = (service: string) => tasksRunningOn(manager, service);

  /** Three managers (docker01 leading), each host listed once, w and m at their counts, m on docker03. */
  async function assertWholeCluster(what: string): Promise<void> {
    await until(`${what}: three reachable managers`, 90_000, async () => {
      const lines = await nodeLines();
      return lines.length === 3 && lines.every((line) => / Ready (Leader|Reachable)$/.test(line)) ? true : undefined;
    });
    const hosts = (await nodeLines()).map((line) => line.split(' ')[0]);
    assert.deepEqual(hosts, ['docker01', 'docker02', 'docker03'], `${what}: each host listed once`);
    assert.equal((await manager("docker node inspect docker03 --format '{{json .Spec.Labels}}'")).trim(), '{"mem":"max"}');
    await until(`${what}: m runs on docker03, w runs 3 tasks`, 90_000, async () =>
      (await runningOn('m')).join() === 'docker03' && (await runningOn('w')).length === 3 ? true : undefined);
  }

  before(async () => {
    const started = Date.now();
    // Down nodes noticed within seconds instead of swarm's default 5 s heartbeat times its grace.
    await manager('docker swarm update --dispatcher-heartbeat 1s');
    const common = `--quiet --stop-grace-period 1s ${lab.hosts.docker01}:5000/httpd:latest`;
    await manager(`docker service create --name w --replicas 3 ${common}`);
    await manager(`docker service create --name m --replicas 1 --constraint node.labels.mem==max ${common}`);
    timings.services = Date.now() - started;
    await assertWholeCluster('after bootstrap');

    // The user's own known_hosts: a host of theirs, docker01 and docker02 as swarmplay records them,
    // docker03 by name and hashed by address (ssh-keygen -H), as OpenSSH's HashKnownHosts writes it.
    const labKnownHosts = readFileSync(parse(readFileSync(lab.inventory, 'utf8')).all.vars.swarmplay_known_hosts, 'utf8');
    const keyOf = (address: string) => labKnownHosts.split('\n').find((line) => line.startsWith(`${address} `))!.split(' ').slice(1).join(' ');
    const hashed = path.join(lab.dir, 'hashed');
    writeFileSync(hashed, `${lab.hosts.docker03} ${keyOf(lab.hosts.docker03!)}\n`);
    await exec('ssh-keygen', ['-H', '-f', hashed]);
    userKnownHosts = path.join(lab.dir, 'user_known_hosts');
    writeFileSync(userKnownHosts, [
      '# my hosts',
      `git.example.org ${keyOf(lab.hosts.docker01!)}`,
      `${lab.hosts.docker01} ${keyOf(lab.hosts.docker01!)}`,
      `docker03 ${keyOf(lab.hosts.docker03!)}`,
      `${lab.hosts.docker02} ${keyOf(lab.hosts.docker02!)}`,
      readFileSync(hashed, 'utf8').trim(),
      '',
    ].join('\n'), { mode: 0o600 });
    const inventory = parse(readFileSync(lab.inventory, 'utf8'));
    inventory.all.vars.swarmplay_known_hosts = userKnownHosts;
    userInventory = path.join(lab.dir, 'user.yaml');
    writeFileSync(userInventory, stringify(inventory), { mode: 0o600 });
  });

  it('a reinstalled docker03: its new key refused with both fingerprints and the forget command; forgotten, bootstrap rejoins it once, with its role and label', async () => {
    const before = readFileSync(userKnownHosts, 'utf8');
    const oldKey = before.split('\n').find((line) => line.startsWith('docker03 '))!.split(' ').slice(1).join(' ');
    let started = Date.now();
    const reimage = await runCli(['lab', 'reimage', 'docker03', '--name', lab.name], { timeoutMs: 120_000 });
    timings.reimage = Date.now() - started;
    assert.equal(reimage.code, 0, reimage.stdout + reimage.stderr);
    const newKey = (await exec('ssh-keyscan', ['-t', 'ed25519', lab.hosts.docker03!])).stdout.trim().split(' ').slice(1).join(' ');
    assert.notEqual(newKey, oldKey);
    assert.equal((await lab.ssh('docker03', 'command -v dockerd || echo no-dockerd')).trim(), 'no-dockerd', 'a fresh install');

    const refused = await run('refusedRun', 'playbooks/bootstrap.yaml', [], userInventory);
    assert.equal(refused.code, EXIT.HOST_UNREACHABLE, output(refused));
    const refusal = jsonEvents(refused.stdout).find((e) => e.host === 'docker03' && e.status === 'unreachable')?.msg ?? '';
    assert.ok(refusal.includes(`HOST KEY CHANGED for ${lab.hosts.docker03}: ${userKnownHosts}:6 has ${await fingerprint(oldKey)}, ` +
      `the host offered ssh-ed25519 ${await fingerprint(newKey)}`), refusal);
    const command = `swarmplay known-hosts forget docker03 -i ${userInventory}`;
    assert.ok(refusal.includes(`forget the old key of docker03 only: ${command};`), refusal);
    assert.equal(readFileSync(userKnownHosts, 'utf8'), before, 'the refused run wrote nothing');

    const forget = await runCli(command.split(' ').slice(1));
    assert.equal(forget.code, 0, forget.stdout + forget.stderr);
    assert.ok(forget.stdout.split('\n').includes(`removed ${userKnownHosts}:4: docker03 ssh-ed25519 ${await fingerprint(oldKey)}`), forget.stdout);
    assert.match(forget.stdout, /^removed .*:6: \|1\|\S+ ssh-ed25519 \S+ \(hashed, for 10\.203\.34\.13\)$/m);
    const lines = before.split('\n');
    assert.equal(readFileSync(userKnownHosts, 'utf8'), [...lines.slice(0, 3), lines[4], ...lines.slice(6)].join('\n'), 'only docker03\'s entries left');
    assert.equal(await knownHostsLookup('docker03', userKnownHosts), '');
    assert.equal(await knownHostsLookup(lab.hosts.docker03!, userKnownHosts), '');

    started = Date.now();
    const rejoin = await run('rejoinReinstalled', 'playbooks/bootstrap.yaml', [], userInventory);
    assert.equal(rejoin.code, 0, output(rejoin));
    const removal = jsonEvents(rejoin.stdout).find((e) => e.event === 'host_result' && e.host === 'docker03' && /stale Down entries/.test(e.task));
    assert.equal(removal?.status, 'changed', output(rejoin));
    assert.match(await lab.ssh('docker03', 'dpkg -s docker.io'), /^Status: install ok installed$/m, 'Docker installed again from the mirror');
    assert.ok((await knownHostsLookup(lab.hosts.docker03!, userKnownHosts)).includes(newKey), 'the new key recorded');
    await assertWholeCluster('after the reinstall');
    timings.reinstalledBack = Date.now() - started;
  });

  it('recover.yaml: refused unnamed, unreachable and with quorum; after two of three managers are lost, three managers again, services running; a second run changes nothing', async () => {
    const unnamed = await run('recoverUnnamed', 'playbooks/recover.yaml');
    assert.equal(unnamed.code, EXIT.HOST_FAILED, output(unnamed));
    assert.match(messages(unnamed), /name the manager the swarm is rebuilt from: -e recover_manager=NAME/);

    // docker01 at an address nothing answers on: the recovery stops before anything changes.
    const inventory = parse(readFileSync(lab.inventory, 'utf8'));
    inventory.all.children.managers.hosts.docker01.ansible_host = lab.hosts.docker01!.replace(/\.\d+$/, '.99');
    const gone = path.join(lab.dir, 'docker01-gone.yaml');
    writeFileSync(gone, stringify(inventory), { mode: 0o600 });
    const unreachable = await run('recoverUnreachable', 'playbooks/recover.yaml', ['-e', 'recover_manager=docker01', '-T', '2'], gone);
    assert.equal(unreachable.code, EXIT.HOST_FAILED, output(unreachable));
    assert.match(messages(unreachable), /docker01 did not answer over SSH .*bring docker01 back or name another manager; nothing was changed/);

    // One manager lost: the swarm keeps its quorum, and the recovery is refused.
    assert.match((await lab.ssh('docker03', KILL_DOCKERD)).trim(), /^\d+$/);
    await until('docker03 unreachable', 60_000, async () => (await nodeLines()).includes('docker03 Down Unreachable') ? true : undefined);
    const withQuorum = await run('recoverRefused', 'playbooks/recover.yaml', ['-e', 'recover_manager=docker01']);
    assert.equal(withQuorum.code, EXIT.HOST_FAILED, output(withQuorum));
    assert.match(messages(withQuorum), /the swarm still has its quorum: docker01 sees a leader and 2 of 3 managers reachable \(unreachable: docker03\)/);
    assert.deepEqual(await nodeLines(), ['docker01 Ready Leader', 'docker02 Ready Reachable', 'docker03 Down Unreachable'], 'nothing changed');

    // A second one lost: no leader any more.
    assert.match((await lab.ssh('docker02', KILL_DOCKERD)).trim(), /^\d+$/);
    let started = Date.now();
    await until('docker01 without a leader', 90_000, async () =>
      /does not have a leader/.test(await manager('docker node ls 2>&1 || true')) ? true : undefined);
    timings.quorumLost = Date.now() - started;

    started = Date.now();
    const recover = await run('recover', 'playbooks/recover.yaml', ['-e', 'recover_manager=docker01']);
    assert.equal(recover.code, 0, output(recover));
    const forced = jsonEvents(recover.stdout).find((e) => e.event === 'host_result' && e.host === 'docker01' && /force-new-cluster/.test(e.task));
    assert.equal(forced?.status, 'changed', output(recover));
    for (const host of ['docker02', 'docker03']) {
      const left = jsonEvents(recover.stdout).find((e) => e.event === 'host_result' && e.host === host && /leave --force/.test(e.task));
      assert.equal(left?.status, 'changed', `${host}'s old state cleared before it joined${output(recover)}`);
    }
    await assertWholeCluster('after the recovery');
    assert.equal((await manager("docker info --format '{{.Swarm.Managers}} {{.Swarm.Nodes}}'")).trim(), '3 3');
    timings.recovered = Date.now() - started;

    const again = await run('recoverAgain', 'playbooks/recover.yaml', ['-e', 'recover_manager=docker01']);
    assert.equal(again.code, 0, output(again));
    for (const [host, recap] of Object.entries(recapOf(again.stdout))) assert.equal(recap.changed, 0, `${host} changed${output(again)}`);
    assert.deepEqual(await nodeLines(), ['docker01 Ready Leader', 'docker02 Ready Reachable', 'docker03 Ready Reachable']);
  });
});
