/**
 * The prepare step: everything a run checks before it connects, in one
 * place, for every caller. It loads the playbook and the inventory once and
 * checks, in this order:
 *
 * - the playbook: YAML syntax, keywords, modules and their arguments,
 *   expressions (the loader);
 * - the inventory: syntax, groups, variables (the loader);
 * - variables used but defined nowhere (undefined-variables.ts), when the
 *   vars_files names are known before the run;
 * - template and copy source files on the controller, connection variables,
 *   each play's host pattern (static-checks.ts);
 * - the --limit pattern.
 *
 * The first problem is thrown as a SwarmplayError naming file:line:column:
 * bad input, exit 5, and no host contacted. What it returns is the only
 * thing a PlaybookRun accepts, so no caller can start a run unchecked.
 */
import type { Playbook } from '../language/playbook.js';
import type { RunSettings } from './playbook-run.js';
import { loadPlaybook, type ModuleCatalog } from '../language/playbook-loader.js';
import { loadInventory, type Inventory, type LoadInventoryOptions } from '../language/inventory.js';
import { selectHosts } from '../language/host-patterns.js';
import { checkUndefinedVariables } from '../language/undefined-variables.js';
import { checkConnectionVars, checkControllerFiles, checkHostPatterns } from './static-checks.js';
import { loadVarsFiles } from './vars-files.js';
import { Redactor } from './redactor.js';
import { answerPrompts } from './vars-prompt.js';
import { applyVaultAccess, type VaultAccess } from '../vault/vaulted-value.js';

/** Secrets that ride in inventory variables. */
const SECRET_VARS = ['ansible_password', 'ansible_ssh_pass', 'ansible_become_password', 'ansible_become_pass', 'swarmplay_password'];

declare const checked: unique symbol;

/** A playbook and inventory, loaded once and checked: made only by prepareRun(). */
export interface PreparedRun {
  readonly settings: RunSettings;
  readonly playbook: Playbook;
  readonly inventory: Inventory;
  /** Knows the inventory's secrets and the default password; errors and events pass through it. */
  readonly redactor: Redactor;
  /** The modules the playbook was checked against; undefined: the registry of src/modules/index.ts. */
  readonly modules?: ModuleCatalog;
  /** The hosts --limit allows; undefined without --limit. */
  readonly limitHosts?: ReadonlySet<string>;
  readonly [checked]: true;
}

export interface PrepareOptions {
  /**
   * Learns the secrets as soon as the inventory is read, so that the caller
   * can redact an error thrown by a later check. Default: a new one.
   */
  redactor?: Redactor;
  /** The modules playbooks may name; default the registry of src/modules/index.ts. */
  modules?: ModuleCatalog;
  /** The loaders; tests substitute them (to count reads, or to give a catalog of stand-in modules). */
  loadPlaybook?: (file: string) => Promise<Playbook>;
  loadInventory?: (file: string | readonly string[], options: LoadInventoryOptions) => Promise<Inventory>;
}

const prepared = new WeakSet<object>();

/** True for what prepareRun() returned (PlaybookRun refuses anything else). */
export function isPreparedRun(value: unknown): value is PreparedRun {
  return typeof value === 'object' && value !== null && prepared.has(value);
}

/** Loads the playbook and inventory once and runs every check that needs no host. */
export async function prepareRun(settings: RunSettings, options: PrepareOptions = {}): Promise<PreparedRun> {
  const redactor = options.redactor ?? new Redactor();
  // Every value decrypted from now on is a secret the redactor knows.
  const vault: VaultAccess = { keyring: settings.vault };
  if (settings.vault) {
    settings.vault.secrets.forEach((s) => redactor.add(s.password.toString('utf8')));
    settings.vault.revealedSoFar().forEach((s) => redactor.add(s));
    settings.vault.onReveal = (s) => redactor.add(s);
  }
  const playbook = await (options.loadPlaybook ?? ((file) => loadPlaybook(file, { modules: options.modules, rolesPath: settings.rolesPath, vault })))(settings.playbookPath);
  for (const answer of await answerPrompts(playbook, settings.extraVars)) redactor.add(answer);
  // Inline !vault values of the playbook (play, block and task vars, arguments) are decrypted once, here.
  applyVaultAccess(playbook, vault, { file: playbook.file, line: 1, column: 1 });
  const inventory = await (options.loadInventory ?? loadInventory)(settings.inventoryPaths ?? settings.inventoryPath, { playbookDir: playbook.dir, vault });
  for (const host of inventory.hostNames()) {
    const vars = inventory.hostVars(host);
    for (const name of SECRET_VARS) redactor.add(vars[name]);
  }
  redactor.add(settings.defaultPassword);

  const varsFilesKeys: string[] = [];
  let varsFilesKnown = true;
  for (const play of playbook.plays) {
    if (play.varsFiles.some((f) => String(f).includes('{{'))) {
      varsFilesKnown = false; // names they define cannot be known before the run
      continue;
    }
    varsFilesKeys.push(...Object.keys(await loadVarsFiles(play, playbook.dir, {}, vault)));
  }
  if (varsFilesKnown) checkUndefinedVariables(playbook, inventory, settings.extraVars, varsFilesKeys);

  await checkControllerFiles(playbook);
  await checkConnectionVars(inventory);
  await checkHostPatterns(playbook, inventory);
  const limitHosts = !settings.limit ? undefined : new Set(selectHosts(inventory, 'all', settings.limit).hosts);

  const run = { settings, playbook, inventory, redactor, modules: options.modules, limitHosts } as PreparedRun;
  prepared.add(run);
  return run;
}
