/**
 * Development entry for `swarmplay lab` until src/cli/main.ts wires it in:
 * node dist/test/support/lab-cli.js lab up --name dev --subnet 10.203.7.0/24
 */
import { Command } from 'commander';
import { SwarmplayError } from '../../src/errors.js';
import { registerLabCommand } from '../../src/cli/lab-command.js';

const program = new Command('swarmplay');
registerLabCommand(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof SwarmplayError) {
    console.error(`swarmplay: ${error.format()}`);
    process.exit(error.exitCode);
  }
  throw error;
});
