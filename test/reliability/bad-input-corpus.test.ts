/**
 * The bad-input corpus (test/fixtures/bad/) through the REAL CLI: every
 * malformed playbook, inventory, template, expression, host pattern and
 * option gives one clear message at file:line:column, its exit code (5, bad
 * input, unless said otherwise), and not a single connection to the host
 * (checked in that sshd's own log). The playbook fixtures' exact messages
 * are the loader's tests (test/language/playbook-loader.test.ts); here they
 * go through the CLI too, with the cases this file adds: inventories,
 * templates, expressions, host patterns, controller files and options.
 */
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { startSshd, type TestSshd } from '../support/sshd.js';
import { REPO_ROOT, runCli, type CliResult } from '../support/cli.js';
import { figures, printFiguresAtEnd, writeInventory } from './support.js';

printFiguresAtEnd();

const BAD = path.join(REPO_ROOT, 'test/fixtures/bad');
const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** "ERROR: <file>:<line>:<column>: " with the file under test/fixtures/bad/. */
const at = (file: string, line: number, column: number): RegExp => new RegExp(`^ERROR: ${esc(path.join(BAD, file))}:${line}:${column}: `);

interface CorpusCase {
  name: string;
  /** Playbook under test/fixtures/bad/ (default: a good playbook). */
  playbook?: string;
  /** Inventory under test/fixtures/bad/ (default: the test host). */
  inventory?: string;
  /** More CLI arguments. */
  args?: string[];
  /** Where the message points (a regex over stderr). */
  where: RegExp;
  says: RegExp;
  code?: number;
  /** Expected in the hint (what would be right). */
  hint?: RegExp;
}

const CASES: CorpusCase[] = [
  // Inventories.
  { name: 'inventory: YAML syntax error', inventory: 'inventories/yaml-unclosed-quote.yaml', where: at('inventories/yaml-unclosed-quote.yaml', 5, 1), says: /YAML syntax error: Missing closing "quote/ },
  { name: 'inventory: circular group children', inventory: 'inventories/circular-children.yaml', where: at('inventories/circular-children.yaml', 8, 9), says: /adding group 'managers' as a child of 'workers' creates a loop \(circular children\)/ },
  { name: 'inventory: a host twice with different addresses', inventory: 'inventories/duplicate-host-addresses.yaml', where: at('inventories/duplicate-host-addresses.yaml', 10, 25), says: /host 'docker01' has two different addresses: 192\.168\.20\.6 at .*:6:25 and 192\.168\.20\.7/ },
  { name: 'inventory: hosts given as a list', inventory: 'inventories/hosts-is-a-list.yaml', where: at('inventories/hosts-is-a-list.yaml', 3, 5), says: /"hosts" of group 'all' must be a mapping, not a list/ },
  { name: 'inventory: vars given as a list', inventory: 'inventories/vars-is-a-list.yaml', where: at('inventories/vars-is-a-list.yaml', 3, 5), says: /"vars" of group 'all' must be a mapping, not a list/ },
  { name: 'inventory: a port that is not a number', inventory: 'inventories/port-not-a-number.yaml', where: at('inventories/port-not-a-number.yaml', 3, 5), says: /host 'docker01': ansible_port must be a whole number from 1 to 65535, got "twenty-two"/ },
  { name: 'inventory: become that is not a boolean', inventory: 'inventories/become-not-a-boolean.yaml', where: at('inventories/become-not-a-boolean.yaml', 3, 5), says: /ansible_become must be a boolean \(yes\/no, true\/false\), got "perhaps"/ },
  { name: 'inventory: INI vars of an undefined group', inventory: 'inventories/ini-vars-of-undefined-group.ini', where: at('inventories/ini-vars-of-undefined-group.ini', 2, 1), says: /section \[web:vars\] is not valid for undefined group: web/, hint: /declare the group with a \[web\]/ },
  { name: 'inventory: INI unclosed quote', inventory: 'inventories/ini-unclosed-quote.ini', where: at('inventories/ini-unclosed-quote.ini', 3, 1), says: /error parsing host definition .*No closing quotation/, hint: /close every quote/ },
  { name: 'inventory: empty file', inventory: 'inventories/empty.yaml', where: at('inventories/empty.yaml', 1, 1), says: /is empty/, hint: /all:/ },
  { name: 'inventory: a bare string', inventory: 'inventories/scalar.yaml', where: at('inventories/scalar.yaml', 1, 1), says: /must be a YAML mapping of groups/ },
  { name: 'inventory: unknown key in a group', inventory: 'inventories/unknown-group-key.yaml', where: at('inventories/unknown-group-key.yaml', 2, 3), says: /unknown key 'hostz' in group 'all'/ },
  { name: 'inventory: ansible-vault encrypted', inventory: 'inventories/vault-encrypted.yaml', where: /vault-encrypted\.yaml/, says: /encrypted with ansible-vault, and no vault password was given/, hint: /--ask-vault-pass/ },
  { name: 'inventory: INI section of an unknown type', inventory: 'inventories/ini-unknown-section-type.ini', where: at('inventories/ini-unknown-section-type.ini', 4, 1), says: /section \[managers:host\] has unknown type: host/, hint: /\[managers:vars\] or \[managers:children\]/ },
  { name: 'inventory: a binary file', inventory: 'inventories/binary.yaml', where: at('inventories/binary.yaml', 1, 1), says: /must be a YAML mapping of groups/ },
  // Templates and controller files: found and parsed before any host is touched.
  { name: 'template: unclosed {{#if}} block', playbook: 'template-unclosed-block.yaml', where: at('templates/unclosed-block.hbs', 4, 1), says: /Handlebars syntax error .*unclosed-block\.hbs: Parse error on line 4/ },
  { name: 'template: unbalanced braces', playbook: 'template-unbalanced-braces.yaml', where: at('templates/unbalanced-braces.hbs', 1, 1), says: /Handlebars syntax error/ },
  { name: 'template: block closed by the wrong name', playbook: 'template-wrong-closing-block.yaml', where: at('templates/wrong-closing-block.hbs', 1, 4), says: /each doesn't match if/ },
  { name: 'template: file not found', playbook: 'template-missing-file.yaml', where: at('template-missing-file.yaml', 4, 7), says: /template: could not find docker\.service\.hbs \(looked in .*templates\/docker\.service\.hbs/ },
  { name: 'copy: src not found on the controller', playbook: 'copy-src-missing.yaml', where: at('copy-src-missing.yaml', 4, 7), says: /copy: could not find src daemon\.json/, hint: /remote_src: true/ },
  { name: 'vars_files: file not found', playbook: 'vars-file-missing.yaml', where: at('vars-file-missing.yaml', 1, 3), says: /vars_files: .*vars\/cluster\.yaml does not exist/ },
  // Vault: a wrong or missing password is bad input at the encrypted file or value.
  { name: 'vault: a wrong password for a vars_files file', playbook: 'vault-vars-file.yaml', args: ['--vault-password-file', path.join(BAD, 'vault/wrong-password.txt')], where: at('vault/secrets.yaml', 1, 1), says: /cannot decrypt vars file .*secrets\.yaml: the vault password is wrong/, hint: /--vault-password-file/ },
  { name: 'vault: a wrong password for an inline !vault value', playbook: 'vault-inline.yaml', args: ['--vault-id', `${path.join(BAD, 'vault/wrong-password.txt')}`], where: at('vault-inline.yaml', 5, 31), says: /cannot decrypt this !vault value: the vault password is wrong/ },
  { name: 'vault: an inline !vault value and no password', playbook: 'vault-inline.yaml', where: at('vault-inline.yaml', 5, 31), says: /this !vault value is encrypted with ansible-vault, and no vault password was given/, hint: /--ask-vault-pass/ },
  { name: 'vault: a password file that does not exist', args: ['--vault-password-file', '/nonexistent/vault-pass'], where: /\/nonexistent\/vault-pass/, says: /the vault password file .* was not found/ },
  // Expressions.
  { name: 'expression: a dangling |', playbook: 'expr-dangling-pipe.yaml', where: at('expr-dangling-pipe.yaml', 4, 14), says: /expected a filter name after '\|'/ },
  { name: 'expression: ==== in when', playbook: 'expr-double-operator.yaml', where: at('expr-double-operator.yaml', 5, 13), says: /unexpected '==' in expression/ },
  { name: 'expression: an unclosed call', playbook: 'expr-unclosed-call.yaml', where: at('expr-unclosed-call.yaml', 4, 14), says: /ended too early in expression 'lookup\('/ },
  { name: 'expression: an unknown test', playbook: 'expr-unknown-test.yaml', where: at('expr-unknown-test.yaml', 5, 13), says: /unknown test 'frobbed'/ },
  { name: 'expression: an unknown filter in when, with a suggestion', playbook: 'expr-unknown-filter-in-when.yaml', where: at('expr-unknown-filter-in-when.yaml', 5, 13), says: /unknown filter 'lenght'/, hint: /did you mean 'length'/i },
  { name: 'expression: an unclosed string', playbook: 'expr-unclosed-string.yaml', where: at('expr-unclosed-string.yaml', 5, 9), says: /unterminated string in expression ''unclosed'/ },
  { name: 'expression: an undefined variable', playbook: 'expr-undefined-variable.yaml', where: at('expr-undefined-variable.yaml', 4, 7), says: /'swarm_token' is undefined/ },
  // Reaching for JavaScript: refused when evaluated (a failed task, exit 2), and nothing runs.
  { name: 'expression: constructor.constructor(...)() runs no JavaScript', playbook: 'expr-prototype.yaml', code: 2, where: /failed: \[h1\] => .*expr-prototype\.yaml:6:7: /, says: /'config' \(a dict\) has no attribute "constructor"/ },
  // Host patterns: at the play, before any play runs.
  { name: 'pattern: unbalanced [', playbook: 'pattern-unbalanced-bracket.yaml', where: at('pattern-unbalanced-bracket.yaml', 1, 3), says: /unbalanced '\[' in host pattern 'workers\[0'/ },
  { name: 'pattern: empty exclusion', playbook: 'pattern-empty-exclusion.yaml', where: at('pattern-empty-exclusion.yaml', 1, 3), says: /empty term '!' in host pattern 'all:!'/ },
  // Options.
  { name: 'option: --limit with a bad pattern', args: ['--limit', 'workers[0'], where: /--limit|host pattern/, says: /unbalanced '\['/ },
  { name: 'option: --limit @FILE that does not exist', args: ['--limit', '@/nonexistent/site.retry'], where: /\/nonexistent\/site\.retry/, says: /limit file not found/ },
  { name: 'option: --limit @failed with no retry file', args: ['--limit', '@failed'], where: /--limit @failed/, says: /no retry file for .*good\.yaml/ },
  { name: 'option: -e @FILE that does not exist', args: ['-e', '@/nonexistent/vars.yaml'], where: /-e @\/nonexistent\/vars\.yaml/, says: /file not found/ },
  { name: 'option: -e that is not YAML', args: ['-e', '{bad'], where: /-e:/, says: /not valid YAML or JSON/ },
  { name: 'option: --timeout 0', args: ['--timeout', '0'], where: /--timeout 0/, says: /whole number of at least 1/ },
  { name: 'option: --forks 0', args: ['--forks', '0'], where: /--forks 0/, says: /whole number of at least 1/ },
];

/** Every playbook fixture of the loader's corpus (and includes/), through the CLI: exit 5 at a file:line:column under bad/. */
const listed = new Set(CASES.map((c) => c.playbook).filter(Boolean));
const LOADER_CORPUS = readdirSync(BAD).filter((file) => file.endsWith('.yaml') && !listed.has(file)).sort();

describe('reliability: the bad-input corpus through the real CLI', function () {
  this.timeout(300_000);
  let host: TestSshd;
  let dir: string;
  let inventory: string;
  /** Used where the case is not about the playbook: if anything got past the checks, it would connect. */
  let goodPlaybook: string;
  let logBefore = 0;
  const results = new Map<string, CliResult>();

  const argsFor = (c: CorpusCase): string[] => [
    'run', c.playbook ? path.join(BAD, c.playbook) : goodPlaybook, '-i', c.inventory ? path.join(BAD, c.inventory) : inventory,
    '--known-hosts', path.join(dir, 'known_hosts'), ...(c.args ?? []),
  ];

  before(async () => {
    host = await startSshd({ address: '127.0.0.171' });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the harness's readiness probe lands in the log first
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-corpus-'));
    inventory = await writeInventory(path.join(dir, 'hosts.yaml'), [{ name: 'h1', sshd: host }]);
    goodPlaybook = path.join(dir, 'good.yaml');
    await writeFile(goodPlaybook, '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n');
    logBefore = (await host.log()).length;
    // Four CLIs at a time: the corpus is large, and each case is a fresh process.
    const limit = pLimit(4);
    await Promise.all([
      ...CASES.map((c) => limit(async () => results.set(c.name, await runCli(argsFor(c))))),
      ...LOADER_CORPUS.map((file) => limit(async () => results.set(file, await runCli(argsFor({ name: file, playbook: file, where: /./, says: /./ }))))),
    ]);
  });

  after(async () => {
    await host?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    await rm(path.join(BAD, '.swarmplay'), { recursive: true, force: true }); // the retry file of the exit-2 case
  });

  it(`holds at least 40 cases (${CASES.length + LOADER_CORPUS.length})`, () => {
    assert.ok(CASES.length + LOADER_CORPUS.length >= 40);
    assert.ok(LOADER_CORPUS.length >= 40, `the loader's corpus is there: ${LOADER_CORPUS.length} playbooks`);
  });

  for (const c of CASES) {
    it(`${c.name}: exit ${c.code ?? 5}, ${c.where}, ${c.says}`, () => {
      const result = results.get(c.name)!;
      const output = c.code === 2 ? result.stdout : result.stderr;
      assert.equal(result.code, c.code ?? 5, `exit code\n${result.stdout}\n${result.stderr}`);
      assert.match(output, c.where);
      assert.match(output, c.says);
      if (c.hint) assert.match(output, c.hint);
      // One message, not a stack trace.
      assert.doesNotMatch(result.stderr, /\n\s+at .*\.js:\d+/);
      figures.badInputsTried++;
    });
  }

  for (const file of LOADER_CORPUS) {
    it(`${file}: exit 5 with ERROR: file:line:column under test/fixtures/bad/`, () => {
      const result = results.get(file)!;
      assert.equal(result.code, 5, `exit code\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^ERROR: ${esc(BAD)}/[^:]+:\\d+:\\d+: \\S`));
      assert.doesNotMatch(result.stderr, /\n\s+at .*\.js:\d+/);
      assert.equal(result.stdout, '', 'nothing ran');
      figures.badInputsTried++;
    });
  }

  it('not one connection reached the host during the whole corpus (its sshd log)', async () => {
    const newLog = (await host.log()).slice(logBefore);
    assert.doesNotMatch(newLog, /Connection from|Accepted/, newLog);
  });
});
