/**
 * Finding and stopping the lab's processes. A process belongs to a lab host
 * when it lives in that host's network or mount namespace, or descends from
 * such a process (a container's processes have namespaces of their own, but
 * descend from the host's containerd-shim). Nothing is ever chosen by name.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  parentPid: number;
  startTicks: string;
}

/** Field 22 of /proc/<pid>/stat, or undefined if the process is gone. */
export function processStartTicks(pid: number): string | undefined {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8')).startTicks;
  } catch {
    return undefined;
  }
}

export function isSameProcess(pid: number | undefined, startTicks: string | undefined): boolean {
  return pid !== undefined && startTicks !== undefined && processStartTicks(pid) === startTicks;
}

function parseStat(pid: number, stat: string): ProcessInfo {
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, parentPid: Number(fields[1]), startTicks: fields[19] ?? '' };
}

/** Inode of /proc/<pid>/ns/<kind> ("mnt:[4026532]" -> 4026532). */
export function namespaceInode(pid: number, kind: 'mnt' | 'net'): number | undefined {
  try {
    const match = /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function allProcesses(): ProcessInfo[] {
  const result: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      result.push(parseStat(pid, readFileSync(`/proc/${entry}/stat`, 'utf8')));
    } catch {
      // exited while we looked
    }
  }
  return result;
}

export interface NamespaceSelector {
  mountNsInodes: ReadonlySet<number>;
  netNsInodes: ReadonlySet<number>;
}

/** Every process in the given namespaces, plus all their descendants. Never the caller itself. */
export function processesOfNamespaces(selector: NamespaceSelector): ProcessInfo[] {
  const processes = allProcesses();
  const selected = new Map<number, ProcessInfo>();
  for (const info of processes) {
    if (info.pid === process.pid) continue;
    const mnt = namespaceInode(info.pid, 'mnt');
    const net = namespaceInode(info.pid, 'net');
    if ((mnt !== undefined && selector.mountNsInodes.has(mnt)) || (net !== undefined && selector.netNsInodes.has(net))) {
      selected.set(info.pid, info);
    }
  }
  let grew = true;
  while (grew) {
    grew = false;
    for (const info of processes) {
      if (!selected.has(info.pid) && selected.has(info.parentPid) && info.pid !== process.pid) {
        selected.set(info.pid, info);
        grew = true;
      }
    }
  }
  return [...selected.values()];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function signal(info: ProcessInfo, name: NodeJS.Signals): void {
  if (processStartTicks(info.pid) !== info.startTicks) return;
  try {
    process.kill(info.pid, name);
  } catch {
    // already gone
  }
}

/**
 * SIGTERM, wait up to `graceMs` for them to exit, then SIGKILL the rest and
 * wait until they are gone. Each pid is checked against its start time first.
 */
export async function terminateProcesses(processes: readonly ProcessInfo[], graceMs: number): Promise<void> {
  const alive = () => processes.filter((info) => processStartTicks(info.pid) === info.startTicks);
  for (const info of processes) signal(info, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < deadline) await sleep(100);
  for (const info of alive()) signal(info, 'SIGKILL');
  const killDeadline = Date.now() + 10_000;
  while (alive().length > 0 && Date.now() < killDeadline) await sleep(50);
}

export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}
