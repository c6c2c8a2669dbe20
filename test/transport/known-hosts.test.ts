import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SwarmplayError } from '../../src/errors.js';
import { KnownHosts, fingerprintSha256, keyTypeOfBlob, knownHostsName } from '../../src/transport/known-hosts.js';

describe('KnownHosts', () => {
  let dir: string;
  /** Real keys made by ssh-keygen: [type, base64 blob, fingerprint as ssh-keygen -lf prints it]. */
  const keys: Array<{ type: string; base64: string; blob: Buffer; fingerprint: string }> = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-kh-test-'));
    for (const [i, type] of ['ed25519', 'ecdsa', 'ed25519'].entries()) {
      const file = path.join(dir, `key${i}`);
      execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
      const [keyType, base64] = (await readFile(`${file}.pub`, 'utf8')).trim().split(/\s+/);
      const fingerprint = execFileSync('ssh-keygen', ['-lf', `${file}.pub`]).toString().split(/\s+/)[1]!;
      keys.push({ type: keyType!, base64: base64!, blob: Buffer.from(base64!, 'base64'), fingerprint });
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function fileWith(text: string): Promise<string> {
    const file = path.join(dir, `kh-${Math.random().toString(36).slice(2)}`);
    await writeFile(file, text);
    return file;
  }

  it('computes fingerprints exactly as ssh-keygen -lf', () => {
    for (const key of keys) assert.equal(fingerprintSha256(key.blob), key.fingerprint);
  });

  it('reads the key type from the blob', () => {
    assert.equal(keyTypeOfBlob(keys[0]!.blob), 'ssh-ed25519');
    assert.equal(keyTypeOfBlob(keys[1]!.blob), 'ecdsa-sha2-nistp256');
  });

  it('names non-22 ports as [host]:port', () => {
    assert.equal(knownHostsName('10.0.0.1', 22), '10.0.0.1');
    assert.equal(knownHostsName('10.0.0.1', 2222), '[10.0.0.1]:2222');
  });

  it('matches plain entries, comma lists and [host]:port; ignores comments and blank lines', async () => {
    const [a] = keys;
    const file = await fileWith(`# comment\n\nother,docker01,10.0.0.6 ${a!.type} ${a!.base64} root@x\n[10.0.0.7]:2222 ${a!.type} ${a!.base64}\n`);
    const kh = new KnownHosts(file);
    assert.equal(kh.verify(['docker01'], 22, a!.type, a!.blob), 'match');
    assert.equal(kh.verify(['10.0.0.6'], 22, a!.type, a!.blob), 'match');
    assert.equal(kh.verify(['10.0.0.7'], 2222, a!.type, a!.blob), 'match');
    assert.equal(kh.verify(['10.0.0.7'], 22, a!.type, a!.blob), 'unknown');
    assert.equal(kh.verify(['10.0.0.6'], 2222, a!.type, a!.blob), 'unknown');
  });

  it('matches hashed entries written by ssh-keygen -H', async () => {
    const [a] = keys;
    const file = await fileWith(`[10.0.0.8]:2200 ${a!.type} ${a!.base64}\nhashme ${a!.type} ${a!.base64}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const text = await readFile(file, 'utf8');
    assert.equal(text.split('\n').filter((l) => l.startsWith('|1|')).length, 2);
    const kh = new KnownHosts(file);
    assert.equal(kh.verify(['10.0.0.8'], 2200, a!.type, a!.blob), 'match');
    assert.equal(kh.verify(['hashme'], 22, a!.type, a!.blob), 'match');
    assert.equal(kh.verify(['hashmf'], 22, a!.type, a!.blob), 'unknown');
  });

  it('wildcards and negations as OpenSSH reads them', async () => {
    const [a] = keys;
    const file = await fileWith(`*.lab,!bad.lab ${a!.type} ${a!.base64}\n`);
    const kh = new KnownHosts(file);
    assert.equal(kh.verify(['web.lab'], 22, a!.type, a!.blob), 'match');
    assert.equal(kh.verify(['bad.lab'], 22, a!.type, a!.blob), 'unknown');
  });

  it('reports a changed key with the old fingerprint and its line; another key type is just unknown', async () => {
    const [a, b, c] = keys;
    const file = await fileWith(`# first line\ndocker01 ${a!.type} ${a!.base64}\n`);
    const kh = new KnownHosts(file);
    assert.deepEqual(kh.verify(['docker01'], 22, c!.type, c!.blob), { changed: a!.fingerprint, file, line: 2 });
    assert.equal(kh.verify(['docker01'], 22, b!.type, b!.blob), 'unknown');
    assert.deepEqual(kh.knownKeyTypes(['docker01'], 22), ['ssh-ed25519']);
  });

  it('skips @cert-authority lines and refuses keys listed @revoked', async () => {
    const [a, b] = keys;
    const file = await fileWith(`@cert-authority docker01 ${a!.type} ${a!.base64}\n@revoked * ${b!.type} ${b!.base64}\n`);
    const kh = new KnownHosts(file);
    assert.equal(kh.verify(['docker01'], 22, a!.type, a!.blob), 'unknown');
    assert.deepEqual(kh.verify(['docker01'], 22, b!.type, b!.blob), { revoked: b!.fingerprint, file, line: 2 });
    assert.throws(() => kh.check('docker01', 'docker01', 22, b!.blob, false),
      (e: unknown) => e instanceof SwarmplayError && e.code === 'HOST_KEY_CHANGED' && /revoked/.test(e.message));
  });

  it('accept-new appends a line that ssh-keygen -F finds, creating the folder 0700 and file 0600', async () => {
    const [a] = keys;
    const file = path.join(dir, 'fresh', '.ssh', 'known_hosts');
    const kh = new KnownHosts(file);
    kh.check('docker03', '10.0.0.9', 2201, a!.blob, false);
    assert.equal(await readFile(file, 'utf8'), `[10.0.0.9]:2201 ${a!.type} ${a!.base64}\n`);
    assert.equal((await stat(path.dirname(file))).mode & 0o777, 0o700);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const found = execFileSync('ssh-keygen', ['-F', '[10.0.0.9]:2201', '-f', file]).toString();
    assert.match(found, /ssh-ed25519/);
    assert.equal(kh.verify(['10.0.0.9'], 2201, a!.type, a!.blob), 'match');
  });

  it('hashNewEntries writes |1| entries that ssh-keygen -F finds', async () => {
    const [a] = keys;
    const file = await fileWith('no-newline-at-end ssh-ed25519 AAAA');
    new KnownHosts(file, { hashNewEntries: true }).add('10.0.0.10', 22, a!.type, a!.blob);
    const lines = (await readFile(file, 'utf8')).split('\n');
    assert.match(lines[1]!, /^\|1\|/);
    const found = execFileSync('ssh-keygen', ['-F', '10.0.0.10', '-f', file]).toString();
    assert.match(found, /line 2/);
  });

  it('strict mode refuses an unknown host and writes nothing', async () => {
    const [a] = keys;
    const file = path.join(dir, 'strict-none');
    assert.throws(() => new KnownHosts(file).check('h', '10.0.0.11', 22, a!.blob, true),
      (e: unknown) => e instanceof SwarmplayError && e.code === 'HOST_KEY_UNKNOWN' && e.message.includes(a!.fingerprint));
    await assert.rejects(stat(file), /ENOENT/);
  });

  it('a changed key names both fingerprints and the command that forgets that host only', async () => {
    const [a, , c] = keys;
    const file = await fileWith(`10.0.0.12 ${a!.type} ${a!.base64}\n`);
    const kh = new KnownHosts(file, { forgetCommand: (host) => `swarmplay known-hosts forget ${host} -i inv.yaml` });
    assert.throws(() => kh.check('docker03', '10.0.0.12', 22, c!.blob, false), (e: unknown) => e instanceof SwarmplayError &&
      e.code === 'HOST_KEY_CHANGED' && e.message.includes(`${file}:1 has ${a!.fingerprint}, the host offered ssh-ed25519 ${c!.fingerprint}`) &&
      e.hint!.includes('forget the old key of docker03 only: swarmplay known-hosts forget docker03 -i inv.yaml'));
  });

  it('forget removes a host by name and address, hashed entries too, and touches nothing else', async () => {
    const [a, b] = keys;
    const hashed = await fileWith(`10.0.0.13 ${a!.type} ${a!.base64}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    const hashedLine = (await readFile(hashed, 'utf8')).trim();
    const others = [
      '# my hosts',
      `docker01 ${b!.type} ${b!.base64}`,
      `[10.0.0.13]:2222 ${b!.type} ${b!.base64}`,
      `*.lab ${b!.type} ${b!.base64}`,
      `@revoked docker03 ${b!.type} ${b!.base64}`,
    ];
    const file = await fileWith([others[0], `docker03,10.0.0.13 ${a!.type} ${a!.base64} old comment`, others[1], hashedLine,
      `docker03,docker04 ${a!.type} ${a!.base64}`, ...others.slice(2), ''].join('\n'));
    execFileSync('chmod', ['0640', file]);
    const result = new KnownHosts(file).forget(['docker03', '10.0.0.13'], 22);
    assert.deepEqual(result.removed.map((r) => [r.line, r.matched, r.partial ?? false, r.fingerprint]), [
      [2, 'docker03', false, a!.fingerprint], [4, '10.0.0.13', false, a!.fingerprint], [5, 'docker03', true, a!.fingerprint]]);
    assert.deepEqual(result.kept.map((k) => k.line), [8]);
    assert.equal(await readFile(file, 'utf8'),
      [others[0], others[1], `docker04 ${a!.type} ${a!.base64}`, ...others.slice(2), ''].join('\n'));
    assert.equal((await stat(file)).mode & 0o777, 0o640);
    // OpenSSH's own reader finds nothing left for the host.
    const found = (name: string) => spawnSync('ssh-keygen', ['-F', name, '-f', file]).stdout.toString();
    assert.match(found('docker03'), /^# Host docker03 found: line 6 REVOKED\n@revoked /);
    assert.equal(found('docker03').split('\n').filter((l) => l && !l.startsWith('#')).length, 1, 'only the @revoked line');
    assert.equal(found('10.0.0.13'), '');
    // A second forget finds nothing and writes nothing.
    const again = new KnownHosts(file).forget(['docker03', '10.0.0.13'], 22);
    assert.deepEqual(again.removed, []);
  });
});
