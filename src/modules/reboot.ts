/**
 * `reboot`: reboots the host and waits until it is back, as Ansible's
 * reboot: it reads the boot id and finds the reboot command in
 * `search_paths` (as Ansible's `find` does; an absolute path is taken as
 * it is), runs it (a connection that drops meanwhile is expected; a
 * command that ends with an error fails the task), then polls over new
 * connections until the host answers `test_command` with a different boot
 * id, then waits `post_reboot_delay`. Returns `rebooted` and `elapsed`.
 * `--check` lists the steps and reboots nothing.
 *
 * The local lab's bare hosts share this machine's kernel: their shutdown
 * and reboot emulate one (src/lab/assets/power.mjs: sessions drop, the
 * host is unreachable for a while, a new boot id), which is what
 * test/e2e/reboot-ansible.test.ts runs beside Ansible's reboot.
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
    // A comma-separated string is a list, as Ansible's check_type_list reads it.
    search_paths: z.union([z.string().transform((text) => text.split(',')), z.array(z.string())])
      .default(['/sbin', '/bin', '/usr/sbin', '/usr/bin', '/usr/local/sbin']),
  })
  .strict();

export type RebootArgs = z.infer<typeof rebootArgs>;

/** The program to find and its arguments: reboot_command split at its first space, or Ansible's Linux default (shutdown, the delay in whole minutes, the message). */
export function rebootCommandParts(args: RebootArgs): { program: string; rest: string } {
  if (args.reboot_command !== undefined) {
    const space = args.reboot_command.indexOf(' ');
    return space < 0 ? { program: args.reboot_command, rest: '' } : { program: args.reboot_command.slice(0, space), rest: args.reboot_command.slice(space + 1) };
  }
  return { program: 'shutdown', rest: `-r ${Math.floor(args.pre_reboot_delay / 60)} ${quote(args.msg)}` };
}

/** A shell line that prints the first search path holding the program (file or link), or exits 1. */
function findProgramCommand(program: string, searchPaths: readonly string[]): string {
  const candidates = searchPaths.map((dir) => quote(`${dir.replace(/\/+$/, '')}/${program}`)).join(' ');
  return `for f in ${candidates}; do if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; exit 0; fi; done; exit 1`;
}

/** Python's repr of a list of strings, as Ansible's message shows the search paths. */
function pythonList(items: readonly string[]): string {
  return `[${items.map((item) => `'${item}'`).join(', ')}]`;
}

export const reboot = defineModule({
  name: 'reboot',
  schema: rebootArgs,
  async plan(ctx, args): Promise<Plan> {
    const { program, rest } = rebootCommandParts(args);
    const [before, found] = await Promise.all([
      ctx.probe(args.boot_time_command),
      program.startsWith('/') ? undefined : ctx.probe(findProgramCommand(program, args.search_paths)),
    ]);
    const bootId = before.stdout.trim();
    if (before.exitCode !== 0 || !bootId) {
      return { steps: [], failed: `cannot read the boot id with ${args.boot_time_command}: ${(before.stderr || before.stdout).trim() || `exit ${before.exitCode}`}` };
    }
    const programPath = found === undefined ? program : found.stdout.trim();
    if (found !== undefined && (found.exitCode !== 0 || !programPath)) {
      return { steps: [], failed: `Unable to find command "${program}" in search paths: ${pythonList(args.search_paths)}` };
    }
    return {
      steps: [
        {
          kind: 'command',
          id: 'reboot',
          description: 'reboot',
          command: rest ? `${programPath} ${rest}` : programPath,
          connectionMayDrop: true,
          unchangedWhenFailing: true,
          timeoutMs: 30_000,
          failMessage: 'Reboot command failed',
        },
        {
          kind: 'wait',
          id: 'back',
          description: 'wait for the host to come back with a new boot id',
          condition: 'host_answers',
          unchangedWhenFailing: true,
          args: {
            testCommand: args.test_command,
            bootIdCommand: args.boot_time_command,
            bootIdBefore: bootId,
            // shutdown -r +N waits N minutes; do not count that against the reboot.
            delayMs: Math.floor(args.pre_reboot_delay / 60) * 60_000,
            settleMs: Math.round(args.post_reboot_delay * 1000),
            attemptTimeoutMs: Math.round((args.connect_timeout ?? 10) * 1000),
            rebootTimeoutSeconds: args.reboot_timeout,
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
  // As Ansible's: rebooted is false only when the reboot command itself failed (a host that never came back did reboot).
  finish(_args, outcomes) {
    const waited = outcomes.byId('back')?.waited;
    const commandRan = outcomes.byId('reboot')?.run?.exitCode === 0;
    return waited ? { rebooted: true, elapsed: waited.elapsed } : { rebooted: commandRan };
  },
});
