/**
 * The walkthrough's services (sections 6, 7, 10, 11) with playbooks/deploy.yaml on a
 * lab swarm that playbooks/bootstrap.yaml built. Every check is made on the
 * hosts with docker over ssh (OpenSSH's client) and with HTTP from the
 * controller, not through swarmplay's report.
 *
 * stop_grace_period=2s in every run: the lab's web images (busybox httpd as
 * PID 1) ignore SIGTERM, so each stop-first batch would otherwise wait
 * docker's default 10 s to kill them.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { bringUpLab, httpGet, type TestLab } from '../support/lab.js';
import { runCli, recapOf, jsonEvents } from '../support/cli.js';

const HOSTS = ['docker01', 'docker02', 'docker03'];

describe('playbooks/deploy.yaml on the lab', function () {
  this.timeout(900_000);
  let lab: TestLab;
  let registry: string;
  const timings: Record<string, number> = {};

  const run = async (name: string, extra: string[] = []) => {
    const started = Date.now();
    const result = await runCli(['run', `playbooks/${name}.yaml`, '-i', lab.inventory, '--json',
      '-e', `controller_ssh_key=${path.join(lab.dir, 'controller_ed25519')}`, '-e', 'stop_grace_period=2s', ...extra], { timeoutMs: 600_000 });
    return { ...result, ms: Date.now() - started };
  };
  const deploy = async (label: string, extra: string[] = []) => {
    const result = await run('deploy', extra);
    timings[label] = result.ms;
    return result;
  };
  const changed = (stdout: string) => jsonEvents(stdout).filter((e) => e.event === 'host_result' && e.status === 'changed').map((e) => `${e.task}: ${e.msg ?? ''}`);

  /** Running tasks of a service: "node image" lines. */
  async function running(service: string): Promise<string[]> {
    const out = await lab.ssh('docker01', `docker service ps ${service} --filter desired-state=running --format '{{.Node}} {{.Image}} {{.CurrentState}}'`);
    return out.trim().split('\n').filter((line) => /\bRunning\b/.test(line)).map((line) => line.split(' ').slice(0, 2).join(' ')).sort();
  }

  async function pages(): Promise<string[]> {
    return Promise.all(HOSTS.map(async (host) => (/<h1>([^<]*)<\/h1>/.exec(await httpGet(lab.hosts[host]!, 80)) ?? [])[1] ?? '(no page)'));
  }

  before(async () => {
    lab = await bringUpLab({ name: 'e2edeploy', subnet: '10.203.6.0/24' });
    registry = `${lab.hosts.docker01}:5000`;
    const bootstrap = await run('bootstrap');
    timings.bootstrap = bootstrap.ms;
    assert.equal(bootstrap.code, 0, bootstrap.stdout.slice(-3000) + bootstrap.stderr);
  });

  after(async () => {
    await lab?.down();
    console.log(`      deploy timings (ms): ${JSON.stringify(timings)}`);
  });

  it('runs the walkthrough services: web 6/6 over all nodes, newnginx 1.0 on port 80 of every node, placement by hostname and label', async () => {
    const lacking = (await lab.ssh('docker03', `docker image ls -q ${registry}/nginx:latest`)).trim();
    assert.equal(lacking, '', 'docker03 has no copy of the nginx image before the deploy');
    const result = await deploy('first');
    assert.equal(result.code, 0, result.stdout.slice(-4000) + result.stderr);

    const web = await running('web');
    assert.equal(web.length, 6, web.join('\n'));
    assert.deepEqual([...new Set(web.map((line) => line.split(' ')[0]))].sort(), HOSTS, 'web spread over every node');
    assert.deepEqual(await pages(), ['testnginx 1.0', 'testnginx 1.0', 'testnginx 1.0']);

    const test = await running('test');
    assert.equal(test.length, 3);
    assert.ok(test.every((line) => line.startsWith('docker03 ')), `test only on docker03:\n${test.join('\n')}`);
    const labelled = new Set<string>();
    for (const host of HOSTS) {
      const labels = JSON.parse(await lab.ssh('docker01', `docker node inspect ${host} --format '{{json .Spec.Labels}}'`));
      if (labels.mem === 'max') labelled.add(host);
    }
    const test01 = await running('test01');
    assert.equal(test01.length, 3);
    assert.ok(test01.every((line) => labelled.has(line.split(' ')[0]!)), `test01 only on ${[...labelled].join(', ')}:\n${test01.join('\n')}`);
    // Swarm pulls by digest: the image shows up under its repository, without a tag.
    const repositories = (await lab.ssh('docker03', "docker image ls --format '{{.Repository}}'")).trim().split('\n');
    assert.ok(repositories.includes(`${registry}/nginx`), `docker03 pulled nginx from the registry: ${repositories.join(', ')}`);
  });

  it('changes nothing and restarts no task on a second run', async () => {
    const before = (await lab.ssh('docker01', 'docker service ps -q --filter desired-state=running web newnginx test test01')).trim().split('\n').sort();
    const result = await deploy('second');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(changed(result.stdout), []);
    assert.equal(recapOf(result.stdout).docker01!.changed, 0);
    const after = (await lab.ssh('docker01', 'docker service ps -q --filter desired-state=running web newnginx test test01')).trim().split('\n').sort();
    assert.deepEqual(after, before, 'the same tasks run');
  });

  it('scales web to 9 and back to 3 (section 7.1)', async () => {
    assert.equal((await deploy('scale9', ['-e', 'web_replicas=9'])).code, 0);
    assert.equal((await running('web')).length, 9);
    assert.equal((await deploy('scale3', ['-e', 'web_replicas=3'])).code, 0);
    assert.equal((await running('web')).length, 3);
  });

  it('rolls newnginx to 2.0 on every published address, and back to 1.0 with rollback=true', async () => {
    const upgrade = await deploy('upgrade', ['-e', 'web_replicas=3', '-e', 'image_tag=2.0', '-e', 'update_parallelism=2', '-e', 'update_delay=1s']);
    assert.equal(upgrade.code, 0, upgrade.stdout.slice(-3000));
    assert.deepEqual(await pages(), ['testnginx 2.0', 'testnginx 2.0', 'testnginx 2.0']);
    assert.ok((await running('newnginx')).every((line) => line.endsWith('/testnginx:2.0')));
    const rollback = await deploy('rollback', ['-e', 'web_replicas=3', '-e', 'rollback=true']);
    assert.equal(rollback.code, 0, rollback.stdout.slice(-3000));
    assert.deepEqual(await pages(), ['testnginx 1.0', 'testnginx 1.0', 'testnginx 1.0']);
  });

  it('reports the tasks\' errors for an image that does not exist, fails the host, and leaves the old tasks running', async () => {
    const before = await running('newnginx');
    const result = await deploy('failedUpdate', ['-e', 'web_replicas=3', '-e', `nginx_image=${registry}/testnginx:9.9`]);
    assert.equal(result.code, 2, 'exit code of a failed host');
    const failure = jsonEvents(result.stdout).find((e) => e.event === 'host_result' && e.status === 'failed');
    assert.match(failure?.msg ?? '', /No such image: .*testnginx:9\.9/);
    const after = await running('newnginx');
    assert.equal(after.length, 3);
    assert.ok(after.every((line) => line.endsWith('/testnginx:1.0')), after.join('\n'));
    assert.deepEqual(before.map((line) => line.split(' ')[1]), after.map((line) => line.split(' ')[1]));
    assert.deepEqual(await pages(), ['testnginx 1.0', 'testnginx 1.0', 'testnginx 1.0']);
  });

  it('my_net1 lets a container on docker01 reach one on docker02 by name (section 10.1)', async () => {
    await lab.ssh('docker01', `docker run -d --network my_net1 --name e2e-net-1 ${registry}/httpd:latest >/dev/null`);
    await lab.ssh('docker02', `docker run -d --network my_net1 --name e2e-net-2 ${registry}/httpd:latest >/dev/null`);
    // As the walkthrough does: ping the other container by name (the lab image's static busybox wget cannot resolve names).
    const ping = await lab.ssh('docker02', 'for i in 1 2 3 4 5; do docker exec e2e-net-2 ping -c 2 -W 2 e2e-net-1 && exit 0; sleep 1; done; exit 1');
    assert.match(ping, /2 packets received/);
    const address = (await lab.ssh('docker01', "docker inspect e2e-net-1 --format '{{(index .NetworkSettings.Networks \"my_net1\").IPAddress}}'")).trim();
    assert.match(ping, new RegExp(`PING e2e-net-1 \\(${address.replace(/\./g, '\\.')}\\)`), 'the name resolves to the container on docker01');
    const subnet = await lab.ssh('docker01', "docker network inspect my_net1 --format '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Attachable}}'");
    assert.equal(subnet.trim(), '192.168.22.0/24 192.168.22.1 true');
  });

  it('swarmplay status shows the nodes, their tasks and the services', async () => {
    const result = await runCli(['status', '-i', lab.inventory, '--json'], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    const view = JSON.parse(result.stdout);
    assert.deepEqual(view.nodes.map((n: { hostname: string }) => n.hostname), HOSTS);
    const services = Object.fromEntries(view.services.map((s: { name: string; replicas: unknown }) => [s.name, s.replicas]));
    assert.deepEqual(services.web, { running: 3, desired: 3 });
    assert.deepEqual(services.newnginx, { running: 3, desired: 3 });
    // Each node's certificate expiry, as openssl reads the host's own certificate file (read over ssh).
    const text = await runCli(['status', '-i', lab.inventory], { timeoutMs: 60_000 });
    assert.match(text.stdout, /CERT EXPIRES/);
    for (const host of HOSTS) {
      const pem = await lab.ssh(host, 'cat /var/lib/docker/swarm/certificates/swarm-node.crt');
      const enddate = new Date(execFileSync('openssl', ['x509', '-noout', '-enddate'], { input: pem, encoding: 'utf8' }).replace(/^notAfter=/, '').trim());
      const node = view.nodes.find((n: { hostname: string }) => n.hostname === host);
      assert.equal(new Date(node.certificate.expires).getTime(), enddate.getTime(), host);
      assert.match(text.stdout, new RegExp(`^${host} .* ${enddate.toISOString().slice(0, 10)} \\(\\d+ days left\\)`, 'm'));
    }
  });
});
