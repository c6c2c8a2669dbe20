/**
 * Compose files for docker_stack, made on the controller before any host is
 * touched: a file (looked for as `copy`'s src is: files/ of the role or
 * playbook, then the folder itself) or a mapping written in the task. A
 * `.j2` file is first rendered with the play's variables, as `template`
 * does; plain files are not, since swarm's own templates
 * (`{{.Task.Slot}}`) use the same braces.
 *
 * Then `${VAR}` interpolation, which `docker stack deploy` would otherwise
 * do with the remote shell's environment (where no variable is set): the
 * values come from a `.env` file beside the compose file, overridden by the
 * task's `env:` (playbook variables). `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}` and `$VAR` read as docker compose reads them; `$$`
 * stays `$$`, and a `$` inside a value is written `$$`, so docker turns
 * both into one `$` and interpolates nothing again. A variable set nowhere
 * without a default stops the task, naming the file and the variable
 * (docker would put an empty string there with a warning nobody reads).
 * Interpolation is done on the parsed YAML's values, as docker does, so a
 * `$` in a comment means nothing.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { controllerFileCandidates, findControllerFile } from './copy.js';
import type { ModuleContext } from './types.js';

export interface ComposeFile {
  /** Where it came from, for messages: the controller path, or "compose[1] (inline)". */
  source: string;
  /** The YAML sent to the host. */
  text: string;
  /** The parsed, interpolated document. */
  document: Record<string, unknown>;
}

/** What one service of the compose files asks for, the files merged in order. */
export interface ComposeService {
  name: string;
  image?: string;
  mode: 'replicated' | 'global';
  replicas?: number;
  /** restart_policy.condition none or on-failure: its tasks run once and end "complete". */
  oneShot: boolean;
}

/** KEY=VALUE lines as docker compose reads a .env file: comments, blank lines, `export `, quotes. */
export function parseDotEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[1] === '"' ? quoted[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1') : quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    values[match[1]!] = value;
  }
  return values;
}

const REFERENCE = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** One string with its `${VAR}` references replaced; unset variables (without a default) are collected in `missing`. */
export function interpolateString(value: string, env: Readonly<Record<string, string>>, missing: Set<string>): string {
  return value.replace(REFERENCE, (whole, dollar, braced, operator, operand, bare) => {
    if (dollar) return '$$';
    const name = (braced ?? bare) as string;
    const set = Object.hasOwn(env, name) ? env[name]! : undefined;
    const escaped = (text: string) => text.replace(/\$/g, '$$$$');
    switch (operator) {
      case ':-': return escaped(set ? set : operand);
      case '-': return escaped(set ?? operand);
      case ':?':
      case '?':
        if (set === undefined || (operator === ':?' && set === '')) missing.add(operand ? `${name} (${operand})` : name);
        return escaped(set ?? '');
      default:
        if (set === undefined) missing.add(name);
        return escaped(set ?? '');
    }
  });
}

/** A value that is one reference alone (`replicas: ${WEB_REPLICAS}`). */
const WHOLE_REFERENCE = /^\$(?:\{[A-Za-z_][A-Za-z0-9_]*(?::?[-?][^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)$/;

function interpolateValues(node: unknown, env: Readonly<Record<string, string>>, missing: Set<string>): unknown {
  if (typeof node === 'string') {
    const value = interpolateString(node, env, missing);
    // docker casts such values to the type the field wants (replicas: an integer); the file we send is
    // not interpolated again for it, so write integers and booleans as YAML would read them.
    if (WHOLE_REFERENCE.test(node)) {
      if (/^-?\d+$/.test(value)) return Number(value);
      if (value === 'true' || value === 'false') return value === 'true';
    }
    return value;
  }
  if (Array.isArray(node)) return node.map((item) => interpolateValues(item, env, missing));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateValues(value, env, missing)]));
  }
  return node;
}

async function readDotEnv(composePath: string): Promise<Record<string, string>> {
  const text = await fs.readFile(path.join(path.dirname(composePath), '.env'), 'utf8').catch(() => undefined);
  return text === undefined ? {} : parseDotEnv(text);
}

/**
 * Every compose source, rendered and interpolated, or the reason one cannot be:
 * a file not found, a template or YAML error, an unset variable.
 */
export async function loadComposeFiles(
  ctx: ModuleContext,
  sources: readonly (string | Record<string, unknown>)[],
  env: Readonly<Record<string, string>>,
): Promise<ComposeFile[] | { failed: string }> {
  const files: ComposeFile[] = [];
  for (const [index, entry] of sources.entries()) {
    let source: string;
    let document: unknown;
    let fileEnv: Record<string, string> = {};
    if (typeof entry === 'string') {
      const candidates = controllerFileCandidates(ctx.searchDirs, entry, 'files');
      const found = await findControllerFile(candidates);
      if (!found) return { failed: `compose file ${entry} not found on the controller (looked in ${candidates.join(', ')})` };
      source = found.file;
      let text: string;
      try {
        text = found.file.endsWith('.j2') ? await ctx.renderTemplate(found.file) : await fs.readFile(found.file, 'utf8');
      } catch (error) {
        return { failed: `cannot render compose file ${found.file}: ${error instanceof Error ? error.message : String(error)}` };
      }
      try {
        document = parse(text);
      } catch (error) {
        return { failed: `compose file ${found.file} is not valid YAML: ${error instanceof Error ? error.message : String(error)}` };
      }
      fileEnv = await readDotEnv(found.file);
    } else {
      source = `compose[${index + 1}] (inline)`;
      document = entry;
    }
    if (!document || typeof document !== 'object' || Array.isArray(document)) {
      return { failed: `${source} is not a compose file: expected a mapping with services:` };
    }
    const missing = new Set<string>();
    const interpolated = interpolateValues(document, { ...fileEnv, ...env }, missing) as Record<string, unknown>;
    if (missing.size > 0) {
      const where = typeof entry === 'string' ? `a .env file beside it (${path.join(path.dirname(source), '.env')})` : 'env:';
      return { failed: `${source} uses ${[...missing].map((name) => `\${${name}}`).join(', ')}, set neither in ${typeof entry === 'string' ? `${where} nor in env:` : where}` };
    }
    files.push({ source, text: stringify(interpolated), document: interpolated });
  }
  return files;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : {};
}

/** The services the compose files define, later files overriding earlier ones key by key, as docker merges them. */
export function composeServices(files: readonly ComposeFile[]): ComposeService[] {
  const merged = new Map<string, ComposeService>();
  for (const file of files) {
    for (const [name, value] of Object.entries(asRecord(file.document.services))) {
      const service = asRecord(value);
      const deploy = asRecord(service.deploy);
      const restart = asRecord(deploy.restart_policy);
      const before = merged.get(name);
      const replicas = deploy.replicas === undefined ? before?.replicas : Number(deploy.replicas);
      const condition = restart.condition === undefined ? undefined : String(restart.condition);
      merged.set(name, {
        name,
        ...((service.image ?? before?.image) !== undefined && { image: String(service.image ?? before?.image) }),
        mode: deploy.mode === undefined ? before?.mode ?? 'replicated' : deploy.mode === 'global' ? 'global' : 'replicated',
        ...(replicas !== undefined && { replicas }),
        oneShot: condition === undefined ? before?.oneShot ?? false : condition === 'none' || condition === 'on-failure',
      });
    }
  }
  return [...merged.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The last compose file docker_stack adds: each service's digest
 * (serviceDigests) as a label, so the next run can tell, without
 * deploying, whether the service runs this rendering of its definition. A label of the service, not of its tasks:
 * changing it restarts no task. It keeps the first file's `version:`
 * (Debian 12's docker 20.10 refuses files without one, or with different ones).
 */
export function digestOverlay(files: readonly ComposeFile[], digests: ReadonlyMap<string, string>, label: string): string {
  const version = files[0]?.document.version;
  return stringify({
    ...(version !== undefined && { version }),
    services: Object.fromEntries([...digests].map(([service, digest]) => [service, { deploy: { labels: { [label]: digest } } }])),
  });
}

/**
 * Each service's digest: of its own definitions in every file, and of
 * everything outside services: (networks, configs, secrets, volumes, which
 * any service may use). A change to one service's definition changes that
 * service's digest only.
 */
export function serviceDigests(files: readonly ComposeFile[], services: readonly ComposeService[]): Map<string, string> {
  const shared = JSON.stringify(files.map((file) => ({ ...file.document, services: undefined })));
  return new Map(services.map((service) => {
    const own = JSON.stringify(files.map((file) => asRecord(file.document.services)[service.name] ?? null));
    return [service.name, createHash('sha256').update(shared).update('\n').update(own).digest('hex').slice(0, 16)];
  }));
}
