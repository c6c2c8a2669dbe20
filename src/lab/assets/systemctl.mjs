// swarmplay lab: a stand-in for `systemctl` inside a lab host.
//
// No systemd runs as PID 1 in the lab, yet the walkthrough (and every
// playbook written from it) edits docker.service, runs `systemctl
// daemon-reload` and `systemctl restart docker`, and expects the daemon to
// come back with the new flags. This program reads units the way systemd
// does and starts exactly the ExecStart it finds, so a templated flag really
// reaches dockerd and a broken unit really fails.
//
// What it follows from systemd:
// - load path: /etc/systemd/system over /run/systemd/system over
//   /usr/local/lib/systemd/system over /lib and /usr/lib/systemd/system;
//   a unit linked to /dev/null is masked;
// - drop-ins UNIT.d/*.conf from every load path directory, the same file name
//   in a higher directory hiding the lower one, applied in file name order;
// - an empty assignment (`ExecStart=`) resets a list setting;
// - Environment=, EnvironmentFile= (a leading '-' means optional),
//   `$VAR` as a word splits at whitespace, `${VAR}` stays one word;
// - units are loaded once and kept until `daemon-reload`: restarting after
//   an edit without a reload runs the old command line, with systemd's warning.
// What it does differently: `-H fd://` (socket activation by docker.socket)
// means the default unix socket; there is no supervision (Restart=), no
// cgroup, no journal: the service's output goes to /run/systemctl-standin/UNIT.log.
// Only docker.service and containerd.service are managed; other units get a
// clear "not supported" answer.

import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';

const STATE_DIR = '/run/systemctl-standin';
const LOADED_DIR = path.join(STATE_DIR, 'loaded');
const UNIT_PATH = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
];
// In boot order: docker.service wants containerd.service.
const SUPPORTED_UNITS = new Set(['containerd.service', 'docker.service']);
const LIST_KEYS = new Set([
  'ExecStart', 'ExecStartPre', 'ExecStartPost', 'ExecStop', 'ExecStopPost', 'ExecReload',
  'Environment', 'EnvironmentFile', 'Wants', 'Requires', 'After', 'Before', 'WantedBy', 'RequiredBy', 'Also',
]);
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_DOCKER_SOCKET = 'unix:///var/run/docker.sock';
const MAX_WAIT_MS = 120_000;

class UnitError extends Error {
  constructor(message, exitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

// ---------- unit files ----------

function unitName(argument) {
  return /\.[a-z]+$/.test(argument) ? argument : `${argument}.service`;
}

function uniqueRealDirs(dirs) {
  const seen = new Set();
  const result = [];
  for (const dir of dirs) {
    let real;
    try { real = fs.realpathSync(dir); } catch { continue; }
    if (seen.has(real)) continue;
    seen.add(real);
    result.push(dir);
  }
  return result;
}

function findFragment(name) {
  for (const dir of uniqueRealDirs(UNIT_PATH)) {
    const candidate = path.join(dir, name);
    let stat;
    try { stat = fs.lstatSync(candidate); } catch { continue; }
    if (stat.isSymbolicLink() && fs.readlinkSync(candidate) === '/dev/null') return { path: candidate, masked: true };
    if (fs.existsSync(candidate)) return { path: candidate, masked: false };
  }
  return null;
}

function findDropIns(name) {
  const byBase = new Map();
  for (const dir of uniqueRealDirs(UNIT_PATH)) {
    const dropInDir = path.join(dir, `${name}.d`);
    let entries;
    try { entries = fs.readdirSync(dropInDir); } catch { continue; }
    for (const entry of entries) {
      if (!entry.endsWith('.conf') || byBase.has(entry)) continue;
      byBase.set(entry, path.join(dropInDir, entry));
    }
  }
  return [...byBase.keys()].sort().map((base) => byBase.get(base));
}

/** Lines of a unit file as [section, key, value], continuation lines joined. */
function parseUnitText(text) {
  const entries = [];
  let section = '';
  let pending = '';
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (pending === '' && (line === '' || line.startsWith('#') || line.startsWith(';'))) continue;
    if (pending !== '' && (line.startsWith('#') || line.startsWith(';'))) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const full = pending + line;
    pending = '';
    if (full.startsWith('[') && full.endsWith(']')) {
      section = full.slice(1, -1);
      continue;
    }
    const eq = full.indexOf('=');
    if (eq < 0) continue;
    entries.push([section, full.slice(0, eq).trim(), full.slice(eq + 1).trim()]);
  }
  if (pending !== '') {
    const full = pending.trim();
    const eq = full.indexOf('=');
    if (eq >= 0) entries.push([section, full.slice(0, eq).trim(), full.slice(eq + 1).trim()]);
  }
  return entries;
}

function applyEntries(settings, entries) {
  for (const [section, key, value] of entries) {
    const sectionSettings = (settings[section] ??= {});
    if (LIST_KEYS.has(key)) {
      if (value === '') sectionSettings[key] = [];
      else (sectionSettings[key] ??= []).push(value);
    } else {
      sectionSettings[key] = value;
    }
  }
}

function fileSignature(file) {
  try {
    const stat = fs.statSync(file);
    return `${file}:${stat.mtimeMs}:${stat.size}`;
  } catch {
    return `${file}:missing`;
  }
}

function readUnitFromDisk(name) {
  const fragment = findFragment(name);
  if (!fragment) return null;
  if (fragment.masked) return { name, masked: true, fragment: fragment.path, dropIns: [], settings: {}, sources: [] };
  const dropIns = findDropIns(name);
  const settings = {};
  for (const file of [fragment.path, ...dropIns]) applyEntries(settings, parseUnitText(fs.readFileSync(file, 'utf8')));
  const sources = [fragment.path, ...dropIns];
  return { name, masked: false, fragment: fragment.path, dropIns, settings, sources, signature: sources.map(fileSignature) };
}

function diskSignature(name) {
  const fragment = findFragment(name);
  if (!fragment) return [];
  return [fragment.path, ...findDropIns(name)].map(fileSignature);
}

const loadedThisRun = new Map();

/** The unit as systemd holds it in memory: read at first use, kept until daemon-reload. */
function loadUnit(name) {
  if (!loadedThisRun.has(name)) loadedThisRun.set(name, loadUnitSnapshot(name));
  return loadedThisRun.get(name);
}

function loadUnitSnapshot(name) {
  const snapshotFile = path.join(LOADED_DIR, `${name}.json`);
  try {
    const loaded = JSON.parse(fs.readFileSync(snapshotFile, 'utf8'));
    if (!loaded.masked && JSON.stringify(loaded.signature) !== JSON.stringify(diskSignature(name))) {
      process.stderr.write(
        `Warning: The unit file, source configuration file or drop-ins of ${name} changed on disk. ` +
        `Run 'systemctl daemon-reload' to reload units.\n`,
      );
    }
    return loaded;
  } catch {
    const unit = readUnitFromDisk(name);
    if (unit) {
      fs.mkdirSync(LOADED_DIR, { recursive: true });
      fs.writeFileSync(snapshotFile, JSON.stringify(unit));
    }
    return unit;
  }
}

function daemonReload() {
  fs.rmSync(LOADED_DIR, { recursive: true, force: true });
  loadedThisRun.clear();
}

// ---------- command lines and environment ----------

const ESCAPES = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", ' ': ' ', s: ' ' };

/** Words of a systemd command line; each word remembers whether it was a bare `$NAME`. */
function splitWords(text) {
  const words = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) break;
    let word = '';
    let quotedAnywhere = false;
    while (i < text.length && !/\s/.test(text[i])) {
      const ch = text[i];
      if (ch === '"' || ch === "'") {
        quotedAnywhere = true;
        const close = ch;
        i++;
        while (i < text.length && text[i] !== close) {
          if (text[i] === '\\' && i + 1 < text.length) {
            word += ESCAPES[text[i + 1]] ?? text[i + 1];
            i += 2;
          } else {
            word += text[i++];
          }
        }
        i++;
      } else if (ch === '\\' && i + 1 < text.length) {
        word += ESCAPES[text[i + 1]] ?? text[i + 1];
        i += 2;
      } else {
        word += ch;
        i++;
      }
    }
    words.push({ text: word, bareVariable: !quotedAnywhere && /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(word) });
  }
  return words;
}

function substitute(text, env) {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced, bare) => {
    if (match === '$$') return '$';
    return env[braced ?? bare] ?? '';
  });
}

function parseExecLine(line, env, unitNameForSpecifiers) {
  let rest = line;
  const flags = new Set();
  while (rest.length > 0 && '@-:+!'.includes(rest[0])) {
    flags.add(rest[0]);
    rest = rest.slice(1);
  }
  rest = rest.replace(/%[%nNp]/g, (spec) =>
    spec === '%%' ? '%' : spec === '%p' ? unitNameForSpecifiers.replace(/\.[a-z]+$/, '') : unitNameForSpecifiers);
  const argv = [];
  for (const word of splitWords(rest)) {
    if (flags.has(':')) argv.push(word.text);
    else if (word.bareVariable) argv.push(...(env[word.text.slice(1)] ?? '').split(/\s+/).filter(Boolean));
    else argv.push(substitute(word.text, env));
  }
  if (flags.has('@')) argv.splice(1, 1);
  return { argv, ignoreFailure: flags.has('-') };
}

function parseEnvironmentFile(text) {
  const env = {};
  const joined = text.replace(/\\\n/g, '');
  for (const rawLine of joined.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().replace(/^export\s+/, '');
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
    env[key] = value;
  }
  return env;
}

function serviceEnvironment(unit) {
  const service = unit.settings.Service ?? {};
  const env = { PATH: DEFAULT_PATH, LANG: 'C.UTF-8' };
  for (const line of service.Environment ?? []) {
    for (const word of splitWords(line)) {
      const eq = word.text.indexOf('=');
      if (eq > 0) env[word.text.slice(0, eq)] = word.text.slice(eq + 1);
    }
  }
  for (const entry of service.EnvironmentFile ?? []) {
    const optional = entry.startsWith('-');
    const file = optional ? entry.slice(1) : entry;
    try {
      Object.assign(env, parseEnvironmentFile(fs.readFileSync(file, 'utf8')));
    } catch (error) {
      if (!optional) throw new UnitError(`${unit.name}: Failed to load environment files: ${error.message}`, 1);
    }
  }
  return env;
}

/** dockerd -H fd:// relies on docker.socket handing over a listening socket; here it is the default socket. */
function withoutSocketActivation(argv) {
  const result = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if ((arg === '-H' || arg === '--host') && argv[i + 1]?.startsWith('fd://')) {
      result.push(arg, DEFAULT_DOCKER_SOCKET);
      i++;
    } else if (/^(-H=?|--host=)fd:\/\//.test(arg)) {
      result.push(`--host=${DEFAULT_DOCKER_SOCKET}`);
    } else {
      result.push(arg);
    }
  }
  return result;
}

// ---------- processes ----------

function processStartTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return null;
  }
}

function recordFile(name) {
  return path.join(STATE_DIR, `${name}.json`);
}

function readRecord(name) {
  try {
    return JSON.parse(fs.readFileSync(recordFile(name), 'utf8'));
  } catch {
    return { state: 'inactive' };
  }
}

function writeRecord(name, record) {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  fs.writeFileSync(recordFile(name), JSON.stringify(record));
}

function mainPidAlive(record) {
  return Boolean(record.mainPid) && processStartTicks(record.mainPid) === record.startTicks;
}

/** active, inactive or failed: a main process that vanished without a stop is a failure, as systemd reports it. */
function activeState(name) {
  const record = readRecord(name);
  if (record.state === 'active') return mainPidAlive(record) ? 'active' : 'failed';
  return record.state === 'failed' ? 'failed' : 'inactive';
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function unixSocketAnswers(socketPath, pingHttp) {
  return new Promise((resolve) => {
    if (pingHttp) {
      const request = http.get({ socketPath, path: '/_ping', timeout: 1000 }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      });
      request.on('error', () => resolve(false));
      request.on('timeout', () => { request.destroy(); resolve(false); });
    } else {
      const socket = net.connect(socketPath, () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    }
  });
}

function optionValue(argv, names) {
  for (let i = 0; i < argv.length; i++) {
    for (const name of names) {
      if (argv[i] === name) return argv[i + 1];
      if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
    }
  }
  return undefined;
}

/** How to tell the service is up, in place of sd_notify(READY=1). */
function readinessProbe(argv) {
  const program = path.basename(argv[0]);
  if (program === 'dockerd') {
    const hosts = [];
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '-H' || argv[i] === '--host') hosts.push(argv[i + 1]);
      else if (/^(-H=?|--host=)/.test(argv[i])) hosts.push(argv[i].replace(/^(-H=?|--host=)/, ''));
    }
    const unixHost = hosts.find((host) => host?.startsWith('unix://')) ?? (hosts.length === 0 ? DEFAULT_DOCKER_SOCKET : undefined);
    if (!unixHost) return async () => true;
    const socketPath = unixHost === 'unix://' ? '/var/run/docker.sock' : unixHost.slice('unix://'.length);
    return () => unixSocketAnswers(socketPath, true);
  }
  if (program === 'containerd') {
    const socketPath = optionValue(argv, ['--address', '-a']) ?? '/run/containerd/containerd.sock';
    return () => unixSocketAnswers(socketPath, false);
  }
  let firstCheck = Date.now();
  return async () => Date.now() - firstCheck > 300;
}

/** Hard limits of this process, by /proc/self/limits row name ("Max open files"). */
function hardLimit(row) {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((text) => text.startsWith(row));
    const hard = line?.slice(row.length).trim().split(/\s+/)[1];
    return hard === undefined || hard === 'unlimited' ? Infinity : Number(hard);
  } catch {
    return Infinity;
  }
}

/**
 * LimitNOFILE= and friends, applied by prlimit (which execs, so the main pid
 * stays the service's). A limit above this machine's hard limit (a sandbox
 * may forbid raising it) is capped rather than failing the start.
 */
function limitArguments(service) {
  const limits = [['LimitNOFILE', 'nofile', 'Max open files'], ['LimitNPROC', 'nproc', 'Max processes'], ['LimitCORE', 'core', 'Max core file size']];
  const args = [];
  for (const [key, option, row] of limits) {
    const value = service[key];
    if (!value) continue;
    const wanted = value === 'infinity' ? Infinity : Number(value);
    if (Number.isNaN(wanted)) continue;
    const limit = Math.min(wanted, hardLimit(row));
    const text = Number.isFinite(limit) ? String(limit) : 'unlimited';
    args.push(`--${option}=${text}:${text}`);
  }
  return args.length > 0 && fs.existsSync('/usr/bin/prlimit') ? ['/usr/bin/prlimit', ...args, '--'] : [];
}

function runSyncCommand(command, env, logFd) {
  const [program, ...args] = command.argv;
  const result = spawnSync(program, args, { env, stdio: ['ignore', logFd, logFd], cwd: '/' });
  return result.status === 0;
}

function failStart(name, logFd, message, record) {
  if (message) fs.writeSync(logFd, `${message}\n`);
  writeRecord(name, { ...record, state: 'failed', mainPid: null });
  throw new UnitError(
    `Job for ${name} failed because the control process exited with error code.\n` +
    `See "systemctl status ${name}" and "${path.join(STATE_DIR, `${name}.log`)}" for details.`,
    1,
  );
}

function requireSupported(name) {
  if (!SUPPORTED_UNITS.has(name)) {
    throw new UnitError(
      `systemctl (swarmplay lab stand-in): ${name} is not supported here; ` +
      `this lab host manages only ${[...SUPPORTED_UNITS].join(' and ')}.`,
      1,
    );
  }
}

function requireLoaded(name, verb) {
  const unit = loadUnit(name);
  if (!unit) throw new UnitError(`Failed to ${verb} ${name}: Unit ${name} not found.`, 5);
  if (unit.masked) throw new UnitError(`Failed to ${verb} ${name}: Unit ${name} is masked.`, 1);
  return unit;
}

async function startUnit(name) {
  requireSupported(name);
  const unit = requireLoaded(name, 'start');
  if (activeState(name) === 'active') return;
  const service = unit.settings.Service ?? {};
  const dependencies = [...(unit.settings.Unit?.Wants ?? []), ...(unit.settings.Unit?.Requires ?? [])]
    .flatMap((line) => line.split(/\s+/))
    .filter((dependency) => SUPPORTED_UNITS.has(dependency) && dependency !== name);
  for (const dependency of dependencies) {
    if (findFragment(dependency)) await startUnit(dependency);
  }

  fs.mkdirSync(STATE_DIR, { recursive: true });
  const logFd = fs.openSync(path.join(STATE_DIR, `${name}.log`), 'a');
  const env = serviceEnvironment(unit);
  const execStart = service.ExecStart ?? [];
  const baseRecord = { state: 'failed', since: new Date().toISOString(), fragment: unit.fragment, dropIns: unit.dropIns };
  if (execStart.length !== 1) {
    failStart(name, logFd, `${name}: Service has ${execStart.length === 0 ? 'no' : 'more than one'} ExecStart= setting. Refusing.`, baseRecord);
  }
  for (const line of service.ExecStartPre ?? []) {
    const command = parseExecLine(line, env, name);
    if (!runSyncCommand(command, env, logFd) && !command.ignoreFailure) {
      failStart(name, logFd, `${name}: ExecStartPre failed: ${command.argv.join(' ')}`, baseRecord);
    }
  }
  const command = parseExecLine(execStart[0], env, name);
  const argv = name === 'docker.service' ? withoutSocketActivation(command.argv) : command.argv;
  const program = argv[0] ?? '';
  const record = { ...baseRecord, argv };
  if (!path.isAbsolute(program) || !fs.existsSync(program)) {
    failStart(name, logFd, `${name}: Failed to locate executable ${program}: No such file or directory (status=203/EXEC)`, record);
  }
  fs.writeSync(logFd, `-- ${new Date().toISOString()} starting: ${argv.join(' ')}\n`);
  const launcher = [...limitArguments(service), ...argv];
  const child = spawn(launcher[0], launcher.slice(1), { env, cwd: '/', detached: true, stdio: ['ignore', logFd, logFd] });
  let exited = null;
  child.on('exit', (code, signal) => { exited = signal ?? `code ${code}`; });
  child.on('error', (error) => { exited = error.message; });
  child.unref();
  // Let the exec (prlimit -> program) happen before taking the start time that identifies the process.
  await sleep(20);
  const startTicks = processStartTicks(child.pid);
  writeRecord(name, { ...record, state: 'active', mainPid: child.pid, startTicks });

  const ready = readinessProbe(argv);
  const deadline = Date.now() + MAX_WAIT_MS;
  while (Date.now() < deadline) {
    if (exited !== null) failStart(name, logFd, `\n${name}: Main process exited (${exited})`, record);
    if (await ready()) return;
    await sleep(100);
  }
  failStart(name, logFd, `${name}: start did not finish within ${MAX_WAIT_MS / 1000} s`, record);
}

async function stopUnit(name) {
  requireSupported(name);
  requireLoaded(name, 'stop');
  const record = readRecord(name);
  if (mainPidAlive(record)) {
    const timeoutSetting = Number.parseInt(loadUnit(name)?.settings.Service?.TimeoutStopSec ?? '90', 10);
    const deadline = Date.now() + Math.min(Number.isFinite(timeoutSetting) ? timeoutSetting : 90, 120) * 1000;
    process.kill(record.mainPid, 'SIGTERM');
    while (mainPidAlive(record) && Date.now() < deadline) await sleep(100);
    if (mainPidAlive(record)) process.kill(record.mainPid, 'SIGKILL');
    while (mainPidAlive(record)) await sleep(50);
  }
  writeRecord(name, { ...record, state: 'inactive', mainPid: null, since: new Date().toISOString() });
}

function wantedByLinks(unit) {
  const targets = (unit.settings.Install?.WantedBy ?? []).flatMap((line) => line.split(/\s+/)).filter(Boolean);
  return targets.map((target) => path.join('/etc/systemd/system', `${target}.wants`, unit.name));
}

function enabledState(name) {
  const unit = loadUnit(name);
  if (!unit) return null;
  if (unit.masked) return 'masked';
  const links = wantedByLinks(unit);
  if (links.length === 0) return 'static';
  return links.some((link) => fs.existsSync(link)) ? 'enabled' : 'disabled';
}

function enableUnit(name) {
  const unit = requireLoaded(name, 'enable');
  for (const link of wantedByLinks(unit)) {
    if (fs.existsSync(link)) continue;
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(unit.fragment, link);
    console.log(`Created symlink ${link} \u2192 ${unit.fragment}.`);
  }
}

function disableUnit(name) {
  const unit = requireLoaded(name, 'disable');
  for (const link of wantedByLinks(unit)) {
    if (!fs.existsSync(link) && !isSymlink(link)) continue;
    fs.rmSync(link, { force: true });
    console.log(`Removed "${link}".`);
  }
}

function isSymlink(file) {
  try { return fs.lstatSync(file).isSymbolicLink(); } catch { return false; }
}

function printStatus(name) {
  const unit = loadUnit(name);
  if (!unit) {
    process.stderr.write(`Unit ${name} could not be found.\n`);
    return 4;
  }
  const state = activeState(name);
  const record = readRecord(name);
  const description = unit.settings.Unit?.Description ?? name;
  const subState = state === 'active' ? 'running' : state === 'failed' ? 'failed' : 'dead';
  const lines = [`${state === 'active' ? '\u25cf' : '\u25cb'} ${name} - ${description}`];
  lines.push(`     Loaded: ${unit.masked ? 'masked' : 'loaded'} (${unit.fragment}; ${enabledState(name)}; preset: enabled)`);
  if (unit.dropIns.length > 0) lines.push(`    Drop-In: ${unit.dropIns.join(', ')}`);
  lines.push(`     Active: ${state} (${subState})${record.since ? ` since ${record.since}` : ''}`);
  if (state === 'active') {
    lines.push(`   Main PID: ${record.mainPid} (${path.basename(record.argv?.[0] ?? '')})`);
    lines.push(`    Command: ${(record.argv ?? []).join(' ')}`);
  }
  try {
    const log = fs.readFileSync(path.join(STATE_DIR, `${name}.log`), 'utf8').trimEnd().split('\n').slice(-10);
    lines.push('', ...log);
  } catch { /* never started: no log yet */ }
  console.log(lines.join('\n'));
  return state === 'active' ? 0 : 3;
}

function showProperties(name, properties) {
  const unit = loadUnit(name);
  const state = unit ? activeState(name) : 'inactive';
  const record = readRecord(name);
  const values = {
    Id: name,
    LoadState: !unit ? 'not-found' : unit.masked ? 'masked' : 'loaded',
    ActiveState: state,
    SubState: state === 'active' ? 'running' : state === 'failed' ? 'failed' : 'dead',
    MainPID: state === 'active' ? String(record.mainPid) : '0',
    ExecMainPID: state === 'active' ? String(record.mainPid) : '0',
    UnitFileState: unit ? enabledState(name) : '',
    FragmentPath: unit?.fragment ?? '',
    DropInPaths: (unit?.dropIns ?? []).join(' '),
    Description: unit?.settings.Unit?.Description ?? name,
  };
  const wanted = properties.length > 0 ? properties : Object.keys(values);
  console.log(wanted.map((key) => `${key}=${values[key] ?? ''}`).join('\n'));
}

// ---------- command line ----------

async function main(argv) {
  const options = new Set();
  const properties = [];
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-p' || arg === '--property') properties.push(...argv[++i].split(','));
    else if (arg.startsWith('--property=')) properties.push(...arg.slice(11).split(','));
    else if (arg.startsWith('-')) options.add(arg);
    else positional.push(arg);
  }
  if (options.has('--version')) {
    console.log('systemd 252 (swarmplay lab stand-in for systemctl)');
    return 0;
  }
  const [verb = 'list-units', ...units] = positional;
  const names = units.map(unitName);
  const quiet = options.has('-q') || options.has('--quiet');
  switch (verb) {
    // What a boot starts (the lab's emulated reboot asks for it): every managed unit that is enabled.
    case 'default':
      for (const name of SUPPORTED_UNITS) if (loadUnit(name) && enabledState(name) === 'enabled') await startUnit(name);
      return 0;
    case 'daemon-reload':
    case 'daemon-reexec':
      daemonReload();
      return 0;
    case 'start':
      for (const name of names) await startUnit(name);
      return 0;
    case 'stop':
      for (const name of names) await stopUnit(name);
      return 0;
    case 'restart':
    case 'reload-or-restart':
    case 'try-restart':
      for (const name of names) {
        if (verb === 'try-restart' && activeState(name) !== 'active') continue;
        await stopUnit(name);
        await startUnit(name);
      }
      return 0;
    case 'is-active': {
      let code = 3;
      for (const name of names) {
        const state = SUPPORTED_UNITS.has(name) && loadUnit(name) ? activeState(name) : 'inactive';
        if (!quiet) console.log(state);
        if (state === 'active') code = 0;
      }
      return code;
    }
    case 'is-failed': {
      let code = 1;
      for (const name of names) {
        const state = activeState(name);
        if (!quiet) console.log(state);
        if (state === 'failed') code = 0;
      }
      return code;
    }
    case 'is-enabled': {
      let code = 1;
      for (const name of names) {
        const state = enabledState(name);
        if (state === null) {
          process.stderr.write(`Failed to get unit file state for ${name}: No such file or directory\n`);
          return 4;
        }
        if (!quiet) console.log(state);
        if (state === 'enabled' || state === 'static') code = 0;
      }
      return code;
    }
    case 'enable':
      for (const name of names) {
        requireSupported(name);
        enableUnit(name);
        if (options.has('--now')) await startUnit(name);
      }
      return 0;
    // Package scripts (deb-systemd-helper) ask for a unit's preset when it is installed. Debian's preset
    // policy enables every unit, so a supported unit is enabled; any other unit is left alone without error.
    case 'preset':
      for (const name of names) if (SUPPORTED_UNITS.has(name) && loadUnit(name)) enableUnit(name);
      return 0;
    case 'disable':
      for (const name of names) {
        requireSupported(name);
        disableUnit(name);
        if (options.has('--now')) await stopUnit(name);
      }
      return 0;
    case 'status': {
      let code = 0;
      for (const name of names) code = Math.max(code, printStatus(name));
      return code;
    }
    case 'show':
      for (const name of names) showProperties(name, properties);
      return 0;
    default:
      throw new UnitError(
        `systemctl (swarmplay lab stand-in): '${verb}' is not supported here; ` +
        'supported: daemon-reload, default, start, stop, restart, try-restart, status, show, is-active, is-failed, is-enabled, enable, disable, preset.',
        1,
      );
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error instanceof UnitError ? error.message : error.stack}\n`);
    process.exit(error instanceof UnitError ? error.exitCode : 1);
  },
);
