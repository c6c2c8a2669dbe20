import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SwarmplayError } from '../../src/errors.js';
import { resolveConnectionSpec } from '../../src/runner/connection-vars.js';
import { expandHostRange } from '../../src/language/host-ranges.js';
import { loadInventory, type Inventory } from '../../src/language/inventory.js';
import { ansibleInventoryList, ansibleMagicVars, FIXTURES, requireAnsible } from '../fixtures/inventory/ansible-oracle.js';

const SEED_INVENTORY = fileURLToPath(new URL('../../../inventory/hosts.yaml', import.meta.url));
const BASIC = join(FIXTURES, 'basic/hosts.yaml');
const FOLDERS = join(FIXTURES, 'folders/inventory/hosts.yaml');
const FOLDERS_PLAYBOOK = join(FIXTURES, 'folders/playbook');

/** hostvars as ansible-inventory --list shows them: hosts without variables left out. */
function ourHostvars(inv: Inventory): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const host of inv.hostNames()) {
    const vars = inv.hostVars(host);
    if (Object.keys(vars).length > 0) out[host] = vars;
  }
  return out;
}

async function loadError(path: string): Promise<SwarmplayError> {
  try {
    await loadInventory(path);
  } catch (err) {
    assert.ok(err instanceof SwarmplayError, `expected a SwarmplayError, got ${String(err)}`);
    return err;
  }
  assert.fail(`loading ${path} should have failed`);
}

describe('inventory: compared with Ansible on the same files', function () {
  this.timeout(60000);
  before(requireAnsible);

  const cases: Array<{ name: string; file: string; playbookDir?: string }> = [
    { name: 'the seed inventory', file: SEED_INVENTORY },
    { name: 'nested groups, ranges, priorities', file: BASIC },
    { name: 'group_vars/host_vars beside the inventory', file: FOLDERS },
    { name: 'group_vars/host_vars beside the inventory and the playbook', file: FOLDERS, playbookDir: FOLDERS_PLAYBOOK },
  ];
  for (const c of cases) {
    it(`hostvars of ${c.name} equal ansible-inventory --list`, async () => {
      const inv = await loadInventory(c.file, { playbookDir: c.playbookDir });
      const theirs = ansibleInventoryList(c.file, c.playbookDir) as { _meta: { hostvars: unknown } };
      assert.deepStrictEqual(ourHostvars(inv), theirs._meta.hostvars);
    });
  }

  for (const file of [SEED_INVENTORY, BASIC, FOLDERS]) {
    it(`groups, group_names and host order of ${file.replace(FIXTURES, '')} equal Ansible's magic variables`, async () => {
      const inv = await loadInventory(file);
      const theirs = ansibleMagicVars(file);
      assert.deepStrictEqual(inv.groupsMap(), theirs.groups);
      assert.deepStrictEqual(inv.hostNames(), theirs.groups['all']);
      for (const host of inv.hostNames()) assert.deepStrictEqual(inv.groupsOf(host), theirs.groupNames[host], host);
      assert.deepStrictEqual(new Set(inv.groupNames()), new Set(Object.keys(theirs.groups)));
    });
  }
});

describe('inventory: what the Ansible format means', () => {
  it('reads the walkthrough cluster: three hosts, managers and workers, root, docker03 labelled mem=max', async () => {
    const inv = await loadInventory(SEED_INVENTORY);
    assert.deepStrictEqual(inv.hostNames(), ['docker01', 'docker02', 'docker03']);
    assert.deepStrictEqual(inv.groupsMap()['managers'], ['docker01']);
    assert.deepStrictEqual(inv.groupsMap()['workers'], ['docker02', 'docker03']);
    const addresses = inv.hostNames().map((h) => resolveConnectionSpec(h, inv.hostVars(h)).address);
    assert.deepStrictEqual(addresses, ['192.168.20.6', '192.168.20.7', '192.168.20.8']);
    assert.equal(inv.hostVars('docker01')['ansible_user'], 'root');
    assert.deepStrictEqual(inv.hostVars('docker03')['swarm_labels'], { mem: 'max' });
    assert.equal(inv.hostVars('docker02')['swarm_role'], 'manager');
  });

  it('keeps one host listed in several groups, with its vars merged', async () => {
    const inv = await loadInventory(BASIC);
    assert.equal(inv.hostNames().filter((h) => h === 'docker03').length, 1);
    assert.deepStrictEqual(inv.groupsOf('docker03'), ['alpha', 'db', 'swarm', 'workers']);
    const vars = inv.hostVars('docker03');
    assert.equal(vars['backup'], true); // from db's listing
    assert.equal(vars['ansible_host'], '192.168.20.8'); // from workers' listing
    assert.deepStrictEqual(vars['swarm_labels'], { mem: 'max' });
  });

  it('ranks group vars by depth, then ansible_group_priority, then name', async () => {
    const inv = await loadInventory(BASIC);
    // alpha, swarm and db are depth 1; db has priority 10 so it comes last of them; workers (depth 2) beats all
    assert.equal(inv.hostVars('docker03')['role'], 'worker');
    assert.equal(inv.hostVars('dba.example.com')['role'], 'db');
    assert.equal(inv.hostVars('docker03')['level'], 'workers');
    assert.equal(inv.hostVars('lone')['level'], 'all');
    assert.ok(!('ansible_group_priority' in inv.hostVars('dba.example.com')));
  });

  it('reads scalars as YAML 1.1 like Ansible (yes is true, 0644 is octal)', async () => {
    const vars = (await loadInventory(BASIC)).hostVars('docker01');
    assert.equal(vars['enabled'], true);
    assert.equal(vars['mode'], 0o644);
  });

  it('expands host ranges and host:port like Ansible', async () => {
    const inv = await loadInventory(BASIC);
    assert.deepStrictEqual(inv.groupsMap()['web'], ['web01', 'web02', 'web03', 'edge1-x', 'edge3-x', 'edge5-x']);
    assert.equal(inv.hostVars('web02')['ansible_port'], 2222);
    assert.deepStrictEqual(expandHostRange('db[a:c]'), ['dba', 'dbb', 'dbc']);
    assert.deepStrictEqual(expandHostRange('n[1:2]-[a:b]'), ['n1-a', 'n1-b', 'n2-a', 'n2-b']);
    assert.deepStrictEqual(expandHostRange('w[:2]'), ['w0', 'w1', 'w2']);
    assert.throws(() => expandHostRange('w[01:3]'), /equal-length/);
  });

  it('puts hosts with no group in ungrouped, and takes grouped ones out of it', async () => {
    const inv = await loadInventory(BASIC);
    assert.deepStrictEqual(inv.groupsMap()['ungrouped'], ['stray', 'lone']);
    assert.deepStrictEqual(inv.groupsOf('web01'), ['web']);
    assert.deepStrictEqual(inv.groupsOf('lone'), ['ungrouped']);
  });

  it('lets the playbook folder win over the inventory folder, and host over group', async () => {
    const withPlaybook = await loadInventory(FOLDERS, { playbookDir: FOLDERS_PLAYBOOK });
    const without = await loadInventory(FOLDERS);
    assert.equal(without.hostVars('docker01')['source'], 'hv-inv-docker01');
    assert.equal(withPlaybook.hostVars('docker01')['source'], 'hv-pb-docker01');
    assert.equal(without.hostVars('docker02')['source'], 'gv-inv-swarm'); // group_vars file beats the inventory file's group vars
    assert.equal(withPlaybook.hostVars('docker02')['a'], 'gv-pb-all');
    // Ansible's order: playbook group_vars/swarm (a parent) still beats inventory group_vars/workers (its child)
    assert.equal(without.hostVars('docker02')['k'], 'gv-inv-workers');
    assert.equal(withPlaybook.hostVars('docker02')['k'], 'gv-pb-swarm');
    // a folder group_vars/workers/ is read sorted, hidden, backup and .txt files skipped, and hides workers.yml
    assert.equal(without.hostVars('docker02')['c'], 'workers-dir-20');
    assert.equal(without.hostVars('docker02')['f'], 'workers-dir-10');
    assert.equal(without.hostVars('docker03')['g'], 'hv-inv-docker03-noext');
    assert.ok(!('z' in without.hostVars('docker01')));
  });

  it('returns a fresh copy of the variables each time', async () => {
    const inv = await loadInventory(SEED_INVENTORY);
    (inv.hostVars('docker03')['swarm_labels'] as Record<string, string>)['mem'] = 'changed';
    assert.deepStrictEqual(inv.hostVars('docker03')['swarm_labels'], { mem: 'max' });
  });

  it('accepts top-level groups beside all and a bare string for hosts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swarmplay-inv-'));
    const file = join(dir, 'hosts.yaml');
    writeFileSync(file, 'managers:\n  hosts: docker01\nworkers:\n  hosts:\n    docker02:\n');
    const inv = await loadInventory(file);
    assert.deepStrictEqual(inv.hostNames(), ['docker01', 'docker02']);
    assert.deepStrictEqual(inv.childGroups('all'), ['ungrouped', 'managers', 'workers']);
  });
});

describe('inventory: bad input', () => {
  const bad = (name: string) => join(FIXTURES, 'bad', name);

  it('a missing file is FILE_NOT_FOUND naming it', async () => {
    const err = await loadError(bad('no-such-inventory.yaml'));
    assert.equal(err.code, 'FILE_NOT_FOUND');
    assert.match(err.message, /no-such-inventory\.yaml/);
    assert.equal(err.exitCode, 5);
  });

  it('a YAML syntax error is YAML_SYNTAX at file:line:column with a snippet', async () => {
    const err = await loadError(bad('syntax.yaml'));
    assert.equal(err.code, 'YAML_SYNTAX');
    assert.equal(err.location?.file, bad('syntax.yaml'));
    assert.ok(err.location!.line >= 4, `line ${err.location?.line}`);
    assert.ok(err.snippet?.includes('^'));
  });

  it('hosts written as a list is BAD_INVENTORY at that list, with the mapping form as hint', async () => {
    const err = await loadError(bad('hosts-list.yaml'));
    assert.equal(err.code, 'BAD_INVENTORY');
    assert.match(err.message, /"hosts" of group 'managers' must be a mapping, not a list/);
    assert.deepStrictEqual(err.location, { file: bad('hosts-list.yaml'), line: 5, column: 9 });
    assert.match(err.hint ?? '', /docker01:/);
  });

  it('an unknown key under a group says "did you mean hosts"', async () => {
    const err = await loadError(bad('unknown-key.yaml'));
    assert.equal(err.code, 'BAD_INVENTORY');
    assert.match(err.message, /unknown key 'host' in group 'workers'/);
    assert.equal(err.hint, "did you mean 'hosts'?");
    assert.deepStrictEqual(err.location, { file: bad('unknown-key.yaml'), line: 4, column: 7 });
  });

  it('vars that are not a mapping are BAD_INVENTORY', async () => {
    const err = await loadError(bad('vars-list.yaml'));
    assert.equal(err.code, 'BAD_INVENTORY');
    assert.match(err.message, /"vars" of group 'all' must be a mapping/);
    assert.equal(err.location?.line, 3);
  });

  it('circular children are BAD_INVENTORY at the edge that closes the loop', async () => {
    const err = await loadError(bad('circular.yaml'));
    assert.equal(err.code, 'BAD_INVENTORY');
    assert.match(err.message, /adding group 'a' as a child of 'c' creates a loop/);
    assert.deepStrictEqual(err.location, { file: bad('circular.yaml'), line: 10, column: 9 });
  });

  it('two different ansible_host values for one host name both places', async () => {
    const err = await loadError(bad('address-conflict.yaml'));
    assert.equal(err.code, 'BAD_INVENTORY');
    assert.match(err.message, /host 'docker01' has two different addresses: 192\.168\.20\.6 at .*address-conflict\.yaml:6:25 and 192\.168\.20\.60 at .*address-conflict\.yaml:10:25/);
    assert.deepStrictEqual(err.location, { file: bad('address-conflict.yaml'), line: 10, column: 25 });
  });

  it('a bad host range is BAD_INVENTORY', async () => {
    const err = await loadError(bad('range.yaml'));
    assert.equal(err.code, 'BAD_INVENTORY');
    assert.match(err.message, /bad host range 'web\[01:3\]': host range must specify equal-length begin and end formats/);
    assert.equal(err.location?.line, 3);
  });

  it('an INI inventory with a group_vars section for no group is BAD_INVENTORY at its line', async () => {
    const err = await loadError(bad('ini.ini'));
    assert.equal(err.code, 'BAD_INVENTORY');
    assert.match(err.message, /section \[managers:vars\] is not valid for undefined group: managers/);
    assert.equal(err.location?.line, 1);
  });

  it('a group_vars file that is not a mapping is BAD_INVENTORY naming that file', async () => {
    const err = await loadError(bad('group-vars/hosts.yaml'));
    assert.equal(err.code, 'BAD_INVENTORY');
    assert.equal(err.location?.file, bad('group-vars/group_vars/all.yml'));
    assert.equal(err.location?.line, 1);
  });
});

describe('connection variables', () => {
  it('maps Ansible names with their defaults', () => {
    assert.deepStrictEqual(resolveConnectionSpec('docker01', {}), { host: 'docker01', address: 'docker01', port: 22, user: 'root' });
    assert.deepStrictEqual(
      resolveConnectionSpec('docker01', {
        ansible_host: '10.0.0.1',
        ansible_port: '2222',
        ansible_user: 'admin',
        ansible_password: 'pw',
        ansible_ssh_private_key_file: '/keys/id',
        ansible_become: 'yes',
        ansible_become_password: 'bpw',
      }),
      { host: 'docker01', address: '10.0.0.1', port: 2222, user: 'admin', password: 'pw', privateKeyPath: '/keys/id', become: true, becomePassword: 'bpw' },
    );
  });

  it('accepts the older ansible_ssh_* and *_pass spellings', () => {
    const spec = resolveConnectionSpec('h', { ansible_ssh_host: '10.0.0.2', ansible_ssh_port: 2200, ansible_ssh_user: 'u', ansible_ssh_pass: 'p', ansible_become_pass: 'b', ansible_become: false });
    assert.deepStrictEqual(spec, { host: 'h', address: '10.0.0.2', port: 2200, user: 'u', password: 'p', become: false, becomePassword: 'b' });
  });

  it('refuses a bad port or become value without printing the secret values', () => {
    assert.throws(() => resolveConnectionSpec('h', { ansible_port: 'ssh' }), (e: SwarmplayError) => e.code === 'BAD_INVENTORY' && /ansible_port/.test(e.message));
    assert.throws(() => resolveConnectionSpec('h', { ansible_port: 70000 }), /from 1 to 65535/);
    assert.throws(() => resolveConnectionSpec('h', { ansible_become: 'perhaps' }), /ansible_become must be a boolean/);
    assert.throws(
      () => resolveConnectionSpec('h', { ansible_password: { secret: 'hunter2' } }),
      (e: SwarmplayError) => e.code === 'BAD_INVENTORY' && !e.message.includes('hunter2'),
    );
  });
});
