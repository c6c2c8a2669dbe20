/**
 * `ufw` (community.general.ufw): enables or disables ufw, sets default
 * policies, and adds or deletes rules, deciding each from ufw itself without
 * changing anything: `ufw status verbose` for the state and the default
 * policies, `ufw --dry-run <rule>` for a rule, whose rule lines are compared
 * with the current ones as Ansible's module compares them (see
 * ruleChangesRules). The rule
 * is written in ufw's full syntax in the order Ansible's module builds it:
 * `ufw [route] [delete] [insert N] RULE [in|out] [on IF] [log] from FROM
 * [port P] to TO [port P] [proto PROTO] [app NAME] [comment C]`. Ansible's
 * aliases are taken (from/src, to/dest, if, app, port, protocol, policy);
 * `logging` sets ufw's log level (read from the `Logging:` line). Outputs in the module
 * cases are ufw 0.36's.
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { booleanArg, numberArg } from './argument-types.js';
import { quoteArgs } from '../transport/shell-quote.js';

const port = z.union([z.string().regex(/^[\d:,]+$/, 'expected a port, a range 6000:6010 or a list 80,443'), z.number().int()]).transform(String);

const ufwArgs = z
  .object({
    state: z.enum(['enabled', 'disabled', 'reloaded', 'reset']).optional(),
    default: z.enum(['allow', 'deny', 'reject']).optional(),
    policy: z.enum(['allow', 'deny', 'reject']).optional(),
    direction: z.enum(['in', 'out', 'incoming', 'outgoing', 'routed']).optional(),
    rule: z.enum(['allow', 'deny', 'limit', 'reject']).optional(),
    interface: z.string().min(1).optional(),
    if: z.string().min(1).optional(),
    logging: z.union([z.enum(['on', 'off', 'low', 'medium', 'high', 'full']), z.boolean()])
      .transform((value) => (value === true ? 'on' : value === false ? 'off' : value)).optional(),
    name: z.string().min(1).optional(),
    app: z.string().min(1).optional(),
    log: booleanArg.default(false),
    from_ip: z.string().min(1).optional(),
    from: z.string().min(1).optional(),
    src: z.string().min(1).optional(),
    from_port: port.optional(),
    to_ip: z.string().min(1).optional(),
    to: z.string().min(1).optional(),
    dest: z.string().min(1).optional(),
    to_port: port.optional(),
    port: port.optional(),
    proto: z.enum(['any', 'tcp', 'udp', 'ipv6', 'esp', 'ah', 'gre', 'igmp']).optional(),
    protocol: z.enum(['any', 'tcp', 'udp', 'ipv6', 'esp', 'ah', 'gre', 'igmp']).optional(),
    comment: z.string().min(1).optional(),
    delete: booleanArg.default(false),
    insert: numberArg.pipe(z.number().int().positive()).optional(),
    route: booleanArg.default(false),
  })
  .strict()
  .superRefine((args, refinement) => {
    const issue = (message: string) => refinement.addIssue({ code: z.ZodIssueCode.custom, message });
    if (args.default !== undefined && args.policy !== undefined) issue('give default only once (policy is its alias)');
    if (args.to_port !== undefined && args.port !== undefined) issue('give to_port only once (port is its alias)');
    if (args.proto !== undefined && args.protocol !== undefined) issue('give proto only once (protocol is its alias)');
    const once = (name: string, values: unknown[], aliases: string) => {
      if (values.filter((value) => value !== undefined).length > 1) issue(`give ${name} only once (${aliases})`);
    };
    once('from_ip', [args.from_ip, args.from, args.src], 'from and src are its aliases');
    once('to_ip', [args.to_ip, args.to, args.dest], 'to and dest are its aliases');
    once('interface', [args.interface, args.if], 'if is its alias');
    once('name', [args.name, args.app], 'app is its alias');
    if ([args.name ?? args.app, args.proto ?? args.protocol, args.logging].filter((value) => value !== undefined).length > 1) {
      issue('parameters are mutually exclusive: name|proto|logging');
    }
    if (args.state === undefined && args.default === undefined && args.policy === undefined && args.rule === undefined && args.logging === undefined) {
      issue('one of state, default (policy), rule or logging is required');
    }
    if ((args.default !== undefined || args.policy !== undefined) && args.rule !== undefined) issue('parameters are mutually exclusive: policy|rule');
    if ((args.default !== undefined || args.policy !== undefined) && args.direction === undefined) issue('default needs direction (incoming, outgoing or routed)');
  })
  .transform(({ policy, port: toPortAlias, protocol, from, src, to, dest, if: interfaceAlias, app, ...args }) => ({
    ...args,
    from_ip: args.from_ip ?? from ?? src ?? 'any',
    to_ip: args.to_ip ?? to ?? dest ?? 'any',
    interface: args.interface ?? interfaceAlias,
    name: args.name ?? app,
    default: args.default ?? policy,
    to_port: args.to_port ?? toPortAlias,
    proto: args.proto ?? protocol,
  }));

export type UfwArgs = z.infer<typeof ufwArgs>;

/** The rule's words after `ufw` (no --dry-run), in Ansible's order. */
export function ruleWords(args: UfwArgs): string[] {
  const words: string[] = [];
  if (args.route) words.push('route');
  if (args.delete) words.push('delete');
  if (args.insert !== undefined && !args.delete) words.push('insert', String(args.insert));
  words.push(args.rule!);
  if (args.direction === 'in' || args.direction === 'out') words.push(args.direction);
  if (args.interface !== undefined) words.push('on', args.interface);
  if (args.log) words.push('log');
  words.push('from', args.from_ip);
  if (args.from_port !== undefined) words.push('port', args.from_port);
  words.push('to', args.to_ip);
  if (args.to_port !== undefined) words.push('port', args.to_port);
  if (args.proto !== undefined && args.proto !== 'any') words.push('proto', args.proto);
  if (args.name !== undefined) words.push('app', args.name);
  if (args.comment !== undefined) words.push('comment', args.comment);
  return words;
}

/** `Default: deny (incoming), allow (outgoing), disabled (routed)` -> { incoming: deny, ... }. */
export function parseDefaults(verbose: string): Record<string, string> {
  const line = /^Default: (.*)$/m.exec(verbose)?.[1] ?? '';
  return Object.fromEntries([...line.matchAll(/(\w+) \((\w+)\)/g)].map(([, policy, direction]) => [direction!, policy!]));
}

/** Where ufw keeps its rules on the systems Ansible's module knows; `grep -h` of their tuple lines is the current rule set. */
const USER_RULES = ['/lib/ufw/user.rules', '/lib/ufw/user6.rules', '/etc/ufw/user.rules', '/etc/ufw/user6.rules', '/var/lib/ufw/user.rules', '/var/lib/ufw/user6.rules'];
const CURRENT_RULES = `grep -h '^### tuple' ${USER_RULES.join(' ')}`;
const IPV4 = /((25[0-5]|(2[0-4]|1?[0-9])?[0-9])\.){3}(25[0-5]|(2[0-4]|1?[0-9])?[0-9])/;
// Two or more colon groups ("::/0", "2001:db8::1"); a port range "8000:8010" has one.
const IPV6 = /(^|[^0-9a-fA-F:])([0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}/;

const tupleLines = (text: string) => text.split('\n').filter((line) => line.startsWith('### tuple'));

/**
 * Whether a rule changes ufw's rules, decided as Ansible's module decides it without changing anything: a dry
 * run that only says "Skipping ..." changes nothing; otherwise the tuple lines the dry run would write are
 * compared with the current ones, only the IPv4 (or IPv6) ones when the rule's from or to address is one, since
 * the dry run then prints that family's file alone. (A delete of a rule that is not there prints the rules as
 * they are.)
 */
export function ruleChangesRules(dryRun: string, currentRules: string, args: Pick<UfwArgs, 'from_ip' | 'to_ip'>): boolean {
  const lines = dryRun.split('\n').filter((line) => line.trim());
  if (lines.length > 0 && lines.every((line) => line.includes('Skipping'))) return false;
  const family = [args.from_ip, args.to_ip].some((ip) => IPV4.exec(ip)?.index === 0) ? IPV4
    : [args.from_ip, args.to_ip].some((ip) => IPV6.exec(ip)?.index === 0) ? IPV6 : undefined;
  const select = (text: string) => tupleLines(text).filter((line) => !family || family.test(line)).join('\n');
  return select(dryRun) !== select(currentRules);
}

const DIRECTION: Record<string, string> = { in: 'incoming', incoming: 'incoming', out: 'outgoing', outgoing: 'outgoing', routed: 'routed' };

export const ufw = defineModule({
  name: 'ufw',
  schema: ufwArgs,
  async plan(ctx, args): Promise<Plan> {
    const status = await ctx.probe('ufw status verbose');
    if (status.exitCode === 127) return { steps: [], failed: 'ufw is not installed on the host (no ufw command)' };
    if (status.exitCode !== 0) return { steps: [], failed: `ufw status failed: ${(status.stderr || status.stdout).trim()}` };
    const active = /^Status: active/m.test(status.stdout);
    const steps: Step[] = [];
    const command = (description: string, words: string[]): Step => ({ kind: 'command', description, command: quoteArgs(['ufw', ...words]) });

    if (args.default !== undefined) {
      const direction = DIRECTION[args.direction!]!;
      // ufw status verbose shows the defaults only while active; inactive, the change is always made.
      const current = active ? parseDefaults(status.stdout)[direction] : undefined;
      if (current !== args.default) steps.push(command(`default ${args.default} ${direction}`, ['default', args.default, direction]));
    }
    if (args.rule !== undefined) {
      const words = ruleWords(args);
      const [dryRun, current] = await Promise.all([ctx.probe(quoteArgs(['ufw', '--dry-run', ...words])), ctx.probe(CURRENT_RULES)]);
      const said = `${dryRun.stdout}\n${dryRun.stderr}`;
      if (dryRun.exitCode !== 0 && !/non-existent rule/.test(said)) return { steps: [], failed: `ufw refused the rule: ${said.trim().split('\n').pop()}` };
      const nothingToDo = /Could not delete non-existent rule/.test(said) || !ruleChangesRules(dryRun.stdout, current.stdout, args);
      if (!nothingToDo) steps.push(command(`${args.delete ? 'delete' : 'add'} rule: ${words.join(' ')}`, words));
    }
    if (args.logging !== undefined) {
      // `Logging: on (low)` / `Logging: off`: ufw logging on means low.
      const current = /^Logging: (\w+)(?: \((\w+)\))?/m.exec(status.stdout);
      const level = current ? (current[1] === 'off' ? 'off' : current[2] ?? 'low') : undefined;
      const wanted = args.logging === 'on' ? 'low' : args.logging;
      if (level !== wanted) steps.push(command(`logging ${args.logging}`, ['logging', args.logging]));
    }
    if (args.state === 'enabled' && !active) steps.push(command('enable ufw', ['--force', 'enable']));
    if (args.state === 'disabled' && active) steps.push(command('disable ufw', ['disable']));
    if (args.state === 'reloaded') steps.push(command('reload ufw', ['reload']));
    if (args.state === 'reset') steps.push(command('reset ufw', ['--force', 'reset']));
    return { steps, result: { status: status.stdout.split('\n')[0]?.replace(/^Status: /, '') } };
  },
});
