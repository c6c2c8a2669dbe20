import assert from 'node:assert/strict';
import { commandSucceeds } from '../../../src/modules/conditions/command-succeeds.js';
import type { RunResult } from '../../../src/transport/types.js';
import { scriptedProbes } from '../../support/scripted-probes.js';

/** The command's runs, in turn; then it fails. */
const scripted = (answers: RunResult[]) => scriptedProbes(answers, { afterLast: { stdout: '', stderr: '', exitCode: 1 } });

describe('command_succeeds condition', () => {
  it('waits, showing the last line the command said, until it exits 0', async () => {
    const poller = commandSucceeds.start(commandSucceeds.schema.parse({ command: 'docker info' }));
    const host = scripted([
      { stdout: '', stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n', exitCode: 1 },
      { stdout: '{}', stderr: '', exitCode: 0 },
    ]);
    assert.deepEqual(await poller.poll(host, 0), { state: 'waiting', progress: 'exit 1: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' });
    assert.deepEqual(await poller.poll(host, 1000), { state: 'done' });
    assert.equal(poller.timeoutMessage, undefined, 'the runner\'s own message unless one is given');
  });

  it('times out with the message it was given and the last thing seen', () => {
    const poller = commandSucceeds.start(commandSucceeds.schema.parse({ command: 'docker info', timeoutMessage: 'docker did not answer within 5 s after the restart' }));
    assert.equal(poller.timeoutMessage!(5000, 'exit 1: no'), 'docker did not answer within 5 s after the restart (last seen: exit 1: no)');
    assert.equal(poller.timeoutMessage!(5000, ''), 'docker did not answer within 5 s after the restart');
  });
});
