/**
 * The redactor's shape rules: swarm join tokens and unlock keys are masked in
 * any text, without being registered first.
 */
import assert from 'node:assert/strict';
import { Redactor, redactSecretAssignments } from '../../src/runner/redactor.js';

describe('redactor: secrets recognised by their shape', () => {
  const unlockKey = 'SWMKEY-1-p8lI22ZlFG1gFNmdDy+ekWqeiLz/pHmbOCI2rlXv4SE';

  it('masks an unlock key in text and in a registered result', () => {
    const redactor = new Redactor();
    assert.equal(redactor.redactText(`key: ${unlockKey}\n`), 'key: ********\n');
    assert.deepEqual(redactor.redactValue({ swarm_facts: { UnlockKey: unlockKey } }), { swarm_facts: { UnlockKey: '********' } });
  });

  it('masks an unlock key in unvetted text too', () => {
    assert.equal(redactSecretAssignments(`docker swarm unlock <<< ${unlockKey}`), 'docker swarm unlock <<< ********');
  });

  it('leaves the word SWMKEY-1- alone when no key follows', () => {
    assert.equal(new Redactor().redactText("is match('SWMKEY-1-')"), "is match('SWMKEY-1-')");
  });
});
