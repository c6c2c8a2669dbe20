// swarmplay lab: `shutdown`, `reboot`, `halt` and `poweroff` inside a bare lab host.
//
// The lab's hosts share this machine's kernel, so none can really restart.
// This program makes a reboot look from outside as it does on a real server,
// so that a playbook's reboot task (Ansible's or swarmplay's) meets what it
// meets there:
// - the command returns at once; `shutdown -r +N` waits N minutes (no time
//   given means +1, as systemd's shutdown), `shutdown -c` cancels;
// - every process of the host but its sshd listener stops (TERM, then KILL):
//   open SSH sessions drop, services stop;
// - the host's network links are down for a few seconds, so a connection
//   attempt meets no answer, as it would from a machine that is booting;
// - /run starts empty and /proc/sys/kernel/random/boot_id reads a new id;
// - the units enabled with systemctl start again (`systemctl default`).
// Kept, as across a real reboot: the host's disk (its own upper layer, with
// /tmp, /etc and /var/lib/docker). Not emulated: the kernel's own state
// (uptime, loaded modules, sysctl values) is the machine's. halt and
// poweroff are refused: `swarmplay lab down` stops a lab.
//
// Called as `node power.mjs <shutdown|reboot|halt|poweroff> [ARGS...]` by the
// host's /usr/sbin wrappers; the detached part runs as `node power.mjs --perform-reboot <ms>`.

import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';

const LAB_RUN_DIR = '/run/swarmplay-lab';
const INIT_PID_FILE = path.join(LAB_RUN_DIR, 'init.pid');
const BOOT_ID_FILE = path.join(LAB_RUN_DIR, 'boot_id');
const SCHEDULED_FILE = path.join(LAB_RUN_DIR, 'scheduled-reboot.pid');
const KERNEL_BOOT_ID = '/proc/sys/kernel/random/boot_id';
const LOG_FILE = '/var/log/swarmplay-lab-power.log';
/** How long the host is unreachable while it "boots". */
const DOWN_MS = 2000;
/** A moment for the command's own SSH session to hand back its exit status, as systemd's queued shutdown gives. */
const START_DELAY_MS = 500;
const STOP_GRACE_MS = 10_000;

class PowerError extends Error {}

function log(message) {
  fs.appendFileSync(LOG_FILE, `${new Date().toISOString()} ${message}\n`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** shutdown's time: "now", "+M" or "M" minutes, or "hh:mm" today (tomorrow when already past). */
function delayOf(spec) {
  if (spec === 'now') return 0;
  const clock = /^(\d{1,2}):(\d{2})$/.exec(spec);
  if (clock) {
    const at = new Date();
    at.setHours(Number(clock[1]), Number(clock[2]), 0, 0);
    if (at.getTime() <= Date.now()) at.setDate(at.getDate() + 1);
    return at.getTime() - Date.now();
  }
  const minutes = /^\+?(\d+)$/.exec(spec);
  if (minutes) return Number(minutes[1]) * 60_000;
  throw new PowerError(`Failed to parse time specification: ${spec}`);
}

function parseShutdown(argv) {
  let action = 'poweroff';
  let cancel = false;
  let wallOnly = false;
  const positional = [];
  for (const arg of argv) {
    if (arg === '-r' || arg === '--reboot') action = 'reboot';
    else if (['-h', '-P', '--poweroff'].includes(arg)) action = 'poweroff';
    else if (arg === '-H' || arg === '--halt') action = 'halt';
    else if (arg === '-c') cancel = true;
    else if (arg === '-k') wallOnly = true;
    else if (arg === '--no-wall' || arg === '-f' || arg === '-F') continue;
    else if (arg.startsWith('-')) throw new PowerError(`shutdown: unrecognized option '${arg}'`);
    else positional.push(arg);
  }
  return { action, cancel, wallOnly, delayMs: delayOf(positional[0] ?? '+1') };
}

function requireRoot(action) {
  if (process.getuid() !== 0) throw new PowerError(`Call to ${action[0].toUpperCase()}${action.slice(1)} failed: Access denied`);
}

function refuse(action) {
  throw new PowerError(`${action}: a lab host cannot ${action === 'halt' ? 'halt' : 'power off'} (it shares this machine's kernel); ` +
    '`swarmplay lab down` stops the lab, `reboot` is emulated');
}

function cancelScheduled() {
  try {
    const pid = Number(fs.readFileSync(SCHEDULED_FILE, 'utf8'));
    process.kill(pid, 'SIGTERM');
  } catch { /* nothing scheduled */ }
  fs.rmSync(SCHEDULED_FILE, { force: true });
}

function scheduleReboot(delayMs) {
  cancelScheduled();
  const logFd = fs.openSync(LOG_FILE, 'a');
  const child = spawn(process.execPath, [process.argv[1], '--perform-reboot', String(delayMs + START_DELAY_MS)], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  child.unref();
  fs.writeFileSync(SCHEDULED_FILE, String(child.pid));
  if (delayMs > 0) {
    const at = new Date(Date.now() + delayMs);
    process.stderr.write(`Reboot scheduled for ${at.toUTCString()}, use 'shutdown -c' to cancel.\n`);
  }
}

// ---------- the reboot itself (detached) ----------

function namespaceOf(pid) {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

function allProcesses() {
  const result = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      result.push({ pid: Number(entry), parentPid: Number(fields[1]) });
    } catch { /* gone meanwhile */ }
  }
  return result;
}

/** This host's processes (its mount namespace) and their descendants (containers), but for the sshd listener and this one. */
function hostProcesses(keep) {
  const ours = namespaceOf('self');
  const all = allProcesses();
  const selected = new Set(all.filter((info) => namespaceOf(info.pid) === ours).map((info) => info.pid));
  let grew = true;
  while (grew) {
    grew = false;
    for (const info of all) {
      if (!selected.has(info.pid) && selected.has(info.parentPid)) {
        selected.add(info.pid);
        grew = true;
      }
    }
  }
  for (const pid of keep) selected.delete(pid);
  return [...selected];
}

function signalAll(pids, signal) {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch { /* gone */ }
  }
}

async function stopProcesses(keep) {
  signalAll(hostProcesses(keep), 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (hostProcesses(keep).length > 0 && Date.now() < deadline) await sleep(100);
  signalAll(hostProcesses(keep), 'SIGKILL');
  while (hostProcesses(keep).length > 0) await sleep(50);
}

function run(program, args) {
  const result = spawnSync(program, args, { encoding: 'utf8' });
  if (result.status !== 0) log(`${program} ${args.join(' ')}: exit ${result.status} ${(result.stderr ?? '').trim()}`);
  return result.status === 0;
}

/** The host's own links, from its network namespace (its /sys is the machine's). */
function networkLinks() {
  const result = spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' });
  if (result.status !== 0) throw new PowerError(`cannot list the host's network links: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout).map((link) => link.ifname).filter((name) => name !== 'lo');
}

/** Mounts below /run (docker's netns and the like), deepest first, as a shutdown unmounts them. */
function mountsUnderRun() {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point) => point?.startsWith('/run/'))
    .sort((a, b) => b.length - a.length);
}

function freshRun(initPid) {
  for (const point of mountsUnderRun()) run('umount', ['-l', point]);
  for (const entry of fs.readdirSync('/run')) fs.rmSync(path.join('/run', entry), { recursive: true, force: true });
  fs.mkdirSync('/run/sshd', { mode: 0o755 });
  fs.mkdirSync('/run/lock', { mode: 0o1777 });
  fs.chmodSync('/run/lock', 0o1777);
  fs.mkdirSync(LAB_RUN_DIR, { mode: 0o700 });
  fs.writeFileSync(INIT_PID_FILE, `${initPid}\n`);
}

function newBootId() {
  run('umount', [KERNEL_BOOT_ID]);
  fs.writeFileSync(BOOT_ID_FILE, `${randomUUID()}\n`);
  if (!run('mount', ['--bind', BOOT_ID_FILE, KERNEL_BOOT_ID])) throw new PowerError('cannot give the host a new boot id');
}

async function performReboot(startDelayMs) {
  await sleep(startDelayMs);
  const initPid = Number(fs.readFileSync(INIT_PID_FILE, 'utf8'));
  log(`reboot: stopping every process but sshd (${initPid})`);
  await stopProcesses([process.pid, initPid]);
  const links = networkLinks();
  for (const link of links) run('ip', ['link', 'set', link, 'down']);
  freshRun(initPid);
  newBootId();
  await sleep(DOWN_MS);
  for (const link of links) run('ip', ['link', 'set', link, 'up']);
  log('reboot: up again; starting enabled units');
  run('/usr/bin/systemctl', ['default']);
}

async function main(argv) {
  const [command, ...args] = argv;
  if (command === '--perform-reboot') return performReboot(Number(args[0]));
  if (command === 'reboot') {
    requireRoot('reboot');
    scheduleReboot(0);
    return;
  }
  if (command === 'halt' || command === 'poweroff') refuse(command);
  if (command !== 'shutdown') throw new PowerError(`unknown command ${command}`);
  const request = parseShutdown(args);
  requireRoot(request.action);
  if (request.cancel) return cancelScheduled();
  if (request.wallOnly) return;
  if (request.action !== 'reboot') refuse(request.action);
  scheduleReboot(request.delayMs);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error instanceof PowerError ? error.message : error.stack}\n`);
    process.exit(1);
  },
);
