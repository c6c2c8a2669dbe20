#!/usr/bin/env node
/**
 * `npm run bench`: swarmplay beside ansible-playbook and two
 * OpenSSH floors, on the same lab hosts, in the same run.
 *
 * For each size (3, 20, 50 SSH-only lab hosts, `lab up --no-docker`):
 *   - swarmplay, bench/playbooks/30-tasks.yaml: first run (all changed), second run (all ok); 0-tasks.yaml;
 *   - ansible-playbook, bench/ansible/30-tasks.yaml at its fastest settings (bench/ansible/ansible.cfg): the same;
 *   - floor "ControlMaster": bench/floors/controlmaster.sh, 31 remote commands per host over one master;
 *   - floor "one script": bench/floors/one-script.sh, the 31 operations as one remote script per host.
 * The units alternate (the order rotates every repetition); each first run
 * starts from a host without /root/bench, removed outside the timing. Every
 * tool authenticates with the same controller key, installed on the hosts
 * before anything is timed. Wall time is measured here; CPU seconds and peak
 * RSS of the tool's process tree by /usr/bin/time (getrusage of the waited
 * children); SSH channels per host by bench/count-channels.mjs.
 *
 * The lab hosts run on this machine too: their sshd and shells use the same
 * cores as the tools measured, exactly as in the issue's reference figures.
 *
 * Usage: node bench/run.mjs [--quick] [--sizes 3,20,50] [--reps N] [--ansible-reps N]
 *        [--out FILE] [--json FILE] [--lab-name NAME] [--subnet CIDR] [--no-bootstrap] [--keep-lab]
 *        [--report-only RESULTS.json]   (render RESULTS.md again from saved figures)
 * Needs root (the lab), a built tree (tsc -p .), ansible-core, openssh-client, time.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cliArgs, printHelp, runMeasured, runProcess, toolEnv } from './lab-runs.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const WORK_DIR = path.join(BENCH_DIR, 'tmp');
/**
 * The bench runs a copy of dist/ taken at its start: other work in the same
 * tree may rebuild dist/ during a 25-minute bench, and a half-written build
 * would fail a run or change what is measured. Packages still resolve from
 * the repository's node_modules (the copy lives inside the repository).
 */
const DIST = path.join(WORK_DIR, 'dist');
const CLI = path.join(DIST, 'cli/swarmplay.mjs');
/** What the playbooks leave in /root/bench: 9 command markers, 10 copies, 5 templates, lines.conf. */
const FILES_AFTER_FIRST_RUN = 25;
const TASKS = 30;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    reps: { type: 'string' },
    'ansible-reps': { type: 'string' },
    out: { type: 'string' },
    json: { type: 'string' },
    'lab-name': { type: 'string', default: 'bench' },
    subnet: { type: 'string', default: '10.203.7.0/24' },
    'no-bootstrap': { type: 'boolean', default: false },
    /** Leave the last lab up (key installed, bench/tmp/inventory-NAME.yaml written), e.g. to profile by hand. */
    'keep-lab': { type: 'boolean', default: false },
    /** No untimed warm-up round (swarmplay's first timed run then also records the host keys). */
    'no-warm-up': { type: 'boolean', default: false },
    /** Render the report again from a results JSON (e.g. after editing bench/ANALYSIS.md), without running anything. */
    'report-only': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (flags.help) printHelp(import.meta.url);

const sizes = (flags.sizes ?? (flags.quick ? '3,20' : '3,20,50')).split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 200)) fail(`--sizes: whole numbers from 1 to 200, got ${flags.sizes}`);
const reps = Number(flags.reps ?? (flags.quick ? 3 : 5));
/** Ansible is slow (about 80 s per run at 20 hosts): fewer repetitions, so that a full bench stays under ~25 minutes. */
const ansibleRepsFor = (size) => (size > 50 ? 0 : Number(flags['ansible-reps'] ?? (flags.quick ? 1 : size >= 50 ? 1 : size >= 20 ? 2 : 3)));
/** Past 50 hosts (the 200-host scale run) only swarmplay and the floors, fewer times. */
const repsFor = (size) => (size > 50 ? Math.min(reps, 2) : reps);
const outFile = path.resolve(flags.out ?? (flags.quick ? path.join(WORK_DIR, 'RESULTS-quick.md') : path.join(BENCH_DIR, 'RESULTS.md')));
const jsonFile = path.resolve(flags.json ?? path.join(WORK_DIR, `results-${flags.quick ? 'quick' : 'full'}.json`));
const labName = flags['lab-name'];

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// ---------------------------------------------------------------- processes

// ---------------------------------------------------------------- lab

async function loadLab() {
  const lab = await import(path.join(DIST, 'src/lab/lab.js'));
  const hostRoot = await import(path.join(DIST, 'src/lab/host-root.js'));
  return { ...lab, hostRootPaths: hostRoot.hostRootPaths };
}

function ensureControllerKey() {
  const key = path.join(WORK_DIR, 'id_ed25519');
  if (!existsSync(key)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'swarmplay-bench', '-f', key]);
  return { key, publicKey: readFileSync(`${key}.pub`, 'utf8') };
}

/**
 * Lab hosts keep /root in a folder of the lab on this machine: the key goes
 * straight into its authorized_keys, and a host is made fresh again by
 * removing /root/bench there. Both happen outside any timing.
 */
function hostHome(lab, host) {
  return lab.hostRootPaths(host.dir).root;
}

function installKey(lab, state, publicKey) {
  for (const host of state.hosts) {
    const sshDir = path.join(hostHome(lab, host), '.ssh');
    mkdirSync(sshDir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(sshDir, 'authorized_keys'), publicKey, { mode: 0o600 });
    chmodSync(path.join(sshDir, 'authorized_keys'), 0o600);
  }
}

function resetHosts(lab, state) {
  for (const host of state.hosts) rmSync(path.join(hostHome(lab, host), 'bench'), { recursive: true, force: true });
}

function countBenchFiles(lab, state) {
  return state.hosts.map((host) => {
    try {
      return readdirSync(path.join(hostHome(lab, host), 'bench')).length;
    } catch {
      return 0;
    }
  });
}

function writeInventory(state, key) {
  const file = path.join(WORK_DIR, `inventory-${state.name}.yaml`);
  const lines = [
    `# Written by bench/run.mjs for lab ${state.name}: key auth for every tool.`,
    'all:',
    '  vars:',
    '    ansible_user: root',
    `    ansible_ssh_private_key_file: ${key}`,
    '    ansible_python_interpreter: /usr/bin/python3',
    '  hosts:',
    ...state.hosts.map((host) => `    ${host.name}:\n      ansible_host: ${host.address}`),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

// ---------------------------------------------------------------- the runs

function swarmplayRecap(stdout) {
  const recap = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line)).find((event) => event.event === 'recap');
  return recap?.hosts;
}

/** PLAY RECAP lines of ansible-playbook: host : ok=N changed=N unreachable=N failed=N ... */
function ansibleRecap(stdout) {
  const hosts = {};
  for (const match of stdout.matchAll(/^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    hosts[match[1]] = { ok: Number(match[2]), changed: Number(match[3]), unreachable: Number(match[4]), failed: Number(match[5]) };
  }
  return hosts;
}

/** Every host ok=tasks, changed=expected, nothing failed or unreachable; else the run is not a valid sample. */
function checkRecap(tool, label, recap, hostCount, tasks, changed, result) {
  const entries = Object.entries(recap ?? {});
  const bad = entries.filter(([, counts]) => counts.ok !== tasks || counts.changed !== changed || counts.failed || counts.unreachable);
  // With no task, ansible-playbook lists no host in its recap; swarmplay lists every host with zeros.
  const hostsListed = entries.length === hostCount || (tasks === 0 && entries.length === 0);
  if (result.code !== 0 || !hostsListed || bad.length > 0) {
    throw new Error(`${tool} ${label}: expected ${hostCount} hosts with ok=${tasks} changed=${changed}, exit 0; got exit ${result.code}, `
      + `${JSON.stringify(Object.fromEntries(bad.slice(0, 3)))} (${entries.length} hosts)\n${result.stderr.slice(-2000)}\n${result.stdout.slice(-2000)}`);
  }
}

function makeRunners(lab, state, inventory, key) {
  const knownHosts = path.join(WORK_DIR, `known_hosts-${state.name}`);
  const channelsFile = path.join(WORK_DIR, `channels-${process.pid}.json`);
  const hostCount = state.hosts.length;
  const ansibleEnv = toolEnv({
    ANSIBLE_CONFIG: path.join(BENCH_DIR, 'ansible/ansible.cfg'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(WORK_DIR, 'ansible-cp'),
    ANSIBLE_LOCAL_TEMP: path.join(WORK_DIR, 'ansible-local'),
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_NOCOLOR: '1',
  });

  async function swarmplay(playbook, label, tasks, changed) {
    rmSync(channelsFile, { force: true });
    const result = await runMeasured(process.execPath, cliArgs(CLI, [
      'run', path.join(BENCH_DIR, 'playbooks', playbook), '-i', inventory, '--known-hosts', knownHosts, '--json',
    ], [path.join(BENCH_DIR, 'count-channels.mjs')]), { env: toolEnv({ SWARMPLAY_BENCH_CHANNELS: channelsFile }) });
    checkRecap('swarmplay', label, swarmplayRecap(result.stdout), hostCount, tasks, changed, result);
    const channels = existsSync(channelsFile) ? Object.values(JSON.parse(readFileSync(channelsFile, 'utf8'))) : [];
    const changedTasks = Object.values(swarmplayRecap(result.stdout)).reduce((sum, counts) => sum + counts.changed, 0);
    return sample(result, { channelsPerHost: channels.length ? Math.max(...channels) : 0, changedTasks });
  }

  async function ansible(playbook, label, tasks, changed) {
    const result = await runMeasured('ansible-playbook', ['-i', inventory, path.join(BENCH_DIR, 'ansible', playbook)], { env: ansibleEnv });
    checkRecap('ansible-playbook', label, ansibleRecap(result.stdout), hostCount, tasks, changed, result);
    return sample(result);
  }

  async function floor(script) {
    const started = process.hrtime.bigint();
    const results = await Promise.all(state.hosts.map((host) => runProcess('sh', [path.join(BENCH_DIR, 'floors', script), host.address, key])));
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const failed = results.find((result) => result.code !== 0);
    if (failed) throw new Error(`floor ${script}: exit ${failed.code}: ${failed.stderr.slice(-1000)}`);
    return { wallMs };
  }

  function expectFreshWork(label) {
    const counts = countBenchFiles(lab, state);
    if (counts.some((count) => count !== FILES_AFTER_FIRST_RUN)) {
      throw new Error(`${label}: expected ${FILES_AFTER_FIRST_RUN} files in /root/bench on every host, found ${counts.join(', ')}`);
    }
  }

  return {
    swarmplayPair: async () => {
      resetHosts(lab, state);
      const first = await swarmplay('30-tasks.yaml', 'first run', TASKS, TASKS);
      expectFreshWork('swarmplay first run');
      const second = await swarmplay('30-tasks.yaml', 'second run', TASKS, 0);
      return { 'swarmplay first': first, 'swarmplay second': second };
    },
    swarmplayEmpty: async () => ({ 'swarmplay 0 tasks': await swarmplay('0-tasks.yaml', '0 tasks', 0, 0) }),
    // Start-up beside Node's own: the figures behind "swarmplay starts in under 3x `node -e 0`".
    startUp: async () => {
      const bare = await runMeasured(process.execPath, ['-e', '0']);
      const version = await runMeasured(process.execPath, cliArgs(CLI, ['--version']));
      if (version.code !== 0) throw new Error(`swarmplay --version: exit ${version.code}: ${version.stderr.slice(-500)}`);
      return { 'node -e 0': sample(bare), 'swarmplay --version': sample(version) };
    },
    ansiblePair: async () => {
      resetHosts(lab, state);
      const first = await ansible('30-tasks.yaml', 'first run', TASKS, TASKS);
      expectFreshWork('ansible first run');
      const second = await ansible('30-tasks.yaml', 'second run', TASKS, 0);
      return { 'ansible first': first, 'ansible second': second };
    },
    ansibleEmpty: async () => ({ 'ansible 0 tasks': await ansible('0-tasks.yaml', '0 tasks', 0, 0) }),
    floorControlMaster: async () => {
      resetHosts(lab, state);
      const result = await floor('controlmaster.sh');
      expectFreshWork('ControlMaster floor');
      return { 'floor ControlMaster': result };
    },
    floorOneScript: async () => {
      resetHosts(lab, state);
      const result = await floor('one-script.sh');
      expectFreshWork('one-script floor');
      return { 'floor one script': result };
    },
  };
}

function sample(result, extra = {}) {
  return { wallMs: result.wallMs, cpuSeconds: result.cpuSeconds, peakRssMb: result.peakRssMb, ...extra };
}

function loadAverage() {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

async function benchSize(lab, size, key, publicKey, bench) {
  const subnet = flags.subnet;
  log(`${size} hosts: lab up --no-docker --name ${labName} --subnet ${subnet}`);
  const up = await lab.labUp({
    name: labName, hosts: size, prefix: 'bench', subnet, docker: false,
    inventoryFile: path.join(WORK_DIR, `lab-inventory-${labName}.yaml`),
  });
  const state = up.state;
  try {
    installKey(lab, state, publicKey);
    rmSync(path.join(WORK_DIR, `known_hosts-${state.name}`), { force: true });
    const inventory = writeInventory(state, key);
    const runners = makeRunners(lab, state, inventory, key);

    // Untimed warm-up: records host keys, fills the page cache with node, python and ansible, checks every tool works.
    if (!flags['no-warm-up']) {
      log(`${size} hosts: warm-up`);
      await runners.swarmplayPair();
      await runners.floorOneScript();
      if (ansibleRepsFor(size) > 0) await runners.ansibleEmpty();
    }

    const units = [
      // Past 50 hosts no ControlMaster floor: 200 masters at once measure OpenSSH's client, no target needs it.
      ['swarmplayPair', repsFor(size)], ['floorControlMaster', size > 50 ? 0 : repsFor(size)], ['ansiblePair', ansibleRepsFor(size)],
      ['swarmplayEmpty', repsFor(size)], ['floorOneScript', repsFor(size)], ['ansibleEmpty', ansibleRepsFor(size)], ['startUp', repsFor(size)],
    ];
    const samples = {};
    const loads = [];
    const maxReps = Math.max(...units.map(([, count]) => count));
    for (let rep = 0; rep < maxReps; rep++) {
      // Rotate the order every repetition, so no tool always runs first (or right after another one).
      const order = units.map((_, index) => units[(index + rep) % units.length]).filter(([, count]) => rep < count);
      for (const [name] of order) {
        loads.push(loadAverage());
        const measured = await runners[name]();
        for (const [label, value] of Object.entries(measured)) (samples[label] ??= []).push(value);
        log(`${size} hosts, rep ${rep + 1}: ${Object.entries(measured).map(([label, value]) => `${label} ${(value.wallMs / 1000).toFixed(2)} s`).join(', ')}`);
      }
    }
    bench.sizes.push({ hosts: size, reps: repsFor(size), ansibleReps: ansibleRepsFor(size), samples, loadAverage: { min: Math.min(...loads), max: Math.max(...loads) }, labUpMs: up.timings.total });
  } finally {
    if (!(flags['keep-lab'] && size === sizes.at(-1))) await lab.labDown(labName);
  }
}

// ---------------------------------------------------------------- report

/** The first line a program prints about itself (ssh -V writes to stderr). */
function versionOf(command, args, pick = (text) => text.split('\n')[0]) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) return 'unknown';
  return pick(`${result.stdout ?? ''}${result.stderr ?? ''}`).trim() || 'unknown';
}

function machineFacts() {
  const release = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)/m)?.[1] ?? 'unknown';
  const gitRevision = versionOf('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = versionOf('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src'], (text) => text) ? ' (src has uncommitted changes)' : '';
  const packageVersion = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version;
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: os.totalmem() / 2 ** 30,
    kernel: os.release(),
    os: release,
    versions: {
      node: process.version,
      swarmplay: `${packageVersion} (git ${gitRevision}${dirty})`,
      ansible: versionOf('ansible-playbook', ['--version']).replace(/^ansible-playbook /, ''),
      openssh: versionOf('ssh', ['-V']),
    },
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Median, min and max of one measure over a unit's samples; undefined when the unit did not run. */
function stats(samples, key = 'wallMs') {
  const values = (samples ?? []).map((sampleValue) => sampleValue[key]).filter((value) => value !== undefined && !Number.isNaN(value));
  if (!values.length) return undefined;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

const seconds = (ms) => (ms === undefined ? '-' : (ms / 1000).toFixed(2));
const ratio = (a, b) => (a === undefined || b === undefined ? undefined : a / b);
const fmtRatio = (value) => (value === undefined ? '-' : `${value.toFixed(value < 10 ? 2 : 1)}x`);

/** The per-size figures the report and the targets use. */
export function summarize(size) {
  const wall = (label) => stats(size.samples[label])?.median;
  const swFirst = wall('swarmplay first');
  const swSecond = wall('swarmplay second');
  const swZero = wall('swarmplay 0 tasks');
  const anFirst = wall('ansible first');
  const anSecond = wall('ansible second');
  const anZero = wall('ansible 0 tasks');
  const cm = wall('floor ControlMaster');
  const script = wall('floor one script');
  return {
    hosts: size.hosts,
    swarmplayFirstMs: swFirst,
    swarmplaySecondMs: swSecond,
    ansibleOverSwarmplayFirst: ratio(anFirst, swFirst),
    ansibleOverSwarmplaySecond: ratio(anSecond, swSecond),
    swarmplayOverControlMasterFirst: ratio(swFirst, cm),
    swarmplayOverControlMasterSecond: ratio(swSecond, cm),
    swarmplayOverOneScriptFirst: ratio(swFirst, script),
    swarmplayOverOneScriptSecond: ratio(swSecond, script),
    swarmplayPerTaskFirstMs: swFirst !== undefined && swZero !== undefined ? (swFirst - swZero) / TASKS : undefined,
    swarmplayPerTaskSecondMs: swSecond !== undefined && swZero !== undefined ? (swSecond - swZero) / TASKS : undefined,
    ansiblePerTaskFirstMs: anFirst !== undefined && anZero !== undefined ? (anFirst - anZero) / TASKS : undefined,
    ansiblePerTaskSecondMs: anSecond !== undefined && anZero !== undefined ? (anSecond - anZero) / TASKS : undefined,
    swarmplayPeakRssMb: stats([...(size.samples['swarmplay first'] ?? []), ...(size.samples['swarmplay second'] ?? [])], 'peakRssMb')?.max,
    swarmplayChannelsPerHost: stats(size.samples['swarmplay first'], 'channelsPerHost')?.max,
    versionOverNode: ratio(wall('swarmplay --version'), wall('node -e 0')),
    zeroTasksOverNode: ratio(swZero, wall('node -e 0')),
  };
}

function targetRows(bench) {
  const byHosts = new Map([...bench.sizes].sort((a, b) => a.hosts - b.hosts).map((size) => [size.hosts, summarize(size)]));
  const rows = [];
  const smallest = Math.min(...byHosts.keys());
  const verdict = (value, ok) => (value === undefined ? 'not measured' : ok ? 'met' : 'MISSED');
  const at20 = byHosts.get(20);
  if (at20) {
    rows.push(['20 hosts: swarmplay >= 40x faster than Ansible, first run', fmtRatio(at20.ansibleOverSwarmplayFirst), verdict(at20.ansibleOverSwarmplayFirst, at20.ansibleOverSwarmplayFirst >= 40)]);
    rows.push(['20 hosts: swarmplay >= 40x faster than Ansible, no-change run', fmtRatio(at20.ansibleOverSwarmplaySecond), verdict(at20.ansibleOverSwarmplaySecond, at20.ansibleOverSwarmplaySecond >= 40)]);
  }
  for (const [hosts, row] of byHosts) {
    rows.push([`${hosts} hosts: within 1.5x of the one-script floor on first runs, at or under it on no-change runs`,
      `${fmtRatio(row.swarmplayOverOneScriptFirst)} / ${fmtRatio(row.swarmplayOverOneScriptSecond)}`,
      // The target names 3, 20 and 50 hosts; past 50 the scale target below judges.
      hosts > 50 ? 'for information' : verdict(row.swarmplayOverOneScriptFirst, row.swarmplayOverOneScriptFirst <= 1.5 && row.swarmplayOverOneScriptSecond <= 1)]);
    // The target is a 0-task run on one host: judged at the smallest size; larger inventories are shown for information.
    rows.push([`${hosts} hosts: start-up under 3x \`node -e 0\` (\`--version\` / a run of 0 tasks on these ${hosts} hosts)`,
      `${fmtRatio(row.versionOverNode)} / ${fmtRatio(row.zeroTasksOverNode)}`,
      hosts === smallest ? verdict(row.versionOverNode, row.versionOverNode < 3 && row.zeroTasksOverNode < 3) : 'for information']);
  }
  const at200 = byHosts.get(200);
  if (at200 && at20) {
    rows.push(['200 hosts: ratio to the one-script floor no worse than at 20 hosts (first / no-change run)',
      `${fmtRatio(at200.swarmplayOverOneScriptFirst)} vs ${fmtRatio(at20.swarmplayOverOneScriptFirst)} / ${fmtRatio(at200.swarmplayOverOneScriptSecond)} vs ${fmtRatio(at20.swarmplayOverOneScriptSecond)}`,
      verdict(at200.swarmplayOverOneScriptFirst, at200.swarmplayOverOneScriptFirst <= at20.swarmplayOverOneScriptFirst && at200.swarmplayOverOneScriptSecond <= at20.swarmplayOverOneScriptSecond)]);
    rows.push(['200 hosts: every run completed, no connection, channel or descriptor error (a failed host fails the bench)', 'completed', 'met']);
  }
  const large = byHosts.get(Math.max(...byHosts.keys()));
  if (large) rows.push([`controller peak RSS < 250 MB at ${large.hosts} hosts`, `${large.swarmplayPeakRssMb?.toFixed(0)} MB`, verdict(large.swarmplayPeakRssMb, large.swarmplayPeakRssMb < 250)]);
  return rows;
}

const UNIT_LABELS = [
  'swarmplay first', 'swarmplay second', 'swarmplay 0 tasks',
  'ansible first', 'ansible second', 'ansible 0 tasks',
  'floor ControlMaster', 'floor one script', 'node -e 0', 'swarmplay --version',
];

export function renderReport(bench) {
  const m = bench.machine;
  const lines = [
    '# swarmplay benchmark results',
    '',
    `Generated by \`${bench.command}\` (bench/run.mjs) on ${m.date}. Do not edit by hand: run the bench again.`,
    '',
    '## Machine and versions',
    '',
    `- ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb.toFixed(1)} GiB memory, Linux ${m.kernel}, ${m.os}`,
    `- node ${m.versions.node}; swarmplay ${m.versions.swarmplay}; ansible-playbook ${m.versions.ansible}; ${m.versions.openssh}`,
    `- Load: 1-minute load average ${bench.loadBefore.toFixed(2)} before the bench; during each size, see the tables.`
      + ` Other labs on the machine at the start: ${bench.otherLabs.length ? bench.otherLabs.join(', ') : 'none'}.`,
    '- The lab hosts (network namespaces, each with its own sshd and a fresh /root) run on the same CPUs as the tools measured.',
    '',
    '## What runs',
    '',
    '- swarmplay: `bench/playbooks/30-tasks.yaml` (1 folder, 9 commands with `creates`, 10 copy, 5 template, 5 lineinfile; no fact gathering).',
    '  First run from hosts without /root/bench (all 30 changed), then the no-change run (all 30 ok); `0-tasks.yaml` for the fixed cost.',
    '- ansible-playbook: `bench/ansible/30-tasks.yaml`, the same tasks (Jinja2 templates), `bench/ansible/ansible.cfg`: pipelining,',
    '  ControlMaster with ControlPersist, forks 50, gathering explicit (no facts), host key checking off.',
    '- floor ControlMaster: `bench/floors/controlmaster.sh`, one OpenSSH master per host, then the 31 operations of',
    '  `bench/floors/operations.txt` (a host probe + the 30 tasks\' work) as 31 remote commands; hosts in parallel.',
    '- floor one script: `bench/floors/one-script.sh`, the same 31 operations as one remote script per host; hosts in parallel.',
    '- Every tool logs in with the same controller key (installed before timing). Wall time is measured by the driver;',
    '  CPU seconds (user + system of the whole process tree) and peak RSS (largest process) by /usr/bin/time;',
    '  SSH channels per host from swarmplay\'s own counter (bench/count-channels.mjs). Units alternate, rotating their order each repetition.',
    '',
  ];
  for (const size of [...bench.sizes].sort((a, b) => a.hosts - b.hosts)) {
    const summary = summarize(size);
    lines.push(`## ${size.hosts} hosts`, '');
    lines.push(`${size.reps} repetitions (Ansible: ${size.ansibleReps}); 1-minute load average ${size.loadAverage.min.toFixed(2)}-${size.loadAverage.max.toFixed(2)} during the runs.`, '');
    lines.push('| run | wall median (s) | min-max (s) | n | CPU s (median) | peak RSS (MB) | SSH channels per host |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const label of UNIT_LABELS) {
      const wall = stats(size.samples[label]);
      if (!wall) continue;
      const cpu = stats(size.samples[label], 'cpuSeconds');
      const rss = stats(size.samples[label], 'peakRssMb');
      const channels = stats(size.samples[label], 'channelsPerHost');
      lines.push(`| ${label} | ${seconds(wall.median)} | ${seconds(wall.min)}-${seconds(wall.max)} | ${wall.n} | ${cpu ? cpu.median.toFixed(2) : '-'} | ${rss ? rss.max.toFixed(0) : '-'} | ${channels ? channels.max : '-'} |`);
    }
    lines.push('');
    lines.push('| ratio | first run | no-change run |');
    lines.push('|---|---:|---:|');
    lines.push(`| Ansible / swarmplay (times faster) | ${fmtRatio(summary.ansibleOverSwarmplayFirst)} | ${fmtRatio(summary.ansibleOverSwarmplaySecond)} |`);
    lines.push(`| swarmplay / ControlMaster floor | ${fmtRatio(summary.swarmplayOverControlMasterFirst)} | ${fmtRatio(summary.swarmplayOverControlMasterSecond)} |`);
    lines.push(`| swarmplay / one-script floor | ${fmtRatio(summary.swarmplayOverOneScriptFirst)} | ${fmtRatio(summary.swarmplayOverOneScriptSecond)} |`);
    const perTask = (value) => (value === undefined ? '-' : `${value.toFixed(1)} ms`);
    lines.push(`| swarmplay per-task overhead (T30 - T0) / 30 | ${perTask(summary.swarmplayPerTaskFirstMs)} | ${perTask(summary.swarmplayPerTaskSecondMs)} |`);
    lines.push(`| Ansible per-task overhead (T30 - T0) / 30 | ${perTask(summary.ansiblePerTaskFirstMs)} | ${perTask(summary.ansiblePerTaskSecondMs)} |`);
    lines.push('');
  }
  lines.push('## Performance targets', '');
  lines.push('| target | measured | verdict |', '|---|---:|---|');
  for (const [target, value, verdict] of targetRows(bench)) lines.push(`| ${target} | ${value} | ${verdict} |`);
  lines.push('');
  lines.push('## Bootstrap no-change run (3-node docker lab)', '', bench.bootstrap ?? 'not measured in this run.', '');
  if (bench.notes?.length) lines.push('## Notes', '', ...bench.notes.map((note) => `- ${note}`), '');
  const analysis = path.join(BENCH_DIR, 'ANALYSIS.md');
  if (existsSync(analysis)) {
    lines.push('## Analysis (from profiling, kept by hand in bench/ANALYSIS.md)', '', readFileSync(analysis, 'utf8').replace(/^# .*\n+/, '').trim(), '');
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- main

async function main() {
  if (flags['report-only']) {
    const saved = JSON.parse(readFileSync(flags['report-only'], 'utf8'));
    if (saved.bootstrap !== undefined) saved.bootstrap = bootstrapSection();
    writeFileSync(outFile, renderReport(saved));
    log(`wrote ${path.relative(REPO_ROOT, outFile)} from ${flags['report-only']}`);
    return;
  }
  if (process.getuid?.() !== 0) fail('the lab needs root (network namespaces, mounts)');
  const builtCli = path.join(REPO_ROOT, 'dist/cli/swarmplay.mjs');
  if (!existsSync(builtCli)) fail(`${builtCli} is missing: build first (npm run build)`);
  if (!existsSync('/usr/bin/time')) fail('/usr/bin/time is missing: apt-get install time (scripts/setup-machine.sh installs it)');
  mkdirSync(WORK_DIR, { recursive: true });
  rmSync(DIST, { recursive: true, force: true });
  cpSync(path.join(REPO_ROOT, 'dist'), DIST, { recursive: true, filter: (source) => !source.endsWith('.map') && !source.includes(`${path.sep}test${path.sep}`) });
  const lab = await loadLab();
  const { key, publicKey } = ensureControllerKey();
  const bench = {
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machineFacts(),
    loadBefore: loadAverage(),
    otherLabs: lab.labNames().filter((name) => name !== labName),
    sizes: [],
    bootstrap: undefined,
    notes: [],
  };
  const started = Date.now();
  for (const size of sizes) {
    await benchSize(lab, size, key, publicKey, bench);
    // Saved after every size: a run cut short can still be rendered with --report-only.
    writeFileSync(jsonFile, `${JSON.stringify({ ...bench, elapsedSeconds: (Date.now() - started) / 1000 }, null, 2)}\n`);
  }
  if (!flags['no-bootstrap']) {
    bench.bootstrap = bootstrapSection();
  }
  bench.elapsedSeconds = (Date.now() - started) / 1000;
  bench.notes.push(`The whole bench took ${(bench.elapsedSeconds / 60).toFixed(1)} minutes.`);
  writeFileSync(jsonFile, `${JSON.stringify(bench, null, 2)}\n`);
  writeFileSync(outFile, renderReport(bench));
  log(`wrote ${path.relative(REPO_ROOT, outFile)} and ${path.relative(REPO_ROOT, jsonFile)}`);
  process.stdout.write(renderReport(bench));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch(async (error) => {
    process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
    try {
      const lab = await loadLab();
      if (!flags['keep-lab']) await lab.labDown(labName);
    } catch { /* the lab may never have come up */ }
    process.exit(1);
  });
}

/**
 * The no-change bootstrap comparison has its own driver (a 3-node docker lab
 * and Ansible's community.docker): `npm run bench:bootstrap` writes
 * bench/bootstrap/RESULTS-bootstrap.md, which this report quotes.
 */
function bootstrapSection() {
  const file = path.join(REPO_ROOT, 'bench', 'bootstrap', 'RESULTS-bootstrap.md');
  if (!existsSync(file)) return 'Not measured yet: run `npm run bench:bootstrap` (bench/bootstrap/run.mjs).';
  const text = readFileSync(file, 'utf8').replace(/^## [^\n]*\n+/, '');
  return `From \`npm run bench:bootstrap\` (bench/bootstrap/RESULTS-bootstrap.md):\n\n${text.trim()}`;
}
