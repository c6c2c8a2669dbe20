/**
 * `rpm_packages`: what rpm and dnf (or yum) know of some packages, in one
 * round trip: the installed version of each (`rpm -q --qf`), what the
 * repositories offer that is not installed (`list --available`) and the
 * newer versions of installed ones (`list --upgrades`).
 */
import { quoteArgs } from '../transport/shell-quote.js';
import { defineFact } from './types.js';

export interface RpmPackageState {
  /** EPOCH:VERSION-RELEASE of the installed package. */
  installed?: string;
  /** A repository offers it (to install or as an upgrade). */
  available: boolean;
  /** A newer version than the installed one is offered. */
  upgrade?: string;
}

const SECTION = '::swarmplay-rpm::';

export function rpmPackagesCommand(tool: 'dnf' | 'yum', names: readonly string[]): string {
  return [
    `echo ${SECTION}installed`,
    `${quoteArgs(['rpm', '-q', '--qf', '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\n', '--', ...names])} 2>/dev/null`,
    `echo ${SECTION}available`,
    `${quoteArgs([tool, '-q', 'list', '--available', '--', ...names])} 2>/dev/null`,
    `echo ${SECTION}upgrades`,
    `${quoteArgs([tool, '-q', 'list', '--upgrades', '--', ...names])} 2>/dev/null`,
    'exit 0',
  ].join('\n');
}

/** `dnf list` lines: "NAME.ARCH   VERSION-RELEASE   REPO", after a header line. */
function listed(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(\S+)\.(\w+)\s+(\S+)\s+\S+/.exec(line);
    if (match && !/^(Available|Installed|Last)/.test(line)) found.set(match[1]!, match[3]!);
  }
  return found;
}

export function parseRpmPackages(output: string, names: readonly string[]): Record<string, RpmPackageState> {
  const parts = new Map<string, string>();
  let current: string | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith(SECTION)) parts.set((current = line.slice(SECTION.length).trim()), '');
    else if (current !== undefined) parts.set(current, `${parts.get(current)}${line}\n`);
  }
  const installed = new Map<string, string>();
  for (const line of (parts.get('installed') ?? '').split('\n')) {
    // "package foo is not installed" has no tabs.
    const [name, version] = line.split('\t');
    if (name && version) installed.set(name, version.replace(/^0:/, ''));
  }
  const available = listed(parts.get('available') ?? '');
  const upgrades = listed(parts.get('upgrades') ?? '');
  return Object.fromEntries(names.map((name) => [name, {
    ...(installed.has(name) && { installed: installed.get(name) }),
    available: available.has(name) || upgrades.has(name),
    ...(upgrades.has(name) && { upgrade: upgrades.get(name) }),
  }]));
}

export const rpmPackages = defineFact<{ tool: 'dnf' | 'yum'; names: string[] }, Record<string, RpmPackageState>>({
  name: 'rpm_packages',
  command: ({ tool, names }) => rpmPackagesCommand(tool, names),
  parse: (result, { names }) => parseRpmPackages(result.stdout, names),
});
