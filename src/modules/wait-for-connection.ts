/**
 * `wait_for_connection`: waits until the host takes a new SSH connection and
 * runs a command, as Ansible's wait_for_connection (`delay`, `sleep`,
 * `timeout`, `connect_timeout`). It needs no connection to start, so a host
 * that is still down when the task begins is waited for, not marked
 * unreachable. The test command is `true` (Ansible runs its ping module,
 * which needs python; swarmplay's hosts need only a shell). In check mode
 * the wait is listed and not made.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { numberArg } from './argument-types.js';

const waitForConnectionArgs = z
  .object({
    connect_timeout: numberArg.pipe(z.number().positive()).default(5),
    delay: numberArg.default(0),
    sleep: numberArg.pipe(z.number().positive()).default(1),
    timeout: numberArg.pipe(z.number().positive()).default(600),
  })
  .strict();

export const waitForConnection = defineModule({
  name: 'wait_for_connection',
  schema: waitForConnectionArgs,
  controllerOnly: true,
  async plan(_ctx, args): Promise<Plan> {
    return {
      steps: [{
        kind: 'wait',
        id: 'connection',
        description: 'wait for the host to take a connection',
        condition: 'host_answers',
        args: { testCommand: 'true', delayMs: Math.round(args.delay * 1000), attemptTimeoutMs: Math.round((args.connect_timeout + 5) * 1000) },
        reconnect: true,
        intervalMs: Math.round(args.sleep * 1000),
        timeoutMs: Math.round((args.delay + args.timeout) * 1000),
        waitingFor: 'the host to take a connection',
      }],
    };
  },
  finish(_args, outcomes) {
    const waited = outcomes.byId('connection')?.waited;
    return waited ? { elapsed: waited.elapsed } : {};
  },
});
