/**
 * `pip`: Python packages installed with the host's own pip, as Ansible's pip
 * module (the controller needs no Python; the host needs pip, as it does for
 * Ansible). What is installed is read with `pip list --format=freeze` in one
 * round trip, so present/absent plan nothing when the host already agrees:
 * a name with a version specifier (`urllib3<2`, `docker==6.1.3`, `pkg>=1,<2`
 * rejoined after its comma as Ansible does, or `version:`) is satisfied by an
 * installed version that meets it. `latest`, `forcereinstall`, `requirements`
 * and names that are paths or URLs cannot be decided from that list: pip's own
 * `install --dry-run` (pip 22.2 and later) says what it would install, and
 * nothing is planned when it would install nothing; an older pip runs them and
 * reports changed. So `--check` says what a run would do, where Ansible's pip
 * reports changed in check mode whenever extra_args, requirements or latest is
 * given. `virtualenv` (under chdir when relative, as Ansible joins them) is
 * created first when it has no bin/activate (with `virtualenv_command`,
 * default `virtualenv`) and its bin/pip is used.
 *
 * When no pip is found the task fails saying so, before anything changes.
 */
import path from 'node:path';
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type Step } from './types.js';
import { booleanArg } from './argument-types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { splitWords } from './command.js';

const VERSION_OPERATOR = /^\s*(===|==|!=|<=|>=|~=|<|>)/;

/**
 * The names as Ansible reads them: every comma splits (a list's items too), then a
 * part that starts with a version operator (the `<2` of `pkg>=1,<2`) or sits inside
 * [extras] joins the name before it again.
 */
export function recoverPackageNames(names: readonly string[]): string[] {
  const packages: string[][] = [];
  let inBrackets = false;
  for (const part of names.flatMap((name) => name.split(',')).map((name) => name.trim()).filter((name) => name !== '')) {
    if (!VERSION_OPERATOR.test(part) && !inBrackets) packages.push([]);
    if (part.includes('[')) inBrackets = true;
    if (inBrackets && part.includes(']')) inBrackets = false;
    if (packages.length === 0) packages.push([]);
    packages.at(-1)!.push(part);
  }
  return packages.map((parts) => parts.join(','));
}

const nameList = z.union([z.string().min(1), z.array(z.union([z.string().min(1), z.number()]).transform(String)).min(1)])
  .transform((value) => recoverPackageNames(Array.isArray(value) ? value : [value]));

const pipArgs = z
  .object({
    name: nameList.optional(),
    version: z.union([z.string().min(1), z.number()]).transform(String).optional(),
    requirements: z.string().min(1).optional(),
    state: z.enum(['present', 'absent', 'latest', 'forcereinstall']).default('present'),
    extra_args: z.string().optional(),
    editable: booleanArg.default(false),
    chdir: z.string().min(1).optional(),
    executable: z.string().min(1).optional(),
    virtualenv: z.string().min(1).optional(),
    virtualenv_command: z.string().min(1).default('virtualenv'),
    virtualenv_python: z.string().min(1).optional(),
    virtualenv_site_packages: booleanArg.default(false),
    break_system_packages: booleanArg.default(false),
    umask: z.union([z.string().regex(/^0?[0-7]{3}$/, 'an octal umask such as 0022'), z.number()]).transform(String).optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    const issue = (message: string) => refinement.addIssue({ code: z.ZodIssueCode.custom, message });
    if ((args.name === undefined) === (args.requirements === undefined)) {
      issue(args.name === undefined ? 'one of the following is required: name, requirements' : 'parameters are mutually exclusive: name|requirements');
    }
    if (args.executable !== undefined && args.virtualenv !== undefined) issue('parameters are mutually exclusive: executable|virtualenv');
    if (args.version !== undefined && (args.name?.length ?? 0) > 1) issue('version is incompatible with a list of names: write name: [pkg==1.0]');
    if (args.version !== undefined && args.name?.some((name) => /[<>=!~]/.test(name))) issue('version is incompatible with a specifier in name');
    if (args.version !== undefined && args.state === 'latest') issue('version is incompatible with state=latest');
    if (args.requirements !== undefined && args.state === 'absent' && args.name !== undefined) issue('state absent with requirements uninstalls by name only');
  });

type PipArgs = z.infer<typeof pipArgs>;

/** One requested package: its normalized name, the specifiers it must meet, and how it is written for pip. */
interface Requirement {
  name: string;
  written: string;
  specifiers: { op: string; version: string }[];
  /** A name with plain specifiers, which `pip list` can decide; false for a path, a URL, `name @ url` or a marker. */
  plain: boolean;
}

/** PEP 503's normal form: names compare case-insensitively with -, _ and . alike. */
export function normalizePackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** `version: 1.2` pins it (`==1.2`); a version that starts with an operator (`>=1.2`) is written as it is, as Ansible does. */
export function parseRequirement(text: string, version?: string): Requirement {
  const pinned = version?.trim();
  const written = pinned === undefined ? text.trim() : `${text.trim()}${/^\d/.test(pinned) ? '==' : ''}${pinned}`;
  const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$/.exec(written);
  if (!match) return { name: normalizePackageName(written), written, specifiers: [], plain: false };
  const specifiers = match[3]!.split(',').map((part) => part.trim()).filter((part) => part !== '').map((part) => {
    const spec = /^(===|==|!=|<=|>=|~=|<|>)\s*(.+)$/.exec(part);
    return spec ? { op: spec[1]!, version: spec[2]!.trim() } : { op: '?', version: part };
  });
  return { name: normalizePackageName(match[1]!), written, specifiers, plain: specifiers.every((spec) => spec.op !== '?') };
}

/** Release numbers of a version (1.26.18 -> [1, 26, 18]); a pre-release or local part is left out. */
function releaseOf(version: string): number[] {
  return version.replace(/^v/i, '').split(/[^0-9.]/)[0]!.split('.').filter((part) => part !== '').map(Number);
}

export function compareVersions(a: string, b: string): number {
  const x = releaseOf(a);
  const y = releaseOf(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Whether an installed version meets one specifier; `==1.2.*` prefixes and `~=` as PEP 440 defines them. */
function meets(installed: string, { op, version }: { op: string; version: string }): boolean {
  if (op === '==' && version.endsWith('.*')) return `${installed}.`.startsWith(version.slice(0, -1));
  if (op === '!=' && version.endsWith('.*')) return !`${installed}.`.startsWith(version.slice(0, -1));
  const c = compareVersions(installed, version);
  switch (op) {
    case '==': case '===': return c === 0;
    case '!=': return c !== 0;
    case '<': return c < 0;
    case '<=': return c <= 0;
    case '>': return c > 0;
    case '>=': return c >= 0;
    case '~=': {
      const release = releaseOf(version);
      const prefix = release.slice(0, Math.max(1, release.length - 1)).join('.');
      return c >= 0 && compareVersions(installed, prefix) >= 0 && `${releaseOf(installed).join('.')}.`.startsWith(`${prefix}.`);
    }
    default: return false;
  }
}

/** `pip list --format=freeze` (or pip freeze): normalized name -> version. */
export function parseFreeze(output: string): Map<string, string> {
  const installed = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)/.exec(line.trim());
    if (match) installed.set(normalizePackageName(match[1]!), match[2]!);
  }
  return installed;
}

/** What pip's `install --dry-run` says it would install (its "Would install a-1.0 b-2.0" line). */
function wouldInstall(output: string): string[] {
  const line = /^Would install (.+)$/m.exec(output);
  return line ? line[1]!.trim().split(/\s+/) : [];
}

/** The virtualenv's folder: a relative one lies under chdir, as Ansible joins them. */
function virtualenvPath(args: PipArgs): string | undefined {
  if (args.virtualenv === undefined) return undefined;
  return args.chdir === undefined || args.virtualenv.startsWith('/') ? args.virtualenv : path.posix.join(args.chdir, args.virtualenv);
}

/** The pip to run: the executable given, the virtualenv's, or the first of pip3 and pip on PATH. */
async function findPip(ctx: ModuleContext, args: PipArgs, venv: string | undefined): Promise<{ pip?: string; failed?: string }> {
  if (venv !== undefined) return { pip: path.posix.join(venv, 'bin/pip') };
  const candidates = args.executable !== undefined ? [args.executable] : ['pip3', 'pip'];
  const found = await ctx.probe(candidates.map((name) => `command -v ${quote(name)}`).join(' || '));
  const pip = found.stdout.trim().split('\n')[0];
  if (found.exitCode === 0 && pip) return { pip };
  return {
    failed: `${ctx.host}: ${args.executable ?? 'pip (pip3 or pip)'} not found on the host: install it first `
      + "(e.g. 'apt: {name: python3-pip}' or 'dnf: {name: python3-pip}'), or give a virtualenv",
  };
}

function inDirectory(command: string, chdir: string | undefined): string {
  return chdir === undefined ? command : `cd -- ${quote(chdir)} && ${command}`;
}

export const pip = defineModule({
  name: 'pip',
  schema: pipArgs,
  async plan(ctx, args): Promise<Plan> {
    const steps: Step[] = [];
    const venv = virtualenvPath(args);
    const umask = args.umask === undefined ? '' : `umask ${quote(args.umask)} && `;
    let venvMissing = false;
    if (venv !== undefined) {
      venvMissing = (await ctx.probe(`test -e ${quote(`${venv}/bin/activate`)}`)).exitCode !== 0;
      if (venvMissing) {
        const builtIn = /-m\s+venv|pyvenv/.test(args.virtualenv_command);
        if (builtIn && args.virtualenv_python !== undefined) {
          return { steps: [], failed: 'virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command' };
        }
        const words = [...splitWords(args.virtualenv_command), ...(args.virtualenv_site_packages ? ['--system-site-packages'] : []),
          ...(args.virtualenv_python !== undefined ? ['-p', args.virtualenv_python] : []), venv];
        steps.push({
          kind: 'command', description: `create the virtualenv ${venv}`, command: inDirectory(`${umask}${quoteArgs(words)}`, args.chdir), failOutputLines: 5, unchangedWhenFailing: true,
          failHints: [{ whenOutputMatches: 'not found|No such file', message: `${ctx.host}: ${words[0]} is not on the host: install it (python3-virtualenv or python3-venv), or set virtualenv_command` }],
        });
      }
    }
    const found = await findPip(ctx, args, venv);
    if (!found.pip) return { steps: [], failed: found.failed };
    // The variable, as Ansible 2.17's break_system_packages sets it: a pip older than 23.0.1 ignores it, where the flag would fail.
    const pipWords = args.break_system_packages ? ['env', 'PIP_BREAK_SYSTEM_PACKAGES=1', found.pip] : [found.pip];
    const extra = args.extra_args === undefined ? [] : splitWords(args.extra_args);
    const requested = (args.name ?? []).map((name) => parseRequirement(name, args.version));
    const installed = venvMissing ? new Map<string, string>() : parseFreeze((await ctx.probe(`${quoteArgs([...pipWords, 'list', '--format=freeze', '--disable-pip-version-check'])} 2>/dev/null`)).stdout);
    const result = { name: args.name ?? [], requirements: args.requirements ?? null, version: args.version ?? null, virtualenv: venv ?? null, state: args.state };
    const run = (words: string[], description: string): Step => ({
      kind: 'command', description, command: inDirectory(`${umask}${quoteArgs([...pipWords, ...words])}`, args.chdir), failOutputLines: 8,
      failMessage: `${description} failed`, unchangedWhenFailing: true,
      failHints: [{
        whenOutputMatches: 'externally-managed-environment',
        message: `${description} failed: ${ctx.host}'s python is managed by its package manager (PEP 668, externally-managed-environment); `
          + 'install into a virtualenv, or say break_system_packages: true (extra_args: --break-system-packages)',
      }],
    });

    if (args.state === 'absent') {
      const present = requested.filter((req) => installed.has(req.name));
      if (present.length) steps.push(run(['uninstall', '-y', ...extra, ...present.map((req) => req.name)], `pip uninstall ${present.map((req) => req.name).join(' ')}`));
      return { steps, result };
    }
    const editable = args.editable ? ['-e'] : [];
    if (args.requirements === undefined && args.state === 'present' && requested.every((req) => req.plain)) {
      const missing = requested.filter((req) => {
        const version = installed.get(req.name);
        return version === undefined || !req.specifiers.every((spec) => meets(version, spec));
      });
      if (missing.length) steps.push(run(['install', ...extra, ...editable, ...missing.map((req) => req.written)], `pip install ${missing.map((req) => req.written).join(' ')}`));
      return { steps, result };
    }
    // latest, forcereinstall, requirements and names pip list cannot decide (a wheel's path): pip knows what it would do.
    const mode = args.state === 'latest' ? ['-U'] : args.state === 'forcereinstall' ? ['-U', '--force-reinstall'] : [];
    const targets = args.requirements !== undefined ? ['-r', args.requirements] : [...editable, ...requested.map((req) => req.written)];
    const words = ['install', ...mode, ...extra, ...targets];
    const description = `pip ${words.join(' ')}`;
    if (!venvMissing && args.state !== 'forcereinstall') {
      const dry = await ctx.probe(inDirectory(`${quoteArgs([...pipWords, 'install', '--dry-run', '--disable-pip-version-check', ...mode, ...extra, ...targets])} 2>&1`, args.chdir), { timeoutMs: 120_000 });
      if (dry.exitCode === 0 && wouldInstall(dry.stdout).length === 0) return { steps, result };
    }
    steps.push(run(words, description));
    return { steps, result };
  },
  finish(args, outcomes) {
    const run = outcomes.all.filter((outcome) => outcome.run).at(-1)?.run;
    return run ? { stdout: run.stdout, stderr: run.stderr } : {};
  },
});
