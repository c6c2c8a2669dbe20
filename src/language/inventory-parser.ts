/**
 * A YAML inventory read into the builder, as ansible-core's yaml inventory
 * plugin does (2.14): groups with hosts, children and vars, host ranges
 * expanded. Where Ansible warns and guesses, this is BAD_INVENTORY at the
 * file:line:column (see inventory.ts).
 */
import { isAlias, isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { SwarmplayError, snippetAt, type SourceLocation } from '../errors.js';
import { expandHostRange } from './host-ranges.js';
import { parseAddress } from './host-patterns.js';
import { didYouMean } from './suggest.js';
import type { ParsedYaml } from './vars-dirs.js';
import type { GroupRecord, InventoryBuilder } from './inventory-builder.js';

const GROUP_SECTIONS = ['hosts', 'children', 'vars'] as const;

export function looksLikeIni(source: string): boolean {
  return /^\s*\[[^\]]+\]\s*$/m.test(source);
}

export class InventoryParser {
  constructor(
    private readonly yaml: ParsedYaml,
    private readonly builder: InventoryBuilder,
  ) {}

  at(node: Node | null | undefined): SourceLocation {
    const offset = node?.range?.[0] ?? 0;
    const pos = this.yaml.lines.linePos(offset);
    return { file: this.yaml.file, line: pos.line, column: pos.col };
  }

  fail(message: string, node: Node | null | undefined, hint?: string): never {
    const location = this.at(node);
    throw new SwarmplayError('BAD_INVENTORY', message, {
      location,
      snippet: snippetAt(this.yaml.source, location.line, location.column),
      hint,
    });
  }

  deref(node: unknown): Node | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return (node.resolve(this.yaml.doc) as Node | undefined) ?? null;
    return node as Node;
  }

  isNull(node: Node | null): boolean {
    return node === null || (isScalar(node) && node.value === null);
  }

  keyText(pair: Pair): string {
    const key = this.deref(pair.key);
    if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
      this.fail('a name here must be plain text', key);
    }
    return String(key.value);
  }

  toValue(node: Node | null): unknown {
    if (node === null) return null;
    return node.toJS(this.yaml.doc, { maxAliasCount: 1000 });
  }

  addGroup(name: string, node?: Node | null): GroupRecord {
    return this.builder.addGroup(name, node ? this.at(node) : undefined);
  }

  link(parent: GroupRecord, child: GroupRecord, node?: Node | null): void {
    this.builder.link(parent, child, (message, hint) => this.fail(message, node, hint));
  }

  /** A section (hosts/children/vars) as pairs; a bare string `hosts: web1` means {web1: null}, as in Ansible. */
  sectionPairs(section: string, groupName: string, node: Node | null): Array<{ keyNode: Node; key: string; value: Node | null }> {
    if (this.isNull(node)) return [];
    if (isScalar(node) && typeof node.value === 'string') return [{ keyNode: node, key: node.value, value: null }];
    if (!isMap(node)) {
      const example =
        section === 'vars'
          ? `vars:\n  name: value`
          : section === 'hosts'
            ? `hosts:\n  docker01:\n  docker02:\n    ansible_host: 192.168.20.7`
            : `children:\n  managers:\n    hosts:\n      docker01:`;
      this.fail(
        `"${section}" of group '${groupName}' must be a mapping, not ${isSeq(node) ? 'a list' : 'a ' + typeof (node as { value?: unknown }).value}`,
        node,
        `write it as a mapping, e.g.\n${example}`,
      );
    }
    return (node as YAMLMap).items.map((pair) => ({
      keyNode: this.deref(pair.key)!,
      key: this.keyText(pair as Pair),
      value: this.deref(pair.value),
    }));
  }

  parseTop(): void {
    const root = this.deref(this.yaml.doc.contents);
    if (this.isNull(root)) {
      this.fail(`the inventory ${this.yaml.file} is empty`, root, 'start it with "all:" and list hosts under "hosts:"');
    }
    if (!isMap(root)) {
      this.fail(
        `the inventory must be a YAML mapping of groups (all:, managers:, ...)`,
        root,
        'start it with "all:" and list hosts under "hosts:"',
      );
    }
    for (const pair of (root as YAMLMap).items) {
      const name = this.keyText(pair as Pair);
      const keyNode = this.deref(pair.key);
      if (name === 'plugin') {
        this.fail('inventory plugins (a "plugin:" key) are not supported; write the hosts in the YAML inventory format', keyNode);
      }
      this.parseGroup(name, keyNode, this.deref(pair.value));
    }
  }

  parseGroup(name: string, keyNode: Node | null, node: Node | null): GroupRecord {
    if (!this.isNull(node) && !isMap(node)) {
      this.fail(
        `group '${name}' must be a mapping with hosts, children or vars`,
        node,
        isSeq(node) ? `list the hosts as a mapping:\n${name}:\n  hosts:\n    docker01:\n    docker02:` : undefined,
      );
    }
    const group = this.addGroup(name, keyNode);
    if (this.isNull(node)) return group;
    for (const pair of (node as YAMLMap).items) {
      const key = this.keyText(pair as Pair);
      const keyAt = this.deref(pair.key);
      const value = this.deref(pair.value);
      if (key === 'vars') {
        for (const v of this.sectionPairs('vars', name, value)) {
          this.builder.setGroupVar(group, v.key, this.toValue(v.value), (message, hint) => this.fail(message, v.value ?? v.keyNode, hint));
        }
      } else if (key === 'children') {
        for (const c of this.sectionPairs('children', name, value)) {
          const child = this.parseGroup(c.key, c.keyNode, c.value);
          this.link(group, child, c.keyNode);
        }
      } else if (key === 'hosts') {
        for (const h of this.sectionPairs('hosts', name, value)) this.parseHostEntry(group, h.key, h.keyNode, h.value);
      } else {
        this.fail(
          `unknown key '${key}' in group '${name}': a group holds only hosts, children and vars`,
          keyAt,
          didYouMean(key, GROUP_SECTIONS, {
            lowerCase: true,
            maxDistance: 2,
            otherwise: `to define a child group '${key}', put it under '${name}: children:'`,
          }),
        );
      }
    }
    return group;
  }

  parseHostEntry(group: GroupRecord, pattern: string, keyNode: Node, varsNode: Node | null): void {
    const address = parseAddress(pattern);
    const hostPattern = address ? address.host : pattern;
    let names: string[];
    try {
      names = expandHostRange(hostPattern);
    } catch (err) {
      this.fail(`bad host range '${pattern}': ${(err as Error).message}`, keyNode, 'a range looks like web[01:03] or db[a:c]');
    }
    if (!this.isNull(varsNode) && !isMap(varsNode)) {
      this.fail(
        `the variables of host '${pattern}' must be a mapping`,
        varsNode,
        `write them as "${pattern}:" followed by indented "name: value" lines, e.g.\n${pattern}:\n  ansible_host: 192.168.20.6`,
      );
    }
    const vars = this.isNull(varsNode)
      ? []
      : (varsNode as YAMLMap).items.map((pair) => ({
          key: this.keyText(pair as Pair),
          node: this.deref(pair.value),
          keyNode: this.deref(pair.key),
        }));
    for (const name of names) {
      const host = this.builder.addHost(name, group, this.at(keyNode), address?.port);
      for (const v of vars) {
        const node = v.node ?? v.keyNode;
        this.builder.setHostVar(host, v.key, this.toValue(v.node), this.at(node), (message, hint) => this.fail(message, node, hint));
      }
    }
  }
}
