import assert from 'node:assert/strict';
import { registryAnswers } from '../../../src/modules/conditions/registry-answers.js';
import { scriptedProbes } from '../../support/scripted-probes.js';
import type { RunResult } from '../../../src/transport/types.js';

/** A host whose /v2/ probe answers from a script, one answer per poll; then no answer. */
const scripted = (answers: RunResult[]) => scriptedProbes(answers, { afterLast: { stdout: '', stderr: '', exitCode: 1 } });
const answer = (stdout: string, exitCode = 0): RunResult => ({ stdout, stderr: '', exitCode });

describe('registry_answers condition', () => {
  it('waits through no answer and other statuses until /v2/ answers 200 or 401', async () => {
    const poller = registryAnswers.start(registryAnswers.schema.parse({ port: 5000 }));
    const host = scripted([answer('', 1), answer('HTTP/1.1 502 Bad Gateway\n'), answer('HTTP/1.1 401 Unauthorized\n')]);
    assert.deepEqual(await poller.poll(host, 0), { state: 'waiting', progress: 'no answer' });
    assert.deepEqual(await poller.poll(host, 500), { state: 'waiting', progress: 'HTTP 502' });
    assert.deepEqual(await poller.poll(host, 1000), { state: 'done', result: { v2: 'answers /v2/ (HTTP 401)' } });
    assert.match(host.probed[0]!, /HEAD %s HTTP\/1\.0[\s\S]*127\.0\.0\.1 5000 \/v2\//);
    assert.equal(poller.timeoutMessage!(30_000, 'HTTP 502'), 'the registry on docker01:5000 does not answer /v2/ after 30 s (HTTP 502); see docker logs');
  });

  it('is done at once, saying so, on a host without bash', async () => {
    const poller = registryAnswers.start({ port: 5001 });
    assert.deepEqual(await poller.poll(scripted([answer('', 127)]), 0), { state: 'done', result: { v2: 'skipped: no bash on the host to test /v2/' } });
  });

  it('takes a port only', () => {
    assert.equal(registryAnswers.schema.safeParse({ port: 0 }).success, false);
    assert.equal(registryAnswers.schema.safeParse({ port: 5000, host: 'x' }).success, false);
  });
});
