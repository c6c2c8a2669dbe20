/** `swarmplay run` and `swarmplay check`. */
import path from 'node:path';
import type { Command } from 'commander';
import { SwarmplayError, EXIT } from '../errors.js';
import type { PlaybookRun, RunSettings } from '../runner/playbook-run.js';
import type { RunLock } from '../runner/run-lock.js';
import type { Redactor } from '../runner/redactor.js';
import { addConnectionOptions, connectionSettingsFrom, defaultPassword, positiveInt, type ConnectionFlags } from './connection-options.js';
import { addInventoryOption, inventorySources } from './inventory-option.js';
import { addVaultOptions, vaultKeyringFor, type VaultFlags } from './vault-options.js';
import { loadAnsibleConfig, type AnsibleConfig } from '../config/ansible-config.js';

export { DEFAULT_INVENTORY } from './inventory-option.js';

interface RunFlags extends ConnectionFlags, VaultFlags {
  inventory: string[];
  limit?: string;
  tags: string[];
  skipTags: string[];
  check?: boolean;
  diff?: boolean;
  forks?: string;
  extraVars: string[];
  startAtTask?: string;
  json?: boolean;
  verbose: number;
  waitLock?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const collectList = (value: string, previous: string[]): string[] => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
const count = (_: string, previous: number): number => previous + 1;

/**
 * What a run or check needs beyond commander: loaded when the command runs, so that
 * `--version`, `--help` and the other commands start without the runner, the
 * playbook language and the SSH transport.
 */
async function loadRunner() {
  return { ...(await import('./runner-imports.js')) };
}
type Runner = Awaited<ReturnType<typeof loadRunner>>;

/** The run's settings: the command line over ansible.cfg and the ANSIBLE_* environment. */
export async function settingsFrom(
  { expandFailedLimit, parseExtraVars }: Runner, playbookPath: string, flags: RunFlags, config: AnsibleConfig, defaultPassword?: string,
): Promise<RunSettings> {
  const inventoryPaths = inventorySources(flags.inventory, config);
  const forks = flags.forks === undefined ? config.forks : positiveInt(flags.forks, '--forks');
  if (forks !== undefined && forks < 1) throw new SwarmplayError('BAD_OPTION', `forks ${forks} in ${config.file ?? 'ANSIBLE_FORKS'}: expected at least 1`);
  return {
    playbookPath,
    inventoryPath: inventoryPaths[0]!,
    inventoryPaths,
    limit: flags.limit === undefined ? undefined : expandFailedLimit(flags.limit, playbookPath),
    tags: flags.tags,
    skipTags: flags.skipTags,
    checkMode: Boolean(flags.check),
    diffMode: Boolean(flags.diff),
    forks,
    extraVars: parseExtraVars(flags.extraVars),
    startAtTask: flags.startAtTask,
    vault: await vaultKeyringFor(flags, config),
    rolesPath: config.rolesPath,
    ...(await connectionSettingsFrom(flags, defaultPassword, config)),
  };
}

/** With -v: which ansible.cfg is read (as Ansible says it) and, once, the settings in it swarmplay does not need. */
function reportConfig(config: AnsibleConfig, verbose: number): void {
  for (const warning of config.warnings) process.stderr.write(`[WARNING]: ${warning}\n`);
  if (verbose < 1 || !config.file) return;
  process.stderr.write(`Using ${config.file} as config file\n`);
  if (config.unused.length > 0) {
    process.stderr.write(`Accepted from ${config.file}, not needed by swarmplay:\n${config.unused.map((u) => `  ${u}\n`).join('')}`);
  }
}

/**
 * Live progress needs a terminal that says how wide it is: with no width (a pty
 * nobody sized, a serial console) the spinner's line arithmetic never ends, and
 * TERM=dumb cannot move the cursor. Those get the plain lines pipes get.
 */
export function drawsLive(output: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(output.isTTY) && (output.columns ?? 0) > 0 && !env.CI && env.TERM !== 'dumb';
}

async function pickReporter(flags: RunFlags): Promise<{ onEvent: (e: never) => void; close(): Promise<void> }> {
  if (flags.json) return new (await import('../reporters/json.js')).JsonReporter();
  if (drawsLive(process.stdout, process.env)) {
    // listr2 and ora are loaded only for a terminal: pipes and CI start faster without them.
    const { InteractiveReporter } = await import('../reporters/interactive.js');
    return new InteractiveReporter(flags.verbose > 0);
  }
  return new (await import('../reporters/plain.js')).PlainReporter(undefined, flags.verbose > 0);
}

/** stderr, so that --json keeps stdout pure JSON lines. */
function reportRetryFile(retryFile: string | null): void {
  if (retryFile) process.stderr.write(`to retry the failed and unreachable hosts, use: --limit @${retryFile} (or --limit @failed)\n`);
}

async function runPlaybook(playbookPath: string, flags: RunFlags): Promise<number> {
  const runner = await loadRunner();
  const { prepareRun, acquireRunLock, updateRetryFile, redactSecretAssignments, saveLastRun } = runner;
  const redactor: Redactor = new runner.Redactor();
  let config: AnsibleConfig;
  let password: string | undefined;
  let settings: RunSettings;
  try {
    config = loadAnsibleConfig();
    reportConfig(config, flags.verbose);
    password = await defaultPassword(flags, config);
    settings = await settingsFrom(runner, playbookPath, flags, config, password);
  } catch (error) {
    if (error instanceof SwarmplayError) {
      process.stderr.write(`ERROR: ${redactSecretAssignments(error.format())}\n`);
      return error.exitCode;
    }
    throw error;
  }
  const reporter = await pickReporter(flags);
  let run: PlaybookRun | undefined;
  let lock: RunLock | undefined;
  let running = false;
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    // Before any host is touched (loading, waiting for the lock) there is nothing to stop: leave at once.
    if (interrupts > 1 || !running || !run) process.exit(EXIT.INTERRUPTED);
    process.stderr.write('\nInterrupted: stopping running commands and closing connections (again to quit at once)\n');
    run.interrupt();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    redactor.add(settings.hostDefaults?.becomePassword);
    // Bad input is reported before waiting on another run's lock, and before any connection.
    const prepared = await prepareRun(settings, { redactor });
    run = new runner.PlaybookRun(prepared, reporter.onEvent as never);
    lock = await acquireRunLock(settings.inventoryPath, {
      playbook: playbookPath,
      wait: Boolean(flags.waitLock),
      onWait: (owner) => process.stderr.write(
        `Waiting for the run that holds the inventory's lock to finish (pid ${owner.pid}, playbook ${owner.playbook})...\n`),
    });
    running = true;
    const startedAt = new Date().toISOString();
    const outcome = await run.run();
    await reporter.close();
    await saveLastRun(settings.inventoryPath, {
      playbook: path.resolve(playbookPath), startedAt, finishedAt: new Date().toISOString(),
      exitCode: outcome.exitCode, checkMode: settings.checkMode, recap: outcome.recap,
    }).catch((error: Error) => process.stderr.write(`[WARNING]: cannot record the run for swarmplay ui: ${error.message}\n`));
    // An interrupted run says nothing about which hosts are fine: the retry file stays as it was.
    if (outcome.exitCode !== EXIT.INTERRUPTED) reportRetryFile(await updateRetryFile(playbookPath, outcome.recap).catch(
      (error: Error) => { process.stderr.write(`[WARNING]: cannot write the retry file: ${error.message}\n`); return null; }));
    return outcome.exitCode;
  } catch (error) {
    await reporter.close();
    if (error instanceof SwarmplayError) {
      const text = redactSecretAssignments(redactor.redactText(error.format()));
      process.stderr.write(`ERROR: ${text}\n`);
      return error.exitCode;
    }
    throw error;
  } finally {
    // The signal handlers stay: a Ctrl-C while the process winds down still exits 99, not 130.
    lock?.release();
  }
}

function addRunOptions(cmd: Command): Command {
  return addVaultOptions(addInventoryOption(cmd))
    .option('-l, --limit <pattern>', 'further limit the hosts (a pattern, or @file of host names)')
    .option('-e, --extra-vars <vars>', 'k=v pairs, a JSON/YAML mapping, or @file (repeatable)', collect, [])
    .option('-t, --tags <tags>', 'only run tasks with these tags (comma separated, repeatable)', collectList, [])
    .option('--skip-tags <tags>', 'skip tasks with these tags', collectList, []);
}

export function registerRunCommands(program: Command): void {
  const runCommand = addRunOptions(program.command('run').argument('<playbook>', 'playbook file (YAML)'))
    .description('run a playbook against the inventory')
    .option('-C, --check', 'report what would change, change nothing')
    .option('-D, --diff', 'show unified diffs of changed files')
    .option('-f, --forks <n>', 'hosts worked on at once (default: every host of the batch, at most 50)')
    .option('--start-at-task <name>', 'start at the task with this name')
    .option('--json', 'one JSON object per line for each event')
    .option('-v, --verbose', 'more output (repeatable)', count, 0);
  addConnectionOptions(runCommand)
    .option('--wait-lock', 'if another run holds this inventory, wait for it instead of refusing')
    .action(async (playbook: string, flags: RunFlags) => {
      process.exitCode = await runPlaybook(playbook, flags);
    });

  addRunOptions(program.command('check').argument('<playbook>', 'playbook file (YAML)'))
    .description('check syntax, modules, arguments and inventory without connecting to any host')
    .action(async (playbook: string, flags: RunFlags) => {
      const runner = await loadRunner();
      const { prepareRun, redactSecretAssignments } = runner;
      const redactor = new runner.Redactor();
      try {
        const config = loadAnsibleConfig();
        const { playbook: loaded } = await prepareRun(await settingsFrom(runner, playbook, { ...flags, verbose: 0 }, config), { redactor });
        process.stdout.write(`${loaded.file}: ${loaded.plays.length} play(s), syntax and arguments OK\n`);
        for (const warning of loaded.warnings ?? []) process.stderr.write(`[WARNING]: ${warning}\n`);
        process.exitCode = EXIT.OK;
      } catch (error) {
        if (error instanceof SwarmplayError) {
          process.stderr.write(`ERROR: ${redactSecretAssignments(redactor.redactText(error.format()))}\n`);
          process.exitCode = error.exitCode;
          return;
        }
        throw error;
      }
    });
}
