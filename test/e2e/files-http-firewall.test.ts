/**
 * The file, HTTP, archive and firewall modules on two real lab hosts
 * (test/fixtures/modfiles/files-http-firewall.yaml), with an HTTP server this
 * test starts on the lab bridge. Every check of the hosts is made from
 * outside swarmplay (OpenSSH's client: sha256sum, find, iptables -S), and the
 * same playbook runs under ansible-playbook on the same hosts: same recap,
 * same debug messages, same files and rules.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { REPO_ROOT, jsonEvents, recapOf, runCli } from '../support/cli.js';

const exec = promisify(execFile);
const PLAYBOOK = path.join(REPO_ROOT, 'test/fixtures/modfiles/files-http-firewall.yaml');
const PAYLOAD = 'hello payload\n';
const PAYLOAD_SHA256 = createHash('sha256').update(PAYLOAD).digest('hex');
/** The lab's bridge address: the controller as the hosts see it. */
const CONTROLLER = '10.203.25.1';

/** What a host holds after the playbook, read over ssh: files with mode and size, checksums, INPUT rules. */
const STATE = 'cd /root/mf 2>/dev/null && find . -type f -printf "%p %m %s\\n" | sort && sha256sum app.conf payload.txt unpacked/hostname; iptables -S INPUT';
const RESET = 'rm -rf /root/mf; iptables -F INPUT';

function debugMessages(stdout: string): string[] {
  let module = '';
  const lines: string[] = [];
  for (const e of jsonEvents(stdout)) {
    if (e.event === 'task_start') module = e.module;
    if (e.event === 'host_result' && module === 'debug' && e.result?.msg !== undefined) lines.push(`${e.host} | ${e.result.msg}`);
  }
  return lines.sort();
}

describe('stat, slurp, fetch, replace, get_url, uri, unarchive, find, iptables... on the lab, beside ansible-playbook', function () {
  this.timeout(600_000);
  let lab: TestLab;
  let server: http.Server;
  let baseUrl: string;
  let work: string;
  const figures: Record<string, number> = {};

  const vars = (fetchDir: string) => ['-e', `base_url=${baseUrl}`, '-e', `fetch_dir=${fetchDir}`, '-e', `payload_sha256=${PAYLOAD_SHA256}`];
  const swarmplay = async (args: string[], playbook = PLAYBOOK) => {
    const started = Date.now();
    const result = await runCli(['run', playbook, '-i', lab.inventory, '--json', ...args], { timeoutMs: 300_000 });
    return { ...result, ms: Date.now() - started };
  };
  const state = async () => Object.fromEntries(await Promise.all(Object.keys(lab.hosts).map(async (h) => [h, await lab.ssh(h, STATE)])));

  before(async () => {
    server = http.createServer((request, response) => {
      if (request.url === '/payload.txt') return void response.end(PAYLOAD);
      if (request.url === '/api/status') {
        response.setHeader('content-type', 'application/json');
        return void response.end('{"ready": true}');
      }
      if (request.url === '/api/echo') {
        let body = '';
        request.on('data', (chunk) => { body += chunk; });
        request.on('end', () => {
          response.statusCode = 201;
          response.setHeader('content-type', 'application/json');
          response.end(body);
        });
        return undefined;
      }
      // /silent: accepts the connection and never answers (a URL that times out).
      if (request.url === '/silent') return undefined;
      response.statusCode = 404;
      return void response.end('not here');
    });
    lab = await bringUpLab({ name: 'modfiles', subnet: '10.203.25.0/24', hosts: 2, docker: false });
    await new Promise<void>((resolve) => server.listen(0, CONTROLLER, resolve));
    baseUrl = `http://${CONTROLLER}:${(server.address() as AddressInfo).port}`;
    work = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-modfiles-'));
  });

  after(async () => {
    server?.closeAllConnections();
    server?.close();
    if (work) await rm(work, { recursive: true, force: true });
    await lab?.down();
    console.log(`      figures: ${JSON.stringify(figures)}`);
  });

  let firstRecap: Record<string, Record<string, number>>;
  let firstState: Record<string, string>;
  let firstMessages: string[];

  it('--check on fresh hosts reports the changes and makes none', async () => {
    const run = await swarmplay(['--check', ...vars(path.join(work, 'fetch-check'))]);
    // As under ansible-playbook --check: the config was never written, so its stat has no isdir to show.
    assert.equal(run.code, 2, run.stdout + run.stderr);
    const failures = jsonEvents(run.stdout).filter((e) => e.event === 'host_result' && e.status === 'failed');
    assert.deepEqual([...new Set(failures.map((e) => e.task))], ['what stat says']);
    assert.match(String(failures[0]!.msg), /'conf\.stat' \(a dict\) has no attribute "isdir"/);
    for (const host of Object.keys(lab.hosts)) {
      assert.equal(recapOf(run.stdout)[host]!.changed, 2, `${host}: --check reports the folder and the file it would make`);
      assert.equal((await lab.ssh(host, 'test -e /root/mf && echo there || echo absent')).trim(), 'absent');
      assert.doesNotMatch(await lab.ssh(host, 'iptables -S INPUT'), /2377/);
    }
  });

  it('a first run makes every change, as seen from outside', async () => {
    const run = await swarmplay(vars(path.join(work, 'fetch')));
    figures.firstRunMs = run.ms;
    assert.equal(run.code, 0, run.stdout + run.stderr);
    firstRecap = recapOf(run.stdout);
    firstMessages = debugMessages(run.stdout);
    firstState = await state();
    for (const host of Object.keys(lab.hosts)) {
      assert.equal(firstRecap[host]!.changed, 10, `${host}: ${JSON.stringify(firstRecap[host])}`);
      const seen = firstState[host]!;
      assert.match(seen, /\.\/payload\.txt 600 14/);
      assert.match(seen, new RegExp(`${PAYLOAD_SHA256}  payload.txt`));
      assert.match(seen, /\.\/unpacked\/hostname 644/);
      assert.match(seen, /-A INPUT -p tcp -m tcp --dport 2377 -m comment --comment "swarm managers" -j ACCEPT/);
      assert.match(seen, /-A INPUT -p udp -m multiport --dports 7946,4789 -j ACCEPT/);
      assert.equal((await lab.ssh(host, 'head -1 /root/mf/app.conf')).trim(), 'listen = 0.0.0.0 # was 127.0.0.1');
      const fetched = await readFile(path.join(work, 'fetch', host, 'root/mf/app.conf'));
      assert.equal(createHash('sha256').update(fetched).digest('hex'), /(\w{64}) {2}app\.conf/.exec(seen)![1]);
    }
    assert.ok(firstMessages.includes('docker01 | status=201 echoed=docker01'), firstMessages.join('\n'));
    assert.ok(firstMessages.includes('docker02 | exists=True isdir=False mode=0640 size=42 owner=root'), firstMessages.join('\n'));
  });

  it('a second run changes nothing, and neither does --check', async () => {
    for (const extra of [[], ['--check']]) {
      const run = await swarmplay([...extra, ...vars(path.join(work, 'fetch'))]);
      if (extra.length === 0) figures.secondRunMs = run.ms;
      assert.equal(run.code, 0, run.stdout + run.stderr);
      for (const [host, counts] of Object.entries(recapOf(run.stdout))) assert.equal(counts.changed, 0, `${extra.join(' ')} ${host}`);
    }
    assert.deepEqual(await state(), firstState);
  });

  it('ansible-playbook on the same hosts: same recap, messages, files and rules', async () => {
    await Promise.all(Object.keys(lab.hosts).map((host) => lab.ssh(host, RESET)));
    const started = Date.now();
    const env = {
      ...process.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False',
      ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_PIPELINING: 'True', ANSIBLE_DEPRECATION_WARNINGS: 'False',
      ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
      ANSIBLE_SSH_ARGS: '-o ControlMaster=auto -o ControlPersist=120s -o UserKnownHostsFile=/dev/null',
    };
    const { stdout } = await exec('ansible-playbook', ['-i', lab.inventory, PLAYBOOK, ...vars(path.join(work, 'fetch-ansible'))], { env, maxBuffer: 64 << 20 })
      .catch((error) => { throw new Error(`ansible-playbook failed:\n${error.stdout}\n${error.stderr}`); });
    figures.ansibleRunMs = Date.now() - started;
    const report = JSON.parse(stdout.slice(stdout.indexOf('{')));
    for (const [host, stats] of Object.entries<any>(report.stats)) {
      assert.deepEqual(
        { ok: stats.ok, changed: stats.changed, failed: stats.failures, skipped: stats.skipped },
        { ok: firstRecap[host]!.ok, changed: firstRecap[host]!.changed, failed: firstRecap[host]!.failed, skipped: firstRecap[host]!.skipped },
        `${host}: recap`,
      );
    }
    const messages: string[] = [];
    for (const task of report.plays[0].tasks) {
      for (const [host, result] of Object.entries<any>(task.hosts)) {
        if (result.action.endsWith('debug')) messages.push(`${host} | ${result.msg}`);
      }
    }
    assert.deepEqual(messages.sort(), firstMessages);
    assert.deepEqual(await state(), firstState, 'the same files and rules');
    for (const host of Object.keys(lab.hosts)) {
      assert.deepEqual(await readFile(path.join(work, 'fetch-ansible', host, 'root/mf/app.conf')), await readFile(path.join(work, 'fetch', host, 'root/mf/app.conf')));
    }
    // And swarmplay finds Ansible's work done.
    const again = await swarmplay(vars(path.join(work, 'fetch')));
    for (const [host, counts] of Object.entries(recapOf(again.stdout))) assert.equal(counts.changed, 0, `${host} after ansible-playbook`);
  });

  it('a URL that does not answer fails naming the timeout; a checksum mismatch writes nothing', async () => {
    const playbook = path.join(work, 'bad-downloads.yaml');
    await writeFile(playbook, `
- hosts: docker01
  gather_facts: false
  tasks:
    - name: silent server
      get_url: { url: "${baseUrl}/silent", dest: /root/silent.txt, timeout: 2 }
      ignore_errors: true
    - name: wrong checksum
      get_url: { url: "${baseUrl}/payload.txt", dest: /root/wrong.txt, checksum: "sha256:${'0'.repeat(64)}" }
      ignore_errors: true
    - name: silent API
      uri: { url: "${baseUrl}/silent", timeout: 2 }
      ignore_errors: true
    - name: missing page
      uri: { url: "${baseUrl}/nothing" }
      ignore_errors: true
`);
    const run = await swarmplay([], playbook);
    const failures = Object.fromEntries(jsonEvents(run.stdout).filter((e) => e.event === 'host_result' && e.status === 'failed').map((e) => [e.task, String(e.msg ?? e.result?.msg)]));
    assert.match(failures['silent server']!, /timed out after 2 s \(timeout: 2\)/);
    assert.match(failures['wrong checksum']!, /did not match 0{64}; it was 87dc89c2.*nothing written/);
    assert.match(failures['silent API']!, /^Status code was -1 and not \[200\]: Request failed: timed out after 2 s \(timeout: 2\)/);
    assert.match(failures['missing page']!, /^Status code was 404 and not \[200\]: HTTP Error 404: Not Found/);
    assert.equal((await lab.ssh('docker01', 'ls -a /root | grep -c -e silent -e wrong -e get_url || true')).trim(), '0', 'no file and no temp file left');
  });

  it('bad arguments stop the run before any host is touched (exit 5)', async () => {
    const cases: [string, RegExp][] = [
      ['get_url: { url: "http://x/y", dest: /root/z, checksm: "sha256:00" }', /checksm.*did you mean.*checksum/is],
      ['uri: { url: "http://x/y", user: a, url_username: b }', /url_username only once/],
      ['ufw: { rule: allow, policy: deny, direction: incoming }', /mutually exclusive: policy\|rule/],
      ['unarchive: { src: /root/a.tgz, dest: /root }', /copy the archive there first, then use remote_src: true/],
      ['iptables: { chain: INPUT, destination_port: "2377", jump: ACCEPT }', /ports need protocol/],
    ];
    for (const [task, expected] of cases) {
      const playbook = path.join(work, 'bad.yaml');
      await writeFile(playbook, `- hosts: all\n  gather_facts: false\n  tasks:\n    - ${task}\n`);
      const run = await swarmplay([], playbook);
      assert.equal(run.code, 5, `${task}: ${run.stdout}${run.stderr}`);
      assert.match(run.stdout + run.stderr, expected, task);
      assert.match(run.stdout + run.stderr, /bad\.yaml:4/, 'names file:line');
    }
  });

  it('playbooks/tasks/swarm-firewall.yaml opens the swarm ports with the firewall the host runs (iptables here)', async () => {
    const playbook = path.join(work, 'firewall.yaml');
    await writeFile(playbook, `- hosts: all\n  gather_facts: false\n  vars: { swarm_published_ports: ["8080/tcp"] }\n  tasks:\n    - import_tasks: ${path.join(REPO_ROOT, 'playbooks/tasks/swarm-firewall.yaml')}\n`);
    await Promise.all(Object.keys(lab.hosts).map((host) => lab.ssh(host, 'iptables -F INPUT')));
    const first = await swarmplay([], playbook);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const again = await swarmplay([], playbook);
    for (const host of Object.keys(lab.hosts)) {
      const rules = (await lab.ssh(host, 'iptables -S INPUT')).split('\n').filter((line) => line.includes('docker swarm'));
      assert.deepEqual(rules.map((line) => /-p (\w+) .*--dport (\d+)/.exec(line)!.slice(1).reverse().join('/')).sort(), ['2377/tcp', '4789/udp', '7946/tcp', '7946/udp', '8080/tcp']);
      assert.equal(recapOf(again.stdout)[host]!.changed, 0);
    }
  });

  it('tempfile makes a new file or folder each run', async () => {
    const playbook = path.join(work, 'tempfile.yaml');
    await writeFile(playbook, `
- hosts: docker01
  gather_facts: false
  tasks:
    - tempfile: { state: directory, path: /root, prefix: "mf." , suffix: .d }
      register: made
    - copy: { dest: "{{ made.path }}/inside", content: "x" }
`);
    const run = await swarmplay([], playbook);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(recapOf(run.stdout).docker01!.changed, 2);
    assert.match(await lab.ssh('docker01', 'ls -d /root/mf.*.d/inside'), /^\/root\/mf\.[A-Za-z0-9]{8}\.d\/inside$/m);
  });
});
