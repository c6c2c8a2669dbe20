/**
 * `host_answers`: the host takes a new connection and runs a test command
 * (wait_for_connection; reboot after its reboot command). With
 * `bootIdBefore`, the boot id read alongside must differ from it: a host
 * that still answers with the same boot id has not rebooted yet (sshd lives
 * a moment after `shutdown`). Meant for waits with `reconnect`: a
 * connection that cannot be made yet reads as exit 255 and means "waiting".
 * `delayMs` waits that long before the first test; `settleMs` that long
 * after the host answered (post_reboot_delay). Time is the runner's
 * `elapsedMs`, so tests script it.
 */
import { z } from 'zod';
import { defineCondition } from './types.js';

const MARK = '__boot_id__:';

export const hostAnswers = defineCondition({
  name: 'host_answers',
  schema: z.object({
    testCommand: z.string().min(1).default('true'),
    bootIdCommand: z.string().min(1).default('cat /proc/sys/kernel/random/boot_id'),
    bootIdBefore: z.string().min(1).optional(),
    delayMs: z.number().int().nonnegative().default(0),
    settleMs: z.number().int().nonnegative().default(0),
    /** Per attempt: bounds a connection that opens and then hangs. */
    attemptTimeoutMs: z.number().int().positive().default(10_000),
    /** reboot's reboot_timeout: its time-out then reads as Ansible's reboot says it, with that figure. */
    rebootTimeoutSeconds: z.number().positive().optional(),
  }).strict(),
  start(args) {
    let answeredAt: number | undefined;
    let bootId = '';
    return {
      ...(args.rebootTimeoutSeconds !== undefined && {
        // Ansible's reboot waits for a new boot id, then for the test command: its message names the stage that ran out.
        timeoutMessage: (_timeoutMs: number, lastProgress: string) => {
          const stage = lastProgress.startsWith('test command') ? 'post-reboot test command' : 'last boot time check';
          return `Timed out waiting for ${stage} (timeout=${args.rebootTimeoutSeconds})${lastProgress ? ` (last seen: ${lastProgress})` : ''}`;
        },
      }),
      async poll(host, elapsedMs) {
        if (elapsedMs < args.delayMs) return { state: 'waiting', progress: `delay ${Math.round(args.delayMs / 1000)} s` };
        if (answeredAt === undefined) {
          const script = args.bootIdBefore === undefined
            ? args.testCommand
            : `printf '${MARK}%s\\n' "$(${args.bootIdCommand})" && ${args.testCommand}`;
          const answer = await host.probe(script, { timeoutMs: args.attemptTimeoutMs });
          if (answer.exitCode !== 0) {
            const said = (answer.stderr || answer.stdout).trim().split('\n').pop() ?? '';
            return { state: 'waiting', progress: answer.exitCode === 255 ? `no connection: ${said}` : `test command exit ${answer.exitCode}: ${said}` };
          }
          if (args.bootIdBefore !== undefined) {
            bootId = answer.stdout.split('\n').find((line) => line.startsWith(MARK))?.slice(MARK.length).trim() ?? '';
            if (!bootId) return { state: 'waiting', progress: 'no boot id read' };
            if (bootId === args.bootIdBefore) return { state: 'waiting', progress: 'answers with the same boot id: not rebooted yet' };
          }
          answeredAt = elapsedMs;
        }
        if (elapsedMs - answeredAt < args.settleMs) return { state: 'waiting', progress: `answered; post-reboot delay ${Math.round(args.settleMs / 1000)} s` };
        return { state: 'done', result: { elapsed: Math.round(elapsedMs / 1000), ...(bootId && { boot_id: bootId }) } };
      },
    };
  },
});
