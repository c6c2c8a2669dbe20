/**
 * The read-ahead of a play's file reads, on real files through the local
 * transport: what it serves is byte for byte what the single reads print,
 * it takes one round trip for many paths, a write keeps what it wrote and
 * drops only what may be the same file, a command drops everything, and what
 * it cannot answer exactly (links, folders) is left to the live read.
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ReadAhead, type PredictedRead } from '../../src/runner/read-ahead.js';
import { LocalConnection } from '../../src/transport/local.js';
import { CountingConnection } from '../support/counting-connection.js';
import { readFileScript } from '../../src/transport/atomic-write.js';
import { statCommand } from '../../src/modules/file-content.js';
import { testPathCommand } from '../../src/modules/command.js';
import type { Connection } from '../../src/transport/types.js';


async function liveRead(conn: Connection, file: string): Promise<Buffer | null> {
  const raw = await conn.runBytes!(readFileScript(file));
  return raw.exitCode === 100 ? null : raw.stdout;
}

describe('read-ahead of a play\'s file reads', () => {
  let dir: string;
  let conn: CountingConnection;
  const at = (name: string) => path.join(dir, name);

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-read-ahead-'));
    conn = new CountingConnection();
    await writeFile(at('text.conf'), 'name = one\n', { mode: 0o640 });
    await writeFile(at('binary.bin'), Buffer.from([0, 255, 10, 13, 0x73, 0x77, 0]));
    await writeFile(at('no-newline'), 'last line');
    await mkdir(at('folder'));
    await symlink(at('text.conf'), at('link.conf'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function hostReads(paths: PredictedRead[]) {
    const reads = new ReadAhead().forHost('local');
    reads.upcoming = () => paths;
    return reads;
  }

  const all = (names: string[]) => names.map((name) => ({ path: at(name), content: true }));

  it('serves every predicted path from one round trip, exactly as the single reads print it', async () => {
    const names = ['text.conf', 'binary.bin', 'no-newline', 'absent.conf', 'folder'];
    const reads = hostReads(all(names));
    assert.deepEqual(await reads.readFile(conn, at('text.conf')), Buffer.from('name = one\n'));
    assert.equal(conn.commands, 1, 'one round trip for five paths');
    for (const name of names) {
      const live = new LocalConnection();
      if (name !== 'folder') assert.deepEqual(await reads.readFile(conn, at(name)), await liveRead(live, at(name)), `${name}: content`);
      for (const command of [statCommand(at(name)), testPathCommand(at(name), undefined)]) {
        assert.deepEqual(await reads.probe(conn, command), await live.run(command), `${name}: ${command}`);
      }
    }
    assert.equal(conn.commands, 1, 'every later read answered without a round trip');
  });

  it('leaves links and folder contents to the live read', async () => {
    const reads = hostReads(all(['text.conf', 'link.conf', 'folder']));
    assert.ok(await reads.readFile(conn, at('text.conf')));
    assert.equal(await reads.readFile(conn, at('link.conf')), undefined, 'a link: read live');
    assert.equal(await reads.probe(conn, statCommand(at('link.conf'))), undefined);
    assert.equal(await reads.readFile(conn, at('folder')), undefined, 'a folder: read live (cat fails there)');
    assert.equal(conn.commands, 1, 'and not asked again');
  });

  it('keeps what a write wrote and the other readings; a command step drops them all', async () => {
    const reads = hostReads(all(['text.conf', 'no-newline', 'absent.conf']));
    assert.equal(await reads.readFile(conn, at('absent.conf')), null);
    await conn.putFile(at('absent.conf'), 'written\n');
    reads.stepsRan([{ kind: 'write', description: 'create', path: at('absent.conf'), content: 'written\n' }], false);
    assert.deepEqual(await reads.readFile(conn, at('absent.conf')), Buffer.from('written\n'));
    assert.deepEqual(await reads.readFile(conn, at('text.conf')), Buffer.from('name = one\n'));
    assert.equal(conn.commands, 1, 'the first read-ahead only (the write is not a read)');

    await writeFile(at('text.conf'), 'changed by a command\n');
    reads.stepsRan([{ kind: 'command', description: 'edit', command: 'true' }], false);
    assert.deepEqual(await reads.readFile(conn, at('text.conf')), Buffer.from('changed by a command\n'), 'read again after a command');
  });

  it('a write through another name of the same folder drops the reading under the first name', async () => {
    await symlink(dir, at('alias'));
    const viaAlias = path.join(at('alias'), 'no-newline');
    const reads = hostReads([{ path: at('no-newline'), content: true }, { path: viaAlias, content: true }]);
    assert.deepEqual(await reads.readFile(conn, at('no-newline')), Buffer.from('last line'));
    await conn.putFile(viaAlias, 'new\n');
    reads.stepsRan([{ kind: 'write', description: 'update', path: viaAlias, content: 'new\n' }], false);
    assert.deepEqual(await reads.readFile(conn, at('no-newline')), Buffer.from('new\n'), 'the same file under its other name is read again');
  });

  it('a failed task drops every reading', async () => {
    const reads = hostReads(all(['text.conf', 'no-newline']));
    await reads.readFile(conn, at('text.conf'));
    reads.stepsRan([{ kind: 'write', description: 'update', path: at('no-newline'), content: 'x' }], true);
    const before = conn.commands;
    await reads.readFile(conn, at('text.conf'));
    assert.equal(conn.commands, before + 1, 'read again');
  });
});
