/**
 * Preloaded into the measured swarmplay process (node --import): counts the SSH
 * channels (exec, shell, sftp) each connection opens, by wrapping ssh2's Client,
 * which the bundled CLI loads from node_modules when it connects a first host,
 * and writes them as JSON, per host address, to $SWARMPLAY_BENCH_CHANNELS on exit.
 * The Client is wrapped when swarmplay itself loads ssh2 (a hook on CommonJS
 * loading), not here: requiring ssh2 in the preload cost every measured run
 * about 60 ms of CPU, and a run that connects no host (0 tasks) never loads it.
 * swarmplay's own code is unchanged.
 */
import { writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';

const output = process.env.SWARMPLAY_BENCH_CHANNELS;
if (output) {
  const channelsPerHost = {};
  const wrapped = new WeakSet();
  const wrapClient = (Client) => {
    if (typeof Client !== 'function' || wrapped.has(Client)) return;
    wrapped.add(Client);
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
  };
  // node-ssh's CommonJS build requires 'ssh2'; its ES build imports it, which loads it by its file name.
  const ssh2File = createRequire(import.meta.url).resolve('ssh2');
  const load = Module._load;
  Module._load = function loadAndWrapSsh2(request, ...rest) {
    const exports = load.call(this, request, ...rest);
    if (request === 'ssh2' || request === ssh2File) wrapClient(exports?.Client);
    return exports;
  };
  process.on('exit', () => writeFileSync(output, `${JSON.stringify(channelsPerHost)}\n`));
}
