/**
 * `package_facts`: the host's installed packages as the fact `packages`, as
 * Ansible's package_facts: each name maps to a list (one entry per installed
 * architecture or version) of {name, version, arch, source} with, for apt,
 * `category` (the package's section) and `origin`, and for rpm `release` and
 * `epoch`. Read in one round trip with dpkg-query or rpm, whichever the host
 * has (`manager` picks one). Never changes anything.
 *
 * Kept different on purpose: apt's `origin` (the archive a package came
 * from) needs apt's cache per package; swarmplay leaves it "" (what Ansible
 * reports for a package installed from a local .deb).
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { factsPlan } from './module-facts.js';

const packageFactsArgs = z
  .object({
    manager: z.union([z.string(), z.array(z.string())]).transform((value) => (Array.isArray(value) ? value : [value]))
      .pipe(z.array(z.enum(['auto', 'apt', 'rpm']))).default(['auto']),
    strategy: z.enum(['first', 'all']).default('first'),
  })
  .strict();

const DPKG = "dpkg-query -W -f='${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${Architecture}\\t${Section}\\n'";
const RPM = "rpm -qa --qf '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{EPOCH}\\t%{ARCH}\\n'";

type PackageEntry = Record<string, string | number | null>;

function add(packages: Record<string, PackageEntry[]>, entry: PackageEntry): void {
  (packages[entry.name as string] ??= []).push(entry);
}

/** dpkg-query's lines: installed packages only (status ii, hi...). */
export function parseDpkgPackages(output: string, packages: Record<string, PackageEntry[]> = {}): Record<string, PackageEntry[]> {
  for (const line of output.split('\n')) {
    const [status, name, version, arch, section] = line.split('\t');
    if (!name || !status || status[1] !== 'i') continue;
    add(packages, { name, version: version ?? '', arch: arch ?? '', category: section ?? '', origin: '', source: 'apt' });
  }
  return packages;
}

export function parseRpmPackages(output: string, packages: Record<string, PackageEntry[]> = {}): Record<string, PackageEntry[]> {
  for (const line of output.split('\n')) {
    const [name, version, release, epoch, arch] = line.split('\t');
    if (!name) continue;
    add(packages, { name, version: version ?? '', release: release ?? '', epoch: epoch === undefined || epoch === '(none)' ? null : Number(epoch), arch: arch ?? '', source: 'rpm' });
  }
  return packages;
}

export const packageFacts = defineModule({
  name: 'package_facts',
  schema: packageFactsArgs,
  definesVariables: () => ['packages'],
  async plan(ctx, args): Promise<Plan> {
    const managers = args.manager.includes('auto') ? ['apt', 'rpm'] : args.manager;
    const packages: Record<string, PackageEntry[]> = {};
    const found: string[] = [];
    for (const manager of managers) {
      const run = await ctx.probe(`command -v ${manager === 'apt' ? 'dpkg-query' : 'rpm'} >/dev/null 2>&1 || exit 127; ${manager === 'apt' ? DPKG : RPM}`);
      if (run.exitCode === 127) continue;
      if (run.exitCode !== 0) return { steps: [], failed: `reading the ${manager} packages failed: ${(run.stderr || run.stdout).trim()}` };
      if (manager === 'apt') parseDpkgPackages(run.stdout, packages);
      else parseRpmPackages(run.stdout, packages);
      found.push(manager);
      if (args.strategy === 'first') break;
    }
    if (found.length === 0) {
      return { steps: [], failed: `Could not detect a supported package manager from the following list: ${managers.join(', ')}, or the required Python library is not installed. Check warnings for details.` };
    }
    return factsPlan({ packages });
  },
});
