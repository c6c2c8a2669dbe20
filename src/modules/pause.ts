/**
 * `pause`: waits on the controller for `seconds` or `minutes`, or until the
 * user answers `prompt`, as Ansible's pause. A prompt is asked only when
 * swarmplay's stdin is a terminal; otherwise it is not waited for (with a
 * warning, as Ansible says "not waiting for response to prompt as stdin is
 * not interactive") and a timed pause still waits its time. `echo: false`
 * hides the answer as it is typed. Each host of the task pauses at the same
 * time, so a timed pause costs its time once; a prompt is asked for each
 * host in turn (Ansible asks once per play: add `run_once: true` to match).
 * Returns start, stop, delta, echo, stdout and user_input as Ansible does.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan } from './types.js';
import { booleanArg, numberArg } from './argument-types.js';

const pauseArgs = z
  .object({
    seconds: numberArg.optional(),
    minutes: numberArg.optional(),
    prompt: z.string().optional(),
    echo: booleanArg.default(true),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.seconds !== undefined && args.minutes !== undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'parameters are mutually exclusive: minutes|seconds' });
    }
  });

/** One prompt at a time on the terminal, whatever the number of hosts. */
let terminalQueue: Promise<unknown> = Promise.resolve();

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

function ask(question: string, echo: boolean, timeoutMs: number | undefined, ctx: ModuleContext): Promise<string> {
  const asking = terminalQueue.then(() => ctx.onTerminal(() => new Promise<string>((resolve) => {
    let muted = false;
    const output = new Writable({
      write(chunk, _encoding, done) {
        if (!muted) process.stderr.write(chunk);
        done();
      },
    });
    const reader = createInterface({ input: process.stdin, output, terminal: true });
    const finish = (answer: string) => {
      clearTimeout(timer);
      if (!echo) process.stderr.write('\n');
      reader.close();
      resolve(answer);
    };
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => finish(''), timeoutMs);
    ctx.signal?.addEventListener('abort', () => finish(''), { once: true });
    reader.question(`${question}:\n`, finish);
    muted = !echo;
  })));
  terminalQueue = asking.catch(() => undefined);
  return asking;
}

export const pause = defineModule({
  name: 'pause',
  schema: pauseArgs,
  controllerOnly: true,
  async plan(ctx, args): Promise<Plan> {
    const started = new Date();
    const timeoutMs = args.minutes !== undefined ? args.minutes * 60_000 : args.seconds !== undefined ? args.seconds * 1000 : undefined;
    const interactive = Boolean(process.stdin.isTTY);
    const warnings: string[] = [];
    let userInput = '';
    if (args.prompt !== undefined || timeoutMs === undefined) {
      if (interactive) {
        const question = args.prompt ?? (timeoutMs === undefined ? 'Press enter to continue, Ctrl+C to interrupt' : '(ctrl+C then \'C\' = continue early, ctrl+C then \'A\' = abort)');
        userInput = await ask(question, args.echo, timeoutMs, ctx);
      } else {
        warnings.push('Not waiting for response to prompt as stdin is not interactive');
        if (timeoutMs !== undefined) await sleep(timeoutMs, ctx.signal);
      }
    } else {
      await sleep(timeoutMs, ctx.signal);
    }
    const stopped = new Date();
    const seconds = (stopped.getTime() - started.getTime()) / 1000;
    const stdout = args.minutes !== undefined ? `Paused for ${Math.round((seconds / 60) * 100) / 100} minutes` : `Paused for ${Math.round(seconds * 100) / 100} seconds`;
    return {
      steps: [],
      warnings,
      result: {
        start: started.toISOString().replace('T', ' ').replace('Z', ''),
        stop: stopped.toISOString().replace('T', ' ').replace('Z', ''),
        delta: Math.floor(seconds),
        echo: args.echo,
        stdout,
        user_input: userInput,
      },
    };
  },
});
