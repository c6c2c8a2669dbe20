/**
 * A plan's steps in one round trip, on real files and a real /bin/sh through
 * the local transport: each step's outcome is what it gives alone, the batch
 * stops at the first failure as the step executor does, and guarded steps run
 * only while the host still says what the plan was made from.
 */
import assert from 'node:assert/strict';
import { chown, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SwarmplayError } from '../../src/errors.js';
import { batchable, runBatch } from '../../src/runner/step-batch.js';
import { executeSteps } from '../../src/runner/step-executor.js';
import { ReadAhead } from '../../src/runner/read-ahead.js';
import { LocalConnection } from '../../src/transport/local.js';
import { CountingConnection } from '../support/counting-connection.js';
import type { Step } from '../../src/modules/types.js';
import { statCommand } from '../../src/modules/file-content.js';
import { testPathCommand } from '../../src/modules/command.js';


const run = (command: string, extra: Partial<Extract<Step, { kind: 'command' }>> = {}): Step => ({ kind: 'command', description: command, command, ...extra });

describe('a plan\'s steps in one round trip', () => {
  let dir: string;
  let conn: CountingConnection;
  const at = (name: string) => path.join(dir, name);

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-step-batch-'));
    conn = new CountingConnection();
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('gives each command the output, errors and exit status it gives alone, in one round trip', async () => {
    const commands = ['printf "no newline"', 'echo out; echo err >&2; exit 3', 'echo "$$" > /dev/null; cat; echo "stdin was empty"', 'exit 0'];
    const steps = commands.map((command) => run(command, { okExitCodes: 'any' }));
    assert.ok(batchable(conn, steps, undefined));
    const batch = await runBatch(conn, 'local', steps, [], undefined);
    assert.equal(conn.commands, 1);
    assert.equal(batch.stale, false);
    const alone = new LocalConnection();
    for (const [index, command] of commands.entries()) {
      assert.deepEqual(batch.stale === false && batch.outcomes[index]?.run, await alone.run(command), command);
    }
  });

  it('stops at the first failing step; the executor then reports it as step by step, with its compensation', async () => {
    const steps = [
      run(`touch ${at('first')}`),
      run('echo broken >&2; exit 2', { description: 'the broken step', onFailure: { steps: [run(`rm -f ${at('first')}`)], whenDone: 'undone' } }),
      run(`touch ${at('never')}`),
    ];
    const started: Step[] = [];
    const result = await executeSteps({ host: 'local', conn, started: (step) => started.push(step) }, steps);
    assert.equal(result.outcomes.length, 2);
    assert.match(result.failedMsg ?? '', /the broken step: non-zero return code 2: broken \(undone\)/);
    assert.deepEqual(started.slice(0, 2), steps.slice(0, 2));
    assert.ok(!started.includes(steps[2]!), 'the third step never started');
    assert.deepEqual(await readdir(dir), [], 'compensated, and the third step did not run');
    assert.equal(conn.commands, 2, 'one round trip for the steps, one for the compensation');
  });

  it('writes a file atomically among commands, with its mode, new or owned by another user', async () => {
    await writeFile(at('theirs.conf'), 'old\n', { mode: 0o600 });
    await chown(at('theirs.conf'), 65534, 65534);
    const steps: Step[] = [
      run(`mkdir -p ${at('sub')}`),
      { kind: 'write', description: 'write', path: at('sub/new.conf'), content: 'new\n', mode: '0644' },
    ];
    const result = await executeSteps({ host: 'local', conn }, steps);
    assert.equal(result.failedMsg, undefined);
    assert.equal(conn.commands, 1);
    assert.equal(await readFile(at('sub/new.conf'), 'utf8'), 'new\n');
    assert.equal((await stat(at('sub/new.conf'))).mode & 0o7777, 0o644);
    await conn.putFile(at('theirs.conf'), 'replaced\n', { mode: '0644' });
    const theirs = await stat(at('theirs.conf'));
    assert.deepEqual([theirs.mode & 0o7777, theirs.uid, theirs.gid], [0o644, 65534, 65534], 'owner kept, mode set');
    await conn.putFile(at('script.sh'), '#!/bin/sh\n', { mode: '0755' });
    assert.equal((await stat(at('script.sh'))).mode & 0o7777, 0o755);
    assert.deepEqual((await readdir(dir)).sort(), ['script.sh', 'sub', 'theirs.conf'], 'no temp file left');
  });

  it('writes small text from inside the script and anything else from stdin, byte for byte', async () => {
    const contents = ["it's \"quoted\" $HOME `x` \\n\nno final newline", '', '\n\n', 'é ünïcode ✓\n', 'x'.repeat(5000), Buffer.from([0, 0xff, 10, 0])];
    const steps: Step[] = contents.map((content, index) => ({ kind: 'write', description: 'w', path: at(`f${index}`), content, mode: '0640' }));
    for (const step of steps) await executeSteps({ host: 'local', conn }, [step, run('true')]);
    for (const [index, content] of contents.entries()) {
      assert.deepEqual(await readFile(at(`f${index}`)), Buffer.isBuffer(content) ? content : Buffer.from(content), `content ${index}`);
      assert.equal((await stat(at(`f${index}`))).mode & 0o7777, 0o640);
    }
  });

  it('a failed write throws what putFile throws, after the steps before it ran', async () => {
    const steps: Step[] = [
      run(`touch ${at('before')}`),
      { kind: 'write', description: 'write', path: at('missing-folder/file'), content: 'x' },
      run(`touch ${at('after')}`),
    ];
    const started: Step[] = [];
    await assert.rejects(executeSteps({ host: 'local', conn, started: (step) => started.push(step) }, steps),
      (error: unknown) => error instanceof SwarmplayError && error.code === 'COMMAND_FAILED' && /writing .*missing-folder\/file failed/.test(error.message));
    assert.deepEqual(started, steps.slice(0, 2));
    assert.deepEqual(await readdir(dir), ['before']);
  });

  it('leaves out what cannot share a script: waits, retries, timeouts, two readers of stdin, another become', () => {
    const write: Step = { kind: 'write', description: 'w', path: at('a'), content: Buffer.from([0, 1, 2]) };
    const smallText: Step = { kind: 'write', description: 'w', path: at('b'), content: 'text' };
    assert.equal(batchable(conn, [run('true', { timeoutMs: 10 })], undefined), false);
    assert.equal(batchable(conn, [run('true', { retry: { whileOutputMatches: 'x', attempts: 2, delayMs: 1 } })], undefined), false);
    assert.equal(batchable(conn, [write, run('cat', { stdin: 'x' })], undefined), false);
    assert.equal(batchable(conn, [run('true', { become: true })], false), false);
    assert.equal(batchable(conn, [{ kind: 'wait', description: 'w', condition: 'x', args: {}, intervalMs: 1, timeoutMs: 1, waitingFor: 'x' }], undefined), false);
    assert.equal(batchable(conn, [write, run('true')], undefined), true);
    assert.equal(batchable(conn, [smallText, run('cat', { stdin: 'x' })], undefined), true, 'small text goes inside the script, not on stdin');
  });

  describe('guarded by what the plan was made from', () => {
    /** The readings of a host read ahead, then dropped by a command: hints from then on. */
    async function staleReadings(names: string[]) {
      const reads = new ReadAhead().forHost('local');
      reads.upcoming = () => names.map((name) => ({ path: at(name), content: true }));
      await reads.readFile(conn, at(names[0]!));
      reads.stepsRan([run('true')], false);
      return reads;
    }

    it('guesses only from dropped readings, and only what a test can prove: absence, existence, a stat', async () => {
      await writeFile(at('present.conf'), 'x\n');
      const reads = await staleReadings(['absent.conf', 'present.conf']);
      assert.equal(reads.knownFile(at('absent.conf')), undefined, 'a command dropped the readings');
      assert.ok(reads.hintFile(at('absent.conf')));
      assert.equal(reads.hintFile(at('present.conf')), undefined, 'bytes are not guessed');
      assert.equal(reads.hintProbe(testPathCommand(at('present.conf'), undefined))?.result.exitCode, 0);
      assert.equal(reads.hintProbe(statCommand(at('absent.conf')))?.result.exitCode, 1);
      assert.equal(reads.hintProbe('docker info'), undefined);
    });

    it('runs the steps when every guard holds, in the same round trip', async () => {
      await writeFile(at('present.conf'), 'x\n');
      const reads = await staleReadings(['absent.conf', 'present.conf']);
      const guards = [reads.hintFile(at('absent.conf'))!.guard, reads.hintProbe(statCommand(at('present.conf')))!.guard,
        reads.hintProbe(statCommand(at('absent.conf')))!.guard, reads.hintProbe(testPathCommand(at('present.conf'), undefined))!.guard];
      conn.commands = 0;
      const result = await executeSteps({ host: 'local', conn }, [{ kind: 'write', description: 'w', path: at('absent.conf'), content: 'made\n' }], guards);
      assert.equal(result.stale, undefined);
      assert.equal(conn.commands, 1);
      assert.equal(await readFile(at('absent.conf'), 'utf8'), 'made\n');
    });

    it('runs nothing when a guard fails: the host changed since the reading', async () => {
      const reads = await staleReadings(['absent.conf', 'other.conf']);
      const guard = reads.hintFile(at('absent.conf'))!.guard;
      const statGuard = reads.hintProbe(statCommand(at('other.conf')))!.guard;
      await writeFile(at('absent.conf'), 'someone else wrote this\n');
      const result = await executeSteps({ host: 'local', conn }, [run(`touch ${at('marker')}`), { kind: 'write', description: 'w', path: at('absent.conf'), content: 'mine\n' }], [statGuard, guard]);
      assert.equal(result.stale, true);
      assert.equal(await readFile(at('absent.conf'), 'utf8'), 'someone else wrote this\n');
      assert.deepEqual((await readdir(dir)).sort(), ['absent.conf'], 'no step ran');
      reads.dropHints();
      assert.equal(reads.hintFile(at('other.conf')), undefined, 'wrong guesses are not made again');
    });
  });
});
