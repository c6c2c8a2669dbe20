/**
 * `apt`: Debian packages, as Ansible's apt module, through apt-get itself
 * (no python-apt on the host). What is installed, what apt would install and
 * the age of the package lists come in one round trip (the `apt_packages`
 * fact); the plan then holds only the apt-get commands needed:
 * - present: install what is missing (`name=1.2*` pins a version);
 *   latest: also upgrade what has a newer candidate; only_upgrade: never
 *   install a new package; build-dep: `apt-get build-dep` when a simulation
 *   (`apt-get -s`, read-only) says it would install something;
 * - absent: remove what is installed; with purge also what left its
 *   configuration behind (dpkg status "rc");
 * - update_cache: `apt-get update` when the lists are older than
 *   cache_valid_time (always when it is 0). Beside package work the refresh
 *   does not count as a change, as in Ansible; alone it does;
 * - deb: a .deb file on the host, installed unless that version is already;
 * - upgrade, autoremove, autoclean: run when a simulation says they would
 *   change something.
 * Every apt-get waits up to lock_timeout seconds for dpkg's lock (another
 * apt running) instead of failing, and runs non-interactive, keeping changed
 * configuration files (force-confdef, force-confold) as Ansible does.
 * A package apt does not know fails before anything is installed, with
 * Ansible's message; after a refresh in the same task apt-get says it
 * itself ("Unable to locate package"), and apt-get resolves the whole list
 * before touching any package, so nothing is left half-installed.
 *
 * Kept different on purpose: state latest together with a list refresh in
 * the same task plans the install for packages already there (the candidate
 * after the refresh cannot be read before it runs), so it reports changed
 * whenever the lists are refreshed: give cache_valid_time. `deb` takes a path
 * on the host, not a URL. The state `fixed` and `policy_rc_d` are not offered.
 */
import { z } from 'zod';
import { defineModule, type CommandStep, type ModuleContext, type Plan, type Step } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg, numberArg } from './argument-types.js';
import { aptPackages, type AptPackages } from '../facts/apt-packages.js';

/** A package as written: name, name=version (the version may end in *), or name:arch. */
const packageSpec = z.string().trim().min(1).regex(/^[^-\s][^\s]*$/, 'a package name cannot start with "-" or hold spaces');

/** Ansible's list type: a YAML list, or a comma-separated string. */
export const packageListArg = z.union([packageSpec, z.array(z.union([z.string(), z.number()]).transform(String).pipe(packageSpec))])
  .transform((value) => (Array.isArray(value) ? value : value.split(',').map((name) => name.trim()).filter(Boolean)));

const aptArgs = z
  .object({
    name: packageListArg.optional(),
    package: packageListArg.optional(),
    pkg: packageListArg.optional(),
    state: z.enum(['present', 'absent', 'latest', 'build-dep']).default('present'),
    update_cache: booleanArg.optional(),
    'update-cache': booleanArg.optional(),
    update_cache_retries: numberArg.pipe(z.number().int()).default(5),
    update_cache_retry_max_delay: numberArg.pipe(z.number().int()).default(12),
    cache_valid_time: numberArg.pipe(z.number().int()).default(0),
    purge: booleanArg.default(false),
    deb: z.string().min(1).regex(/^(?!\w+:\/\/)/, 'deb takes a path on the host; fetch a URL first (get_url)').optional(),
    default_release: z.string().min(1).optional(),
    'default-release': z.string().min(1).optional(),
    install_recommends: booleanArg.optional(),
    'install-recommends': booleanArg.optional(),
    force: booleanArg.default(false),
    upgrade: z.union([booleanArg, z.enum(['dist', 'full', 'safe'])]).transform((v) => (v === true ? 'yes' : v === false ? 'no' : v)).optional(),
    dpkg_options: z.string().default('force-confdef,force-confold'),
    autoremove: booleanArg.default(false),
    autoclean: booleanArg.default(false),
    clean: booleanArg.default(false),
    fail_on_autoremove: booleanArg.default(false),
    only_upgrade: booleanArg.default(false),
    force_apt_get: booleanArg.default(false),
    allow_unauthenticated: booleanArg.default(false),
    'allow-unauthenticated': booleanArg.optional(),
    allow_downgrade: booleanArg.default(false),
    'allow-downgrade': booleanArg.optional(),
    allow_downgrades: booleanArg.optional(),
    'allow-downgrades': booleanArg.optional(),
    allow_change_held_packages: booleanArg.default(false),
    lock_timeout: numberArg.pipe(z.number().int()).default(60),
  })
  .strict()
  .superRefine((args, refinement) => {
    const names = [args.name, args.package, args.pkg].filter((v) => v !== undefined);
    if (names.length > 1) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['name'], message: 'give name only once (package and pkg are its aliases)' });
    const exclusive = [names.length > 0 && 'name', args.deb !== undefined && 'deb', args.upgrade !== undefined && args.upgrade !== 'no' && 'upgrade'].filter(Boolean);
    if (exclusive.length > 1) refinement.addIssue({ code: z.ZodIssueCode.custom, message: `parameters are mutually exclusive: ${exclusive.join(', ')} (give one of name, deb, upgrade)` });
    const update = args.update_cache ?? args['update-cache'];
    if (names.length === 0 && args.deb === undefined && args.upgrade === undefined && update === undefined && !args.autoremove && !args.autoclean && !args.clean) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'one of the following is required: name, deb, upgrade, update_cache, autoremove' });
    }
    if (args.deb !== undefined && args.state !== 'present') refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['deb'], message: 'deb only supports state=present' });
    for (const spec of names.flat()) {
      if ((spec.match(/=/g) ?? []).length > 1) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['name'], message: `invalid package spec: ${spec}` });
    }
  })
  .transform((args) => ({
    names: args.name ?? args.package ?? args.pkg ?? [],
    state: args.state,
    // cache_valid_time given alone asks for a refresh too (Ansible since 2.4).
    updateCache: args.update_cache ?? args['update-cache'] ?? args.cache_valid_time > 0,
    cacheValidTime: args.cache_valid_time,
    updateCacheRetries: args.update_cache_retries,
    purge: args.purge,
    deb: args.deb,
    defaultRelease: args.default_release ?? args['default-release'],
    installRecommends: args.install_recommends ?? args['install-recommends'],
    force: args.force,
    upgrade: args.upgrade ?? 'no',
    dpkgOptions: args.dpkg_options.split(',').map((o) => o.trim()).filter(Boolean),
    autoremove: args.autoremove,
    autoclean: args.autoclean,
    clean: args.clean,
    onlyUpgrade: args.only_upgrade,
    allowUnauthenticated: args.allow_unauthenticated || Boolean(args['allow-unauthenticated']),
    allowDowngrade: args.allow_downgrade || Boolean(args['allow-downgrade'] ?? args.allow_downgrades ?? args['allow-downgrades']),
    allowChangeHeld: args.allow_change_held_packages,
    lockTimeout: args.lock_timeout,
  }));

export type AptArgs = z.infer<typeof aptArgs>;

interface PackageWanted {
  spec: string;
  name: string;
  version?: string;
}

export function parseSpec(spec: string): PackageWanted {
  const [nameArch, version] = spec.split('=');
  // name:arch is looked up by its name (dpkg-query ${Package} has no architecture).
  const name = nameArch!.replace(/:[a-z0-9]+$/, '');
  return { spec, name, ...(version !== undefined && version !== '' && { version }) };
}

/** An installed version matches a wanted one exactly, or by its prefix when it ends in * (Ansible's fnmatch). */
export function versionMatches(installed: string | undefined, wanted: string): boolean {
  if (installed === undefined) return false;
  if (wanted.endsWith('*')) return installed.startsWith(wanted.slice(0, -1));
  return installed === wanted;
}

/** apt-get with the options every change takes: no questions, dpkg's lock awaited, configuration kept. */
function aptGet(args: AptArgs, words: string[]): string {
  const options = [
    '-y', '-q', '-o', `DPkg::Lock::Timeout=${args.lockTimeout}`,
    ...args.dpkgOptions.flatMap((option) => ['-o', `Dpkg::Options::=--${option}`]),
  ];
  return `DEBIAN_FRONTEND=noninteractive ${quoteArgs(['apt-get', ...options, ...words])}`;
}

function installFlags(args: AptArgs): string[] {
  return [
    ...(args.installRecommends === true ? ['--install-recommends'] : args.installRecommends === false ? ['--no-install-recommends'] : []),
    ...(args.defaultRelease ? ['-t', args.defaultRelease] : []),
    ...(args.force ? ['--allow-downgrades', '--allow-remove-essential', '--allow-change-held-packages'] : []),
    ...(args.allowDowngrade && !args.force ? ['--allow-downgrades'] : []),
    ...(args.allowChangeHeld && !args.force ? ['--allow-change-held-packages'] : []),
    ...(args.allowUnauthenticated ? ['--allow-unauthenticated'] : []),
  ];
}

function aptStep(args: AptArgs, description: string, words: string[], id: string): CommandStep {
  return {
    kind: 'command', id, description, command: aptGet(args, words),
    display: `apt-get ${words.join(' ')}`,
    failMessage: `${description} failed`,
    // apt's own lines ("E: Unable to locate package ...", "E: Could not get lock ...") are what the user needs.
    failOutputLines: 8,
  };
}

/** A read-only rehearsal: apt-get -s prints Inst/Remv/Del lines for what it would do. */
async function simulate(ctx: ModuleContext, words: string[]): Promise<string[]> {
  const run = await ctx.probe(`${quoteArgs(['apt-get', '-s', '-q', ...words])} 2>&1`);
  if (run.exitCode !== 0) throw new Error(`apt-get -s ${words.join(' ')}: ${run.stdout.trim().split('\n').slice(-3).join(' ')}`);
  return run.stdout.split('\n').filter((line) => /^(Inst|Remv|Purg|Del) /.test(line));
}

export const apt = defineModule({
  name: 'apt',
  schema: aptArgs,
  async plan(ctx, args): Promise<Plan> {
    const wanted = args.names.map(parseSpec);
    const deb = args.deb ? await readDeb(ctx, args.deb) : undefined;
    if (typeof deb === 'string') return { steps: [], failed: deb };
    const names = [...new Set([...wanted.map((w) => w.name), ...(deb ? [deb.name] : [])])];
    const known: AptPackages = await ctx.fact(aptPackages, { names });

    const steps: Step[] = [];
    const result: Record<string, unknown> = { cache_updated: false };
    const refresh = args.updateCache && (args.cacheValidTime === 0 || known.listsAgeSeconds === undefined || known.listsAgeSeconds > args.cacheValidTime);
    const packageWork = wanted.length > 0 || deb !== undefined || args.upgrade !== 'no' || args.autoremove;
    if (refresh) {
      steps.push({
        // --error-on=any: a source that cannot be fetched fails the refresh, naming it, as
        // Ansible's apt fails; plain apt-get update only warns and installs from stale lists.
        ...aptStep(args, 'refresh the package lists', ['update', '--error-on=any'], 'update'),
        ...(packageWork && { countsAsChange: false as const }),
        retry: { whileOutputMatches: 'Temporary failure|Could not connect|Failed to fetch|Could not get lock', attempts: args.updateCacheRetries, delayMs: 2000 },
      });
      result.cache_updated = true;
    }

    try {
      if (args.state === 'absent') {
        const remove = wanted.filter(({ name, version }) => {
          const state = known.packages[name]!;
          if (state.installed !== undefined) return version === undefined || versionMatches(state.installed, version);
          return args.purge && state.status?.startsWith('rc') === true;
        }).map((w) => w.name);
        if (remove.length) {
          const verb = args.purge ? 'purge' : 'remove';
          steps.push(aptStep(args, `${verb} ${remove.join(' ')}`, [verb, ...(args.autoremove ? ['--auto-remove'] : []), ...remove], 'packages'));
        }
      } else if (args.state === 'build-dep') {
        if (wanted.length && (await simulate(ctx, ['build-dep', ...wanted.map((w) => w.spec)])).length) {
          steps.push(aptStep(args, `install the build dependencies of ${wanted.map((w) => w.name).join(' ')}`, ['build-dep', ...installFlags(args), ...wanted.map((w) => w.spec)], 'packages'));
        }
      } else {
        const install: string[] = [];
        for (const { spec, name, version } of wanted) {
          const state = known.packages[name]!;
          if (state.installed === undefined) {
            if (args.onlyUpgrade) continue;
            if (!state.known && !refresh) {
              return { steps: [], failed: `No package matching '${name}' is available (apt: Unable to locate package ${name}; give update_cache: true if the package lists are old)`, result };
            }
            install.push(spec);
          } else if (version !== undefined) {
            if (!versionMatches(state.installed, version)) install.push(spec);
          } else if (args.state === 'latest' && (refresh || (state.candidate !== undefined && state.candidate !== state.installed))) {
            install.push(spec);
          }
        }
        if (install.length) {
          const words = ['install', '--no-remove', ...installFlags(args), ...(args.onlyUpgrade ? ['--only-upgrade'] : []), ...(args.autoremove ? ['--auto-remove'] : []), ...install];
          steps.push(aptStep(args, `install ${install.join(' ')}`, words, 'packages'));
        }
        if (deb) {
          const installed = known.packages[deb.name]?.installed;
          if (args.force || installed !== deb.version) {
            steps.push(aptStep(args, `install ${deb.name} ${deb.version} from ${args.deb}`, ['install', ...installFlags(args), ...(args.force ? ['--reinstall'] : []), deb.path], 'packages'));
          }
        }
      }
      if (args.upgrade !== 'no') {
        const verb = args.upgrade === 'dist' || args.upgrade === 'full' ? 'dist-upgrade' : 'upgrade';
        const words = verb === 'upgrade' ? ['upgrade', '--with-new-pkgs'] : [verb];
        if (refresh || (await simulate(ctx, words)).length) steps.push(aptStep(args, `${verb} the installed packages`, [...words, ...installFlags(args)], 'upgrade'));
      }
      if (args.autoremove && wanted.length === 0 && (await simulate(ctx, ['autoremove', ...(args.purge ? ['--purge'] : [])])).length) {
        steps.push(aptStep(args, 'remove the packages no longer needed', ['autoremove', ...(args.purge ? ['--purge'] : [])], 'autoremove'));
      }
      if (args.autoclean && (await simulate(ctx, ['autoclean'])).length) steps.push(aptStep(args, 'remove obsolete downloaded packages', ['autoclean'], 'autoclean'));
      if (args.clean) steps.push(aptStep(args, 'clear the downloaded packages', ['clean'], 'clean'));
    } catch (error) {
      return { steps: [], failed: (error as Error).message, result };
    }
    return { steps, result };
  },
  finish(_args, outcomes) {
    const run = outcomes.byId('packages')?.run ?? outcomes.byId('upgrade')?.run ?? outcomes.byId('autoremove')?.run;
    const finished: Record<string, unknown> = {};
    if (outcomes.byId('update')) finished.cache_update_time = Math.floor(Date.now() / 1000);
    if (run) Object.assign(finished, { stdout: run.stdout, stderr: run.stderr, stdout_lines: run.stdout.split('\n').filter(Boolean) });
    return finished;
  },
});

/** A .deb's package name and version, or the reason it cannot be read. */
async function readDeb(ctx: ModuleContext, path: string): Promise<{ name: string; version: string; path: string } | string> {
  const run = await ctx.probe(`${quoteArgs(['dpkg-deb', '-f', path, 'Package', 'Version'])} 2>&1`);
  const name = /^Package:\s*(\S+)/m.exec(run.stdout)?.[1];
  const version = /^Version:\s*(\S+)/m.exec(run.stdout)?.[1];
  if (run.exitCode !== 0 || !name || !version) return `Unable to install package: ${path} is not a .deb dpkg can read: ${run.stdout.trim().split('\n').at(-1) ?? ''}`;
  // apt-get installs a file only when it is named with a path (./x.deb or /x.deb).
  return { name, version, path: path.includes('/') ? path : `./${path}` };
}
