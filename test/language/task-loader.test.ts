/**
 * What the loader makes of includes, without a host: include_role read now
 * (a literal name, looped or not) or when the play runs (a templated name),
 * import_playbook's when, and files encrypted whole with ansible-vault
 * (decrypted as they are read; an error in one never shows its text).
 * The same fixtures run against ansible-playbook in test/e2e/ansible-includes.test.ts.
 */
import { strict as assert } from 'node:assert';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '../support/cli.js';
import { loadPlaybook } from '../../src/language/playbook-loader.js';
import type { IncludeTask, Playbook } from '../../src/language/playbook.js';
import { loadVaultKeyring } from '../../src/vault/keyring.js';
import { SwarmplayError } from '../../src/errors.js';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/ansible-includes');

async function load(file: string): Promise<Playbook> {
  const keyring = await loadVaultKeyring({ passwordFiles: [path.join(FIXTURE, 'vault-password.txt')] });
  return loadPlaybook(path.join(FIXTURE, file), { vault: { keyring } });
}

describe('task loader: includes and files encrypted whole', function () {
  this.timeout(60_000);

  it('include_role: a templated name is read per host at run time; a literal one now, its handlers joining when it runs', async () => {
    const [play] = (await load('includes.yml')).plays;
    const includes = play!.tasks.filter((t): t is IncludeTask => t.kind === 'include');
    const byName = new Map(includes.map((t) => [t.name, t]));
    const templated = byName.get('a role by a templated name, in a loop')!;
    assert.equal(templated.loaded, undefined);
    assert.equal(templated.roleRequest?.name, "{{ role_choice if person != 'zed' else 'other' }}");
    assert.deepEqual([templated.loopVar, templated.roleRequest?.params], ['person', { who: '{{ person }}' }]);
    const literal = byName.get('a literal role in a loop')!;
    assert.equal(literal.loaded?.length, 1);
    assert.equal(literal.loop, "{{ ['x', 'y'] }}");
    const fromFiles = byName.get("the role's other files")!;
    assert.deepEqual(fromFiles.roleHandlers?.map((h) => h.args), [{ msg: 'loud handler' }]);
    // Not the play's handlers until the include runs: the last loaded wins, as in Ansible.
    assert.ok(!play!.handlers.some((h) => fromFiles.roleHandlers!.includes(h)));
  });

  it('import_playbook: its when guards the imported plays; an encrypted playbook and task file are decrypted', async () => {
    const playbook = await load('vault.yml');
    assert.deepEqual(playbook.plays.map((p) => p.importedWhen), [undefined, ["inventory_hostname == 'docker02'"], undefined]);
    assert.deepEqual(playbook.plays.map((p) => p.vars.import_note), [undefined, 'only-two', 'everyone']);
    const include = playbook.plays[0]!.tasks.find((t): t is IncludeTask => t.kind === 'include')!;
    assert.equal(include.loaded?.[0]?.name, 'from an encrypted task file');
  });

  it('an error in a file encrypted whole names file:line, and never shows the file\'s text', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-enc-'));
    try {
      await cp(path.join(FIXTURE, 'vault-password.txt'), path.join(dir, 'pw'));
      await writeFile(path.join(dir, 'site.yml'), '- hosts: all\n  tasks:\n    - include_tasks: secret.yml\n');
      await writeFile(path.join(dir, 'secret.yml'), '- name: uses a token\n  debug: {msg: the-hidden-token-42}\n  bogus_keyword: 1\n');
      execFileSync('ansible-vault', ['encrypt', '--vault-password-file', path.join(dir, 'pw'), path.join(dir, 'secret.yml')], { stdio: 'ignore' });
      const keyring = await loadVaultKeyring({ passwordFiles: [path.join(dir, 'pw')] });
      const error = await loadPlaybook(path.join(dir, 'site.yml'), { vault: { keyring } }).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof SwarmplayError, String(error));
      assert.deepEqual([error.location?.file, error.location?.line], [path.join(dir, 'secret.yml'), 3]);
      assert.match(error.message, /bogus_keyword/);
      assert.ok(!error.format().includes('the-hidden-token-42'), error.format());
      const noPassword = await loadPlaybook(path.join(dir, 'site.yml'), {}).then(() => undefined, (e: unknown) => e);
      assert.ok(noPassword instanceof SwarmplayError && noPassword.code === 'BAD_VAULT', String(noPassword));
      assert.equal(noPassword.exitCode, 5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
