/**
 * Day two's secrets on one lab swarm (ssa, 10.203.35.0/24), bootstrapped once:
 *
 * 1. docker_secret (a value from a vault-encrypted vars file, a key from a
 *    vault-encrypted file), docker_config and docker_service with both; then
 *    the values change: new versions are made, the service switches to them
 *    in a rolling update while a poller over the lab network asks it for a
 *    page every 100 ms and records every round no node answered, and the old
 *    versions are removed. Checked with docker over OpenSSH: the secrets
 *    listed, the service's spec, the file each running task sees, the page
 *    every node serves. A third run changes nothing. No value appears in
 *    any output (text -vvv, --json -vvv --diff, a refused change).
 *
 * 2. autolock: swarm_init autolock: true keeps the unlock key in a
 *    vault-encrypted file (0600) that holds what `docker swarm unlock-key`
 *    says; docker01's dockerd restarted, `docker info` says locked;
 *    bootstrap.yaml unlocks it from the file. The key is in no output.
 *
 * 3. swarm_init ca_rotate: true: a new root CA, and every node's certificate
 *    from it when the task returns (`docker node inspect` TLSInfo).
 *
 * The lab kernel has no IP_VS, so the port is published in host mode and
 * answers only on nodes running a task: the poller asks each node in turn,
 * as a load balancer in front of the nodes would, and a round fails only
 * when no node answers.
 */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { runCli, recapOf, type CliResult } from '../support/cli.js';
import { EXIT } from '../../src/errors.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const VALUES = {
  password1: 'pw-one-Zq81vX3mKd',
  password2: 'pw-two-Lr62bN7wTe',
  key1: 'tls-key-one-Hc47pQ0sYa',
  key2: 'tls-key-two-Vm39dF5gJu',
};
const PORT = 8080;

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(300);
  }
}

function get(address: string, page: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: address, port: PORT, path: page, timeout: 1000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

/** Asks the nodes for the page, in turn, every 100 ms; a round in which no node answers 200 is a failure. */
function startPoller(addresses: string[]) {
  let running = true;
  const failures: string[] = [];
  let rounds = 0;
  const bodies = new Set<string>();
  const done = (async () => {
    while (running) {
      rounds++;
      const errors: string[] = [];
      let answered = false;
      for (const address of addresses) {
        try {
          const { status, body } = await get(address, '/version.html');
          if (status === 200) {
            answered = true;
            bodies.add(body.trim());
            break;
          }
          errors.push(`${address}: HTTP ${status}`);
        } catch (error) {
          errors.push(`${address}: ${(error as Error).message}`);
        }
      }
      if (!answered) failures.push(`${new Date().toISOString()} ${errors.join('; ')}`);
      await sleep(100);
    }
  })();
  return { failures, bodies, rounds: () => rounds, stop: async () => { running = false; await done; } };
}

describe('day two on the lab: secrets and configs rotated under a running service', function () {
  this.timeout(600_000);
  let lab: TestLab;
  const timings: Record<string, number> = {};
  const outputs: CliResult[] = [];

  const run = async (label: string, playbook: string, extra: string[] = []) => {
    const started = Date.now();
    const result = await runCli(['run', playbook, '-i', lab.inventory, '--vault-password-file', path.join(lab.dir, 'vault-pass'), ...extra], { timeoutMs: 300_000 });
    timings[label] = Date.now() - started;
    outputs.push(result);
    return result;
  };
  const output = (result: CliResult) => `\n--- stdout ---\n${result.stdout.slice(-6000)}\n--- stderr ---\n${result.stderr.slice(-2000)}`;
  const manager = (command: string) => lab.ssh('docker01', command);
  const file = (name: string) => path.join(lab.dir, name);

  /** Writes the values of one generation, vault-encrypted: the vars file and the key file. */
  async function writeValues(password: string, key: string): Promise<void> {
    await writeFile(file('secret-vars.yaml'), `app_password: ${password}\n`);
    await writeFile(file('tls.key'), `${key}\n`);
    for (const name of ['secret-vars.yaml', 'tls.key']) {
      const encrypted = await runCli(['vault', 'encrypt', '--vault-password-file', file('vault-pass'), file(name)]);
      assert.equal(encrypted.code, 0, output(encrypted));
    }
  }

  before(async () => {
    const started = Date.now();
    lab = await bringUpLab({ name: 'ssa', subnet: '10.203.35.0/24' });
    timings.labUp = Date.now() - started;
    await writeFile(file('vault-pass'), 'ssa-vault-password-7Tg2\n');
    const bootstrap = await run('bootstrap', 'playbooks/bootstrap.yaml', ['-e', `controller_ssh_key=${file('controller_ed25519')}`]);
    assert.equal(bootstrap.code, 0, output(bootstrap));
    outputs.length = 0;
    await writeFile(file('secrets.yaml'), `- hosts: managers[0]
  gather_facts: false
  vars_files: [secret-vars.yaml]
  tasks:
    - community.docker.docker_secret: { name: app_password, data: "{{ app_password }}" }
    - docker_secret: { name: tls_key, src: tls.key }
    - docker_config: { name: app_page, data: "<p>version {{ page_version }}</p>" }
    - docker_service:
        name: web
        image: "{{ ansible_host }}:5000/httpd:latest"
        replicas: 3
        placement_preferences: [spread=node.hostname]
        publish: [{ published: ${PORT}, target: 80, mode: host }]
        stop_grace_period: 1s
        update_config: { parallelism: 1, order: stop-first, delay: 1s, monitor: 1s }
        secrets:
          - { source: app_password, target: password, mode: "0400" }
          - tls_key
        configs: [{ source: app_page, target: /www/version.html }]
`);
  });

  after(async () => {
    const started = Date.now();
    await lab?.down();
    timings.labDown = Date.now() - started;
    console.log(`      day-two-secrets timings (ms): ${JSON.stringify(timings)}`);
  });

  /** Names of the swarm's secrets or configs, sorted. */
  const objects = async (kind: 'secret' | 'config') => (await manager(`docker ${kind} ls --format '{{.Name}}'`)).trim().split('\n').filter(Boolean).sort();
  /** What each running task of web sees in its secret files, over ssh on its node. */
  async function taskFiles(): Promise<string[]> {
    const seen: string[] = [];
    for (const host of Object.keys(lab.hosts)) {
      const out = await lab.ssh(host, 'for c in $(docker ps -q --filter name=web.); do echo "$(docker exec $c cat /run/secrets/password) $(docker exec $c cat /run/secrets/tls_key)"; done');
      seen.push(...out.trim().split('\n').filter(Boolean).map((line) => line.trim()));
    }
    return seen;
  }

  it('rotates a secret, a vault-file secret and a config under a service that answers HTTP throughout; old versions removed; no value in any output', async () => {
    await writeValues(VALUES.password1, VALUES.key1);
    const first = await run('create', file('secrets.yaml'), ['-e', 'page_version=1', '-vvv']);
    assert.equal(first.code, 0, output(first));
    assert.deepEqual(await taskFiles(), Array(3).fill(`${VALUES.password1} ${VALUES.key1}`));
    const [oldPassword, oldKey] = (await objects('secret'));
    assert.match(oldPassword!, /^app_password_v[0-9a-f]{12}$/);
    assert.match(oldKey!, /^tls_key_v[0-9a-f]{12}$/);

    await writeValues(VALUES.password2, VALUES.key2);
    const poller = startPoller(Object.values(lab.hosts));
    let rotate: CliResult;
    try {
      await sleep(500);
      rotate = await run('rotate', file('secrets.yaml'), ['-e', 'page_version=2', '-vvv', '--diff', '--json']);
      await sleep(500);
    } finally {
      await poller.stop();
    }
    assert.equal(rotate.code, 0, output(rotate));
    assert.deepEqual(poller.failures, [], `rounds in which no node answered (of ${poller.rounds()})`);
    assert.ok(poller.rounds() > 20, `the poller ran ${poller.rounds()} rounds`);
    assert.deepEqual([...poller.bodies].sort(), ['<p>version 1</p>', '<p>version 2</p>'], 'both pages were served during the rotation');

    const secrets = await objects('secret');
    assert.equal(secrets.length, 2, secrets.join(' '));
    assert.ok(!secrets.includes(oldPassword!) && !secrets.includes(oldKey!), `old versions removed: ${secrets.join(' ')}`);
    assert.equal((await objects('config')).length, 1);
    const spec = JSON.parse(await manager("docker service inspect web --format '{{json .Spec.TaskTemplate.ContainerSpec}}'"));
    assert.deepEqual(spec.Secrets.map((s: any) => [s.SecretName, s.File.Name, s.File.Mode]).sort(),
      secrets.map((name) => [name, name.startsWith('app_password') ? 'password' : 'tls_key', name.startsWith('app_password') ? 0o400 : 0o444]).sort());
    assert.deepEqual(await taskFiles(), Array(3).fill(`${VALUES.password2} ${VALUES.key2}`));
    for (const address of Object.values(lab.hosts)) assert.equal((await get(address, '/version.html')).body.trim(), '<p>version 2</p>');

    const again = await run('again', file('secrets.yaml'), ['-e', 'page_version=2', '--json']);
    assert.equal(again.code, 0, output(again));
    assert.equal(recapOf(again.stdout).docker01?.changed, 0, output(again));

    // A change docker cannot make (a plain name a service uses) fails, naming objects only.
    await writeFile(file('refused.yaml'), `- hosts: managers[0]
  gather_facts: false
  vars_files: [secret-vars.yaml]
  tasks:
    - docker_secret: { name: ${secrets.find((s) => s.startsWith('app_password'))}, data: "{{ app_password }}-changed", rolling_versions: false }
`);
    const refused = await run('refused', file('refused.yaml'), ['-vvv']);
    assert.equal(refused.code, EXIT.HOST_FAILED, output(refused));
    assert.match(refused.stdout, /docker cannot change it while service web uses it/);

    for (const result of outputs) {
      for (const value of Object.values(VALUES)) {
        assert.ok(!result.stdout.includes(value) && !result.stderr.includes(value), `a value in a run's output:${output(result)}`);
        const encoded = Buffer.from(value).toString('base64').slice(0, 16);
        assert.ok(!result.stdout.includes(encoded), `a value's base64 in a run's output:${output(result)}`);
      }
    }
  });

  it('autolock: the unlock key kept vault-encrypted; a manager locked by a daemon restart is unlocked by bootstrap; the key in no output', async () => {
    outputs.length = 0;
    const keyFile = file('unlock-key.vault');
    await writeFile(file('autolock.yaml'), `- hosts: managers[0]
  gather_facts: false
  tasks:
    - swarm_init: { autolock: true, unlock_key_file: unlock-key.vault }
      register: locked
    - debug: { var: locked }
`);
    const lock = await run('autolock', file('autolock.yaml'), ['-vvv', '--diff', '--json']);
    assert.equal(lock.code, 0, output(lock));
    const key = (await manager('docker swarm unlock-key -q')).trim();
    assert.match(key, /^SWMKEY-1-/);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.match(await readFile(keyFile, 'utf8'), /^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    const view = await runCli(['vault', 'view', '--vault-password-file', file('vault-pass'), keyFile]);
    assert.equal(view.stdout.trim(), key, 'the file holds the swarm\'s unlock key');
    const again = await run('autolockAgain', file('autolock.yaml'), ['--json']);
    assert.equal(recapOf(again.stdout).docker01?.changed, 0, output(again));

    await lab.ssh('docker01', 'systemctl restart docker');
    const state = async () => (await manager("docker info --format '{{.Swarm.LocalNodeState}}'")).trim();
    await until('docker01 locked', 30_000, async () => ((await state()) === 'locked' ? true : undefined));
    const bootstrap = await run('unlock', 'playbooks/bootstrap.yaml', ['-e', `controller_ssh_key=${file('controller_ed25519')}`,
      '-e', `swarm_unlock_key_file=${keyFile}`, '-e', 'swarm_autolock=true', '-vvv']);
    assert.equal(bootstrap.code, 0, output(bootstrap));
    assert.match(bootstrap.stdout, /step \[docker01\]: run: docker swarm unlock\n/);
    assert.equal(await state(), 'active');
    await until('every node Ready', 60_000, async () =>
      (await manager("docker node ls --format '{{.Status}}'")).trim().split('\n').every((status) => status === 'Ready') ? true : undefined);

    for (const result of outputs) {
      assert.ok(!result.stdout.includes(key) && !result.stderr.includes(key), `the unlock key in a run's output:${output(result)}`);
      assert.ok(!result.stdout.includes(key.slice(-20)), `part of the unlock key in a run's output:${output(result)}`);
    }
  });

  it('ca_rotate: a new root CA, every node holding a certificate from it when the task returns', async () => {
    const issuers = async () => (await manager("{ docker info --format '{{json .Swarm.Cluster.TLSInfo.CertIssuerPublicKey}}'; " +
      "docker node inspect --format '{{json .Description.TLSInfo.CertIssuerPublicKey}}' $(docker node ls -q); }")).trim().split('\n');
    const before = await issuers();
    await writeFile(file('ca.yaml'), '- hosts: managers[0]\n  gather_facts: false\n  tasks:\n    - swarm_init: { ca_rotate: true }\n');
    const rotate = await run('caRotate', file('ca.yaml'), ['--json']);
    assert.equal(rotate.code, 0, output(rotate));
    const after = await issuers();
    assert.equal(after.length, 4);
    assert.equal(new Set(after).size, 1, `the cluster's issuer and every node's: ${after.join(' ')}`);
    assert.notEqual(after[0], before[0], 'a new root CA');
  });
});
