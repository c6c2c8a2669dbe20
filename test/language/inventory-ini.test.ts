/**
 * INI inventories, inventory folders and several -i, compared with
 * ansible-inventory on the same files, plus the INI details one at a time:
 * value typing (Python literals), shell-style words and comments, pending
 * child groups, and errors at file:line.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FIXTURES } from '../fixtures/inventory/ansible-oracle.js';
import { runCli } from '../support/cli.js';
import { loadInventory } from '../../src/language/inventory.js';
import { parsePythonLiteral } from '../../src/language/python-literal.js';
import { shellWords } from '../../src/language/inventory-ini.js';
import { SwarmplayError } from '../../src/errors.js';
import { loadVaultKeyring } from '../../src/vault/keyring.js';

const exec = promisify(execFile);
const INI = path.join(FIXTURES, 'ini');

async function ansibleInventoryList(sources: string[], cwd: string): Promise<string> {
  const args = sources.flatMap((s) => ['-i', s]);
  const { stdout } = await exec('ansible-inventory', [...args, '--list'], {
    cwd,
    env: { ...process.env, ANSIBLE_CONFIG: path.join(cwd, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', PYTHONHASHSEED: '0' },
    maxBuffer: 8 << 20,
  });
  return stdout;
}

describe('INI inventories and folders: the same as ansible-inventory', function () {
  this.timeout(60_000);
  const cases: Array<[string, string[]]> = [
    ['an INI file (sections, :vars, :children declared later, ranges, typed values, comments)', [path.join(INI, 'hosts.ini')]],
    ['a folder: an INI file without extension, a YAML file with a !vault value, group_vars/host_vars, skipped .ini/.md', [path.join(INI, 'dir')]],
    ['several -i: the folder, then the INI file', [path.join(INI, 'dir'), path.join(INI, 'hosts.ini')]],
  ];
  let cwd: string;
  const outputs = new Map<string, Promise<[string, Awaited<ReturnType<typeof runCli>>]>>();
  before(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-ini-'));
    await writeFile(path.join(cwd, 'ansible.cfg'), '[defaults]\n');
    // All of them at once: each ansible-inventory is a second of Python start-up.
    for (const [name, sources] of cases) {
      const both = Promise.all([ansibleInventoryList(sources, cwd), runCli(['inventory', ...sources.flatMap((s) => ['-i', s]), '--list'], { cwd })]);
      both.catch(() => {});
      outputs.set(name, both);
    }
  });
  after(async () => {
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  for (const [name] of cases) {
    it(`${name}: swarmplay inventory --list is ansible-inventory --list, byte for byte`, async () => {
      const [ansible, ours] = await outputs.get(name)!;
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(ours.stdout, ansible);
    });
  }

  it('a run decrypts the folder\'s !vault value with the password, and refuses it without one, naming its line', async () => {
    const keyring = await loadVaultKeyring({ passwordFiles: [path.join(INI, 'vault-password.txt')] });
    const inventory = await loadInventory([path.join(INI, 'dir')], { vault: { keyring } });
    assert.equal(inventory.hostVars('docker04').registry_password, 'registry-s3cret');
    assert.deepEqual(keyring.revealedSoFar(), ['registry-s3cret']);
    const err = await loadInventory([path.join(INI, 'dir')], { vault: {} }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SwarmplayError && err.code === 'BAD_VAULT', String(err));
    assert.deepEqual([path.basename(err.location!.file), err.location!.line], ['labels.yaml', 8]);
  });
});

describe('INI inventories: the details', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-ini-unit-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const load = async (text: string, name = 'hosts.ini') => {
    await writeFile(path.join(dir, name), text);
    return loadInventory(path.join(dir, name));
  };
  const failure = async (text: string): Promise<SwarmplayError> => {
    const error = await load(text).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof SwarmplayError, `expected an error, got ${String(error)}`);
    return error;
  };

  it('types values as Python literals, and leaves text that is none as text', () => {
    const cases: Array<[string, unknown]> = [
      ['8080', 8080], ['-3', -3], ['0x1F', 31], ['1_000', 1000], ['0.5', 0.5], ['1e3', 1000], ['True', true], ['None', null],
      ["'0644'", '0644'], ['"x"', 'x'], ["'a' 'b'", 'ab'], ["u'\\u00e9\\n'", 'é\n'], ["r'\\n'", '\\n'],
      ['[1, "two", (3, 4)]', [1, 'two', [3, 4]]], ["{'a': 1, 2: [True]}", { a: 1, '2': [true] }], ['()', []], ['(5)', 5],
      ['1 # a comment', 1],
      ['0644', '0644'], ['yes', 'yes'], ['10.0.0.1', '10.0.0.1'], ['1.2.3', '1.2.3'], ['true', 'true'], ['{1, 2}', '{1, 2}'],
      ['[1, 2', '[1, 2'], ["'unclosed", "'unclosed"], ['1j', '1j'], ['f"x"', 'f"x"'], ['-x', '-x'], ['', ''],
    ];
    for (const [text, expected] of cases) assert.deepEqual(parsePythonLiteral(text), expected, text);
  });

  it('splits host lines as Python\'s shlex with comments', () => {
    assert.deepEqual(shellWords(`web1 a="b c" d='e "f"' g=h\\ i j=k#comment`), ['web1', 'a=b c', `d=e "f"`, 'g=h i', 'j=k']);
    assert.deepEqual(shellWords(`h x="say \\"hi\\" \\n" # rest`), ['h', 'x=say "hi" \\n']);
    assert.throws(() => shellWords(`h x="open`), /No closing quotation/);
  });

  it('hosts before any section are ungrouped; a host:port sets ansible_port; [g:children] may come before [g]', async () => {
    const inv = await load('lone:2222\n[prod:children]\nweb\n[web]\nweb[1:2]\n[web:vars]\nx=1\n');
    assert.deepEqual(inv.groupHosts('ungrouped'), ['lone']);
    assert.equal(inv.hostVars('lone').ansible_port, 2222);
    assert.deepEqual(inv.groupHosts('prod'), ['web1', 'web2']);
    assert.deepEqual(inv.groupsOf('web2'), ['prod', 'web']);
    assert.equal(inv.hostVars('web1').x, 1);
  });

  it('errors name file:line and say what would be right', async () => {
    const cases: Array<[string, number, RegExp, RegExp]> = [
      ['[web]\nweb1\n[web:vars]\nno equals sign\n', 4, /expected key=value, got: no equals sign/, /\[web:vars\] line sets one variable/],
      ['[web]\nweb1 tier\n', 2, /expected key=value host variable assignment, got: tier/, /key=value/],
      ['[web]\nweb1\n[all:children]\nweb\nghosts\n', 5, /section \[all:children\] includes undefined group: ghosts/, /declare it with a \[ghosts\] section/],
      ['[web ]\n', 1, /invalid section entry: '\[web \]'/, /no spaces/],
      ['[web]\nweb[01:3]\n', 2, /bad host range 'web\[01:3\]'/, /web\[01:20\]/],
      ['[web]\nweb1:\n', 2, /ending in ':' is not allowed/, /host:PORT/],
    ];
    for (const [text, line, says, hint] of cases) {
      const error = await failure(text);
      assert.equal(error.code, 'BAD_INVENTORY', text);
      assert.deepEqual([error.location?.file, error.location?.line], [path.join(dir, 'hosts.ini'), line], text);
      assert.match(error.message, says);
      assert.match(error.hint ?? '', hint);
      assert.equal(error.exitCode, 5);
    }
  });

  it('an extension-less file is YAML when it holds a YAML mapping, INI otherwise; a .yaml that looks like INI is INI', async () => {
    assert.deepEqual((await load('all:\n  hosts:\n    y1:\n', 'hosts')).hostNames(), ['y1']);
    assert.deepEqual((await load('i1\ni2\n', 'hosts')).hostNames(), ['i1', 'i2']);
    assert.deepEqual((await load('[g]\ni3 a=1\n', 'hosts.yaml')).groupHosts('g'), ['i3']);
  });
});
