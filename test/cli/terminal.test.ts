/**
 * swarmplay on a real terminal: a pseudo-terminal made by util-linux's
 * `script`, with the bundled command line running inside it as a user's shell
 * would run it. What the terminal received is read back whole.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CLI } from '../support/cli.js';
import { quoteArgs } from '../../src/transport/shell-quote.js';

interface TerminalRun {
  code: number | null;
  /** Everything the terminal showed, escape sequences included. */
  screen: string;
  /** What the terminal had shown just before each input was typed. */
  beforeInput: string[];
}

/**
 * Runs `words` on a new pseudo-terminal, typing each input after its delay
 * (keys, not lines: a terminal's Enter is "\r"). `size` sets the terminal's
 * columns and rows first; without it the terminal reports no size at all.
 */
function onTerminal(words: string[], inputs: Array<[number, string]>, size?: { columns: number; rows: number }): Promise<TerminalRun> {
  const command = `${size ? `stty cols ${size.columns} rows ${size.rows}; ` : ''}${quoteArgs(words)}`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, CI: '', TERM: 'xterm-256color' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    const beforeInput: string[] = [];
    let tooMuch = false;
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString('utf8');
      // A run this small never draws a megabyte: stop a runaway redraw instead of filling memory.
      if (screen.length > 1_000_000 && !tooMuch) {
        tooMuch = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => { screen += chunk.toString('utf8'); });
    let delay = 0;
    for (const [after, keys] of inputs) {
      delay += after;
      setTimeout(() => { beforeInput.push(screen); child.stdin.write(keys); }, delay);
    }
    // The terminal stays open until the run ends: closing script's input would end the session early.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, screen, beforeInput });
    });
  });
}

describe('swarmplay on a terminal (a real pseudo-terminal)', function () {
  this.timeout(90_000);
  let dir: string;
  let inventory: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-tty-'));
    inventory = path.join(dir, 'hosts.ini');
    await writeFile(inventory, 'controller ansible_connection=local\n');
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('a terminal that reports no width gets plain lines: the run ends and its recap shows once', async () => {
    const playbook = path.join(dir, 'plain.yaml');
    await writeFile(playbook, '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: sleep 1\n    - debug: { msg: done here }\n');
    const run = await onTerminal([process.execPath, CLI, 'run', playbook, '-i', inventory], []);
    assert.ok(run.screen.length < 100_000, `the terminal received ${run.screen.length} characters`);
    assert.equal(run.code, 0, run.screen.slice(-2000));
    assert.match(run.screen, /ok: \[controller\] => done here/);
    assert.equal(run.screen.match(/PLAY RECAP/g)?.length, 1);
    assert.doesNotMatch(run.screen, /\x1b\[1A/, 'no cursor movement without a width');
  });

  it('pause asks on the terminal: each answer is registered, and echo: false keeps the typed one off the screen', async () => {
    const playbook = path.join(dir, 'pause.yaml');
    await writeFile(playbook, [
      '- hosts: all',
      '  gather_facts: false',
      '  tasks:',
      '    - pause: { prompt: Name the release }',
      '      register: release',
      '    - pause: { prompt: Paste the token, echo: false }',
      '      register: token',
      '    - debug:',
      '        msg: "release {{ release.user_input }}, token of {{ token.user_input | length }} characters"',
      '',
    ].join('\n'));
    const typed: Array<[number, string]> = [[3000, 'v2.1\r'], [3000, 'kept-off-screen\r']];
    const run = await onTerminal([process.execPath, CLI, 'run', playbook, '-i', inventory], typed, { columns: 120, rows: 40 });
    assert.equal(run.code, 0, run.screen.slice(-2000));
    assert.match(run.screen, /Name the release:/);
    assert.match(run.screen, /Paste the token:/);
    assert.match(run.screen, /ok: \[controller\] => release v2\.1, token of 15 characters/);
    assert.ok(!run.screen.includes('kept-off-screen'), 'the hidden answer never reached the screen');
  });

  it('while a prompt waits the live task list keeps quiet: the question is the last thing on the screen', async () => {
    const playbook = path.join(dir, 'quiet.yaml');
    await writeFile(playbook, [
      '- hosts: all',
      '  gather_facts: false',
      '  tasks:',
      '    - command: sleep 1',
      '    - name: ask for the release',
      '      pause: { prompt: Which release }',
      '      register: release',
      '    - debug: { msg: "release {{ release.user_input }}" }',
      '',
    ].join('\n'));
    // The answer comes seconds after the question: a spinner would have drawn tens of frames by then.
    const run = await onTerminal([process.execPath, CLI, 'run', playbook, '-i', inventory], [[5000, 'v3\r']], { columns: 120, rows: 40 });
    assert.equal(run.code, 0, run.screen.slice(-2000));
    const waiting = run.beforeInput[0]!;
    const asked = waiting.lastIndexOf('Which release:');
    assert.ok(asked >= 0, `the question was not on the screen while it waited:\n${JSON.stringify(waiting.slice(-600))}`);
    const below = waiting.slice(asked + 'Which release:'.length);
    assert.equal(below.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').trim(), '', `nothing drawn below the question while it waited: ${JSON.stringify(below)}`);
    assert.doesNotMatch(below, /\x1b\[1A/, 'no redraw moved the cursor up over the question');
    assert.match(run.screen, /ok: \[controller\] => release v3/);
  });
});
