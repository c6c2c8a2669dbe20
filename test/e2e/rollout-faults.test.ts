/**
 * Issue 8, "dockerd killed on a worker during a rolling update: the rollout
 * reports it and the rerun converges", on a lab of its own (e2eroll,
 * 10.203.3.0/24): bootstrap, deploy testnginx 1.0, then the update to 2.0
 * runs in the background while the test kills docker03's dockerd with
 * SIGKILL. The run must end (bounded), exit 2 and name the service and the
 * down node; once docker03's docker is started again and the node is Ready,
 * a rerun converges and serves 2.0 on every published address, and one more
 * run changes nothing. Every check is made with docker over OpenSSH and with
 * HTTP from the controller.
 *
 * Lab hosts share the machine's PID namespace: dockerd is found by the pid
 * the stand-in systemctl recorded inside docker03 (never by name), and
 * checked to be a dockerd in docker03's own network namespace before the kill.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { bringUpLab, httpGet, until, type TestLab } from '../support/lab.js';
import { CLI, REPO_ROOT, jsonEvents, recapOf, type CliResult } from '../support/cli.js';
import { EXIT } from '../../src/errors.js';

const HOSTS = ['docker01', 'docker02', 'docker03'];
/** The faulted run must end well before docker_service's default 600 s rollout timeout. */
const FAULTED_RUN_BOUND_MS = 90_000;

/** A CLI run in the background: the test acts on the hosts while it runs, then awaits its end. */
interface BackgroundRun {
  done: Promise<CliResult & { ms: number }>;
  exited(): boolean;
}

function startCli(args: string[], timeoutMs: number): BackgroundRun {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise<CliResult & { ms: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`swarmplay ${args.join(' ')} did not finish in ${timeoutMs} ms (it hangs)\n${stdout.slice(-4000)}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      exited = true;
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { done, exited: () => exited };
}

describe('dockerd killed on a worker during a rolling update (lab e2eroll)', function () {
  this.timeout(300_000);
  let lab: TestLab;
  const timings: Record<string, number> = {};

  const deployArgs = (extra: string[]) => ['run', 'playbooks/deploy.yaml', '-i', lab.inventory, '--json',
    '-e', `controller_ssh_key=${path.join(lab.dir, 'controller_ed25519')}`, '-e', 'stop_grace_period=2s', ...extra];
  const run = async (label: string, args: string[]) => {
    const result = await startCli(args, 240_000).done;
    timings[label] = result.ms;
    return result;
  };
  const output = (result: CliResult) => `\n--- stdout ---\n${result.stdout.slice(-4000)}\n--- stderr ---\n${result.stderr.slice(-2000)}`;

  async function pages(): Promise<string[]> {
    return Promise.all(HOSTS.map(async (host) => (/<h1>([^<]*)<\/h1>/.exec(await httpGet(lab.hosts[host]!, 80)) ?? [])[1] ?? '(no page)'));
  }

  before(async () => {
    const started = Date.now();
    lab = await bringUpLab({ name: 'e2eroll', subnet: '10.203.3.0/24' });
    timings.labUp = Date.now() - started;
    const bootstrap = await run('bootstrap', ['run', 'playbooks/bootstrap.yaml', '-i', lab.inventory, '--json',
      '-e', `controller_ssh_key=${path.join(lab.dir, 'controller_ed25519')}`]);
    assert.equal(bootstrap.code, 0, output(bootstrap));
    const first = await run('deploy1.0', deployArgs([]));
    assert.equal(first.code, 0, output(first));
    assert.deepEqual(await pages(), ['testnginx 1.0', 'testnginx 1.0', 'testnginx 1.0']);
  });

  after(async () => {
    const started = Date.now();
    await lab?.down();
    timings.labDown = Date.now() - started;
    console.log(`      rollout fault timings (ms): ${JSON.stringify(timings)}`);
  });

  it('the update to 2.0 ends within a bound, exits 2 and names newnginx and the down node; no host is left broken', async () => {
    const started = Date.now();
    const update = startCli(deployArgs(['-e', 'image_tag=2.0', '-e', 'update_delay=5s']), FAULTED_RUN_BOUND_MS);
    await until('swarm starts the update of newnginx', 60_000, async () => {
      if (update.exited()) throw new Error('the run ended before the update started');
      const state = await lab.ssh('docker01', "docker service inspect newnginx --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}'");
      return state.trim() === 'updating' ? true : undefined;
    });
    timings.updateStarted = Date.now() - started;

    // docker03's dockerd by the pid its stand-in systemctl recorded, checked to be docker03's own dockerd.
    const killed = await lab.ssh('docker03', [
      'pid=$(sed -n \'s/.*"mainPid":\\([0-9][0-9]*\\).*/\\1/p\' /run/systemctl-standin/docker.service.json)',
      'test -n "$pid" || { echo "no dockerd pid recorded" >&2; exit 1; }',
      'tr "\\0" " " < /proc/$pid/cmdline | grep -q "^/usr/sbin/dockerd " || { echo "pid $pid is not dockerd" >&2; exit 1; }',
      'test "$(readlink /proc/$pid/ns/net)" = "$(readlink /proc/self/ns/net)" || { echo "pid $pid is not in this host" >&2; exit 1; }',
      'kill -KILL "$pid" && echo "$pid"',
    ].join('\n'));
    assert.match(killed.trim(), /^\d+$/);
    timings.killedAt = Date.now() - started;

    const result = await update.done;
    timings.faultedRun = result.ms;
    assert.equal(result.code, EXIT.HOST_FAILED, output(result));
    const failure = jsonEvents(result.stdout).find((e) => e.event === 'host_result' && e.status === 'failed');
    assert.ok(failure, output(result));
    console.log(`      faulted run: ${failure.msg}`);
    assert.match(failure.task, /newnginx/);
    assert.match(failure.msg, /newnginx cannot converge while node docker03 is (down|unknown|disconnected)/, failure.msg);
    assert.match(failure.msg, /bring the node back/);
    assert.match(failure.msg, /no suitable node/, 'the task errors swarm gave');

    // The managers and docker02 still answer; docker03's docker is stopped (the fault), not half-configured.
    for (const host of ['docker01', 'docker02']) {
      assert.match((await lab.ssh(host, "docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'")).trim(), /^active true$/);
    }
    assert.match(await lab.ssh('docker01', "docker node ls --format '{{.Hostname}} {{.Status}}'"), /docker03 (Down|Unknown)/);
  });

  it('once docker03\'s docker is back and the node Ready, a rerun converges on 2.0 everywhere, and one more run changes nothing', async () => {
    const started = Date.now();
    await lab.ssh('docker03', 'systemctl start docker');
    await until('docker03 Ready again', 60_000, async () =>
      /^docker03 Ready$/m.test(await lab.ssh('docker01', "docker node ls --format '{{.Hostname}} {{.Status}}'")) ? true : undefined);
    timings.nodeReady = Date.now() - started;

    const rerun = await run('rerun2.0', deployArgs(['-e', 'image_tag=2.0', '-e', 'update_delay=5s']));
    assert.equal(rerun.code, 0, output(rerun));
    assert.deepEqual(await pages(), ['testnginx 2.0', 'testnginx 2.0', 'testnginx 2.0']);
    const running = (await lab.ssh('docker01', "docker service ps newnginx --filter desired-state=running --format '{{.Node}} {{.Image}} {{.CurrentState}}'"))
      .trim().split('\n');
    assert.equal(running.length, 3, running.join('\n'));
    assert.ok(running.every((line) => /testnginx:2\.0 Running/.test(line)), running.join('\n'));

    const again = await run('rerunNoChange', deployArgs(['-e', 'image_tag=2.0', '-e', 'update_delay=5s']));
    assert.equal(again.code, 0, output(again));
    for (const [host, counts] of Object.entries(recapOf(again.stdout))) assert.equal(counts.changed, 0, `${host}: changed=0${output(again)}`);
  });
});
