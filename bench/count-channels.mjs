/**
 * Preloaded into the measured swarmplay process (node --import): records how
 * many SSH channels each host's connection opened (SshConnection's
 * channelsOpened, read when the connection closes) and writes them as JSON to
 * $SWARMPLAY_BENCH_CHANNELS on exit. Reading a counter costs nothing, so the
 * timed runs carry it; swarmplay's own code is unchanged.
 */
import { writeFileSync } from 'node:fs';

const output = process.env.SWARMPLAY_BENCH_CHANNELS;
if (output) {
  // The same module file the measured CLI loads (the bench runs a copy of dist/), so the patch reaches its connections.
  const { SshConnection } = await import(process.env.SWARMPLAY_BENCH_SSH_MODULE ?? new URL('../dist/src/transport/ssh.js', import.meta.url).pathname);
  const channelsPerHost = {};
  const close = SshConnection.prototype.close;
  SshConnection.prototype.close = function closeAndCount(...args) {
    channelsPerHost[this.host] = this.channelsOpened;
    return close.apply(this, args);
  };
  process.on('exit', () => writeFileSync(output, `${JSON.stringify(channelsPerHost)}\n`));
}
