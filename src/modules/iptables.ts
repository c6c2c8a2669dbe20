/**
 * `iptables`: one rule in a chain (or a chain's policy), as Ansible's
 * iptables module: `iptables -C` says whether the rule is there (read-only,
 * so --check is exact), `-A`/`-I` adds it (`action: insert`, `rule_num`),
 * `-D` removes it; `policy` is read from `iptables -S CHAIN` and set with -P.
 * The rule's words are built in Ansible's order from the same arguments
 * (protocol, source, destination, match, jump, interfaces, ports,
 * destination_ports with multiport, ctstate with conntrack, comment).
 * Rules are not saved across reboots, as with Ansible's module (use
 * iptables-save/netfilter-persistent for that). ip_version ipv6 uses ip6tables.
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { booleanArg, numberArg } from './argument-types.js';
import { quoteArgs } from '../transport/shell-quote.js';

const word = z.union([z.string().min(1), z.number()]).transform(String);
const listArg = z.union([word, z.array(word)]).transform((value) => (Array.isArray(value) ? value : [value]));

const iptablesArgs = z
  .object({
    table: z.enum(['filter', 'nat', 'mangle', 'raw', 'security']).default('filter'),
    state: z.enum(['present', 'absent']).default('present'),
    action: z.enum(['append', 'insert']).default('append'),
    rule_num: numberArg.pipe(z.number().int().positive()).optional(),
    ip_version: z.enum(['ipv4', 'ipv6']).default('ipv4'),
    chain: z.string().min(1).optional(),
    protocol: z.string().min(1).optional(),
    source: z.string().min(1).optional(),
    destination: z.string().min(1).optional(),
    match: listArg.default([]),
    jump: z.string().min(1).optional(),
    in_interface: z.string().min(1).optional(),
    out_interface: z.string().min(1).optional(),
    source_port: word.optional(),
    destination_port: word.optional(),
    destination_ports: listArg.default([]),
    ctstate: listArg.default([]),
    reject_with: z.string().min(1).optional(),
    comment: z.string().min(1).optional(),
    policy: z.enum(['ACCEPT', 'DROP', 'QUEUE', 'RETURN']).optional(),
    wait: numberArg.optional(),
    flush: booleanArg.default(false),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.policy !== undefined && args.flush) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'parameters are mutually exclusive: flush|policy' });
    }
    if ((args.policy !== undefined || args.flush) && (args.jump !== undefined || args.protocol !== undefined || args.destination_port !== undefined)) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'policy and flush act on a whole chain: give no rule arguments with them' });
    }
    if (args.policy !== undefined && args.chain === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['chain'], message: 'policy needs chain' });
    }
    if (!args.flush && args.policy === undefined && args.chain === undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['chain'], message: 'chain is required for a rule (INPUT, OUTPUT, FORWARD, or your own)' });
    }
    if ((args.destination_port !== undefined || args.source_port !== undefined || args.destination_ports.length > 0) && !['tcp', 'udp', 'sctp', 'dccp'].includes(args.protocol ?? '')) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['protocol'], message: 'ports need protocol tcp, udp, sctp or dccp' });
    }
    if (args.rule_num !== undefined && args.action !== 'insert') {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['rule_num'], message: 'rule_num is only for action: insert' });
    }
  });

export type IptablesArgs = z.infer<typeof iptablesArgs>;

/** The rule's words after the chain, in Ansible's order. */
export function ruleWords(args: IptablesArgs): string[] {
  const words: string[] = [];
  const param = (flag: string, value: string | undefined) => { if (value !== undefined) words.push(flag, value); };
  param('-p', args.protocol);
  param('-s', args.source);
  param('-d', args.destination);
  for (const match of args.match) words.push('-m', match);
  param('-j', args.jump);
  param('-i', args.in_interface);
  param('-o', args.out_interface);
  param('--source-port', args.source_port);
  param('--destination-port', args.destination_port);
  if (args.destination_ports.length > 0) words.push('-m', 'multiport', '--dports', args.destination_ports.join(','));
  if (args.ctstate.length > 0) words.push('-m', 'conntrack', '--ctstate', args.ctstate.join(','));
  if (args.comment !== undefined) words.push('-m', 'comment', '--comment', args.comment);
  param('--reject-with', args.reject_with);
  return words;
}

function program(args: IptablesArgs): string[] {
  return [args.ip_version === 'ipv6' ? 'ip6tables' : 'iptables', ...(args.wait !== undefined ? ['-w', String(args.wait)] : []), '-t', args.table];
}

/** "-P INPUT ACCEPT" from `iptables -S INPUT`, or undefined. */
export function parsePolicy(output: string, chain: string): string | undefined {
  return new RegExp(`^-P ${chain.replace(/[^\w-]/g, '\\$&')} (\\S+)$`, 'm').exec(output)?.[1];
}

export const iptables = defineModule({
  name: 'iptables',
  schema: iptablesArgs,
  async plan(ctx, args): Promise<Plan> {
    const base = program(args);
    const result: Record<string, unknown> = { table: args.table, chain: args.chain ?? null, ip_version: args.ip_version, state: args.state, flush: args.flush, rule: '' };
    const failed = (what: string, run: { stderr: string; stdout: string; exitCode: number }) =>
      `${what}: ${(run.stderr || run.stdout).trim().split('\n')[0] || `exit ${run.exitCode}`}`;

    if (args.flush) {
      const list = await ctx.probe(quoteArgs([...base, '-S', ...(args.chain ? [args.chain] : [])]));
      if (list.exitCode !== 0) return { steps: [], result, failed: failed(`cannot list table ${args.table}`, list) };
      const hasRules = list.stdout.split('\n').some((line) => line.startsWith('-A '));
      const command = [...base, '-F', ...(args.chain ? [args.chain] : [])];
      return { steps: hasRules ? [{ kind: 'command', description: `flush ${args.chain ?? `table ${args.table}`}`, command: quoteArgs(command) }] : [], result };
    }
    const chain = args.chain!;
    if (args.policy !== undefined) {
      const list = await ctx.probe(quoteArgs([...base, '-S', chain]));
      if (list.exitCode !== 0) return { steps: [], result, failed: failed(`cannot read chain ${chain}`, list) };
      const policy = parsePolicy(list.stdout, chain);
      if (policy === undefined) return { steps: [], result, failed: `chain ${chain} has no policy (only built-in chains have one)` };
      const steps: Step[] = policy === args.policy ? [] : [{ kind: 'command', description: `set policy ${args.policy} on ${chain}`, command: quoteArgs([...base, '-P', chain, args.policy]) }];
      return { steps, result: { ...result, policy: args.policy } };
    }
    const rule = ruleWords(args);
    result.rule = quoteArgs(rule);
    const check = await ctx.probe(quoteArgs([...base, '-C', chain, ...rule]));
    // -C: 0 present, 1 absent; 2 and others: a bad rule or a missing chain/table/binary.
    if (check.exitCode !== 0 && check.exitCode !== 1) return { steps: [], result, failed: failed(`cannot check the rule in ${chain}`, check) };
    const present = check.exitCode === 0;
    if (args.state === 'present' && !present) {
      const add = args.action === 'insert' ? ['-I', chain, ...(args.rule_num !== undefined ? [String(args.rule_num)] : [])] : ['-A', chain];
      return { steps: [{ kind: 'command', description: `${args.action} rule to ${chain}`, command: quoteArgs([...base, ...add, ...rule]) }], result };
    }
    if (args.state === 'absent' && present) {
      return { steps: [{ kind: 'command', description: `delete rule from ${chain}`, command: quoteArgs([...base, '-D', chain, ...rule]) }], result };
    }
    return { steps: [], result };
  },
});
