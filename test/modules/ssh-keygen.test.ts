/**
 * ssh_keygen beyond its cases (test/modules/cases/ssh_keygen/): the planned
 * steps run for real in the local shell (a real ssh-keygen in a temp
 * folder), and finish() returns the key they read.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sshKeygen } from '../../src/modules/ssh-keygen.js';
import type { Plan } from '../../src/modules/types.js';
import type { Connection } from '../../src/transport/types.js';
import { executeSteps } from '../../src/runner/step-executor.js';
import { fakeHost } from '../support/fake-host.js';

const parse = (args: unknown) => sshKeygen.schema.parse(args);

/** Runs commands in the local shell. */
const localShell: Connection = {
  host: 'local',
  async run(command) {
    const r = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status ?? 1 };
  },
  async putFile() { throw new Error('not used'); },
  async getFile() { throw new Error('not used'); },
  async close() {},
};

async function runPlan(plan: Plan) {
  const { outcomes, failedMsg } = await executeSteps({ host: 'local', conn: localShell }, plan.steps);
  return { failedMsg, result: sshKeygen.finish!(parse({}), { all: outcomes, byId: (id) => outcomes.find((o) => o.step.id === id) }, plan) };
}

describe('ssh_keygen module', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'ssh-keygen-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a pair for real: no passphrase, private folder and key, public key returned', async () => {
    const keyPath = path.join(dir, 'new', 'id_ed25519');
    const host = fakeHost({ probes: { [`test -e ${keyPath}`]: { stdout: '', stderr: '', exitCode: 1 }, 'command -v ssh-keygen': '/usr/bin/ssh-keygen\n' } });
    const plan = await sshKeygen.plan(host, parse({ path: keyPath, comment: 'swarmplay test' }));
    assert.equal(existsSync(keyPath), false, 'planning generated nothing');
    const { failedMsg, result } = await runPlan(plan);
    assert.equal(failedMsg, undefined);
    assert.match(String(result.public_key), /^ssh-ed25519 AAAA\S+ swarmplay test$/);
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(keyPath)).mode & 0o777, 0o700);
  });

  it('derives the public half of an existing key, and says when it cannot', async () => {
    const keyPath = path.join(dir, 'id_ed25519');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kept', '-f', keyPath]);
    rmSync(`${keyPath}.pub`);
    const probes = { [`test -e ${keyPath}`]: '', 'command -v ssh-keygen': '/usr/bin/ssh-keygen\n' };
    const plan = await sshKeygen.plan(fakeHost({ probes }), parse({ path: keyPath }));
    assert.match(String((await runPlan(plan)).result.public_key), /^ssh-ed25519 AAAA\S+/);

    writeFileSync(keyPath, 'not a key\n', { mode: 0o600 });
    rmSync(`${keyPath}.pub`);
    const broken = await runPlan(await sshKeygen.plan(fakeHost({ probes }), parse({ path: keyPath })));
    assert.match(broken.failedMsg!, new RegExp(`^cannot derive the public key from ${keyPath} \\(is it passphrase-protected\\?\\)`));
    assert.deepEqual(broken.result, {});
    assert.equal(existsSync(`${keyPath}.pub`), false, 'no empty public key left for the next run to take');
    assert.equal(existsSync(`${keyPath}.pub.new`), false);
  });
});
