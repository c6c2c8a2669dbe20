/**
 * Preloaded into the measured swarmplay process (node --import): counts the SSH
 * channels (exec, shell, sftp) each connection opens, by wrapping ssh2's Client,
 * which the bundled CLI loads from node_modules like this file does, and writes
 * them as JSON, per host address, to $SWARMPLAY_BENCH_CHANNELS on exit.
 * Counting costs nothing measurable, so the timed runs carry it; swarmplay's own
 * code is unchanged.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const output = process.env.SWARMPLAY_BENCH_CHANNELS;
if (output) {
  const { Client } = createRequire(import.meta.url)('ssh2');
  const channelsPerHost = {};
  const connect = Client.prototype.connect;
  Client.prototype.connect = function connectAndName(config, ...rest) {
    this.benchHost = `${config.host}:${config.port ?? 22}`;
    channelsPerHost[this.benchHost] = 0;
    return connect.call(this, config, ...rest);
  };
  for (const method of ['exec', 'shell', 'sftp', 'subsys']) {
    const original = Client.prototype[method];
    Client.prototype[method] = function countChannel(...args) {
      channelsPerHost[this.benchHost] = (channelsPerHost[this.benchHost] ?? 0) + 1;
      return original.apply(this, args);
    };
  }
  process.on('exit', () => writeFileSync(output, `${JSON.stringify(channelsPerHost)}\n`));
}
