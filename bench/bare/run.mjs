#!/usr/bin/env node
/**
 * `npm run bench:bare`: playbooks/bootstrap.yaml from bare hosts to a working
 * 3-node swarm with its registry, then a run that changes nothing, beside
 * bench/bare/ansible-bare.yaml doing the same with ansible.builtin and
 * community.docker, in one run on one lab.
 *
 * Flow: one bare lab with python (`lab up --bare --with-python --hosts 6`):
 * docker01-03 of the lab are swarmplay's cluster, docker04-06 Ansible's, each
 * tool with an inventory naming its three hosts docker01-03 (so both swarms
 * have the same node names, roles and labels: host_vars/ of inventory/ beside
 * both). All six hosts are fresh installs: no Docker, named `debian`, apt only
 * from the lab's mirror. Each tool's first run (bare to swarm) is timed, one
 * after the other; then both swarms are read from outside over OpenSSH
 * (hostname, dpkg, docker node ls and inspect, docker ps, docker images) and
 * must be the same, the first manager's address aside; then --reps rounds of
 * one run of each on its own cluster, alternating which goes first: the
 * no-change runs. Wall time here, CPU seconds of the tool's process tree and
 * its largest process's peak RSS by /usr/bin/time, date and `uptime` before
 * and after each phase. Lab down at the end.
 *
 * Both tools log in as root with the lab password (Ansible through sshpass,
 * at its fastest settings: bench/bootstrap/ansible.cfg); swarmplay's run goes
 * on with the controller key it installs, as bootstrap.yaml does.
 *
 * Usage: node bench/bare/run.mjs [--reps N] [--lab-name NAME] [--subnet CIDR] [--out FILE] [--json FILE] [--keep-lab]
 *        [--report-only bench/tmp/bare-results.json]   (RESULTS.md again from saved figures)
 * Needs root (the lab) and a built tree (npm run build). Installs Debian's
 * ansible, sshpass and time with apt-get when they are missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  REPO_ROOT, WORK_DIR, ansibleRecap, aptInstall, benchMessages, cliArgs, copyBuiltTree, inventoryFolder, collectionVersions, labBenchOptions, runMeasured, runProcess,
  seconds, stats, summarise, swarmplayRecap, toolEnv, versionOf,
} from '../lab-runs.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** A copy of dist/ taken at the start: other work may rebuild dist/ during the bench. */
const DIST = path.join(WORK_DIR, 'bare-dist');
const CLI = path.join(DIST, 'cli/swarmplay.mjs');
const PLAYBOOK = path.join(REPO_ROOT, 'playbooks', 'bootstrap.yaml');
const ANSIBLE_PLAYBOOK = path.join(HERE, 'ansible-bare.yaml');
const CLUSTER = ['docker01', 'docker02', 'docker03'];

const { fail, log } = benchMessages('bench:bare');

const { flags, reps, labName, outFile, jsonFile } = labBenchOptions(import.meta.url, fail, {
  reps: 3, maxReps: 20, labName: 'bbench', subnet: '10.203.44.0/24', out: path.join(HERE, 'RESULTS.md'), json: path.join(WORK_DIR, 'bare-results.json'),
}, {
  /** Render RESULTS.md again from the raw figures of an earlier run. */
  'report-only': { type: 'string' },
});

/** The date and `uptime` (its load averages), as the report quotes them. */
function moment() {
  return { at: new Date().toISOString(), uptime: (spawnSync('uptime', { encoding: 'utf8' }).stdout ?? '').trim() };
}

function ensureTools() {
  const missing = [['ansible-playbook', 'ansible'], ['sshpass', 'sshpass']].filter(([command]) => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0);
  if (missing.length) aptInstall(missing.map(([, pkg]) => pkg), 'ansible-playbook, logging in by password', log);
  const versions = collectionVersions(['community.docker', 'ansible.posix', 'community.crypto']);
  if (Object.values(versions).includes('missing')) aptInstall(['ansible'], 'community.docker, ansible.posix, community.crypto', log);
  if (!existsSync('/usr/bin/time')) aptInstall(['time'], 'CPU seconds and peak RSS of each run', log);
}

// ---------------------------------------------------------------- inventories

/**
 * Two inventories from the lab's six hosts: each names three of them docker01-03 (managers: docker01,
 * workers: docker02-03) with the lab's variables (password, mirror, image archive, known_hosts).
 */
function writeInventories(labInventory, dir) {
  const lab = parseYaml(readFileSync(labInventory, 'utf8'));
  const addresses = [];
  for (const group of Object.values(lab.all.children)) for (const [name, vars] of Object.entries(group.hosts ?? {})) addresses.push([name, vars.ansible_host]);
  addresses.sort(([a], [b]) => a.localeCompare(b));
  if (addresses.length !== 6) throw new Error(`the lab has ${addresses.length} hosts, 6 expected`);
  const cluster = (offset) => Object.fromEntries(CLUSTER.map((name, index) => [name, addresses[offset + index][1]]));
  const write = (file, hosts, comment) => {
    const [manager, ...workers] = CLUSTER;
    const inventory = {
      all: {
        vars: lab.all.vars,
        children: {
          managers: { hosts: { [manager]: { ansible_host: hosts[manager] } } },
          workers: { hosts: Object.fromEntries(workers.map((name) => [name, { ansible_host: hosts[name] }])) },
        },
      },
    };
    writeFileSync(file, `# Written by bench/bare/run.mjs: ${comment}\n${stringifyYaml(inventory)}`, { mode: 0o600 });
  };
  const swarmplayHosts = cluster(0);
  const ansibleHosts = cluster(3);
  write(path.join(dir, 'swarmplay.yaml'), swarmplayHosts, `lab ${labName}, hosts ${addresses.slice(0, 3).map(([n]) => n).join(', ')} for swarmplay`);
  write(path.join(dir, 'ansible.yaml'), ansibleHosts, `lab ${labName}, hosts ${addresses.slice(3).map(([n]) => n).join(', ')} for ansible-playbook`);
  return { swarmplayHosts, ansibleHosts, password: String(lab.all.vars.ansible_password) };
}

// ---------------------------------------------------------------- reading the hosts from outside

/** A command on a lab host with OpenSSH's client, as root by password (sshpass -e: the password stays in the environment). */
async function ssh(address, password, command) {
  const result = await runProcess('sshpass', ['-e', 'ssh', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
    '-o', 'PubkeyAuthentication=no', `root@${address}`, command], { env: { ...process.env, SSHPASS: password }, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`ssh ${address} ${command}: exit ${result.code}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** What a fresh host looks like: its installed name, no docker.io, no dockerd. */
async function assertBare(hosts, password) {
  for (const [name, address] of Object.entries(hosts)) {
    const seen = await ssh(address, password, "hostname; dpkg-query -W -f='${Status}' docker.io 2>/dev/null || echo no-docker.io; command -v dockerd || echo no-dockerd");
    if (seen !== 'debian\nno-docker.io\nno-dockerd') throw new Error(`${name} (${address}) is not a fresh bare host: ${seen}`);
  }
}

/**
 * A swarm as OpenSSH sees it: each host's name and docker.io, the nodes from the first manager (name,
 * status, availability, manager status, role, labels), each host's containers and its images of the
 * private registry. The first manager's address (in the registry's image names) reads FIRST_MANAGER.
 */
async function readSwarm(hosts, password) {
  const first = hosts[CLUSTER[0]];
  const anonymise = (text) => text.split(`${first}:`).join('FIRST_MANAGER:');
  const state = { hosts: {} };
  for (const [name, address] of Object.entries(hosts)) {
    state.hosts[name] = anonymise(await ssh(address, password, [
      'hostname',
      "dpkg-query -W -f='docker.io ${Status}\\n' docker.io",
      "docker ps --format '{{.Names}} {{.Image}} {{.Ports}} {{.Status}}' | sed 's/ Up .*/ Up/'",
      "docker images --format '{{.Repository}}:{{.Tag}}' | grep ':5000/' || true",
      "docker info --format 'swarm {{.Swarm.LocalNodeState}} manager={{.Swarm.ControlAvailable}} insecure={{range $k, $v := .RegistryConfig.IndexConfigs}}{{if not $v.Secure}}{{$k}} {{end}}{{end}}'",
    ].join('; ')));
  }
  state.nodes = anonymise(await ssh(first, password,
    "docker node ls --format '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}' | sort; "
    + "docker node inspect --format '{{.Description.Hostname}} {{.Spec.Role}} {{json .Spec.Labels}}' $(docker node ls -q) | sort"));
  return state;
}

// ---------------------------------------------------------------- the runs

function makeRunners(swarmplayInventory, ansibleInventory, knownHosts) {
  const ansibleEnv = toolEnv({
    ANSIBLE_CONFIG: path.join(REPO_ROOT, 'bench', 'bootstrap', 'ansible.cfg'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(WORK_DIR, 'bare-ansible-cp'),
    ANSIBLE_LOCAL_TEMP: path.join(WORK_DIR, 'bare-ansible-local'),
    ANSIBLE_NOCOLOR: '1',
  });
  return {
    async swarmplay(label) {
      const result = await runMeasured(process.execPath, cliArgs(CLI, ['run', PLAYBOOK, '-i', swarmplayInventory, '--known-hosts', knownHosts, '--json']),
        { env: toolEnv(), marker: '"event":"task_start"', timeoutMs: 1_200_000 });
      return summarise('swarmplay', label, result, swarmplayRecap(result.stdout), CLUSTER.length);
    },
    async ansible(label) {
      const result = await runMeasured('ansible-playbook', ['-i', ansibleInventory, ANSIBLE_PLAYBOOK], { env: ansibleEnv, marker: '\nTASK [', timeoutMs: 1_200_000 });
      return summarise('ansible-playbook', label, result, ansibleRecap(result.stdout), CLUSTER.length);
    },
  };
}

async function labCli(args, timeoutMs = 1_200_000) {
  const result = await runProcess(process.execPath, cliArgs(CLI, ['lab', ...args]), { timeoutMs });
  if (result.code !== 0) throw new Error(`swarmplay lab ${args.join(' ')} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

// ---------------------------------------------------------------- report

function renderReport(bench) {
  const row = (label, sample) => `| ${label} | ${seconds(sample.wallMs)} | ${sample.cpuSeconds.toFixed(1)} | ${sample.peakRssMb.toFixed(0)} MB | ${sample.ok} | ${sample.changed} |`;
  const lines = [
    '# Bare hosts to a 3-node swarm with its registry: swarmplay beside Ansible',
    '',
    `Measured by \`npm run bench:bare\` (bench/bare/run.mjs) on ${bench.machine.date.slice(0, 10)}, ${bench.machine.date.slice(11, 16)} UTC: lab \`${bench.lab}\` `
      + `(\`swarmplay lab up --bare --with-python --hosts 6\`: fresh Debian 12 hosts with python3, apt only from the lab's mirror on the bridge), `
      + `docker01-03 for swarmplay's playbooks/bootstrap.yaml, docker04-06 (named docker01-03 in Ansible's inventory) for bench/bare/ansible-bare.yaml. `
      + `Machine: ${bench.machine.cpus}, Linux ${bench.machine.kernel}, Node ${bench.machine.node}; ${bench.machine.ansible}, `
      + `community.docker ${bench.machine.collections['community.docker']}, ansible.posix ${bench.machine.collections['ansible.posix']}, `
      + `community.crypto ${bench.machine.collections['community.crypto']}; swarmplay ${bench.machine.swarmplayCommit}.`,
    '',
    `\`lab up\` took ${seconds(bench.labUpMs)}${bench.mirrorBuilt ? ` (${bench.mirrorBuilt})` : ' (root and mirror cached)'}.`,
    '',
    '| run | wall | CPU s (controller) | peak RSS | ok (3 hosts) | changed |',
    '|---|---:|---:|---:|---:|---:|',
    row('swarmplay, first run: bare hosts to swarm + registry', bench.first.swarmplay),
    row('ansible-playbook, first run: bare hosts to swarm + registry', bench.first.ansible),
  ];
  const sp = bench.noChange.swarmplay.length ? stats(bench.noChange.swarmplay) : undefined;
  const an = bench.noChange.ansible.length ? stats(bench.noChange.ansible) : undefined;
  const changedOf = (samples) => samples.map((s) => s.changed).join(', ');
  if (sp) lines.push(`| swarmplay, no-change run: median of ${bench.noChange.swarmplay.length} (min-max) | ${seconds(sp.medianMs)} (${seconds(sp.minMs)}-${seconds(sp.maxMs)}) | ${sp.cpuSeconds.toFixed(1)} | ${sp.peakRssMb.toFixed(0)} MB | ${bench.noChange.swarmplay[0].ok} | ${changedOf(bench.noChange.swarmplay)} |`);
  if (an) lines.push(`| ansible-playbook, no-change run: median of ${bench.noChange.ansible.length} (min-max) | ${seconds(an.medianMs)} (${seconds(an.minMs)}-${seconds(an.maxMs)}) | ${an.cpuSeconds.toFixed(1)} | ${an.peakRssMb.toFixed(0)} MB | ${bench.noChange.ansible[0].ok} | ${changedOf(bench.noChange.ansible)} |`);
  lines.push('');
  const firstRatio = bench.first.ansible.wallMs / bench.first.swarmplay.wallMs;
  lines.push(`Ratios Ansible / swarmplay: first run **${firstRatio.toFixed(1)}x**${sp && an ? `, no-change run **${(an.medianMs / sp.medianMs).toFixed(1)}x** (medians)` : ''}.`);
  lines.push('');
  lines.push('| target | measured | verdict |', '|---|---:|---|');
  lines.push(`| bare hosts to a working 3-node swarm with the registry in under 3 minutes (swarmplay) | ${seconds(bench.first.swarmplay.wallMs)} | ${bench.first.swarmplay.wallMs < 180_000 ? 'met' : 'missed'} |`);
  if (sp) lines.push(`| no-change run under 3 s (swarmplay, median) | ${seconds(sp.medianMs)} | ${sp.medianMs < 3000 ? 'met' : 'missed'} |`);
  lines.push('');
  lines.push('Load (`uptime`) at each phase:', '');
  for (const [phase, at] of bench.moments) lines.push(`- ${phase}: ${at.at.slice(11, 19)} UTC, ${at.uptime.replace(/^.*load average/, 'load average')}`);
  lines.push('');
  const changedTasks = (samples) => [...new Set(samples.flatMap((s) => s.changedTasks))];
  const unsettled = [...changedTasks(bench.noChange.swarmplay).map((t) => `swarmplay ${t}`), ...changedTasks(bench.noChange.ansible).map((t) => `ansible ${t}`)];
  if (unsettled.length) lines.push(`Tasks that changed in a no-change run: ${unsettled.join('; ')}.`, '');
  lines.push(bench.sameSwarm
    ? 'Both swarms read from outside (OpenSSH: hostname, dpkg-query, docker node ls and inspect, docker ps, docker images, docker info) are the same, the first manager\'s address aside:'
    : 'Both swarms read from outside (OpenSSH: hostname, dpkg-query, docker node ls and inspect, docker ps, docker images, docker info), the first manager\'s address aside, '
      + `differ only in the lines below (swarmplay's first, then Ansible's):`);
  if (!bench.sameSwarm) lines.push('', ...swarmDifferences(bench.swarms).map((line) => `- ${line}`));
  lines.push('', 'swarmplay\'s swarm:', '', '```', ...Object.entries(bench.swarms.swarmplay.hosts).map(([name, text]) => `# ${name}\n${text}`), '# docker node ls, docker node inspect (role, labels) on docker01', bench.swarms.swarmplay.nodes, '```', '');
  lines.push(
    'How it is measured, and what differs:',
    '- One lab, six hosts, both tools on the same machine in one run: the first runs one after the other (swarmplay first), then the no-change runs alternating which tool goes first. '
      + 'The lab hosts (sshd, apt, dpkg, dockerd) run on the same 2 cores as the tools, so the machine\'s other load shows in every figure.',
    '- Both log in as root with the lab password (Ansible through sshpass, at its fastest settings: bench/bootstrap/ansible.cfg, pipelining, ControlPersist, forks 50, no facts). '
      + 'CPU seconds and peak RSS are the controller side only (/usr/bin/time over the tool\'s process tree); Ansible\'s Python on the hosts is not in them.',
    '- The Ansible playbook (bench/bare/ansible-bare.yaml, its header lists the differences) installs python3-docker beside docker.io: community.docker\'s swarm modules need the Docker SDK on the host. '
      + 'It then imports bench/bootstrap/ansible-bootstrap.yaml, the walkthrough\'s plays with community.docker, community.crypto and ansible.posix.',
    '- swarmplay\'s first play gathers facts and compares the hosts\' clocks and names; Ansible\'s gathers none and checks neither.',
    '- The registry container: swarmplay runs `docker run -p 5000:5000`, which docker binds on IPv4 and IPv6 (`0.0.0.0:5000`, `:::5000`); '
      + 'community.docker\'s docker_container normalises `5000:5000` to host address 0.0.0.0, which binds IPv4 only. Both answer on the lab\'s (IPv4) addresses.',
    '',
  );
  return lines.join('\n');
}

/** The lines of the two swarms' readings that differ, host by host: `host: swarmplay's line | Ansible's line`. */
function swarmDifferences({ swarmplay, ansible }) {
  const differences = [];
  const compare = (where, ours, theirs) => {
    const a = ours.split('\n');
    const b = theirs.split('\n');
    for (let i = 0; i < Math.max(a.length, b.length); i += 1) if (a[i] !== b[i]) differences.push(`${where}: \`${a[i] ?? ''}\` | \`${b[i] ?? ''}\``);
  };
  for (const name of Object.keys(swarmplay.hosts)) compare(name, swarmplay.hosts[name], ansible.hosts[name] ?? '');
  compare('nodes', swarmplay.nodes, ansible.nodes);
  return differences;
}

// ---------------------------------------------------------------- main

async function main() {
  if (flags['report-only']) {
    writeFileSync(outFile, renderReport(JSON.parse(readFileSync(flags['report-only'], 'utf8'))));
    log(`wrote ${path.relative(REPO_ROOT, outFile)}`);
    return;
  }
  copyBuiltTree(DIST, fail);
  ensureTools();
  const dir = inventoryFolder(labName);
  const labInventory = path.join(dir, 'lab.yaml');
  const bench = {
    lab: labName,
    reps,
    machine: {
      date: new Date().toISOString(), cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown'}`, kernel: os.release(), node: process.version,
      ansible: versionOf('ansible-playbook', ['--version']), collections: collectionVersions(['community.docker', 'ansible.posix', 'community.crypto']),
      swarmplayCommit: versionOf('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']),
    },
    moments: [],
    noChange: { swarmplay: [], ansible: [] },
  };
  const mark = (phase) => {
    const at = moment();
    bench.moments.push([phase, at]);
    log(`${phase}: ${at.uptime}`);
  };
  let labIsUp = false;
  try {
    mark('before lab up');
    const up = await labCli(['up', '--bare', '--with-python', '--hosts', '6', '--name', labName, '--subnet', flags.subnet, '-i', labInventory]);
    labIsUp = true;
    bench.labUpMs = up.wallMs;
    bench.mirrorBuilt = /package mirror built in [^\n]*/.exec(up.stdout + up.stderr)?.[0];
    const { swarmplayHosts, ansibleHosts, password } = writeInventories(labInventory, dir);
    const knownHosts = parseYaml(readFileSync(labInventory, 'utf8')).all.vars.swarmplay_known_hosts;
    await assertBare({ ...swarmplayHosts }, password);
    await assertBare({ ...ansibleHosts }, password);
    const run = makeRunners(path.join(dir, 'swarmplay.yaml'), path.join(dir, 'ansible.yaml'), knownHosts);

    mark('before swarmplay\'s first run');
    const swarmplayFirst = await run.swarmplay('first run');
    log(`swarmplay: bare to swarm in ${seconds(swarmplayFirst.wallMs)} (${swarmplayFirst.changed} changed)`);
    mark('before ansible-playbook\'s first run');
    const ansibleFirst = await run.ansible('first run');
    log(`ansible-playbook: bare to swarm in ${seconds(ansibleFirst.wallMs)} (${ansibleFirst.changed} changed)`);
    bench.first = { swarmplay: swarmplayFirst, ansible: ansibleFirst };
    mark('after the first runs');

    bench.swarms = { swarmplay: await readSwarm(swarmplayHosts, password), ansible: await readSwarm(ansibleHosts, password) };
    bench.sameSwarm = JSON.stringify(bench.swarms.swarmplay) === JSON.stringify(bench.swarms.ansible);
    log(`the two swarms read from outside are ${bench.sameSwarm ? 'the same' : 'DIFFERENT'}`);

    for (let rep = 0; rep < reps; rep += 1) {
      for (const tool of rep % 2 === 0 ? ['swarmplay', 'ansible'] : ['ansible', 'swarmplay']) {
        const sample = await run[tool](`no-change ${rep + 1}`);
        bench.noChange[tool].push(sample);
        log(`${tool} no-change ${rep + 1}: ${seconds(sample.wallMs)}, changed ${sample.changed}${sample.changed ? ` [${sample.changedTasks.join('; ')}]` : ''}`);
      }
    }
    mark('after the no-change runs');
  } finally {
    writeFileSync(jsonFile, `${JSON.stringify(bench, null, 2)}\n`);
    if (labIsUp && !flags['keep-lab']) {
      log(`lab down --name ${labName}`);
      await labCli(['down', '--name', labName]).catch((error) => log(String(error)));
    }
    if (!flags['keep-lab']) rmSync(dir, { recursive: true, force: true });
    else log(`lab ${labName} kept up; inventories in ${dir}`);
  }
  const report = renderReport(bench);
  writeFileSync(outFile, report);
  log(`wrote ${path.relative(REPO_ROOT, outFile)} and ${path.relative(REPO_ROOT, jsonFile)}`);
  process.stdout.write(report);
}

main().catch((error) => {
  process.stderr.write(`bench:bare failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
