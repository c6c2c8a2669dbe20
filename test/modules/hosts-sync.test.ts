import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostsSync, withBlock, renderBlock, entriesFromInventory, inPlaceSafeWriteScript, BEGIN_MARKER, END_MARKER } from '../../src/modules/hosts-sync.js';
import type { Step, CommandStep } from '../../src/modules/types.js';
import { fakeHost } from '../support/fake-host.js';

const DEBIAN_HOSTS = '127.0.0.1\tlocalhost\n127.0.1.1\tdocker01\n\n::1 localhost ip6-localhost\n';
const vars = {
  groups: { all: ['docker01', 'docker02', 'docker03'], managers: ['docker01'] },
  hostvars: {
    docker01: { ansible_host: '10.77.0.11' },
    docker02: { ansible_host: '10.77.0.12' },
    docker03: { ansible_host: 'docker03.example', ansible_default_ipv4: { address: '10.77.0.13' } },
  },
};
const parse = (args: unknown) => hostsSync.schema.parse(args);
const commandOf = (change: Step | undefined) => change as CommandStep;

describe('hosts_sync module', () => {
  it('appends one marked block with every host, leaving the other lines alone', async () => {
    const host = fakeHost({ vars, files: { '/etc/hosts': DEBIAN_HOSTS } });
    const plan = await hostsSync.plan(host, parse({}));
    const change = commandOf(plan.steps[0]);
    assert.equal(plan.steps.length, 1);
    assert.equal(change.stdin, `${DEBIAN_HOSTS}${BEGIN_MARKER}\n10.77.0.11 docker01\n10.77.0.12 docker02\n10.77.0.13 docker03\n${END_MARKER}\n`);
    assert.equal(plan.diffs![0]!.after, change.stdin);
    assert.deepEqual(host.probed, [], 'planning only reads the file');

    // A second run over the written file: no change.
    const again = await hostsSync.plan(fakeHost({ vars, files: { '/etc/hosts': change.stdin! } }), parse({}));
    assert.deepEqual(again.steps, []);
  });

  it('replaces the block in place: a host that left the group leaves the block', () => {
    const before = `a\n${BEGIN_MARKER}\n1.1.1.1 old\n${END_MARKER}\nz\n`;
    const after = withBlock(before, renderBlock([{ name: 'new', address: '2.2.2.2', aliases: ['n'] }]));
    assert.equal(after, `a\n${BEGIN_MARKER}\n2.2.2.2 new n\n${END_MARKER}\nz\n`);
    assert.equal(withBlock('no-newline', 'B\n'), 'no-newline\nB\n');
    assert.equal(withBlock('', 'B\n'), 'B\n');
  });

  it('takes explicit entries, and a group', async () => {
    const plan = await hostsSync.plan(fakeHost({ vars, files: { '/etc/hosts': '' } }), parse({ group: 'managers' }));
    assert.match(commandOf(plan.steps[0]).stdin!, /^# BEGIN SWARMPLAY HOSTS\n10\.77\.0\.11 docker01\n# END/);
    const explicit = await hostsSync.plan(fakeHost({ files: { '/etc/hosts': '' } }), parse({ entries: [{ name: 'db', address: '10.0.0.5' }] }));
    assert.match(commandOf(explicit.steps[0]).stdin!, /10\.0\.0\.5 db/);
  });

  it('fails clearly without an address, an unknown group, a bad name', async () => {
    const noAddress = entriesFromInventory({ groups: { all: ['h1'] }, hostvars: { h1: { ansible_host: 'h1.example' } } }, 'all', 'ansible_host');
    assert.match((noAddress as { error: string }).error, /no IP address for h1: its ansible_host is "h1.example"/);
    assert.match((entriesFromInventory(vars, 'nope', 'ansible_host') as { error: string }).error, /no group 'nope'/);
    assert.equal(hostsSync.schema.safeParse({ entries: [{ name: 'a b', address: '1.2.3.4' }] }).success, false);
    assert.equal(hostsSync.schema.safeParse({ entries: [{ name: 'a', address: 'x' }] }).success, false);
  });

  it('writes a bind-mounted file in place (rename fails there) and keeps its mode, in a real shell', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hosts-sync-'));
    try {
      const target = path.join(dir, 'hosts');
      const source = path.join(dir, 'hosts.source');
      writeFileSync(target, 'old\n');
      writeFileSync(source, 'old\n');
      chmodSync(source, 0o640);
      const content = `127.0.0.1 localhost\n${renderBlock([{ name: 'docker01', address: '10.77.0.11', aliases: [] }])}`;
      // A private mount namespace: bind source over target, run the script, read back through the mount.
      const script = `mount --bind ${source} ${target} && sh -c "$1" && cat ${target}; mountpoint -q ${target}`;
      const run = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', inPlaceSafeWriteScript(target, Buffer.byteLength(content))], { input: content, encoding: 'utf8' });
      assert.equal(run.status, 0, `needs root and unshare: ${run.stderr}`);
      assert.equal(run.stdout, content);
      assert.equal(readFileSync(source, 'utf8'), content, 'the bind-mounted file itself was written');
      assert.equal(statSync(source).mode & 0o777, 0o640);

      // A cut connection (less content than announced) leaves the target whole.
      const cut = spawnSync('sh', ['-c', inPlaceSafeWriteScript(source, 9999)], { input: 'partial', encoding: 'utf8' });
      assert.equal(cut.status, 3);
      assert.equal(readFileSync(source, 'utf8'), content);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
