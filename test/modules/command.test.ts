import assert from 'node:assert/strict';
import { command } from '../../src/modules/command.js';
import { shell } from '../../src/modules/shell.js';
import type { Step, CommandStep, StepOutcome } from '../../src/modules/types.js';
import { fakeHost, stepOutcomes } from '../support/fake-host.js';
import { recordInvocations, HOSTILE_VALUES } from '../support/shell-argv.js';

function onlyCommand(steps: Step[]): CommandStep {
  assert.equal(steps.length, 1);
  const [change] = steps;
  assert.equal(change!.kind, 'command');
  return change as CommandStep;
}

const parse = (args: unknown) => command.schema.parse(args);

describe('command module', () => {
  describe('arguments', () => {
    it('rejects unknown arguments, wrong types and a missing command', () => {
      assert.equal(command.schema.safeParse({ cmd: 'ls', chdirr: '/tmp' }).success, false);
      assert.equal(command.schema.safeParse({ argv: 'ls -l' }).success, false);
      assert.equal(command.schema.safeParse({ cmd: 'ls', creates: 5 }).success, false);
      const missing = command.schema.safeParse({ chdir: '/tmp' });
      assert.equal(missing.success, false);
      assert.match(JSON.stringify(missing.error!.issues), /no command given/);
      assert.equal(command.schema.safeParse({ cmd: 'ls', argv: ['ls'] }).success, false);
      assert.equal(command.freeFormArg, '_raw');
    });

    it('accepts yes/no for booleans', () => {
      assert.equal(parse({ cmd: 'cat', stdin: 'x', stdin_add_newline: 'no' }).stdin_add_newline, false);
    });
  });

  it('splits the free form like shlex: shell operators are plain words', async () => {
    const plan = await command.plan(fakeHost(), parse({ _raw: `echo "a b" 'c  d' > /tmp/x | $(id)` }));
    const change = onlyCommand(plan.steps);
    assert.equal(plan.unpredictable, true);
    assert.equal(change.okExitCodes, undefined, 'a non-zero exit fails the task');
    assert.deepEqual(recordInvocations(change.command, ['echo']), [{ program: 'echo', args: ['a b', 'c  d', '>', '/tmp/x', '|', '$(id)'] }]);
    assert.deepEqual(plan.result?.cmd, ['echo', 'a b', 'c  d', '>', '/tmp/x', '|', '$(id)']);
  });

  it('sends every argv word and chdir as one literal word, whatever it holds', async () => {
    for (const value of HOSTILE_VALUES) {
      const plan = await command.plan(fakeHost(), parse({ argv: ['echo', value, 'end'], chdir: value }));
      const change = onlyCommand(plan.steps);
      assert.deepEqual(recordInvocations(change.command, ['cd', 'echo']), [
        { program: 'cd', args: ['--', value] },
        { program: 'echo', args: [value, 'end'] },
      ]);
    }
  });

  it('does not run when creates exists, and runs (predictably) when it does not', async () => {
    const probe = "cd -- /src && test -e /usr/bin/x";
    const present = fakeHost({ probes: { [probe]: '' } });
    const skipped = await command.plan(present, parse({ _raw: 'make install chdir=/src creates=/usr/bin/x' }));
    assert.deepEqual(skipped.steps, []);
    assert.deepEqual(present.probed, ['cd -- /src && test -e /usr/bin/x']);
    assert.match(skipped.msg!, /since '\/usr\/bin\/x' exists/);

    const absent = fakeHost({ probes: () => ({ stdout: '', stderr: '', exitCode: 1 }) });
    const plan = await command.plan(absent, parse({ cmd: 'make install', creates: '/usr/bin/x' }));
    const change = onlyCommand(plan.steps);
    assert.equal(plan.unpredictable, false);
    assert.equal(change.command, 'make install');
  });

  it('does not run when removes is missing', async () => {
    const host = fakeHost({ probes: { 'test -e /tmp/lock': { stdout: '', stderr: '', exitCode: 1 } } });
    const plan = await command.plan(host, parse({ cmd: 'rm /tmp/lock', removes: '/tmp/lock' }));
    assert.deepEqual(plan.steps, []);
  });

  it('quotes hostile creates paths in the probe', async () => {
    for (const value of HOSTILE_VALUES) {
      const host = fakeHost({ probes: () => '' });
      await command.plan(host, parse({ cmd: 'true', creates: value }));
      assert.deepEqual(recordInvocations(host.probed[0]!, ['test']), [{ program: 'test', args: ['-e', value] }]);
    }
  });

  it('passes stdin with a trailing newline unless told not to', async () => {
    const withNewline = onlyCommand((await command.plan(fakeHost(), parse({ cmd: 'cat', stdin: 'secret' }))).steps);
    assert.equal(withNewline.stdin, 'secret\n');
    const without = onlyCommand((await command.plan(fakeHost(), parse({ cmd: 'cat', stdin: 'secret', stdin_add_newline: false }))).steps);
    assert.equal(without.stdin, 'secret');
    assert.deepEqual(command.secretArgs, ['stdin']);
  });

  it("returns Ansible's result: rc, stdout, stderr and their lines; 'non-zero return code' on failure", async () => {
    const args = parse({ cmd: 'ls -l' });
    const plan = await command.plan(fakeHost(), args);
    const outcome: StepOutcome = { step: plan.steps[0]!, run: { stdout: 'a\nb\n\n', stderr: '', exitCode: 0 } };
    assert.deepEqual(command.finish!(args, stepOutcomes([outcome]), plan), {
      cmd: ['ls', '-l'], rc: 0, stdout: 'a\nb', stderr: '', stdout_lines: ['a', 'b'], stderr_lines: [],
    });
    const failed = command.finish!(args, stepOutcomes([{ ...outcome, run: { stdout: '', stderr: 'no such file\n', exitCode: 2 } }]), plan);
    assert.equal(failed.rc, 2);
    assert.equal(failed.msg, 'non-zero return code');
    assert.deepEqual(failed.stderr_lines, ['no such file']);
  });
});

describe('shell module', () => {
  const parseShell = (args: unknown) => shell.schema.parse(args);

  it('rejects unknown arguments and argv, requires a command', () => {
    assert.equal(shell.schema.safeParse({ cmd: 'ls', argv: ['ls'] }).success, false);
    assert.equal(shell.schema.safeParse({}).success, false);
    assert.equal(shell.schema.safeParse({ cmd: 'ls', executable: 7 }).success, false);
  });

  it('sends the shell text as written, so pipes and variables work', async () => {
    const plan = await shell.plan(fakeHost(), parseShell({ _raw: 'echo "$0" | cat' }));
    const change = onlyCommand(plan.steps);
    assert.equal(change.command, 'echo "$0" | cat');
    assert.equal(plan.unpredictable, true);
  });

  it('takes creates= and chdir= off the end of the free form', async () => {
    const host = fakeHost({ probes: { 'cd -- /srv && test -e out.txt': { stdout: '', stderr: '', exitCode: 1 } } });
    const plan = await shell.plan(host, parseShell({ _raw: 'make > out.txt chdir=/srv creates=out.txt' }));
    const change = onlyCommand(plan.steps);
    assert.equal(change.command, 'cd -- /srv || exit 1\nmake > out.txt');
    assert.equal(plan.unpredictable, false);
    assert.equal(plan.result?.cmd, 'make > out.txt');
  });

  it('runs the text with the given executable, text and chdir quoted', async () => {
    for (const value of HOSTILE_VALUES) {
      const plan = await shell.plan(fakeHost(), parseShell({ cmd: value, executable: 'bash', chdir: value }));
      const change = onlyCommand(plan.steps);
      assert.deepEqual(recordInvocations(change.command, ['cd', 'bash']), [
        { program: 'cd', args: ['--', value] },
        { program: 'bash', args: ['-c', value] },
      ]);
    }
  });

  it('stops before the command when chdir fails, in a real shell', async () => {
    const plan = await shell.plan(fakeHost(), parseShell({ cmd: 'echo ran', chdir: '/nonexistent/swarmplay-test' }));
    const invocations = recordInvocations(`${onlyCommand(plan.steps).command}\necho after`, ['echo']);
    assert.deepEqual(invocations, []);
  });
});
