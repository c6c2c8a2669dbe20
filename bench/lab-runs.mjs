/**
 * What the lab benches (bench/bootstrap/run.mjs, bench/bare/run.mjs) share:
 * running a tool as a child process with its wall time (and, under
 * /usr/bin/time, its CPU seconds and peak RSS), reading each tool's recap,
 * and the small statistics of the reports.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WORK_DIR = path.join(REPO_ROOT, 'bench', 'tmp');

/** A bench's messages on stderr, prefixed with its name: `log` with the time, `fail` exits 2 (a bad option or a missing tool). */
export function benchMessages(name) {
  return {
    log(message) {
      process.stderr.write(`[${name} ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
    },
    fail(message) {
      process.stderr.write(`${name}: ${message}\n`);
      process.exit(2);
    },
  };
}

/** --help: prints the opening comment of the script at `scriptUrl` (its import.meta.url) and exits. */
export function printHelp(scriptUrl) {
  process.stdout.write(readFileSync(fileURLToPath(scriptUrl), 'utf8').split('*/')[0].replace(/^#!.*\n/, '').replace(/^\/\*\*?|^ \* ?/gm, ''));
  process.exit(0);
}

/**
 * The options every lab bench takes (--reps, --lab-name, --subnet, --out, --json, --keep-lab, --help) plus
 * its own `extra` ones: --help printed, --reps checked against `maxReps`, paths resolved.
 */
export function labBenchOptions(scriptUrl, fail, { reps, maxReps, labName, subnet, out, json }, extra = {}) {
  const { values: flags } = parseArgs({
    options: {
      reps: { type: 'string', default: String(reps) },
      'lab-name': { type: 'string', default: labName },
      subnet: { type: 'string', default: subnet },
      out: { type: 'string' },
      json: { type: 'string' },
      'keep-lab': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...extra,
    },
  });
  if (flags.help) printHelp(scriptUrl);
  const repCount = Number(flags.reps);
  if (!Number.isInteger(repCount) || repCount < 1 || repCount > maxReps) fail(`--reps: a whole number from 1 to ${maxReps}, got ${flags.reps}`);
  return {
    flags,
    reps: repCount,
    labName: flags['lab-name'],
    outFile: path.resolve(flags.out ?? out),
    jsonFile: path.resolve(flags.json ?? json),
  };
}

/**
 * Root and a build checked, then dist/ copied to `distCopy` and run from there: other work in the same
 * tree may rebuild dist/ during the bench. Packages still resolve from the repository's node_modules.
 */
export function copyBuiltTree(distCopy, fail) {
  if (process.getuid?.() !== 0) fail('the lab needs root (network namespaces, mounts)');
  if (!existsSync(path.join(REPO_ROOT, 'dist/cli/swarmplay.mjs'))) fail('dist/cli/swarmplay.mjs is missing: build first (npm run build)');
  mkdirSync(WORK_DIR, { recursive: true });
  rmSync(distCopy, { recursive: true, force: true });
  cpSync(path.join(REPO_ROOT, 'dist'), distCopy, { recursive: true, filter: (source) => !source.endsWith('.map') && !source.includes(`${path.sep}test${path.sep}`) });
}

/** A fresh folder for the lab's inventories, beside a copy of the walkthrough's host_vars (roles, labels). */
export function inventoryFolder(labName) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `swarmplay-bench-${labName}-`));
  cpSync(path.join(REPO_ROOT, 'inventory', 'host_vars'), path.join(dir, 'host_vars'), { recursive: true });
  return dir;
}

/**
 * The node flags on the first line of the built CLI (`#!/usr/bin/env -S node FLAGS`): the bench starts
 * the CLI with `node` (to preload its counters), and with these flags it runs as its users start it.
 */
const nodeFlagsByCli = new Map();

export function cliNodeFlags(cli) {
  // Read once per CLI copy: the benches build a command line for every timed run.
  if (nodeFlagsByCli.has(cli)) return nodeFlagsByCli.get(cli);
  const shebang = readFileSync(cli, 'utf8').split('\n', 1)[0];
  const match = /^#!\/usr\/bin\/env (?:-S )?node(.*)$/.exec(shebang);
  if (!match) throw new Error(`${cli}: unexpected first line ${JSON.stringify(shebang)}`);
  const flags = match[1].trim().split(/\s+/).filter(Boolean);
  nodeFlagsByCli.set(cli, flags);
  return flags;
}

/** node's arguments to run `cli` with `args` as its shebang would, after `preloads` (node --import). */
export function cliArgs(cli, args, preloads = []) {
  return [...cliNodeFlags(cli), ...preloads.flatMap((file) => ['--import', file]), cli, ...args];
}

/**
 * `marker`: a string in stdout whose first arrival time (ms from the start) is returned as markerMs.
 * `lineMarker`: stdout lines holding it are returned in `markedLines` with their arrival time (ms).
 */
export function runProcess(command, args, { env, timeoutMs = 900_000, marker, lineMarker, input } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: REPO_ROOT, env: env ?? process.env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) child.stdin.end(input);
    const stdout = [];
    const stderr = [];
    const markedLines = [];
    let partial = '';
    let markerMs;
    child.stdout.on('data', (chunk) => {
      stdout.push(chunk);
      const now = Number(process.hrtime.bigint() - started) / 1e6;
      if (marker && markerMs === undefined && chunk.includes(marker)) markerMs = now;
      if (lineMarker) {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop();
        for (const line of lines) if (line.includes(lineMarker)) markedLines.push({ atMs: now, line });
      }
    });
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString(),
        wallMs: Number(process.hrtime.bigint() - started) / 1e6,
        markerMs,
        markedLines,
      });
    });
  });
}

/** Under /usr/bin/time: adds cpuSeconds (user + system of the waited tree) and peakRssMb (largest process). */
export async function runMeasured(command, args, options) {
  const usageFile = path.join(WORK_DIR, `usage-${process.pid}.txt`);
  rmSync(usageFile, { force: true });
  const result = await runProcess('/usr/bin/time', ['-f', '%U %S %M', '-o', usageFile, command, ...args], options);
  const lines = existsSync(usageFile) ? readFileSync(usageFile, 'utf8').trim().split('\n') : [];
  const [user, system, maxRssKb] = (lines.at(-1) ?? '').split(' ').map(Number);
  return { ...result, cpuSeconds: user + system, peakRssMb: maxRssKb / 1024 };
}

export function toolEnv(extra = {}) {
  const env = { ...process.env, CI: 'true', ...extra };
  delete env.SSH_AUTH_SOCK; // the lab's own credentials only, never an agent
  return env;
}

/** Installs Debian packages on this machine (a missing tool of the bench); throws when apt cannot. */
export function aptInstall(packages, why, log) {
  log(`apt-get install ${packages.join(' ')} (${why})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  if (result.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  }
  if (result.status !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed`);
}

export function versionOf(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return (result.stdout || result.stderr || '').trim().split('\n')[0] ?? 'unknown';
}

/** Versions of the Ansible collections a bench uses, from `ansible-galaxy collection list`. */
export function collectionVersions(names) {
  const listing = spawnSync('ansible-galaxy', ['collection', 'list'], { encoding: 'utf8' }).stdout ?? '';
  return Object.fromEntries(names.map((name) => [name, new RegExp(`^${name.replace('.', '\\.')}\\s+(\\S+)`, 'm').exec(listing)?.[1] ?? 'missing']));
}

export const loadAverage = () => os.loadavg().map((value) => value.toFixed(2)).join(' ');

/** The recap, changed tasks and task starts of a `swarmplay run --json`. */
export function swarmplayRecap(stdout) {
  const events = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
  const recap = events.find((event) => event.event === 'recap')?.hosts ?? {};
  const changedTasks = events.filter((event) => event.event === 'host_result' && event.status === 'changed').map((event) => `${event.host}: ${event.task}`);
  return { hosts: recap, changedTasks, taskStarts: events.filter((event) => event.event === 'task_start').length };
}

/** The same from ansible-playbook's default output. */
export function ansibleRecap(stdout) {
  const hosts = {};
  for (const match of stdout.matchAll(/^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    hosts[match[1]] = { ok: Number(match[2]), changed: Number(match[3]), unreachable: Number(match[4]), failed: Number(match[5]) };
  }
  const changedTasks = [];
  let task = '';
  let taskStarts = 0;
  for (const line of stdout.split('\n')) {
    const heading = /^TASK \[(.*)\]/.exec(line) ?? /^RUNNING HANDLER \[(.*)\]/.exec(line);
    if (heading) {
      task = heading[1];
      taskStarts += 1;
    }
    const changed = /^changed: \[([^\]]+)\]/.exec(line);
    if (changed) changedTasks.push(`${changed[1]}: ${task}`);
  }
  return { hosts, changedTasks, taskStarts };
}

/** One sample of a run; throws when the run failed or a host was failed or unreachable. */
export function summarise(tool, label, result, recap, hostCount) {
  const entries = Object.values(recap.hosts);
  const changed = entries.reduce((sum, counts) => sum + counts.changed, 0);
  const broken = result.code !== 0 || entries.length !== hostCount || entries.some((counts) => counts.failed || counts.unreachable);
  if (broken) {
    throw new Error(`${tool} ${label}: exit ${result.code}, recap ${JSON.stringify(recap.hosts)}\n${result.stderr.slice(-3000)}\n${result.stdout.slice(-3000)}`);
  }
  return { wallMs: result.wallMs, firstTaskMs: result.markerMs, cpuSeconds: result.cpuSeconds, peakRssMb: result.peakRssMb, changed, changedTasks: recap.changedTasks, taskStarts: recap.taskStarts, ok: entries.reduce((sum, c) => sum + c.ok, 0) };
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

export function stats(samples) {
  const walls = samples.map((s) => s.wallMs);
  return {
    medianMs: median(walls), minMs: Math.min(...walls), maxMs: Math.max(...walls),
    cpuSeconds: median(samples.map((s) => s.cpuSeconds)), peakRssMb: Math.max(...samples.map((s) => s.peakRssMb)),
  };
}
