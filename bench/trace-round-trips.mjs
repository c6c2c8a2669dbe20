/**
 * Preloaded into a swarmplay process (node --import) to see where a run's
 * round trips go: wraps ssh2's Client so that every request written to a
 * persistent remote shell, and every exec channel, is timed from the write
 * to its reply, per host. On exit writes $SWARMPLAY_TRACE (JSON): for each
 * request the host, the start and end (ms since the process started) and the
 * command's first 80 characters (the whole command with SWARMPLAY_TRACE_FULL=1,
 * which bench/bootstrap/run.mjs uses to write the reads of a run as one script per host). Profiling only: the bench's timed runs do
 * not carry it. `node bench/trace-round-trips.mjs summary FILE` prints counts
 * and time per host and the most frequent command shapes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const output = process.env.SWARMPLAY_TRACE;
const keep = (command) => (process.env.SWARMPLAY_TRACE_FULL ? command : command.slice(0, 80));
if (output) {
  const { Client } = createRequire(import.meta.url)('ssh2');
  const requests = [];
  const connect = Client.prototype.connect;
  Client.prototype.connect = function connectAndName(config, ...rest) {
    this.traceHost = config.host;
    const started = performance.now();
    this.once('ready', () => requests.push({ host: config.host, kind: 'connect', start: started, end: performance.now(), command: 'ssh handshake' }));
    return connect.call(this, config, ...rest);
  };
  const exec = Client.prototype.exec;
  Client.prototype.exec = function tracedExec(command, ...args) {
    const host = this.traceHost;
    const callback = args.pop();
    const started = performance.now();
    const isShell = command.startsWith('exec /bin/sh -c');
    return exec.call(this, command, ...args, (error, channel) => {
      if (!error && isShell) traceShell(host, channel);
      else if (!error) channel.once('close', () => requests.push({ host, kind: 'exec', start: started, end: performance.now(), command: keep(command) }));
      callback(error, channel);
    });
  };
  function traceShell(host, channel) {
    const open = new Map();
    const write = channel.write;
    channel.write = function tracedWrite(data, ...rest) {
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
      const header = /^(swarmplay-[0-9a-f]+) (\d+)\n/.exec(text);
      if (header) {
        const body = text.slice(header[0].length, text.indexOf(`\n${header[1]}\n`, header[0].length));
        open.set(header[1], { host, kind: 'shell', start: performance.now(), stdinBytes: Number(header[2]), command: keep(body) });
      }
      return write.call(this, data, ...rest);
    };
    channel.on('data', (chunk) => {
      for (const match of chunk.toString('latin1').matchAll(/(swarmplay-[0-9a-f]+) (\d+)\n/g)) {
        const request = open.get(match[1]);
        if (!request) continue;
        open.delete(match[1]);
        requests.push({ ...request, end: performance.now(), exit: Number(match[2]) });
      }
    });
  }
  process.on('exit', () => writeFileSync(output, `${JSON.stringify(requests)}\n`));
}

if (process.argv[2] === 'summary') {
  const requests = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  const byHost = new Map();
  for (const request of requests) {
    const entry = byHost.get(request.host) ?? { count: 0, busyMs: 0, first: Infinity, last: 0 };
    if (request.kind !== 'connect') entry.count += 1;
    entry.busyMs += request.end - request.start;
    entry.first = Math.min(entry.first, request.start);
    entry.last = Math.max(entry.last, request.end);
    byHost.set(request.host, entry);
  }
  const hosts = [...byHost.values()];
  const sum = (values) => values.reduce((a, b) => a + b, 0);
  const shellTimes = requests.filter((r) => r.kind === 'shell').map((r) => r.end - r.start).sort((a, b) => a - b);
  const connects = requests.filter((r) => r.kind === 'connect').map((r) => r.end - r.start).sort((a, b) => a - b);
  console.log(`hosts ${hosts.length}; requests per host ${sum(hosts.map((h) => h.count)) / hosts.length}; `
    + `busy per host ${(sum(hosts.map((h) => h.busyMs)) / hosts.length).toFixed(0)} ms of a span of ${(sum(hosts.map((h) => h.last - h.first)) / hosts.length).toFixed(0)} ms`);
  const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]?.toFixed(1);
  console.log(`shell round trip ms: median ${pct(shellTimes, 0.5)}, p90 ${pct(shellTimes, 0.9)}, max ${pct(shellTimes, 1)}; handshake ms: median ${pct(connects, 0.5)}, max ${pct(connects, 1)}`);
  const firstStart = Math.min(...requests.map((r) => r.start));
  const lastEnd = Math.max(...requests.map((r) => r.end));
  console.log(`first request at ${firstStart.toFixed(0)} ms after start, last reply at ${lastEnd.toFixed(0)} ms`);
  const shapes = new Map();
  for (const request of requests) {
    const shape = request.command.replace(/\/root\/bench\/[\w.-]+/g, 'PATH').replace(/\d+/g, 'N').slice(0, 60);
    const entry = shapes.get(shape) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += request.end - request.start;
    shapes.set(shape, entry);
  }
  for (const [shape, entry] of [...shapes].sort((a, b) => b[1].count - a[1].count).slice(0, 15)) {
    console.log(`${String(entry.count / hosts.length).padStart(5)} per host, ${(entry.ms / entry.count).toFixed(1).padStart(6)} ms each: ${shape}`);
  }
}
