/**
 * `community.docker.docker_login` (also `docker_login`): registry credentials
 * in the docker client's config file, as theirs, with `docker login
 * --password-stdin` (the password goes on standard input: never in a command
 * line, a process list or any output) and `docker logout`.
 *
 * Idempotent as theirs (community.docker 3.4's LoginManager): the config
 * file (`config_path`, default ~/.docker/config.json of the SSH user) is
 * read on the controller and the stored credentials compared in memory. The
 * same user and password stored is ok without asking the registry (theirs
 * returns the stored entry then too); another password or user logs in
 * again, which the registry checks; `reauthorize` logs in on every run and
 * reports changed. Returns `login_result` (serveraddress and username).
 * Differences: under --check theirs still asks the registry (a wrong new
 * password fails there), this only reports the login it would make. A
 * config that keeps credentials in a helper (credsStore) is refused by name.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan, type Step } from '../types.js';
import { booleanArg } from '../argument-types.js';
import { quoteArgs } from '../../transport/shell-quote.js';
import { asObject, asString } from '../../facts/docker-json.js';
import { checkMapped, notTaken } from './collection-arguments.js';

const NAME = 'community.docker.docker_login';
const DOCKER_HUB = 'https://index.docker.io/v1/';
const DEFAULT_CONFIG = '~/.docker/config.json';

const dockerLoginShape = z
  .object({
    registry_url: z.string().min(1).optional(),
    registry: z.string().min(1).optional(),
    url: z.string().min(1).optional(),
    username: z.string().min(1).nullish(),
    password: z.string().nullish(),
    reauthorize: booleanArg.optional(),
    reauth: booleanArg.optional(),
    state: z.enum(['present', 'absent']).default('present'),
    config_path: z.string().min(1).optional(),
    dockercfg_path: z.string().min(1).optional(),
    ...notTaken(NAME, []),
  })
  .strict();

type LoginArgs = z.infer<typeof dockerLoginShape>;

/** Their arguments with aliases resolved and defaults applied. */
function resolved(args: LoginArgs) {
  return {
    registry: args.registry_url ?? args.registry ?? args.url ?? DOCKER_HUB,
    reauthorize: args.reauthorize ?? args.reauth ?? false,
    configPath: args.config_path ?? args.dockercfg_path ?? DEFAULT_CONFIG,
  };
}

const dockerLoginArgs = dockerLoginShape.superRefine((args, refinement) => {
  const once = (names: (keyof LoginArgs)[]) => {
    if (names.filter((name) => args[name] !== undefined).length > 1) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: [names[1]!], message: `give ${names[0]} once (${names.slice(1).join(', ')} ${names.length > 2 ? 'are its aliases' : 'is its alias'})` });
    }
  };
  once(['registry_url', 'registry', 'url']);
  once(['reauthorize', 'reauth']);
  once(['config_path', 'dockercfg_path']);
  if (args.state === 'present') {
    for (const key of ['username', 'password'] as const) {
      if (args[key] == null) refinement.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: 'is required with state present' });
    }
  }
  checkMapped(refinement, () => resolved(args));
});

/** The keys docker may have stored the registry's entry under: as given, and as the host name newer clients use. */
export function registryKeys(registry: string): string[] {
  if (registry === DOCKER_HUB) return [DOCKER_HUB];
  const host = registry.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return [...new Set([registry, host, `https://${host}`, `http://${host}`])];
}

/** The stored user of the registry, and whether the stored secret is the given password (compared here, never shown). */
export function storedLogin(config: Record<string, unknown>, registry: string, username: string, password: string): { present: boolean; same: boolean } {
  const auths = asObject(config.auths);
  const key = registryKeys(registry).find((candidate) => Object.hasOwn(auths, candidate));
  if (key === undefined) return { present: false, same: false };
  const auth = Buffer.from(asString(asObject(auths[key]).auth), 'base64').toString('utf8');
  return { present: true, same: auth === `${username}:${password}` };
}

function dockerWords(configPath: string, home: string): string[] {
  if (configPath === DEFAULT_CONFIG) return ['docker'];
  // docker --config takes the folder that holds config.json.
  return ['docker', '--config', configPath.replace(/^~(?=\/|$)/, home).replace(/\/config\.json$/, '')];
}

export const dockerLogin = defineModule({
  name: NAME,
  schema: dockerLoginArgs,
  secretArgs: ['password'],
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const { registry, reauthorize, configPath } = resolved(args);
    const home = (await ctx.probe('printf %s "$HOME"')).stdout;
    const path = configPath.replace(/^~(?=\/|$)/, home);
    const text = await ctx.readFile(path);
    let config: Record<string, unknown> = {};
    if (text !== null) {
      try {
        config = asObject(JSON.parse(text.toString('utf8')));
      } catch {
        return { steps: [], failed: `${path} on ${ctx.host} is not JSON: fix or remove it` };
      }
    }
    if (typeof config.credsStore === 'string' || Object.hasOwn(asObject(config.credHelpers), registryKeys(registry).at(-1)!)) {
      return { steps: [], failed: `${path} on ${ctx.host} keeps credentials in a credential helper, which swarmplay does not read: remove credsStore/credHelpers or log in by hand` };
    }
    const docker = dockerWords(configPath, home);
    const stored = storedLogin(config, registry, args.username ?? '', args.password ?? '');
    if (args.state === 'absent') {
      const steps: Step[] = stored.present ? [{ kind: 'command', description: `docker logout ${registry}`, command: quoteArgs([...docker, 'logout', registry]) }] : [];
      return { steps, result: {} };
    }
    const result = { login_result: { serveraddress: registry, username: args.username } };
    if (stored.same && !reauthorize) return { steps: [], result };
    return {
      steps: [{
        kind: 'command',
        description: `docker login ${registry} as ${args.username}`,
        command: quoteArgs([...docker, 'login', '--username', args.username!, '--password-stdin', registry]),
        stdin: args.password!,
        failMessage: `logging into ${registry} as ${args.username} failed on ${ctx.host}`,
      }],
      result,
    };
  },
});
