import assert from 'node:assert/strict';
import { nodesDescribed } from '../../../src/modules/conditions/nodes-described.js';
import { findCondition } from '../../../src/modules/conditions/index.js';
import type { ProbeHost } from '../../../src/modules/conditions/types.js';
import type { RunResult } from '../../../src/transport/types.js';

function scripted(answers: RunResult[]): ProbeHost {
  return {
    host: 'docker01',
    async probe(command) {
      assert.match(command, /^docker node ls --format /);
      return answers.length > 1 ? answers.shift()! : answers[0]!;
    },
  };
}

const listed = (stdout: string): RunResult => ({ stdout, stderr: '', exitCode: 0 });

describe('condition nodes_described', () => {
  it('is registered for wait steps', () => assert.equal(findCondition('nodes_described'), nodesDescribed));

  it('waits while a just-joined node has no hostname, through a manager error, and is done once it has one', async () => {
    const poller = nodesDescribed.start({ node_ids: ['j3'] });
    const host = scripted([
      listed('m1\tdocker01\tReady\tLeader\nj3\t\tUnknown\t\n'),
      { stdout: '', stderr: 'Error response from daemon: rpc error: code = Unknown desc = The swarm does not have a leader.', exitCode: 1 },
      listed('m1\tdocker01\tReady\tLeader\nj3\tdocker03\tReady\t\n'),
    ]);
    assert.deepEqual(await poller.poll(host, 0), { state: 'waiting', progress: 'not described yet: j3' });
    assert.equal((await poller.poll(host, 300)).state, 'waiting');
    assert.deepEqual(await poller.poll(host, 600), { state: 'done' });
  });

  it('is done when the node left meanwhile: the plan made again says what is missing', async () => {
    assert.deepEqual(await nodesDescribed.start({ node_ids: ['j3'] }).poll(scripted([listed('m1\tdocker01\tReady\tLeader\n')]), 0), { state: 'done' });
  });
});
