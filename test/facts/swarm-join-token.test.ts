import assert from 'node:assert/strict';
import { swarmJoinToken } from '../../src/facts/swarm-join-token.js';

describe('swarm_join_token fact', () => {
  it('swarm_join_token: the token alone; a failure says which role and where', () => {
    assert.equal(swarmJoinToken.command({ role: 'manager' }), 'docker swarm join-token -q manager');
    assert.equal(swarmJoinToken.parse({ stdout: 'SWMTKN-1-abc-def\n', stderr: '', exitCode: 0 }, { role: 'worker' }, 'docker01'), 'SWMTKN-1-abc-def');
    assert.throws(() => swarmJoinToken.parse({ stdout: '', stderr: 'Error response from daemon: This node is not a swarm manager.', exitCode: 1 }, { role: 'worker' }, 'docker02'),
      /cannot read the worker join token on docker02: Error response from daemon: This node is not a swarm manager\./);
  });
});
