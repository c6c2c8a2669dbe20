/** The local transport, counting the requests (round trips) it is asked for. */
import { LocalConnection } from '../../src/transport/local.js';
import type { RunOptions } from '../../src/transport/types.js';

export class CountingConnection extends LocalConnection {
  commands = 0;

  override run(command: string, options?: RunOptions) {
    this.commands += 1;
    return super.run(command, options);
  }

  override runBytes(command: string, options?: RunOptions) {
    this.commands += 1;
    return super.runBytes(command, options);
  }
}
