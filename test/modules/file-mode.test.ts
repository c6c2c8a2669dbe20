import assert from 'node:assert/strict';
import { modeProblem, modeSchema, resolveMode, isAbsoluteMode } from '../../src/modules/file-mode.js';

describe('file modes', () => {
  it('reads octal strings in every spelling Ansible users write', () => {
    assert.equal(resolveMode('0644', undefined, false), '0644');
    assert.equal(resolveMode('644', undefined, false), '0644');
    assert.equal(resolveMode('0o755', undefined, false), '0755');
    assert.equal(resolveMode('4755', undefined, false), '4755');
  });

  it('reads a YAML 1.2 number (unquoted 0644 parses as 644) as octal digits', () => {
    assert.equal(resolveMode(644, undefined, false), '0644');
    assert.equal(resolveMode(755, undefined, true), '0755');
  });

  it('refuses numbers that cannot be octal, telling to quote', () => {
    assert.match(modeProblem(493)!, /quote it/);
    assert.equal(modeSchema.safeParse(689).success, false);
    assert.equal(modeSchema.safeParse('rwxr-xr-x').success, false);
    assert.equal(modeSchema.safeParse('').success, false);
  });

  it('resolves symbolic modes against the current mode', () => {
    assert.equal(resolveMode('u=rw,g=r,o=r', 0o777, false), '0644');
    assert.equal(resolveMode('u+x', 0o644, false), '0744');
    assert.equal(resolveMode('go-w', 0o777, false), '0755');
    assert.equal(resolveMode('a=rX', 0o600, false), '0444');
    assert.equal(resolveMode('a=rX', 0o700, false), '0555');
    assert.equal(resolveMode('a=rX', 0o600, true), '0555');
    assert.equal(resolveMode('g=u', 0o640, false), '0660');
    assert.equal(resolveMode('u+s,+t', 0o755, false), '5755');
  });

  it('uses umask 022 defaults as the base for a path that does not exist yet', () => {
    assert.equal(resolveMode('u+x', undefined, false), '0744');
    assert.equal(resolveMode('o-rx', undefined, true), '0750');
    assert.equal(isAbsoluteMode('u=rw,go=r'), true);
    assert.equal(isAbsoluteMode('u+x'), false);
  });
});
