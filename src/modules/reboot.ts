/**
 * `reboot`: reboots the host and waits until it is back, as Ansible's
 * reboot: it reads the boot id, runs the reboot command (`shutdown -r`; a
 * connection that drops meanwhile is expected), then polls over new
 * connections until the host answers `test_command` with a different boot
 * id, then waits `post_reboot_delay`. Returns `rebooted` and `elapsed`.
 * `--check` lists the steps and reboots nothing.
 *
 * The local lab cannot reboot a host (its hosts share this machine's
 * kernel, so the boot id never changes): the wait is tested with scripted
 * conditions (test/modules/conditions/host-answers.test.ts) and the plan with
 * fixture cases.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { numberArg } from './argument-types.js';
import { quote } from '../transport/shell-quote.js';

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id';

const rebootArgs = z
  .object({
    reboot_timeout: numberArg.pipe(z.number().positive()).default(600),
    connect_timeout: numberArg.pipe(z.number().positive()).optional(),
    msg: z.string().default('Reboot initiated by Ansible'),
    pre_reboot_delay: numberArg.default(0),
    post_reboot_delay: numberArg.default(0),
    test_command: z.string().min(1).default('whoami'),
    reboot_command: z.string().min(1).optional(),
    boot_time_command: z.string().min(1).default(BOOT_ID),
    search_paths: z.array(z.string()).optional(),
  })
  .strict();

export type RebootArgs = z.infer<typeof rebootArgs>;

/** Ansible's Linux default: shutdown with the delay in whole minutes and the message. */
export function rebootCommand(args: RebootArgs): string {
  if (args.reboot_command !== undefined) return args.reboot_command;
  return `shutdown -r +${Math.floor(args.pre_reboot_delay / 60)} ${quote(args.msg)}`;
}

export const reboot = defineModule({
  name: 'reboot',
  schema: rebootArgs,
  async plan(ctx, args): Promise<Plan> {
    const before = await ctx.probe(args.boot_time_command);
    const bootId = before.stdout.trim();
    if (before.exitCode !== 0 || !bootId) {
      return { steps: [], failed: `cannot read the boot id with ${args.boot_time_command}: ${(before.stderr || before.stdout).trim() || `exit ${before.exitCode}`}` };
    }
    return {
      steps: [
        {
          kind: 'command',
          description: 'reboot',
          command: rebootCommand(args),
          connectionMayDrop: true,
          timeoutMs: 30_000,
          failMessage: 'Reboot command failed',
        },
        {
          kind: 'wait',
          id: 'back',
          description: 'wait for the host to come back with a new boot id',
          condition: 'host_answers',
          args: {
            testCommand: args.test_command,
            bootIdCommand: args.boot_time_command,
            bootIdBefore: bootId,
            // shutdown -r +N waits N minutes; do not count that against the reboot.
            delayMs: Math.floor(args.pre_reboot_delay / 60) * 60_000,
            settleMs: Math.round(args.post_reboot_delay * 1000),
            attemptTimeoutMs: Math.round((args.connect_timeout ?? 10) * 1000),
          },
          reconnect: true,
          intervalMs: 2000,
          timeoutMs: Math.round((args.reboot_timeout + args.post_reboot_delay + Math.floor(args.pre_reboot_delay / 60) * 60) * 1000),
          waitingFor: 'the host to come back after its reboot',
        },
      ],
      result: { rebooted: true },
    };
  },
  finish(_args, outcomes) {
    const waited = outcomes.byId('back')?.waited;
    return waited ? { rebooted: true, elapsed: waited.elapsed } : { rebooted: true };
  },
});
