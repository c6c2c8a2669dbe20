import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SwarmplayError } from '../../src/errors.js';
import { loadInventory } from '../../src/language/inventory.js';
import { forgetCommandFor, forgetHostKeys } from '../../src/runner/host-connections.js';

describe('known_hosts of an inventory: the forget command a refusal names, and what it removes', () => {
  let dir: string;
  let key: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-hc-test-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'key')]);
    key = (await readFile(path.join(dir, 'key.pub'), 'utf8')).trim().split(' ').slice(0, 2).join(' ');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('names the same inventories, and --known-hosts when the run had it', async () => {
    const file = path.join(dir, 'hosts.yaml');
    await writeFile(file, 'all:\n  hosts:\n    docker03: { ansible_host: 10.0.0.13 }\n');
    const inventory = await loadInventory([file, 'extra1,']);
    assert.equal(forgetCommandFor(inventory, {}, 'docker03'), `swarmplay known-hosts forget docker03 -i ${file} -i extra1,`);
    assert.equal(forgetCommandFor(inventory, { knownHostsPath: '/k h' }, 'docker03'),
      `swarmplay known-hosts forget docker03 -i ${file} -i extra1, --known-hosts '/k h'`);
  });

  it("removes the host's name and address on its port from the inventory's swarmplay_known_hosts; an unknown host is bad input", async () => {
    const knownHosts = path.join(dir, 'known_hosts');
    await writeFile(knownHosts, `docker03 ${key}\n[10.0.0.13]:2222 ${key}\n10.0.0.13 ${key}\ndocker01 ${key}\n`);
    const file = path.join(dir, 'inv.yaml');
    await writeFile(file, `all:\n  vars: { swarmplay_known_hosts: ${knownHosts} }\n  hosts:\n    docker03: { ansible_host: 10.0.0.13, ansible_port: 2222 }\n`);
    const inventory = await loadInventory(file);
    const result = forgetHostKeys(inventory, 'docker03', { strictHostKeys: false });
    assert.equal(result.file, knownHosts);
    assert.deepEqual(result.removed.map((r) => r.hosts), ['[10.0.0.13]:2222']);
    assert.equal(await readFile(knownHosts, 'utf8'), `docker03 ${key}\n10.0.0.13 ${key}\ndocker01 ${key}\n`);
    assert.throws(() => forgetHostKeys(inventory, 'docker09', { strictHostKeys: false }),
      (e: unknown) => e instanceof SwarmplayError && e.exitCode === 5 && /no host docker09 in .*inv\.yaml/.test(e.message));
  });
});
