/**
 * `service_facts`: the host's systemd services as the fact `services`, as
 * Ansible's service_facts: keyed by unit name ("docker.service"), each
 * {name, state, status, source: systemd}. `state` is running or stopped (from
 * the unit's SUB state), or the ActiveState of a unit systemd has not loaded;
 * `status` is the unit file's state (enabled, disabled, static...) unless the
 * unit is not-found, masked or failed. Both listings are read in one round
 * trip. Never changes anything.
 *
 * Kept different on purpose: Ansible asks `systemctl show` once per unit file
 * systemd has not loaded; swarmplay reads those units' ActiveState in the
 * same round trip (one `systemctl show` for all). Where systemd is not
 * PID 1, the init scripts `service --status-all` lists, as Ansible's
 * fallback reads them ({name, state, source: sysv}); upstart, openrc and
 * chkconfig are not read.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { factsPlan } from './module-facts.js';

const serviceFactsArgs = z.object({}).strict();

/** Unit states after which `status` says the state instead of the unit file's. */
const BAD_STATES = ['not-found', 'masked', 'failed'];

export interface ServiceFact {
  name: string;
  state: string;
  status: string;
  source: 'systemd';
}

const SEPARATOR = '--- unit files ---';
const SHOW_SEPARATOR = '--- show ---';

/**
 * systemd when it is PID 1 (as Ansible decides): both listings, then the
 * ActiveState of every unit file systemd has not loaded (list-units --all
 * shows the loaded ones). Else the init scripts `service --status-all`
 * lists. One round trip either way; the first line says which.
 */
const READ_SERVICES = [
  'if ! grep -q systemd /proc/1/comm 2>/dev/null; then',
  '  command -v service >/dev/null 2>&1 || { echo none; exit 0; }',
  '  echo sysv; service --status-all 2>/dev/null; exit 0',
  'fi',
  'echo systemd',
  'units=$(systemctl list-units --no-pager --type service --all) || exit 4',
  'files=$(systemctl list-unit-files --no-pager --type service --all) || exit 5',
  `printf '%s\\n${SEPARATOR}\\n%s\\n' "$units" "$files"`,
  'loaded=$(printf \'%s\\n\' "$units" | tr -d \'●*\' | awk \'$1 ~ /\\.service$/ {print $1}\')',
  'rest=$(printf \'%s\\n\' "$files" | awk \'$1 ~ /\\.service$/ {print $1}\' | grep -vxF -e "$loaded" -e "" | grep -v \'@\\.service$\')',
  `echo '${SHOW_SEPARATOR}'`,
  '[ -z "$rest" ] || systemctl show --property=Id,ActiveState $rest',
].join('\n');

export type SysvServiceFact = { name: string; state: string; source: 'sysv' };

/** `service --status-all`: "[ + ]  name" runs, "[ - ]" does not, "[ ? ]" cannot tell (left out, as Ansible does). */
export function parseStatusAll(output: string): Record<string, SysvServiceFact> {
  const services: Record<string, SysvServiceFact> = {};
  for (const match of output.matchAll(/^\s*\[ ([+-]) \]\s+(.+)$/gm)) {
    services[match[2]!] = { name: match[2]!, state: match[1] === '+' ? 'running' : 'stopped', source: 'sysv' };
  }
  return services;
}

/** Ansible's reading of `systemctl list-units --all`: a service line's fields, a leading mark and bad states moved out. */
export function parseListUnits(output: string, services: Record<string, ServiceFact> = {}): Record<string, ServiceFact> {
  for (const line of output.split('\n')) {
    if (!line.includes('.service')) continue;
    let fields = line.trim().split(/\s+/);
    let status: string;
    const bad = BAD_STATES.find((state) => fields.includes(state));
    if (bad !== undefined) {
      status = bad;
      // The mark systemd puts before a unit in a bad state ("●") is the first field then.
      if (!fields[0]!.endsWith('.service')) fields = fields.slice(1);
    } else {
      if (!fields[0]!.endsWith('.service')) fields = fields.slice(1);
      status = fields[2] ?? 'unknown';
    }
    const name = fields[0]!;
    if (!name.endsWith('.service')) continue;
    services[name] = { name, state: fields[3] === 'running' ? 'running' : 'stopped', status, source: 'systemd' };
  }
  return services;
}

/** `systemctl show --property=Id,ActiveState a b`: blocks of Key=value lines, one block a unit. */
function parseActiveStates(output: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const block of output.split(/\n\s*\n/)) {
    const id = /^Id=(.+)$/m.exec(block)?.[1];
    const state = /^ActiveState=(.*)$/m.exec(block)?.[1];
    if (id !== undefined) states.set(id.trim(), state?.trim() || 'unknown');
  }
  return states;
}

/** The unit files complete the listing: a loaded unit's status becomes its file's state, unless it is in a bad state. */
export function parseUnitFiles(output: string, services: Record<string, ServiceFact>, activeStates: Map<string, string>): Record<string, ServiceFact> {
  for (const line of output.split('\n')) {
    if (!line.includes('.service')) continue;
    const [name, status] = line.trim().split(/\s+/);
    if (name === undefined || status === undefined || !name.endsWith('.service')) continue;
    const known = services[name];
    if (known === undefined) services[name] = { name, state: activeStates.get(name) ?? 'unknown', status, source: 'systemd' };
    else if (!BAD_STATES.includes(known.status)) known.status = status;
  }
  return services;
}

/** The services from READ_SERVICES' output. */
export function parseServiceFacts(output: string): Record<string, ServiceFact> {
  const [listings = '', shown = ''] = output.split(`${SHOW_SEPARATOR}\n`);
  const [units = '', files = ''] = listings.split(`${SEPARATOR}\n`);
  return parseUnitFiles(files, parseListUnits(units), parseActiveStates(shown));
}

export const serviceFacts = defineModule({
  name: 'service_facts',
  schema: serviceFactsArgs,
  definesVariables: () => ['services'],
  async plan(ctx): Promise<Plan> {
    const run = await ctx.probe(READ_SERVICES);
    if (run.exitCode !== 0) {
      return { steps: [], failed: `reading systemd's services failed (exit ${run.exitCode}): ${(run.stderr || run.stdout).trim() || 'no output'}` };
    }
    const newline = run.stdout.indexOf('\n');
    const init = newline < 0 ? run.stdout.trim() : run.stdout.slice(0, newline);
    const rest = newline < 0 ? '' : run.stdout.slice(newline + 1);
    const services = init === 'systemd' ? parseServiceFacts(rest) : init === 'sysv' ? parseStatusAll(rest) : {};
    if (Object.keys(services).length === 0) {
      // Ansible's module skips the task then, with these words.
      return { steps: [], skipped: 'Failed to find any services. This can be due to privileges or some other configuration issue.' };
    }
    return factsPlan({ services });
  },
});
