/**
 * The bare lab's package mirror: a flat apt repository of the .deb files the
 * bare hosts may install (docker.io with containerd, runc and every dependency
 * the bare root lacks; chrony; ufw with the python3 it runs on, so a run can
 * meet an active firewall; gpg, which apt_key needs; tree, a small package
 * for tests; for hosts with python3, what Ansible's modules need on the host
 * besides: python3-docker, python3-debian, gpg-agent, locales, python3-pip,
 * python3-venv), downloaded
 * once per machine by the controller's apt-get and indexed with
 * apt-ftparchive, then served on the lab bridge by busybox's httpd. The hosts'
 * sources point at it and they reach nothing else: an air-gapped site.
 *
 * apt runs with its own sources, lists and archive folders under the cache and
 * with the bare root's dpkg status as "the system", so the download set is
 * exactly what a bare host misses, and the machine's own apt state is never
 * touched (nor locked).
 *
 * Cache: <cache>/mirror/<key>, the key hashing the package list and the bare
 * root's recipe: either one changing builds a new mirror. (python3-apt, which
 * Ansible's apt modules need, is in the python root itself: see bare-root.ts.)
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SwarmplayError } from '../errors.js';
import { DEBIAN_SOURCES, labCacheDir, type BareRootOptions } from './bare-root.js';
import { runLocal } from './local-command.js';
import { buildCachedOnce } from './cache-build.js';
import { portAnswers } from './sshd.js';

export const MIRROR_PACKAGES = ['docker.io', 'containerd', 'runc', 'chrony', 'ufw', 'gpg', 'tree'];
/**
 * What hosts with python3 also get, for Ansible's modules: community.docker's run on the Docker SDK for
 * Python, deb822_repository (ansible-core 2.15 and later) on python3-debian, apt_key on apt-key, whose
 * gpg --import needs gpg-agent (swarmplay's apt_key needs gpg alone); locales, python3-pip and
 * python3-venv, on which locale_gen and pip run, under both tools; firewalld, with the python3 bindings
 * Ansible's module needs.
 */
const PYTHON_MIRROR_PACKAGES = ['python3-docker', 'python3-debian', 'gpg-agent', 'locales', 'python3-pip', 'python3-venv', 'firewalld'];
export const MIRROR_PORT = 80;

/** The packages a lab's mirror holds (with their dependencies). */
export function mirrorPackages(options: BareRootOptions): string[] {
  return options.withPython ? [...MIRROR_PACKAGES, ...PYTHON_MIRROR_PACKAGES] : MIRROR_PACKAGES;
}

export function mirrorPath(root: string, packages: readonly string[]): string {
  const key = createHash('sha256').update(JSON.stringify({ packages, root, layout: 1 })).digest('hex').slice(0, 12);
  return path.join(labCacheDir(), 'mirror', key);
}

/** The line a bare host's /etc/apt/sources.list holds: a flat repository, trusted as a site's own mirror is (see README). */
export function mirrorSourcesLine(url: string): string {
  return `deb [trusted=yes] ${url} ./`;
}

export function mirrorUrl(controllerAddress: string): string {
  return `http://${controllerAddress}${MIRROR_PORT === 80 ? '' : `:${MIRROR_PORT}`}/debian`;
}

function aptOptions(work: string, statusFile: string): string[] {
  const options: Record<string, string> = {
    'Dir::Etc::SourceList': path.join(work, 'sources.list'),
    'Dir::Etc::SourceParts': path.join(work, 'sources.list.d'),
    'Dir::State::Lists': path.join(work, 'lists'),
    'Dir::Cache': path.join(work, 'cache'),
    'Dir::State::status': statusFile,
    'Debug::NoLocking': '1',
    'APT::Install-Recommends': 'false',
    'APT::Get::Download-Only': 'true',
  };
  return Object.entries(options).flatMap(([key, value]) => ['-o', `${key}=${value}`]);
}

export interface MirrorResult {
  path: string;
  builtMs: number;
  packages: number;
}

/** The cached mirror of `packages`, built when missing for the bare root `root` (its dpkg status decides what is missing). */
export async function ensureMirror(root: string, packages: readonly string[], onProgress: (message: string) => void = () => {}): Promise<MirrorResult> {
  const target = mirrorPath(root, packages);
  if (existsSync(target)) return { path: target, builtMs: 0, packages: readdirSync(path.join(target, 'debian', 'pool')).length };
  for (const tool of ['/usr/bin/apt-get', '/usr/bin/apt-ftparchive']) {
    if (!existsSync(tool)) {
      throw new SwarmplayError('LAB_FAILED', `the bare lab's package mirror needs ${tool}, which is missing`, { hint: 'run scripts/setup-machine.sh, or: apt-get install apt-utils' });
    }
  }
  const started = Date.now();
  let count = 0;
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const { built } = await buildCachedOnce(target, async (building) => {
    onProgress(`downloading ${packages.join(', ')} and their dependencies for the lab's package mirror, once for this machine: ${target}`);
    const work = path.join(building, 'apt');
    const repo = path.join(building, 'debian');
    const pool = path.join(repo, 'pool');
    for (const dir of ['sources.list.d', 'lists/partial', 'cache/archives/partial']) mkdirSync(path.join(work, dir), { recursive: true });
    writeFileSync(path.join(work, 'sources.list'), DEBIAN_SOURCES.map((line) => line.replace(/^deb /, 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ')).join('\n') + '\n');
    const options = aptOptions(work, path.join(root, 'var/lib/dpkg/status'));
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await runLocal('apt-get', [...options, '-qq', 'update'], { env });
    await runLocal('apt-get', [...options, '-qq', '-y', 'install', ...packages], { env });
    mkdirSync(pool, { recursive: true });
    const archives = path.join(work, 'cache', 'archives');
    const debs = readdirSync(archives).filter((file) => file.endsWith('.deb'));
    for (const deb of debs) renameSync(path.join(archives, deb), path.join(pool, deb));
    count = debs.length;
    const index = await runLocal('apt-ftparchive', ['packages', 'pool'], { env, cwd: repo });
    writeFileSync(path.join(repo, 'Packages'), index.stdout);
    const release = await runLocal('apt-ftparchive', ['-o', 'APT::FTPArchive::Release::Origin=swarmplay-lab', 'release', '.'], { env, cwd: repo });
    writeFileSync(path.join(repo, 'Release'), release.stdout);
    rmSync(work, { recursive: true, force: true });
  }, () => onProgress(`waiting for another lab that is building the package mirror ${target}`));
  if (!built) count = readdirSync(path.join(target, 'debian', 'pool')).length;
  return { path: target, builtMs: built ? Date.now() - started : 0, packages: count };
}

export interface MirrorProcess {
  pid: number;
  url: string;
}

/** Serves the mirror on the bridge address only; keeps running after this program exits (lab down stops it by pid). */
export async function serveMirror(mirror: string, controllerAddress: string, logFile: string): Promise<MirrorProcess> {
  const log = openSync(logFile, 'a', 0o600);
  let pid: number | undefined;
  try {
    const child = spawn('/bin/busybox', ['httpd', '-f', '-v', '-p', `${controllerAddress}:${MIRROR_PORT}`, '-h', mirror], {
      detached: true,
      stdio: ['ignore', log, log],
      cwd: '/',
    });
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(log);
  }
  if (pid === undefined) throw new SwarmplayError('LAB_FAILED', 'the lab\'s package mirror did not start (busybox httpd)');
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (await portAnswers(controllerAddress, MIRROR_PORT)) return { pid, url: mirrorUrl(controllerAddress) };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new SwarmplayError('LAB_FAILED', `the lab's package mirror does not answer on ${controllerAddress}:${MIRROR_PORT}`, {
    hint: `another program may hold port ${MIRROR_PORT} on every address; see ${logFile}`,
  });
}
