/**
 * `docker_daemon`: dockerd's systemd unit from templates/docker.service.hbs,
 * as the walkthrough's hand edit of docker.service (`ExecStart=/usr/bin/dockerd -H
 * unix:// --insecure-registry 192.168.20.6:5000`), then daemon-reload,
 * restart docker, and wait until the daemon answers: only when the unit
 * changed, or when the running daemon does not have the registries asked for
 * (a unit written by an earlier run that stopped before the restart).
 *
 * Rendering: the template is compiled here with Handlebars (strict, no HTML
 * escaping) with this module's own data, not the play's variables, so the
 * unit depends only on the arguments and on the dockerd path found on the
 * host: dockerd_path, hosts, insecure_registries, extra_flags,
 * containerd_socket. Every value is checked to be one unit-file word (no
 * whitespace, quotes or '%'/'$' expansions) before rendering.
 *
 * Never a stopped docker because of a bad unit: before anything is written,
 * /etc/docker/daemon.json is read and a key it shares with a flag of the
 * unit fails the task (dockerd refuses to start when a directive is set both
 * ways); when the restart with the new unit fails anyway, the previous unit
 * is put back, docker restarted with it, and the task fails saying so.
 */
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineModule, type Compensation, type Step, type ModuleContext, type Plan } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { controllerFileCandidates, findControllerFile } from './copy.js';
import { dockerInfo, type DockerInfo } from '../facts/docker-info.js';
import { FactError } from '../facts/types.js';

/** One word of an ExecStart line: systemd would split at whitespace and expand %, $ and quotes. */
const unitWord = z.string().min(1).regex(/^[^\s"'\\%$;]+$/, 'must be one word without spaces, quotes, \\, %, $ or ;');
/** host:port, host, or a CIDR, as dockerd's --insecure-registry takes. */
const registryAddress = unitWord.regex(/^[A-Za-z0-9.\-:[\]/]+$/, 'expected host:port or a CIDR, like 192.168.20.6:5000');

const dockerDaemonArgs = z
  .object({
    insecure_registries: z.array(registryAddress).default([]),
    /** More dockerd flags, each one word (`--log-level=warn`). */
    extra_flags: z.array(unitWord.regex(/^-/, 'a flag starts with -')).default([]),
    /** -H values; the walkthrough's unix:// is dockerd's default socket. */
    hosts: z.array(unitWord).min(1).default(['unix://']),
    /** A running containerd's socket; unset: dockerd starts its own. */
    containerd_socket: unitWord.optional(),
    dest: z.string().min(1).default('/etc/systemd/system/docker.service'),
    template: z.string().min(1).default('docker.service.hbs'),
    /** Default: `command -v dockerd` on the host. */
    dockerd_path: unitWord.regex(/^\//, 'an absolute path').optional(),
    daemon_json: z.string().min(1).default('/etc/docker/daemon.json'),
    /** Seconds to wait for the daemon to answer after a restart. */
    timeout: z.number().int().positive().default(60),
  })
  .strict();

export type DockerDaemonArgs = z.infer<typeof dockerDaemonArgs>;

/** daemon.json keys whose name is not the flag's. */
const FLAG_TO_DAEMON_JSON_KEY: Readonly<Record<string, string>> = {
  H: 'hosts', host: 'hosts', 'insecure-registry': 'insecure-registries', 'registry-mirror': 'registry-mirrors',
  label: 'labels', 'storage-opt': 'storage-opts', 'log-opt': 'log-opts', 'exec-opt': 'exec-opts',
  'default-ulimit': 'default-ulimits', 'add-runtime': 'runtimes', 'dns-opt': 'dns-opts', 'dns-search': 'dns-search',
  'authorization-plugin': 'authorization-plugins', 'allow-nondistributable-artifacts': 'allow-nondistributable-artifacts',
  'cluster-store-opt': 'cluster-store-opts', 'node-generic-resource': 'node-generic-resources',
};

/** The daemon.json keys the rendered flags also set. */
export function conflictingDaemonJsonKeys(flags: string[], daemonJson: Record<string, unknown>): string[] {
  const keys = new Set<string>();
  for (const flag of flags) {
    const name = /^--?([A-Za-z0-9-]+)/.exec(flag)?.[1];
    if (!name) continue;
    for (const key of [FLAG_TO_DAEMON_JSON_KEY[name], name]) {
      if (key && Object.hasOwn(daemonJson, key)) keys.add(key);
    }
  }
  return [...keys].sort();
}

/** The package's own templates folder, for when the playbook folder has no docker.service.hbs. */
function packageTemplatesDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'swarmplay') {
      return path.join(dir, 'templates');
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export interface UnitData {
  dockerd_path: string;
  hosts: string[];
  insecure_registries: string[];
  extra_flags: string[];
  containerd_socket?: string;
}

/** Renders the unit template with the module's data; strict: a misspelt name is an error, not an empty string. */
export async function renderUnit(source: string, file: string, data: UnitData): Promise<string> {
  // Imported here, not at the top: only this task's plan needs Handlebars, not every run that loads the modules.
  const { default: handlebars } = await import('handlebars');
  try {
    return handlebars.compile(source, { strict: true, noEscape: true })({ containerd_socket: undefined, ...data });
  } catch (error) {
    throw new Error(`cannot render ${file}: ${(error as Error).message}`);
  }
}

/** The flags the unit passes to dockerd, for the daemon.json check. */
function unitFlags(data: UnitData): string[] {
  return [
    ...data.hosts.map(() => '-H'),
    ...(data.containerd_socket ? ['--containerd'] : []),
    ...data.insecure_registries.map(() => '--insecure-registry'),
    ...data.extra_flags,
  ];
}

async function findTemplate(ctx: ModuleContext, template: string): Promise<string | { error: string }> {
  const candidates = controllerFileCandidates(ctx.searchDirs, template, 'templates');
  if (!path.isAbsolute(template)) {
    candidates.push(path.resolve(ctx.playbookDir, '..', 'templates', template));
    const own = packageTemplatesDir();
    if (own) candidates.push(path.join(own, template));
  }
  const found = await findControllerFile(candidates);
  return found ? found.file : { error: `could not find template ${template} (looked in ${candidates.join(', ')})` };
}

const RESTART = 'systemctl daemon-reload && systemctl restart docker';

/** daemon-reload and restart, then wait until `docker info` answers; `failedAs` heads each failure. */
function restartSteps(timeout: number, failedAs: string, onFailure?: Compensation): Step[] {
  return [
    {
      kind: 'command',
      description: 'daemon-reload and restart docker',
      command: RESTART,
      timeoutMs: (timeout + 30) * 1000,
      failMessage: `${failedAs}systemctl restart docker failed`,
      ...(onFailure && { onFailure }),
    },
    {
      kind: 'wait',
      id: 'docker_answers',
      description: 'wait until docker answers',
      condition: 'command_succeeds',
      args: { command: 'docker info', timeoutMessage: `${failedAs}docker did not answer within ${timeout} s after the restart` },
      intervalMs: 1000,
      timeoutMs: timeout * 1000,
      waitingFor: 'docker to answer',
      ...(onFailure && { onFailure }),
    },
  ];
}

/** The last lines of `systemctl status docker`, added to the failure message (never fails). */
const STATUS_STEP: Step = {
  kind: 'command',
  description: 'show the end of systemctl status docker',
  command: 'systemctl status docker 2>&1 | tail -n 15',
  okExitCodes: 'any',
};

/**
 * Writes the unit and restarts docker. When the restart or the wait fails:
 * the status is shown, `previous` put back (null: there was no file, it is
 * removed), docker restarted with it and waited for; the task fails saying so.
 */
function installUnitSteps(dest: string, unit: string, previous: Buffer | null, timeout: number): Step[] {
  const restore: Step = previous !== null
    ? { kind: 'write', description: `put the previous ${dest} back`, path: dest, content: previous, mode: '0644' }
    : { kind: 'command', description: `remove the new ${dest}`, command: quoteArgs(['rm', '-f', '--', dest]) };
  const onFailure: Compensation = {
    steps: [STATUS_STEP, restore, ...restartSteps(timeout, '')],
    whenDone: 'The previous unit was restored and docker runs again with it.',
    whenFailed: 'Restoring the previous unit did not bring docker back either (see above).',
  };
  return [
    { kind: 'write', description: `write ${dest}`, path: dest, content: unit, mode: '0644' },
    ...restartSteps(timeout, `docker did not start with the new ${dest}: `, onFailure),
  ];
}

/** The unit is right but the daemon runs without its flags: restart only; a failure shows the status. */
function restartOnlySteps(timeout: number): Step[] {
  return restartSteps(timeout, '', { steps: [STATUS_STEP] });
}

export const dockerDaemon = defineModule({
  name: 'docker_daemon',
  schema: dockerDaemonArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const plan = await planUnit(ctx, args);
    if (args.insecure_registries.length) plan.warnings = [insecureRegistryWarning(args.insecure_registries)];
    return plan;
  },
  finish(_args, outcomes) {
    return outcomes.byId('docker_answers')?.waited ? { restarted: true } : {};
  },
});

async function planUnit(ctx: ModuleContext, args: z.infer<typeof dockerDaemonArgs>): Promise<Plan> {
    let dockerdPath = args.dockerd_path;
    if (!dockerdPath) {
      const found = await ctx.probe('command -v dockerd');
      dockerdPath = found.stdout.trim().split('\n')[0];
      if (found.exitCode !== 0 || !dockerdPath || !unitWord.safeParse(dockerdPath).success) {
        return { steps: [], failed: `dockerd is not installed on ${ctx.host} (command -v dockerd found nothing): install docker first` };
      }
    }
    const template = await findTemplate(ctx, args.template);
    if (typeof template !== 'string') return { steps: [], failed: template.error };
    const data: UnitData = {
      dockerd_path: dockerdPath,
      hosts: args.hosts,
      insecure_registries: args.insecure_registries,
      extra_flags: args.extra_flags,
      ...(args.containerd_socket && { containerd_socket: args.containerd_socket }),
    };
    const unit = await renderUnit(await readFile(template, 'utf8'), template, data);
    const execStart = unit.split('\n').find((line) => line.startsWith('ExecStart='));
    if (!execStart || !execStart.includes(dockerdPath)) {
      return { steps: [], failed: `${template} renders no ExecStart= line running ${dockerdPath}: check the template` };
    }

    const daemonJsonText = await ctx.readFile(args.daemon_json);
    if (daemonJsonText !== null && daemonJsonText.toString('utf8').trim() !== '') {
      let daemonJson: Record<string, unknown>;
      try {
        daemonJson = JSON.parse(daemonJsonText.toString('utf8')) as Record<string, unknown>;
      } catch (error) {
        return { steps: [], failed: `${args.daemon_json} on ${ctx.host} is not valid JSON (${(error as Error).message}): dockerd would not start; fix it first` };
      }
      const conflicts = conflictingDaemonJsonKeys(unitFlags(data), daemonJson);
      if (conflicts.length > 0) {
        return {
          steps: [],
          failed: `${args.daemon_json} on ${ctx.host} sets ${conflicts.join(', ')}, which the unit also passes as flags: dockerd refuses to start when a directive is set both ways. Remove ${conflicts.length > 1 ? 'them' : 'it'} from ${args.daemon_json} or from the module's arguments; nothing was changed`,
        };
      }
    }

    const current = await ctx.readFile(args.dest);
    const result = { dest: args.dest, dockerd_path: dockerdPath, insecure_registries: args.insecure_registries, exec_start: execStart };
    if (current === null || current.toString('utf8') !== unit) {
      return {
        steps: installUnitSteps(args.dest, unit, current, args.timeout),
        diffs: [{ path: args.dest, before: current?.toString('utf8') ?? '', after: unit }],
        result,
      };
    }
    let info: DockerInfo | undefined;
    try {
      info = await ctx.fact(dockerInfo, {});
    } catch (error) {
      // Missing or not answering: a restart with the right unit is the cure either way.
      if (!(error instanceof FactError)) throw error;
      info = undefined;
    }
    const missing = info ? args.insecure_registries.filter((r) => !info!.insecureRegistries.includes(r)) : args.insecure_registries;
    if (!info || missing.length > 0) {
      return {
        steps: restartOnlySteps(args.timeout),
        msg: info ? `docker runs without --insecure-registry ${missing.join(', ')}` : `docker does not answer on ${ctx.host}`,
        result,
      };
    }
    return { steps: [], result };
}

/** The walkthrough accepts plain-HTTP registries for a lab; the user hears it once, with the addresses. */
function insecureRegistryWarning(registries: string[]): string {
  return `docker.service trusts ${registries.join(', ')} as an insecure registry (plain HTTP, no TLS, no authentication): ` +
    'anyone on the network can read and replace its images. Fine for a lab, as in the walkthrough; give it TLS for anything else.';
}
