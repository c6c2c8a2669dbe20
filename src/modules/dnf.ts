/**
 * `dnf` and `yum`: RPM packages, as Ansible's dnf and yum modules, through
 * the tool itself. What is installed, available and upgradable comes in one
 * round trip (`rpm_packages` fact); the plan holds only the commands needed:
 * present/installed installs what is missing, latest also upgrades what has
 * a newer version, absent/removed removes what is installed. A name no
 * repository offers fails before anything is installed ("No package NAME
 * available."). update_cache refreshes the metadata first (`makecache`),
 * not counted as a change beside package work. enablerepo/disablerepo,
 * exclude, disable_gpg_check, install_weak_deps, allow_downgrade,
 * autoremove, update_only and conf_file become the tool's own options.
 * Names are package names (globs and `name-version` specs are passed on but
 * compared by exact name).
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step, type ModuleDefinition } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { booleanArg, numberArg } from './argument-types.js';
import { rpmPackages } from '../facts/rpm-packages.js';
import { packageListArg } from './apt.js';

const listArg = z.union([z.string(), z.array(z.string())]).transform((value) => (Array.isArray(value) ? value : value.split(',')).map((v) => v.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^-\s][^\s]*$/, 'a name, no spaces or leading "-"')));

const dnfArgs = z
  .object({
    name: packageListArg.optional(),
    pkg: packageListArg.optional(),
    state: z.enum(['absent', 'installed', 'latest', 'present', 'removed']).optional(),
    update_cache: booleanArg.optional(),
    'expire-cache': booleanArg.optional(),
    enablerepo: listArg.default([]),
    disablerepo: listArg.default([]),
    exclude: listArg.default([]),
    conf_file: z.string().regex(/^\//, 'an absolute path').optional(),
    disable_gpg_check: booleanArg.default(false),
    install_weak_deps: booleanArg.default(true),
    allow_downgrade: booleanArg.default(false),
    autoremove: booleanArg.default(false),
    update_only: booleanArg.default(false),
    security: booleanArg.default(false),
    bugfix: booleanArg.default(false),
    skip_broken: booleanArg.default(false),
    lock_timeout: numberArg.pipe(z.number().int()).default(30),
    validate_certs: booleanArg.default(true),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.name !== undefined && args.pkg !== undefined) refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['name'], message: 'give name only once (pkg is its alias)' });
    if (args.name === undefined && args.pkg === undefined && args.update_cache === undefined && args['expire-cache'] === undefined && !args.autoremove) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'one of the following is required: name, list, update_cache' });
    }
  })
  .transform(({ pkg, 'expire-cache': expire, ...args }) => ({
    ...args,
    names: args.name ?? pkg ?? [],
    // Ansible: state defaults to present, or absent with autoremove and no name.
    state: args.state === 'installed' ? 'present' : args.state === 'removed' ? 'absent' : args.state ?? (args.autoremove && !(args.name ?? pkg) ? 'absent' : 'present'),
    updateCache: args.update_cache ?? expire ?? false,
  }));

export type DnfArgs = z.infer<typeof dnfArgs>;

function options(args: DnfArgs): string[] {
  return [
    ...args.enablerepo.map((repo) => `--enablerepo=${repo}`),
    ...args.disablerepo.map((repo) => `--disablerepo=${repo}`),
    ...args.exclude.map((name) => `--exclude=${name}`),
    ...(args.conf_file ? ['-c', args.conf_file] : []),
    ...(args.disable_gpg_check ? ['--nogpgcheck'] : []),
    ...(!args.install_weak_deps ? ['--setopt=install_weak_deps=False'] : []),
    ...(args.security ? ['--security'] : []),
    ...(args.bugfix ? ['--bugfix'] : []),
    ...(args.skip_broken ? ['--skip-broken'] : []),
  ];
}

function definePackageTool(tool: 'dnf' | 'yum'): ModuleDefinition<typeof dnfArgs> {
  const step = (args: DnfArgs, description: string, words: string[], id: string): Step => ({
    kind: 'command', id, description, command: quoteArgs([tool, '-y', ...options(args), ...words]),
    failMessage: `${description} failed`, failOutputLines: 8,
  });
  return defineModule({
    name: tool,
    schema: dnfArgs,
    async plan(ctx, args): Promise<Plan> {
      const steps: Step[] = [];
      const result: Record<string, unknown> = { results: [] as string[] };
      if (args.updateCache) {
        steps.push({ ...step(args, 'refresh the repository metadata', ['makecache'], 'makecache'), ...(args.names.length && { countsAsChange: false as const }) });
      }
      if (args.names.length === 0) {
        if (args.autoremove) steps.push(step(args, 'remove the packages no longer needed', ['autoremove'], 'packages'));
        return { steps, result };
      }
      const known = await ctx.fact(rpmPackages, { tool, names: args.names });
      if (args.state === 'absent') {
        const remove = args.names.filter((name) => known[name]?.installed !== undefined);
        if (remove.length) steps.push(step(args, `remove ${remove.join(' ')}`, ['remove', ...remove], 'packages'));
        return { steps, result: { ...result, results: remove.map((name) => `Removed: ${name}`) } };
      }
      const missing = args.names.filter((name) => known[name]?.installed === undefined);
      const unknown = missing.filter((name) => !known[name]?.available);
      if (unknown.length && !args.updateCache) {
        return { steps: [], failed: `Failed to install some of the specified packages: ${unknown.map((name) => `No package ${name} available.`).join(' ')}`, result: { ...result, failures: unknown.map((name) => `No package ${name} available.`) } };
      }
      const install = args.update_only ? [] : missing;
      const upgrade = args.state === 'latest' ? args.names.filter((name) => known[name]?.installed !== undefined && known[name]?.upgrade !== undefined) : [];
      if (install.length) steps.push(step(args, `install ${install.join(' ')}`, ['install', ...install], 'packages'));
      if (upgrade.length) steps.push(step(args, `upgrade ${upgrade.join(' ')}`, ['upgrade', ...upgrade], 'upgrade'));
      return { steps, result: { ...result, results: [...install.map((name) => `Installed: ${name}`), ...upgrade.map((name) => `Upgraded: ${name}`)] } };
    },
    finish(_args, outcomes) {
      const run = outcomes.byId('packages')?.run ?? outcomes.byId('upgrade')?.run;
      return run ? { rc: run.exitCode, msg: '' } : {};
    },
  });
}

export const dnf = definePackageTool('dnf');
export const yum = definePackageTool('yum');
