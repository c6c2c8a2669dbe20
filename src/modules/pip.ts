/**
 * `pip`: Python packages installed with the host's own pip, as Ansible's pip
 * module (the controller needs no Python; the host needs pip, as it does for
 * Ansible). What is installed is read with `pip list --format=freeze` in one
 * round trip, so present/absent plan nothing when the host already agrees:
 * a name with a version specifier (`urllib3<2`, `docker==6.1.3`, or `version:`)
 * is satisfied by an installed version that meets it. `latest`,
 * `forcereinstall` and `requirements` cannot be decided without the package
 * index: pip's own `install --dry-run` (pip 22.2 and later) says what it would
 * install, and nothing is planned when it would install nothing; an older pip
 * runs them and reports changed. `virtualenv` is created first when it has no
 * bin/activate (with `virtualenv_command`, default `virtualenv`) and its
 * bin/pip is used.
 *
 * When no pip is found the task fails saying so, before anything changes.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type Step } from './types.js';
import { booleanArg } from './argument-types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { splitWords } from './command.js';

const nameList = z.union([z.string().min(1), z.array(z.union([z.string().min(1), z.number()]).transform(String)).min(1)])
  .transform((value) => (Array.isArray(value) ? value : value.split(',').map((name) => name.trim()).filter((name) => name !== '')));

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
    if (args.requirements !== undefined && args.state === 'absent' && args.name !== undefined) issue('state absent with requirements uninstalls by name only');
  });

type PipArgs = z.infer<typeof pipArgs>;

/** One requested package: its normalized name, the specifiers it must meet, and how it is written for pip. */
interface Requirement {
  name: string;
  written: string;
  specifiers: { op: string; version: string }[];
}

/** PEP 503's normal form: names compare case-insensitively with -, _ and . alike. */
export function normalizePackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function parseRequirement(text: string, version?: string): Requirement {
  const written = version === undefined ? text.trim() : `${text.trim()}==${version}`;
  const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$/.exec(written);
  if (!match) return { name: normalizePackageName(written), written, specifiers: [] };
  const specifiers = match[3]!.split(',').map((part) => part.trim()).filter((part) => part !== '').map((part) => {
    const spec = /^(===|==|!=|<=|>=|~=|<|>)\s*(.+)$/.exec(part);
    return spec ? { op: spec[1]!, version: spec[2]!.trim() } : { op: '?', version: part };
  });
  return { name: normalizePackageName(match[1]!), written, specifiers };
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

/** The pip to run: the executable given, the virtualenv's, or the first of pip3 and pip on PATH. */
async function findPip(ctx: ModuleContext, args: PipArgs): Promise<{ pip?: string; failed?: string }> {
  if (args.virtualenv !== undefined) return { pip: `${args.virtualenv.replace(/\/+$/, '')}/bin/pip` };
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
    let venvMissing = false;
    if (args.virtualenv !== undefined) {
      venvMissing = (await ctx.probe(`test -e ${quote(`${args.virtualenv}/bin/activate`)}`)).exitCode !== 0;
      if (venvMissing) {
        const words = [...splitWords(args.virtualenv_command), ...(args.virtualenv_site_packages ? ['--system-site-packages'] : []),
          ...(args.virtualenv_python !== undefined && !/-m\s+venv/.test(args.virtualenv_command) ? ['-p', args.virtualenv_python] : []), args.virtualenv];
        steps.push({
          kind: 'command', description: `create the virtualenv ${args.virtualenv}`, command: inDirectory(quoteArgs(words), args.chdir), failOutputLines: 5,
          failHints: [{ whenOutputMatches: 'not found|No such file', message: `${ctx.host}: ${words[0]} is not on the host: install it (python3-virtualenv or python3-venv), or set virtualenv_command` }],
        });
      }
    }
    const found = venvMissing ? { pip: `${args.virtualenv!.replace(/\/+$/, '')}/bin/pip` } : await findPip(ctx, args);
    if (!found.pip) return { steps: [], failed: found.failed };
    const pipWords = [found.pip];
    const extra = args.extra_args === undefined ? [] : splitWords(args.extra_args);
    const umask = args.umask === undefined ? '' : `umask ${quote(args.umask)} && `;
    const breakFlag = args.break_system_packages ? ['--break-system-packages'] : [];
    const requested = (args.name ?? []).map((name) => parseRequirement(name, args.version));
    const installed = venvMissing ? new Map<string, string>() : parseFreeze((await ctx.probe(`${quoteArgs([...pipWords, 'list', '--format=freeze', '--disable-pip-version-check'])} 2>/dev/null`)).stdout);
    const result = { name: args.name ?? [], requirements: args.requirements ?? null, version: args.version ?? null, virtualenv: args.virtualenv ?? null, state: args.state };
    const run = (words: string[], description: string): Step => ({
      kind: 'command', description, command: inDirectory(`${umask}${quoteArgs([...pipWords, ...words])}`, args.chdir), failOutputLines: 8,
      failMessage: `${description} failed`,
    });

    if (args.state === 'absent') {
      const present = requested.filter((req) => installed.has(req.name));
      if (present.length) steps.push(run(['uninstall', '-y', ...breakFlag, ...extra, ...present.map((req) => req.name)], `pip uninstall ${present.map((req) => req.name).join(' ')}`));
      return { steps, result };
    }
    const editable = args.editable ? ['-e'] : [];
    if (args.requirements === undefined && args.state === 'present') {
      const missing = requested.filter((req) => {
        const version = installed.get(req.name);
        return version === undefined || !req.specifiers.every((spec) => meets(version, spec));
      });
      if (missing.length) steps.push(run(['install', ...breakFlag, ...extra, ...editable, ...missing.map((req) => req.written)], `pip install ${missing.map((req) => req.written).join(' ')}`));
      return { steps, result };
    }
    // latest, forcereinstall and requirements: pip knows what it would do.
    const mode = args.state === 'latest' ? ['-U'] : args.state === 'forcereinstall' ? ['-U', '--force-reinstall'] : [];
    const targets = args.requirements !== undefined ? ['-r', args.requirements] : [...editable, ...requested.map((req) => req.written)];
    const words = ['install', ...mode, ...breakFlag, ...extra, ...targets];
    const description = `pip ${words.join(' ')}`;
    if (!venvMissing && args.state !== 'forcereinstall') {
      const dry = await ctx.probe(inDirectory(`${quoteArgs([...pipWords, 'install', '--dry-run', '--disable-pip-version-check', ...mode, ...breakFlag, ...extra, ...targets])} 2>&1`, args.chdir), { timeoutMs: 120_000 });
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
