/**
 * ansible-vault's format, checked both ways against /usr/bin/ansible-vault:
 * what it encrypts swarmplay decrypts, and what swarmplay encrypts (files,
 * 1.2 vault IDs, encrypt_string values) it decrypts. Then the password
 * sources (file, script, client script, prompt) and the `vault` command.
 */
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { CLI, runCli, type CliResult } from '../support/cli.js';
import { decryptPayload, encryptVaultText, parseEnvelope, VaultPasswordMismatch } from '../../src/vault/vault-format.js';
import { loadVaultKeyring, parseVaultIdSpec, VaultKeyring, type PasswordPrompter } from '../../src/vault/keyring.js';
import { SwarmplayError } from '../../src/errors.js';
import { VaultedValue, vaultTag } from '../../src/vault/vaulted-value.js';

const exec = promisify(execFile);
const ansibleVault = (args: string[]) => exec('/usr/bin/ansible-vault', args, { env: { ...process.env, ANSIBLE_NOCOLOR: '1' } });

function cliWithStdin(args: string[], input: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

const where = { file: 'x.yml', line: 1, column: 1 };

describe('vault: the format, against ansible-vault', function () {
  this.timeout(60_000);
  let dir: string;
  const file = (name: string) => path.join(dir, name);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-vault-'));
    await writeFile(file('pw'), 'first-password\n');
    await writeFile(file('pw2'), '  second password  \n');
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('decrypts what ansible-vault encrypted: 1.1 and 1.2 with a vault ID, through `swarmplay vault view`', async () => {
    await writeFile(file('a.yml'), 'db_password: from-ansible\n');
    await writeFile(file('b.yml'), 'api_token: "é漢字 🚀"\n');
    await ansibleVault(['encrypt', '--vault-password-file', file('pw'), file('a.yml')]);
    await ansibleVault(['encrypt', '--vault-id', `prod@${file('pw2')}`, file('b.yml')]);
    assert.match(await readFile(file('b.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;prod\n/);
    const view = await runCli(['vault', 'view', '--vault-password-file', file('pw'), '--vault-id', `prod@${file('pw2')}`, file('a.yml'), file('b.yml')]);
    assert.equal(view.code, 0, view.stderr);
    assert.equal(view.stdout, 'db_password: from-ansible\napi_token: "é漢字 🚀"\n');
  });

  it('ansible-vault decrypts what swarmplay encrypted: a file with a vault ID and an encrypt_string value', async () => {
    await writeFile(file('c.yml'), 'registry_password: from-swarmplay\n');
    const modeBefore = (await stat(file('c.yml'))).mode & 0o777;
    const enc = await runCli(['vault', 'encrypt', '--vault-id', `dev@${file('pw')}`, file('c.yml')]);
    assert.equal(enc.code, 0, enc.stderr);
    assert.match(enc.stderr, /Encryption successful/);
    assert.match(await readFile(file('c.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;dev\n([0-9a-f]{80}\n)+[0-9a-f]{1,80}\n$/);
    assert.equal((await stat(file('c.yml'))).mode & 0o777, modeBefore, 'the file keeps its mode');

    const str = await runCli(['vault', 'encrypt_string', '--vault-password-file', file('pw'), '-n', 'smtp_password', 'multi word s3cret']);
    assert.equal(str.code, 0, str.stderr);
    assert.match(str.stdout, /^smtp_password: !vault \|\n {10}\$ANSIBLE_VAULT;1\.1;AES256\n( {10}[0-9a-f]+\n)+$/);
    // The YAML it prints is what a vars file holds: the tagged value's text is the vault file's text.
    const value = parseDocument(str.stdout, { customTags: [vaultTag] }).toJS().smtp_password as VaultedValue;
    assert.ok(value instanceof VaultedValue);
    await writeFile(file('string.vault'), value.ciphertext);

    const { stdout } = await ansibleVault(['view', '--vault-id', `dev@${file('pw')}`, file('c.yml'), file('string.vault')]);
    // (view ends what it prints with a newline of its own)
    assert.equal(stdout, 'registry_password: from-swarmplay\nmulti word s3cret\n');
  });

  it('a wrong password is a clear error naming the file, exit 5; the file is left as it was', async () => {
    await writeFile(file('wrong'), 'not-it\n');
    const before = await readFile(file('a.yml'), 'utf8');
    const result = await runCli(['vault', 'decrypt', '--vault-password-file', file('wrong'), file('a.yml')]);
    assert.equal(result.code, 5);
    assert.match(result.stderr, new RegExp(`^ERROR: ${file('a.yml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: cannot decrypt .*a\\.yml: the vault password is wrong \\(tried 'default' \\(file .*wrong\\)\\)`));
    assert.doesNotMatch(result.stderr, /not-it/);
    assert.equal(await readFile(file('a.yml'), 'utf8'), before);
  });

  it('decrypt, rekey (to a new vault ID) and edit ($EDITOR) keep the content and the mode', async () => {
    await writeFile(file('d.yml'), 'x: 1\n', { mode: 0o640 });
    await chmod(file('d.yml'), 0o640);
    assert.equal((await runCli(['vault', 'encrypt', '--vault-password-file', file('pw'), file('d.yml')])).code, 0);
    const rekey = await runCli(['vault', 'rekey', '--vault-password-file', file('pw'), '--new-vault-password-file', file('pw2'), '--new-vault-id', 'ops', file('d.yml')]);
    assert.equal(rekey.code, 0, rekey.stderr);
    assert.match(await readFile(file('d.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;ops\n/);
    await writeFile(file('editor.sh'), '#!/bin/sh\nprintf "y: 2\\n" >> "$1"\n');
    await chmod(file('editor.sh'), 0o755);
    const edit = await runCli(['vault', 'edit', '--vault-id', `ops@${file('pw2')}`, file('d.yml')], { env: { EDITOR: file('editor.sh') } });
    assert.equal(edit.code, 0, edit.stderr);
    assert.match(await readFile(file('d.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;ops\n/, 'edit keeps the vault ID');
    const dec = await runCli(['vault', 'decrypt', '--vault-id', `ops@${file('pw2')}`, file('d.yml')]);
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(await readFile(file('d.yml'), 'utf8'), 'x: 1\ny: 2\n');
    assert.equal((await stat(file('d.yml'))).mode & 0o777, 0o640);
  });

  it('passwords from a script, a client script (given --vault-id LABEL) and a prompt on stdin', async () => {
    await writeFile(file('pass.sh'), '#!/bin/sh\necho first-password\n');
    await writeFile(file('keys-client.sh'), '#!/bin/sh\n[ "$1" = --vault-id ] && [ "$2" = prod ] && { echo "  second password  "; exit 0; }\necho "no secret for $2" >&2; exit 2\n');
    await chmod(file('pass.sh'), 0o755);
    await chmod(file('keys-client.sh'), 0o755);
    const ring = await loadVaultKeyring({ vaultIds: [`prod@${file('keys-client.sh')}`], passwordFiles: [file('pass.sh')] });
    assert.deepEqual(ring.secrets.map((s) => [s.id, s.password.toString()]), [['prod', '  second password  '], ['default', 'first-password']]);
    // The file password is stripped of all surrounding whitespace, a script's only of line ends, as Ansible does.
    const fromFile = await loadVaultKeyring({ vaultIds: [`prod@${file('pw2')}`] });
    assert.equal(fromFile.secrets[0]!.password.toString(), 'second password');
    await assert.rejects(loadVaultKeyring({ vaultIds: [`dev@${file('keys-client.sh')}`] }), /knows no secret for vault ID 'dev'/);

    const prompt = await cliWithStdin(['vault', 'view', '--vault-id', 'default@prompt', file('a.yml')], 'first-password\n');
    assert.equal(prompt.code, 0, prompt.stderr);
    assert.equal(prompt.stdout, 'db_password: from-ansible\n');
    assert.match(prompt.stderr, /Vault password: /);
  });
});

describe('vault: format and keyring units', () => {
  const password = Buffer.from('unit-password');

  it('round-trips any length (padding at every block boundary), with the envelope Ansible writes', () => {
    for (const length of [0, 1, 15, 16, 17, 31, 32, 100]) {
      const plain = Buffer.alloc(length, 0x61 + (length % 26));
      const text = encryptVaultText(plain, password, undefined, Buffer.alloc(32, 7));
      const envelope = parseEnvelope(text);
      assert.deepEqual([envelope.version, envelope.cipher, envelope.vaultId], ['1.1', 'AES256', undefined]);
      assert.deepEqual(decryptPayload(envelope.payload, password), plain);
    }
    assert.throws(() => decryptPayload(parseEnvelope(encryptVaultText(Buffer.from('x'), password)).payload, Buffer.from('other')), VaultPasswordMismatch);
  });

  it('tries the password of the envelope\'s vault ID first, then the others; damaged text is a format error', async () => {
    const ring = await loadVaultKeyring({});
    assert.throws(() => ring.decrypt(encryptVaultText(Buffer.from('x'), password), where), /no vault password was given/);
    const text = encryptVaultText(Buffer.from('for prod'), password, 'prod');
    const keyring = new VaultKeyring([
      { id: 'dev', password: Buffer.from('dev-pw'), source: 'file dev' },
      { id: 'other', password, source: 'file other' },
    ]);
    assert.equal(keyring.decrypt(text, where).toString(), 'for prod', 'a password of another label still works (vault_id_match=False)');
    const damaged = text.replace(/\n([0-9a-f])/, '\nzz');
    assert.throws(() => keyring.decrypt(damaged, where), (e: SwarmplayError) => e.code === 'BAD_VAULT' && /damaged|not valid/.test(e.message));
  });

  it('reads --vault-id as Ansible does', () => {
    assert.deepEqual(parseVaultIdSpec('prod@~/.vault'), { label: 'prod', source: '~/.vault' });
    assert.deepEqual(parseVaultIdSpec('pw.txt'), { label: 'default', source: 'pw.txt' });
    assert.throws(() => parseVaultIdSpec('@x'), /LABEL@SOURCE/);
  });

  it('a prompter that ends gives a clear error', async () => {
    const ended: PasswordPrompter = { ask: async () => { throw new SwarmplayError('BAD_OPTION', 'no password given (input ended)'); }, close: () => {} };
    await assert.rejects(loadVaultKeyring({ askVaultPass: true }, () => ended), /input ended/);
  });
});
