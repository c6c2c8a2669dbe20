/**
 * quote()/quoteArgs() against REAL shells (/bin/sh, which is dash on
 * Debian, and bash): any string, quoted, reaches the program as exactly that
 * string, and nothing in it runs. fast-check generates the strings, biased
 * towards shell syntax: `; rm -rf /`, `$(...)`, backticks, newlines, quotes,
 * globs, unicode.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { quote, quoteArgs, quoteCommandLine } from '../../src/transport/shell-quote.js';

const SHELLS = ['/bin/sh', '/bin/bash'];
const RUNS = 150;

/** Pieces of shell syntax, so that generated strings are mostly attacks rather than letters. */
const SHELL_PIECES = [
  ';', '&', '&&', '|', '||', '>', '<', '>>', '(', ')', '{', '}', '$', '$(', '`', '"', "'", '\\', '\n', '\r', '\t', ' ',
  '*', '?', '[', ']', '~', '#', '!', '=', '%', '-', '--', '$IFS', '${IFS}', '$$', '$0', '$1', '$@', '\'\\\'\'',
  'rm -rf /', 'touch pwned', '$(touch pwned)', '`touch pwned`', 'A=b', 'é', '漢字', '🚀', '\u00a0', '\u2028', 'x',
];

/** What a shell argument can hold: any well-formed text without NUL (argv strings end at NUL). */
const shellText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...SHELL_PIECES), maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
).filter((text) => !text.includes('\0') && Buffer.from(text, 'utf8').toString('utf8') === text); // no lone surrogates

describe('shell quoting: property test against a real /bin/sh and bash', function () {
  this.timeout(60_000);
  let cwd: string;

  before(() => {
    // The shells run here: anything an unquoted attack touched would show up in this folder.
    cwd = mkdtempSync(path.join(os.tmpdir(), 'swarmplay-quote-'));
  });

  after(() => {
    const left = readdirSync(cwd);
    rmSync(cwd, { recursive: true, force: true });
    assert.deepEqual(left, [], 'a quoted string ran a command that created files');
  });

  const runShell = (shell: string, script: string): Buffer =>
    execFileSync(shell, ['-c', script], { cwd, env: { PATH: '/usr/bin:/bin', LC_ALL: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] });

  for (const shell of SHELLS) {
    it(`${shell}: printf %s <quote(v)> prints v exactly, for ${RUNS} generated strings`, () => {
      fc.assert(fc.property(shellText, (text) => {
        assert.equal(runShell(shell, `printf %s ${quote(text)}`).toString('utf8'), text);
      }), { numRuns: RUNS });
    });

    it(`${shell}: quoteArgs(words) gives a program exactly those arguments, for ${RUNS} generated lists`, () => {
      fc.assert(fc.property(fc.array(shellText, { minLength: 1, maxLength: 6 }), (words) => {
        const output = runShell(shell, quoteArgs(['printf', '%s\\0', ...words])).toString('utf8');
        assert.deepEqual(output.split('\0').slice(0, -1), words);
      }), { numRuns: RUNS });
    });
  }

  it('the classic attacks print as text and run nothing', () => {
    const attacks = ['; rm -rf /', '$(touch pwned)', '`touch pwned`', 'a\ntouch pwned', "'; touch pwned; '", '"; touch pwned; "',
      '&& touch pwned', '| touch pwned', '> pwned', '${IFS}touch${IFS}pwned', '', ' ', "'", "''", '\\', '-n', '~', '*'];
    for (const shell of SHELLS) {
      for (const attack of attacks) assert.equal(runShell(shell, `printf %s ${quote(attack)}`).toString('utf8'), attack);
    }
  });

  it('numbers are quoted as their decimal text', () => {
    assert.equal(runShell('/bin/sh', `printf %s ${quote(42)} ${quote(-1.5)}`).toString(), '42-1.5');
  });

  it('quoteCommandLine: a first word like NAME=value is a program name, never an environment change', () => {
    // Bare, `EVIL=1 printf ran` would set EVIL and run printf; the shell must look for a program called "EVIL=1" (127).
    for (const shell of SHELLS) {
      let code = 0;
      try {
        runShell(shell, quoteCommandLine(['EVIL=1', 'printf', 'ran']));
      } catch (error) {
        code = (error as { status: number }).status;
      }
      assert.equal(code, 127, `${shell}: the first word was taken as an assignment`);
    }
  });

  for (const shell of SHELLS) {
    it(`${shell}: quoteCommandLine(words) runs words[0] with exactly the other words, for ${RUNS} generated lists`, () => {
      fc.assert(fc.property(fc.array(shellText, { minLength: 1, maxLength: 6 }), (words) => {
        const output = runShell(shell, quoteCommandLine(['printf', '%s\\0', ...words])).toString('utf8');
        assert.deepEqual(output.split('\0').slice(0, -1), words);
      }), { numRuns: RUNS });
    });
  }
});
