/**
 * community.docker's module names on a 3-node lab: one playbook written only
 * with them (test/fixtures/community-docker/swarm.yaml) forms a swarm (init,
 * join with the token from swarm_facts.JoinTokens), labels nodes, makes an
 * overlay network, runs a registry container, logs in, pushes an image and
 * runs a service on it. Everything is checked from outside swarmplay, with
 * OpenSSH's client and the docker CLI on the hosts, and an HTTP GET of the
 * service's published port. A second run changes nothing; `--check` after a
 * change by hand reports it and changes nothing; the login password appears
 * in no output. (ansible-playbook with the real collection builds the same
 * swarm: test/e2e/community-docker-ansible.test.ts.)
 */
import { strict as assert } from 'node:assert';
import { bringUpLab, httpGet, type TestLab } from '../support/lab.js';
import { recapOf, runCli } from '../support/cli.js';
import { COMMUNITY_PLAYBOOK, LOGIN_PASSWORD, readSwarm } from '../support/community-docker-swarm.js';

describe('community.docker module names build a swarm on the lab', function () {
  this.timeout(300_000);
  let lab: TestLab;
  const run = (...extra: string[]) => runCli(['run', COMMUNITY_PLAYBOOK, '-i', lab.inventory, '--json', ...extra], { timeoutMs: 240_000 });
  const changedCounts = (stdout: string) => Object.fromEntries(Object.entries(recapOf(stdout)).map(([host, counts]) => [host, counts.changed]));

  before(async () => {
    lab = await bringUpLab({ name: 'dna', subnet: '10.203.32.0/24', hosts: 3 });
  });
  after(async () => {
    await lab?.down();
  });

  it('forms the swarm, its labels, network, registry, image and service', async () => {
    const first = await run();
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.deepEqual(changedCounts(first.stdout), { docker01: 8, docker02: 1, docker03: 1 });
    for (const output of [first.stdout, first.stderr]) {
      assert.ok(!output.includes(LOGIN_PASSWORD), 'the login password appears in the output');
      assert.ok(!/SWMTKN-1-[0-9a-z]{20,}/.test(output), 'a join token appears in the output');
    }

    const swarm = await readSwarm(lab);
    assert.deepEqual(swarm.members, { docker01: 'active manager=true', docker02: 'active manager=false', docker03: 'active manager=false' });
    const lines = swarm.manager.split('\n').filter(Boolean);
    assert.deepEqual(lines.slice(0, 3), ['docker01 Ready Active Leader', 'docker02 Ready Active ', 'docker03 Ready Active ']);
    assert.deepEqual(lines.slice(3, 6), ['docker01 {"registry":"yes"}', 'docker02 {}', 'docker03 {"mem":"max"}']);
    assert.equal(lines[6], 'overlay swarm attachable=true 10.232.40.0/24 10.232.40.1');
    assert.equal(lines[7], 'registry:latest running always {"5000/tcp":[{"HostIp":"0.0.0.0","HostPort":"5000"}]} ["/var/lib/cd-registry:/var/lib/registry:rw"]');
    assert.equal(lines[8], '127.0.0.1:5000/cd-web:latest 1 ["GREETING=hello"] ["node.labels.registry == yes"] [{"Protocol":"tcp","TargetPort":80,"PublishedPort":8089,"PublishMode":"host"}] 1 stop-first');
    assert.equal(lines[9], 'docker01 Running');
    assert.equal(lines[10], '{"repositories":["cd-web"]}');
    assert.equal(lines[11], 'login 127.0.0.1:5000');
    assert.match(await httpGet(lab.hosts.docker01!, 8089), /swarmplay lab image: busybox httpd standing in for httpd:latest/);
  });

  it('changes nothing on a second run', async () => {
    const before = await readSwarm(lab);
    const second = await run();
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.deepEqual(changedCounts(second.stdout), { docker01: 0, docker02: 0, docker03: 0 });
    assert.deepEqual(await readSwarm(lab), before);
  });

  it('--check reports a change made by hand and changes nothing; the run then repairs it', async () => {
    await lab.ssh('docker01', 'docker node update --label-rm mem docker03 >/dev/null && docker stop cd_registry >/dev/null');
    const changedByHand = await readSwarm(lab);
    const check = await run('--check');
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.deepEqual(changedCounts(check.stdout), { docker01: 2, docker02: 0, docker03: 0 });
    assert.deepEqual(await readSwarm(lab), changedByHand, '--check changed the hosts');

    const repair = await run();
    assert.deepEqual(changedCounts(repair.stdout), { docker01: 2, docker02: 0, docker03: 0 });
    const repaired = (await readSwarm(lab)).manager;
    assert.match(repaired, /docker03 \{"mem":"max"\}/);
    assert.match(repaired, /registry:latest running always/);
  });
});
