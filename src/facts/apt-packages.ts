/**
 * `apt_packages`: what dpkg and apt know of some packages, in one round trip:
 * dpkg's status and installed version of each (`dpkg-query -W`), apt's
 * installed and candidate versions (`apt-cache policy`), and the age of the
 * package lists (the mtime of apt's update-success stamp, or of
 * /var/lib/apt/lists when there is none, as Ansible reads it). Unlike
 * Ansible, lists that were never fetched (a fresh host: no *_Packages file)
 * count as never refreshed, so cache_valid_time cannot skip their first fetch.
 */
import { quoteArgs } from '../transport/shell-quote.js';
import { defineFact } from './types.js';

export interface AptPackageState {
  /** dpkg's abbreviated status: "ii" installed, "rc" removed with its configuration left, "un" unknown... */
  status?: string;
  /** Installed version, when dpkg says the package is installed. */
  installed?: string;
  /** The version apt would install; undefined when apt knows no such package (or only a virtual one). */
  candidate?: string;
  /** apt knows the name (a real or virtual package). */
  known: boolean;
}

export interface AptPackages {
  packages: Record<string, AptPackageState>;
  /** Seconds since the lists were last refreshed; undefined when never. */
  listsAgeSeconds?: number;
}

const SECTION = '::swarmplay-apt::';

export function aptPackagesCommand(names: readonly string[]): string {
  const query = names.length
    ? [
      `${quoteArgs(['dpkg-query', '-W', '-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n', '--', ...names])} 2>/dev/null`,
      `echo ${SECTION}policy`,
      `${quoteArgs(['apt-cache', 'policy', '--', ...names])} 2>/dev/null`,
    ]
    : [`echo ${SECTION}policy`];
  return [
    `echo ${SECTION}dpkg`,
    ...query,
    `echo ${SECTION}stamp`,
    // Lists never fetched (only lock and partial/ there) count as never refreshed, whatever the folder's mtime says.
    'if ls /var/lib/apt/lists/ 2>/dev/null | grep -q _Packages; then { stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null; }; fi; date +%s',
    'exit 0',
  ].join('\n');
}

function sections(output: string): Map<string, string> {
  const found = new Map<string, string>();
  let current: string | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith(SECTION)) {
      current = line.slice(SECTION.length).trim();
      found.set(current, '');
    } else if (current !== undefined) {
      found.set(current, `${found.get(current)}${line}\n`);
    }
  }
  return found;
}

/** Parses the three sections: dpkg lines, apt-cache policy blocks, the stamp and now. */
export function parseAptPackages(output: string, names: readonly string[]): AptPackages {
  const parts = sections(output);
  const packages: Record<string, AptPackageState> = Object.fromEntries(names.map((name) => [name, { known: false }]));
  for (const line of (parts.get('dpkg') ?? '').split('\n')) {
    const [name, status, version] = line.split('\t');
    if (!name || !status || !packages[name]) continue;
    const state = packages[name]!;
    state.status = status.trim();
    // "ii", "iU", "iF", "hi"...: the second letter says installed/half-installed; only "i" counts.
    if (state.status[1] === 'i' && version) state.installed = version;
  }
  let current: AptPackageState | undefined;
  for (const line of (parts.get('policy') ?? '').split('\n')) {
    const header = /^(\S+):$/.exec(line);
    if (header) {
      current = packages[header[1]!.replace(/:[a-z0-9]+$/, '')] ?? packages[header[1]!];
      if (current) current.known = true;
      continue;
    }
    const candidate = /^\s+Candidate:\s+(\S+)/.exec(line);
    if (candidate && current && candidate[1] !== '(none)') current.candidate = candidate[1];
  }
  const numbers = (parts.get('stamp') ?? '').split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l)).map(Number);
  const listsAgeSeconds = numbers.length >= 2 ? Math.max(0, numbers[1]! - numbers[0]!) : undefined;
  return { packages, ...(listsAgeSeconds !== undefined && { listsAgeSeconds }) };
}

export const aptPackages = defineFact<{ names: string[] }, AptPackages>({
  name: 'apt_packages',
  command: ({ names }) => aptPackagesCommand(names),
  parse: (result, { names }) => parseAptPackages(result.stdout, names),
});
