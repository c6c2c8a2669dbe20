/**
 * docker_stack on a lab swarm (stacks, 10.203.36.0/24), bootstrapped once.
 * The stack "shop": web (3 replicas, on its own network, rolled back by
 * swarm when an update fails), agent (global) and migrate (one-shot,
 * restart condition none); its image tag comes from a .env beside the
 * compose file, the registry from a playbook variable. In turn:
 *
 * 1. deploy: every service converged when the run ends (docker stack
 *    services, docker service ps), migrate completed, per-service progress
 *    reported while waiting;
 * 2. the same deploy again: ok, and no task restarted (same task IDs);
 * 3. a new image tag for web: rolled out, web runs it 3/3; agent and
 *    migrate keep their tasks;
 * 4. a tag that does not exist: swarm rolls the update back; the run fails
 *    naming the service and swarm's message; web runs the previous tag;
 * 5. remove, then deploy again at once: no "network ... not found".
 *
 * Before all that, compose files that are not YAML or not there stop the
 * run with exit 5 before any host is touched.
 *
 * Every check is made with docker over OpenSSH, outside swarmplay.
 */
import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { labSuite } from '../support/lab.js';
import { runCli, recapOf, jsonEvents } from '../support/cli.js';
import { EXIT } from '../../src/errors.js';

const COMPOSE = `version: "3.8"
services:
  web:
    image: \${REGISTRY}/httpd:\${WEB_TAG}
    deploy:
      replicas: 3
      update_config: { parallelism: 3, monitor: 1s, failure_action: rollback }
      rollback_config: { parallelism: 3, monitor: 1s }
    stop_grace_period: 1s
    networks: [front]
  agent:
    image: \${REGISTRY}/httpd:latest
    deploy: { mode: global }
    stop_grace_period: 1s
  migrate:
    image: \${REGISTRY}/httpd:latest
    command: ["/bin/sh", "-c", "echo migrated on $$HOSTNAME"]
    deploy:
      restart_policy: { condition: none }
networks:
  front: {}
`;

const PLAYBOOK = `- hosts: docker01
  gather_facts: false
  tasks:
    - name: the shop stack
      community.docker.docker_stack:
        name: shop
        state: "{{ stack_state | default('present') }}"
        compose: [shop.yaml]
        prune: true
        env: { REGISTRY: "{{ ansible_host }}:5000" }
`;

describe('docker_stack on the lab: deploy, unchanged redeploy, new tag, rollback by swarm, remove and redeploy', function () {
  this.timeout(600_000);
  const lab = labSuite({
    lab: { name: 'stacks', subnet: '10.203.36.0/24' },
    bootstrap: true,
    controllerKey: true,
    timingsName: 'stacks',
    // The lab's hosts share the machine's /var/lib (only /var/lib/docker is their own): leave nothing behind.
    beforeDown: (up) => up.ssh('docker01', 'rm -rf /var/lib/swarmplay/stacks/shop; rmdir /var/lib/swarmplay/stacks 2>/dev/null; true').catch(() => undefined),
  });
  const { run, output, manager, timings } = lab;
  let dir: string;
  let registry: string;

  const deploy = async (label: string, tag: string, extra: string[] = []) => {
    await writeFile(path.join(dir, 'files', '.env'), `# the web tier's release\nWEB_TAG=${tag}\n`);
    return run(label, path.join(dir, 'stack.yaml'), extra);
  };
  /** Service -> "running/desired" as docker stack services prints it. */
  const stackServices = async () => Object.fromEntries((await manager("docker stack services shop --format '{{.Name}} {{.Replicas}} {{.Image}}'"))
    .trim().split('\n').filter(Boolean).map((line) => { const [name, replicas, image] = line.split(' '); return [name!, `${replicas} ${image}`]; }));
  /** IDs of the tasks swarm wants running (or, for the one-shot service, all of its tasks). */
  const taskIds = async (service: string, all = false) => (await manager(
    `docker service ps ${service} -q --no-trunc${all ? '' : ' --filter desired-state=running'}`,
  )).trim().split('\n').filter(Boolean).sort();
  const runningImages = async (service: string) => (await manager(
    `docker service ps ${service} --filter desired-state=running --format '{{.Image}} {{.CurrentState}}'`,
  )).trim().split('\n').filter((line) => / Running /.test(line)).map((line) => line.split(' ')[0]!);

  before(async () => {
    registry = `${lab.hosts.docker01}:5000`;
    const started = Date.now();
    // A second tag of the lab's web image, as a new release would be pushed.
    await manager(`docker tag ${registry}/httpd:latest ${registry}/httpd:v2 && docker push -q ${registry}/httpd:v2`);
    timings.pushTag = Date.now() - started;
    dir = path.join(lab.dir, 'stack');
    await mkdir(path.join(dir, 'files'), { recursive: true });
    await writeFile(path.join(dir, 'files', 'shop.yaml'), COMPOSE);
    await writeFile(path.join(dir, 'stack.yaml'), PLAYBOOK);
  });

  it('a compose file that is not YAML or not there: exit 5 naming the task, before any host is touched', async () => {
    await writeFile(path.join(dir, 'files', 'broken.yaml'), 'services:\n  web: [unclosed\n');
    for (const [compose, said] of [['broken.yaml', /stack\.yaml:\d+:\d+: docker_stack: compose file .*broken\.yaml is not valid YAML/], ['gone.yaml', /could not find compose file gone\.yaml/]] as const) {
      const playbook = path.join(dir, `bad-${compose}`);
      await writeFile(playbook, PLAYBOOK.replace('[shop.yaml]', `[${compose}]`));
      const result = await runCli(['run', playbook, '-i', lab.inventory], { timeoutMs: 60_000 });
      assert.equal(result.code, EXIT.BAD_INPUT, output(result));
      assert.match(result.stderr.replace(`bad-${compose}`, 'stack.yaml'), said, output(result));
    }
    assert.equal((await manager('ls -d /var/lib/swarmplay/stacks/shop 2>/dev/null | wc -l')).trim(), '0', 'nothing written on the host');
  });

  it('deploys: every service converged when the run ends, the one-shot service completed, progress reported', async () => {
    const result = await deploy('deploy', 'latest');
    assert.equal(result.code, 0, output(result));
    assert.equal(recapOf(result.stdout).docker01?.changed, 1, output(result));
    assert.deepEqual(await stackServices(), {
      shop_web: `3/3 ${registry}/httpd:latest`,
      shop_agent: `3/3 ${registry}/httpd:latest`,
      shop_migrate: `0/1 ${registry}/httpd:latest`,
    });
    assert.deepEqual((await manager("docker service ps shop_migrate --format '{{.CurrentState}}'")).trim().split(' ')[0], 'Complete');
    assert.match(await manager('docker service logs --raw shop_migrate 2>&1'), /^migrated on [0-9a-f]{12}$/m, 'the $$ of the compose file reached the container as $');
    assert.equal((await runningImages('shop_agent')).length, 3, 'the global service runs one task on each node');
    const progress = jsonEvents(result.stdout).filter((event) => event.event === 'task_progress').map((event) => event.msg as string);
    assert.ok(progress.some((msg) => /^shop: .*web/.test(msg)), `per-service progress: ${progress.join(' | ')}`);
    // The compose file on the host: written whole, interpolated, readable by root only.
    assert.equal((await manager("stat -c '%a' /var/lib/swarmplay/stacks/shop/compose-1.yaml")).trim(), '600');
    assert.match(await manager('cat /var/lib/swarmplay/stacks/shop/compose-1.yaml'), new RegExp(`image: ${registry}/httpd:latest`));
    assert.equal((await manager('ls -A /var/lib/swarmplay/stacks/shop')).trim().split('\n').filter((f) => f.includes('.swarmplay.')).length, 0, 'no temporary file left');
  });

  it('the same deploy again: ok, and no task restarted', async () => {
    const before = { web: await taskIds('shop_web'), agent: await taskIds('shop_agent'), migrate: await taskIds('shop_migrate', true) };
    const version = (await manager("docker service inspect shop_web --format '{{.Version.Index}}'")).trim();
    const result = await deploy('redeploy', 'latest');
    assert.equal(result.code, 0, output(result));
    assert.equal(recapOf(result.stdout).docker01?.changed, 0, output(result));
    assert.deepEqual({ web: await taskIds('shop_web'), agent: await taskIds('shop_agent'), migrate: await taskIds('shop_migrate', true) }, before);
    assert.equal((await manager("docker service inspect shop_web --format '{{.Version.Index}}'")).trim(), version, 'the service was not even rewritten');

    const check = await deploy('checkNewTag', 'v2', ['--check']);
    assert.equal(check.code, 0, output(check));
    assert.match(check.stdout, /web: image [^ ]+\/httpd:latest -> [^ ]+\/httpd:v2/, output(check));
    assert.deepEqual(await taskIds('shop_web'), before.web, '--check changed nothing');
  });

  it('a new image tag: web rolled out and converged on it; the other services keep their tasks', async () => {
    const before = { web: await taskIds('shop_web'), agent: await taskIds('shop_agent'), migrate: await taskIds('shop_migrate', true) };
    const result = await deploy('newTag', 'v2');
    assert.equal(result.code, 0, output(result));
    assert.equal(recapOf(result.stdout).docker01?.changed, 1, output(result));
    assert.deepEqual(await runningImages('shop_web'), [`${registry}/httpd:v2`, `${registry}/httpd:v2`, `${registry}/httpd:v2`]);
    const after = await taskIds('shop_web');
    assert.equal(after.filter((id) => before.web.includes(id)).length, 0, 'every web task replaced');
    assert.deepEqual(await taskIds('shop_agent'), before.agent);
    assert.deepEqual(await taskIds('shop_migrate', true), before.migrate);
  });

  it('a tag that does not exist: swarm rolls web back, the run fails naming the service and swarm\'s message', async () => {
    const result = await deploy('brokenUpdate', 'no-such-tag');
    assert.equal(result.code === 0, false, output(result));
    const failure = jsonEvents(result.stdout).find((event) => event.event === 'host_result' && event.status === 'failed') ?? {};
    const message = String(failure.msg ?? result.stdout);
    assert.match(message, /service web/, output(result));
    assert.match(message, /rolled it back.*update rolled back due to failure/s, output(result));
    assert.match(message, /No such image: [^ ]+\/httpd:no-such-tag/, output(result));
    assert.equal((await manager("docker service inspect shop_web --format '{{.UpdateStatus.State}}'")).trim(), 'rollback_completed');
    assert.deepEqual(await runningImages('shop_web'), [`${registry}/httpd:v2`, `${registry}/httpd:v2`, `${registry}/httpd:v2`]);
  });

  it('remove, then deploy again at once: everything gone before the removal returns, the redeploy works', async () => {
    const removed = await run('remove', path.join(dir, 'stack.yaml'), ['-e', 'stack_state=absent']);
    assert.equal(removed.code, 0, output(removed));
    assert.equal((await manager("docker service ls -q --filter label=com.docker.stack.namespace=shop")).trim(), '');
    assert.equal((await manager("docker network ls -q --filter label=com.docker.stack.namespace=shop")).trim(), '', 'the stack network is gone too');
    const again = await run('removeAgain', path.join(dir, 'stack.yaml'), ['-e', 'stack_state=absent']);
    assert.equal(recapOf(again.stdout).docker01?.changed, 0, output(again));

    const redeploy = await deploy('redeployAfterRemove', 'v2');
    assert.equal(redeploy.code, 0, output(redeploy));
    const progress = jsonEvents(redeploy.stdout).filter((event) => event.event === 'task_progress').map((event) => event.msg as string);
    console.log(`      redeploy progress: ${progress.join(' | ')}`);
    assert.doesNotMatch(redeploy.stdout, /not found/);
    assert.equal((await stackServices()).shop_web, `3/3 ${registry}/httpd:v2`);
  });
});
