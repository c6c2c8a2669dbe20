/**
 * swarm_join's join and its compensation, run for real in /bin/sh with a
 * scripted `docker`, and finish(). What it plans for each host state is in
 * test/modules/cases/swarm_join/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { swarmJoin, joinStep, cancelPendingJoin } from '../../src/modules/swarm-join.js';
import { executeSteps } from '../../src/runner/step-executor.js';
import type { Connection, RunResult } from '../../src/transport/types.js';
import { fakeHost } from '../support/fake-host.js';
import { outcomesOf } from '../support/step-outcomes.js';
import { recordInvocations, HOSTILE_VALUES } from '../support/shell-argv.js';
import { fixture, jsonFixture } from '../fixtures/docker/index.js';

const TOKEN = 'SWMTKN-1-1111111111111111111111111111111111111111111111111-aaaaaaaaaaaaaaaaaaaaaaaaa';
const ADDR = '10.251.0.1:2377';
const UNREACHABLE = fixture('swarm-join-unreachable.txt').split('\n')[0]!;
const target = { host: 'docker02', role: 'worker' as const, token: TOKEN, managerAddr: ADDR };

/**
 * Runs a command in /bin/sh with `docker` as a shell function: `script`
 * is its body ("$1 $2" are docker's words). Records each docker call in calls.log.
 */
function runWithDocker(command: string, script: string): RunResult & { calls: string[] } {
  const prelude = `docker() { printf '%s\\n' "$*" >&3; ${script}\n}`;
  const run = spawnSync('/bin/sh', ['-c', `${prelude}\n${command}`], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], timeout: 10_000 });
  const calls = (run.output[3] as Buffer).toString('utf8').split('\n').filter(Boolean).map((c) => c.replace(TOKEN, 'TOKEN'));
  return { stdout: run.stdout.toString(), stderr: run.stderr.toString(), exitCode: run.status ?? 1, calls };
}

/** A host whose docker answers by the words it is given; every command runs for real in /bin/sh. */
function scriptedHost(script: string, ran: string[]): Connection {
  return {
    host: 'docker02',
    async run(command) {
      const result = runWithDocker(command, script);
      ran.push(...result.calls);
      return result;
    },
    async putFile() { throw new Error('no file is written'); },
    async getFile() { throw new Error('no file is read'); },
    async close() {},
  };
}

const TIMES_OUT = `case "$1 $2" in
  "swarm join") echo ${JSON.stringify(UNREACHABLE)} >&2; return 1 ;;
  "info --format") echo pending ;;
  "swarm leave") echo "Node left the swarm." ;;
esac`;

describe('swarm_join module', () => {
  it('gives docker the token and addresses as single words', () => {
    for (const value of HOSTILE_VALUES) {
      const step = joinStep({ ...target, token: value, advertise: value, listenAddr: value });
      assert.deepEqual(recordInvocations(step.command, ['docker']), [
        { program: 'docker', args: ['swarm', 'join', '--token', value, '--advertise-addr', value, '--listen-addr', value, ADDR] },
      ]);
    }
  });

  it('never shows the token in a step line, a description or a message', async () => {
    const host = fakeHost({ host: 'docker02', factOutputs: { docker_info: fixture('info-inactive.json'), 'tcp_connect {"host":"10.251.0.1","port":2377,"seconds":3}': '' } });
    const plan = await swarmJoin.plan(host, swarmJoin.schema.parse({ manager_addr: '10.251.0.1', token: TOKEN }));
    const said = plan.steps.flatMap((s) => [s.description, s.kind === 'command' ? s.display ?? s.command : '', s.kind === 'command' ? s.failMessage ?? '' : '']);
    assert.doesNotMatch(JSON.stringify([said, plan.msg, plan.result]), /SWMTKN/);
    assert.deepEqual(swarmJoin.secretArgs, ['token']);
  });

  it('a join that succeeds prints docker\'s words and exits 0', () => {
    const run = runWithDocker(joinStep(target).command, 'echo "This node joined a swarm as a worker."');
    assert.deepEqual([run.exitCode, run.stdout, run.calls], [0, 'This node joined a swarm as a worker.\n', [`swarm join --token TOKEN ${ADDR}`]]);
  });

  it('a join that times out keeps docker\'s exit code and loses its "continues in the background" advice', () => {
    const run = runWithDocker(joinStep(target).command, `echo ${JSON.stringify(UNREACHABLE)} >&2; return 1`);
    assert.equal(run.exitCode, 1);
    assert.equal(run.stderr, 'Error response from daemon: Timeout was reached before node joined.\n');
  });

  it('an empty token stops on the host before docker runs, with what to pass', () => {
    const run = runWithDocker(joinStep({ ...target, role: 'manager', token: '' }).command, 'return 0');
    assert.deepEqual([run.exitCode, run.calls], [2, []]);
    assert.equal(run.stderr, "no join token given for docker02: pass swarm_init's join_token_manager\n");
  });

  it('the compensation leaves only a pending node, and says so only then', () => {
    const cancel = cancelPendingJoin('docker02', ADDR).command;
    const pending = runWithDocker(cancel, TIMES_OUT);
    assert.deepEqual(pending.calls, ["info --format {{.Swarm.LocalNodeState}}", 'swarm leave --force']);
    assert.match(pending.stdout, /^the pending join was cancelled; docker02 is not in any swarm: check that docker02 reaches 10\.251\.0\.1:2377 over TCP \(a firewall\?\) and run again\n$/);
    const inactive = runWithDocker(cancel, 'echo inactive');
    assert.deepEqual([inactive.exitCode, inactive.stdout, inactive.calls.length], [0, '', 1]);
    const stuck = runWithDocker(cancel, 'case "$1" in info) echo pending ;; swarm) echo "Error response from daemon: context deadline exceeded" >&2; return 1 ;; esac');
    assert.match(stuck.stdout, /the pending join could not be cancelled, docker02 may keep retrying it in the background: run swarm_leave with force: true on it \(Error response from daemon: context deadline exceeded\)/);
    const down = runWithDocker(cancel, 'echo "Cannot connect to the Docker daemon" >&2; return 1');
    assert.match(down.stdout, /could not tell whether the failed join left docker02 pending \(Cannot connect to the Docker daemon\)/);
  });

  it('run by the runner: a timed-out join is cancelled and the message says what to check, without docker\'s advice', async () => {
    const ran: string[] = [];
    const { failedMsg, outcomes } = await executeSteps({ host: 'docker02', conn: scriptedHost(TIMES_OUT, ran) }, [joinStep(target)]);
    assert.equal(failedMsg,
      'docker02 could not join the swarm at 10.251.0.1:2377: Error response from daemon: Timeout was reached before node joined. ' +
      '(the pending join was cancelled; docker02 is not in any swarm: check that docker02 reaches 10.251.0.1:2377 over TCP (a firewall?) and run again)');
    assert.equal(ran.at(-1), 'swarm leave --force');
    assert.equal(outcomes.length, 1);
  });

  it('run by the runner: a join refused at once (bad token) leaves nothing to cancel and says nothing more', async () => {
    const ran: string[] = [];
    const refused = `case "$1" in swarm) echo "Error response from daemon: rpc error: code = InvalidArgument desc = invalid join token" >&2; return 1 ;; info) echo inactive ;; esac`;
    const { failedMsg } = await executeSteps({ host: 'docker02', conn: scriptedHost(refused, ran) }, [joinStep(target)]);
    assert.equal(failedMsg, 'docker02 could not join the swarm at 10.251.0.1:2377: Error response from daemon: rpc error: code = InvalidArgument desc = invalid join token');
    assert.ok(!ran.includes('swarm leave --force'));
  });

  it('finish(): the node ID the join gave, and the role asked', async () => {
    const host = fakeHost({ factOutputs: { docker_info: fixture('info-inactive.json'), 'tcp_connect {"host":"10.251.0.1","port":2377,"seconds":3}': '' } });
    const args = swarmJoin.schema.parse({ manager_addr: '10.251.0.1', token: TOKEN });
    const plan = await swarmJoin.plan(host, args);
    const worker = jsonFixture('info-manager.json', (info) => { info.Swarm.ControlAvailable = false; delete info.Swarm.Cluster; });
    assert.deepEqual(swarmJoin.finish!(args, outcomesOf(plan.steps, { join: { stdout: '' }, info: { stdout: worker } }), plan), { node_id: '9a8l30g1qbxzon92yoa4oz88h', role: 'worker' });
    assert.deepEqual(swarmJoin.finish!(args, outcomesOf(plan.steps, { join: { stdout: '' }, info: { stdout: '', exitCode: 1 } }), plan), { role: 'worker' });
    assert.deepEqual(swarmJoin.finish!(args, outcomesOf(plan.steps, { join: { stdout: '', exitCode: 1 } }), plan), {});
  });
});
