/**
 * Background jobs of `async:` tasks, run for real by the host's POSIX sh (dash)
 * in a temporary HOME: the job's files, its watchdog, and what async_status
 * makes of them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { asyncStatus } from '../../src/modules/async-status.js';
import { command } from '../../src/modules/command.js';
import { shell } from '../../src/modules/shell.js';
import {
  finishedJobResult, jobRecord, newJobId, parseJob, readJobCommand, startJobCommand,
} from '../../src/modules/async-job.js';
import type { CommandStep, ModuleDefinition } from '../../src/modules/types.js';
import { fakeHost } from '../support/fake-host.js';

const exec = promisify(execFile);

describe('async jobs on the host (sh, no Python)', function () {
  this.timeout(30_000);
  let home: string;
  const sh = async (script: string) => {
    const r = await exec('/bin/sh', ['-c', script], { env: { PATH: process.env.PATH, HOME: home } })
      .then((x) => ({ stdout: x.stdout, stderr: x.stderr, exitCode: 0 }), (e) => ({ stdout: String(e.stdout), stderr: String(e.stderr), exitCode: Number(e.code) }));
    return r;
  };
  const hostHere = () => fakeHost({ probes: (cmd) => sh(cmd) });
  const until = async (jid: string, done: (state: string) => boolean) => {
    for (let i = 0; i < 100; i++) {
      const job = parseJob((await sh(readJobCommand(jid))).stdout);
      if (done(job.state)) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${jid} never got there`);
  };
  async function start(module: ModuleDefinition, rawArgs: unknown, seconds: number) {
    const args = module.schema.parse(rawArgs);
    const plan = await module.plan(fakeHost(), args as never);
    const jid = newJobId();
    const record = jobRecord(module, args as Record<string, unknown>, plan, seconds, true);
    const started = await sh(startJobCommand(jid, plan.steps as CommandStep[], record));
    assert.equal(started.exitCode, 0, started.stderr);
    return { jid, record, folder: started.stdout.trim() };
  }

  beforeEach(async () => { home = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-async-')); });
  afterEach(async () => { await rm(home, { recursive: true, force: true }); });

  it('runs a shell task in the background: the result is the module\'s own, with the job\'s fields', async () => {
    const { jid, record, folder } = await start(shell, { _raw: 'sleep 0.3; echo "it\'s $((6*7))"; echo oops >&2' }, 10);
    assert.equal(folder, path.join(home, '.swarmplay_async', jid));
    assert.match(jid, /^j\d+\.\d+$/);
    const job = await until(jid, (s) => s === 'finished');
    assert.equal(job.state, 'finished');
    const { result, failedMsg } = finishedJobResult(shell, record, (job as { files: Map<string, string> }).files, jid, folder);
    assert.equal(failedMsg, undefined);
    assert.equal(result.stdout, "it's 42");
    assert.equal(result.stderr, 'oops');
    assert.equal(result.rc, 0);
    assert.equal(result.finished, 1);
    assert.equal(result.ansible_job_id, jid);
    assert.match(String(result.start), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    // The command and its runner are gone once run; the folder is the user's only.
    const files = await readdir(folder);
    assert.ok(!files.some((f) => f.endsWith('.sh')), files.join(' '));
    const mode = (await sh(`stat -c %a ${folder} ${path.dirname(folder)}`)).stdout.trim();
    assert.equal(mode, "700\n700");
  });

  it('async_status: finished 0 while it runs, then the command\'s result (changed); a failing command fails', async () => {
    const { jid } = await start(command, { _raw: 'sleep 1' }, 10);
    const running = await asyncStatus.plan(hostHere(), asyncStatus.schema.parse({ jid }));
    assert.equal(running.result?.finished, 0);
    assert.equal(running.failed, undefined);
    await until(jid, (s) => s === 'finished');
    const done = await asyncStatus.plan(hostHere(), asyncStatus.schema.parse({ jid }));
    assert.equal(done.result?.finished, 1);
    assert.deepEqual(done.result?.cmd, ['sleep', '1']);
    assert.equal(done.changedEarlier, true);

    const failing = await start(shell, { _raw: 'echo no; exit 3' }, 10);
    await until(failing.jid, (s) => s === 'finished');
    const failed = await asyncStatus.plan(hostHere(), asyncStatus.schema.parse({ jid: failing.jid }));
    assert.equal(failed.result?.rc, 3);
    assert.match(String(failed.failed), /non-zero return code 3/);
  });

  it('a job past its time limit is killed (its processes too) and reads as timed out', async () => {
    const { jid, folder } = await start(shell, { _raw: 'sleep 30; touch "$HOME/late"' }, 1);
    await until(jid, (s) => s === 'timedout');
    const status = await asyncStatus.plan(hostHere(), asyncStatus.schema.parse({ jid }));
    assert.equal(status.failed, 'async task did not complete within the requested time - 1s');
    const left = (await sh(`ps -eo args | grep -c "[s]leep 30" || true`)).stdout.trim();
    assert.equal(left, '0', 'the job\'s sleep was killed');
    assert.ok(!(await readdir(folder)).some((f) => f.endsWith('.sh')));
  });

  it('an unknown job fails as Ansible says it; cleanup removes the folder', async () => {
    const missing = await asyncStatus.plan(hostHere(), asyncStatus.schema.parse({ jid: 'j1.2' }));
    assert.equal(missing.failed, 'could not find job');
    const { jid, folder } = await start(command, { _raw: 'true' }, 5);
    await until(jid, (s) => s === 'finished');
    const cleanup = await asyncStatus.plan(hostHere(), asyncStatus.schema.parse({ jid, mode: 'cleanup' }));
    assert.equal(cleanup.steps.length, 1);
    await sh((cleanup.steps[0] as CommandStep).command);
    assert.equal((await sh(`test -e ${folder}; echo $?`)).stdout.trim(), '1');
    assert.equal(asyncStatus.schema.safeParse({ jid: 'x; rm -rf /' }).success, false);
  });
});
