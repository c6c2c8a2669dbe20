/**
 * Module tests as data: one YAML file per case under test/modules/cases/<module>/,
 * saying what the host answers (named facts with outputs captured from real
 * hosts, files, other read-only probes) and what the module must plan (its
 * steps as `--check -v` lists them, failure, message, result, diffs).
 *
 *   args: { force: true }
 *   facts:
 *     docker_info: { file: info-manager.json, set: { Swarm.ControlAvailable: false } }
 *   files: { /etc/hosts: "127.0.0.1 localhost\n" }
 *   stats: { /sys/module/overlay: { type: directory } }
 *   probes: { "command -v dockerd": "/usr/sbin/dockerd\n" }
 *   expect:
 *     steps: ["run: docker swarm leave --force"]
 *     failed: /is a swarm manager/     # a /regex/ or the exact text
 *     skipped: ...                      # the reason a task is skipped
 *     msg: ...
 *     result: { node_id: ... }          # the keys given must match
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './cli.js';
import { fakeHost, type FakeStat, type ProbeAnswer } from './fake-host.js';
import { fixture } from '../fixtures/docker/index.js';
import type { Plan } from '../../src/modules/types.js';
import type { HostFacts } from '../../src/facts/host-facts.js';

/** A raw output: text (exit 0), { stdout, stderr, exitCode }, or { file, set } from test/fixtures/docker. */
export type CaseOutput = string | { stdout?: string; stderr?: string; exitCode?: number } | { file: string; set?: Record<string, unknown> };

export interface ModuleCase {
  /** Folder name: the module. */
  module: string;
  /** File name without .yaml. */
  name: string;
  file: string;
  host?: string;
  /** The playbook's folder, relative to the case file (where a relative `src:` or compose file is looked for). */
  playbookDir?: string;
  args: Record<string, unknown>;
  vars?: Record<string, unknown>;
  hostFacts?: Partial<HostFacts>;
  facts?: Record<string, CaseOutput>;
  files?: Record<string, string>;
  /** Path -> stat, for directories and files' attributes (see fake-host.ts). */
  stats?: Record<string, FakeStat>;
  probes?: Record<string, CaseOutput>;
  templates?: Record<string, string>;
  controllerFiles?: Record<string, string>;
  expect: {
    steps?: string[];
    failed?: string;
    /** The reason the module skips the task (script's creates/removes). */
    skipped?: string;
    msg?: string;
    result?: Record<string, unknown>;
    diffs?: { path: string; before?: string; after?: string }[];
    warnings?: string[];
    planAgain?: boolean;
  };
}

const CASES_DIR = path.join(REPO_ROOT, 'test', 'modules', 'cases');

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node: Record<string, unknown> = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

export function caseOutput(output: CaseOutput): ProbeAnswer {
  if (typeof output === 'string') return output;
  if ('file' in output) {
    if (!output.set) return fixture(output.file);
    const value = JSON.parse(fixture(output.file)) as Record<string, unknown>;
    for (const [dotted, v] of Object.entries(output.set)) setPath(value, dotted, v);
    return JSON.stringify(value);
  }
  return { stdout: output.stdout ?? '', stderr: output.stderr ?? '', exitCode: output.exitCode ?? 0 };
}

/** Every case of a module, or of all modules. */
export function loadCases(module?: string): ModuleCase[] {
  const modules = module ? [module] : readdirSync(CASES_DIR).sort();
  return modules.flatMap((name) => readdirSync(path.join(CASES_DIR, name))
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const full = path.join(CASES_DIR, name, file);
      const data = parse(readFileSync(full, 'utf8')) as Omit<ModuleCase, 'module' | 'name' | 'file'>;
      return { ...data, args: data.args ?? {}, module: name, name: file.replace(/\.yaml$/, ''), file: full };
    }));
}

/** The fake host a case describes. */
export function caseHost(c: ModuleCase) {
  return fakeHost({
    host: c.host ?? 'docker01',
    ...(c.playbookDir !== undefined && { playbookDir: path.resolve(path.dirname(c.file), c.playbookDir) }),
    vars: c.vars,
    facts: c.hostFacts,
    files: c.files,
    stats: c.stats,
    templates: c.templates,
    controllerFiles: c.controllerFiles,
    factOutputs: Object.fromEntries(Object.entries(c.facts ?? {}).map(([key, out]) => [key, caseOutput(out)])),
    probes: Object.fromEntries(Object.entries(c.probes ?? {}).map(([key, out]) => [key, caseOutput(out)])),
  });
}

/** "/regex/" matches, anything else must be equal. */
export function textMatches(expected: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  const regex = /^\/(.*)\/([a-z]*)$/s.exec(expected);
  return regex ? new RegExp(regex[1]!, regex[2]).test(actual) : expected === actual;
}

export type { Plan };
