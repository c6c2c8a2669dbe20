import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwarmplayError } from '../../src/errors.js';
import { expandLimit, matchHosts, parseAddress, selectHosts, splitHostPattern } from '../../src/language/host-patterns.js';
import { loadInventory, type Inventory } from '../../src/language/inventory.js';
import { ansibleListHosts, ansiblePlaybookPatternError, FIXTURES, requireAnsible } from '../fixtures/inventory/ansible-oracle.js';

const BASIC = join(FIXTURES, 'basic/hosts.yaml');

// Every form the issue names, plus Ansible's corner cases (reordering of & and !, subscripts, hosts with dots).
const PATTERNS = [
  'all',
  '*',
  'managers',
  'docker01',
  'managers:workers',
  'workers,managers',
  'docker03:docker01',
  'swarm:&db',
  'swarm:!workers',
  '!docker03:swarm',
  '&managers',
  '!swarm',
  'docker0*',
  '*.example.com',
  '~docker0[12]',
  '~(web|edge)',
  'workers[0]',
  'workers[-1]',
  'swarm[0:1]',
  'swarm[1:]',
  'web0?',
  'ungrouped',
  'nosuch',
  'nosuch:managers',
  'db:web:&all:!dba.example.com',
  'swarm, db',
];

describe('host patterns: compared with ansible --list-hosts', function () {
  this.timeout(120000);
  let inv: Inventory;
  before(async () => {
    requireAnsible();
    inv = await loadInventory(BASIC);
  });

  for (const pattern of PATTERNS) {
    it(`'${pattern}' selects the same hosts, in the same order, with the same warnings`, () => {
      const theirs = ansibleListHosts(BASIC, pattern);
      assert.equal(theirs.error, undefined, `ansible failed: ${theirs.error}`);
      const ours = matchHosts(inv, pattern);
      assert.deepStrictEqual(ours.hosts, theirs.hosts);
      assert.deepStrictEqual(ours.warnings, theirs.warnings);
    });
  }

  it('a pattern with --limit selects what ansible --limit does', () => {
    const theirs = ansibleListHosts(BASIC, 'swarm:db', 'docker0*:!docker02');
    assert.deepStrictEqual(selectHosts(inv, 'swarm:db', 'docker0*:!docker02').hosts, theirs.hosts);
  });

  it('a subscript past the end is an error, as in ansible-playbook', () => {
    assert.match(ansiblePlaybookPatternError(BASIC, 'managers[5]') ?? '', /No hosts matched the subscripted pattern 'managers\[5\]'/);
    assert.throws(() => matchHosts(inv, 'managers[5]'), (e: SwarmplayError) => e.code === 'BAD_PATTERN' && /No hosts matched the subscripted pattern 'managers\[5\]'/.test(e.message));
  });
});

describe('host patterns: splitting and bad patterns', () => {
  it('splits like Ansible: commas first, whole addresses and ranges kept, colons otherwise', () => {
    assert.deepStrictEqual(splitHostPattern('a:b:&c:!d'), ['a', 'b', '&c', '!d']);
    assert.deepStrictEqual(splitHostPattern('a, b ,,c'), ['a', 'b', 'c']);
    assert.deepStrictEqual(splitHostPattern('web[01:03]'), ['web[01:03]']);
    assert.deepStrictEqual(splitHostPattern('workers[0:1]:managers'), ['workers[0:1]', 'managers']);
    assert.deepStrictEqual(splitHostPattern('10.0.0.1:2222'), ['10.0.0.1:2222']);
    assert.deepStrictEqual(splitHostPattern('fe80::1'), ['fe80::1']);
    assert.deepStrictEqual(splitHostPattern(['a:b', 'c']), ['a', 'b', 'c']);
  });

  it('parses addresses with ports and ranges', () => {
    assert.deepStrictEqual(parseAddress('web[01:03]:2222'), { host: 'web[01:03]', port: 2222 });
    assert.deepStrictEqual(parseAddress('[::1]:22'), { host: '::1', port: 22 });
    assert.deepStrictEqual(parseAddress('docker01'), { host: 'docker01', port: undefined });
    assert.equal(parseAddress('docker0*'), null);
    // Plain ASCII names take a shortcut; it must accept and refuse exactly what the full expressions do.
    for (const name of ['a', 'A1', '_a', 'a-_b', 'web_01', 'web-01.example.com', '1.2.3', '999.1.1.1', 'É', 'web[01:03]']) {
      assert.deepStrictEqual(parseAddress(name), { host: name, port: undefined }, name);
    }
    for (const name of ['_', 'a_', 'a-', '-a', 'ab-', 'a..b', 'a.', '.a', 'x_.y', 'a.b-', 'a.-b']) assert.equal(parseAddress(name), null, name);
  });

  it('refuses an unbalanced bracket, an empty & or !, and a bad regex with BAD_PATTERN', async () => {
    const inv = await loadInventory(BASIC);
    for (const bad of ['workers[0', 'swarm:&', 'swarm:!', '~docker0[', 'a]:b']) {
      assert.throws(() => matchHosts(inv, bad), (e: SwarmplayError) => e.code === 'BAD_PATTERN' && e.exitCode === 5, bad);
    }
  });

  it('an empty pattern selects nothing', async () => {
    assert.deepStrictEqual(matchHosts(await loadInventory(BASIC), ''), { hosts: [], warnings: [] });
  });

  it('--limit @FILE reads one host per line, like a .retry file', async () => {
    const inv = await loadInventory(BASIC);
    const dir = mkdtempSync(join(tmpdir(), 'swarmplay-limit-'));
    writeFileSync(join(dir, 'site.retry'), 'docker03\n\ndocker01\n');
    assert.deepStrictEqual(expandLimit('@site.retry,web01', dir), ['docker03', 'docker01', 'web01']);
    assert.deepStrictEqual(selectHosts(inv, 'all', '@site.retry', dir).hosts, ['docker03', 'docker01']);
    assert.throws(() => expandLimit('@missing.retry', dir), (e: SwarmplayError) => e.code === 'FILE_NOT_FOUND');
  });
});
