/**
 * The lab's network: one Linux bridge on the controller holding the
 * controller's address (.1), and per host a network namespace joined to the
 * bridge by a veth pair (eth0 inside, .11, .12, ... ). Hosts get no default
 * route: the lab's traffic stays between the lab's own addresses.
 */
import { statSync } from 'node:fs';
import { SwarmplayError } from '../errors.js';
import { runLocal } from './local-command.js';

export const FIRST_HOST_OFFSET = 11;

export interface LabSubnet {
  cidr: string;
  prefixLength: number;
  controllerAddress: string;
  hostAddress(index: number): string;
  contains(address: string): boolean;
  size: number;
}

function addressToNumber(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) {
    throw new SwarmplayError('BAD_OPTION', `not an IPv4 address: ${address}`);
  }
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

function numberToAddress(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function parseSubnet(cidr: string): LabSubnet {
  const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  if (!match) {
    throw new SwarmplayError('BAD_OPTION', `--subnet must look like 10.203.0.0/24, got ${JSON.stringify(cidr)}`);
  }
  const prefixLength = Number(match[2]);
  if (prefixLength < 16 || prefixLength > 26) {
    throw new SwarmplayError('BAD_OPTION', `--subnet prefix /${prefixLength} is outside /16../26`, {
      hint: 'use a private /24 such as 10.203.0.0/24',
    });
  }
  const size = 2 ** (32 - prefixLength);
  const base = addressToNumber(match[1]!) - (addressToNumber(match[1]!) % size);
  return {
    cidr: `${numberToAddress(base)}/${prefixLength}`,
    prefixLength,
    size,
    controllerAddress: numberToAddress(base + 1),
    hostAddress: (index: number) => numberToAddress(base + FIRST_HOST_OFFSET + index),
    contains: (address: string) => {
      const value = addressToNumber(address);
      return value >= base && value < base + size;
    },
  };
}

/** Interface names are limited to 15 characters; lab names to 9, so these always fit. */
export function bridgeName(lab: string): string {
  return `splab-${lab}`;
}

export function vethName(lab: string, index: number): string {
  return `v-${lab}-${index + 1}`;
}

export function netnsName(lab: string, host: string): string {
  return `${lab}-${host}`;
}

interface IpAddressInfo {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** Refuses a subnet that another interface of this machine already uses. */
export async function assertSubnetFree(subnet: LabSubnet, ownBridge: string): Promise<void> {
  const { stdout } = await runLocal('ip', ['-j', '-4', 'addr', 'show']);
  for (const link of JSON.parse(stdout) as IpAddressInfo[]) {
    if (link.ifname === ownBridge) continue;
    for (const info of link.addr_info ?? []) {
      const other = parseSubnet(`${info.local}/${Math.max(16, Math.min(26, info.prefixlen))}`);
      if (subnet.contains(info.local) || other.contains(subnet.controllerAddress)) {
        throw new SwarmplayError('LAB_FAILED', `subnet ${subnet.cidr} overlaps ${info.local}/${info.prefixlen} on ${link.ifname}`, {
          hint: 'choose another private subnet with --subnet, e.g. --subnet 10.203.1.0/24',
        });
      }
    }
  }
}

export interface HostLink {
  netns: string;
  veth: string;
  address: string;
}

/** Bridge, namespaces and veth pairs for every host, in one `ip -batch` on the controller plus one per namespace. */
export async function createLabNetwork(bridge: string, subnet: LabSubnet, hosts: readonly HostLink[]): Promise<void> {
  const outer = [
    `link add ${bridge} type bridge`,
    `addr add ${subnet.controllerAddress}/${subnet.prefixLength} dev ${bridge}`,
    `link set ${bridge} up`,
    ...hosts.flatMap((host) => [
      `netns add ${host.netns}`,
      `link add ${host.veth} type veth peer name eth0 netns ${host.netns}`,
      `link set ${host.veth} master ${bridge} up`,
    ]),
  ];
  await runLocal('ip', ['-batch', '-'], { input: `${outer.join('\n')}\n` });
  await Promise.all(hosts.map((host) =>
    runLocal('ip', ['-n', host.netns, '-batch', '-'], {
      input: [
        'link set lo up',
        `addr add ${host.address}/${subnet.prefixLength} dev eth0`,
        'link set eth0 up',
      ].join('\n') + '\n',
    })));
}

export function netnsInode(netns: string): number | undefined {
  try {
    return statSync(`/run/netns/${netns}`).ino;
  } catch {
    return undefined;
  }
}

export async function linkExists(name: string): Promise<boolean> {
  const result = await runLocal('ip', ['link', 'show', 'dev', name], { allowFailure: true });
  return result.code === 0;
}

/** Namespaces named `<lab>-*`: a killed run may have left some the state file does not list. */
export async function labNamespaces(lab: string): Promise<string[]> {
  const { stdout } = await runLocal('ip', ['netns', 'list']);
  return stdout.split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.startsWith(`${lab}-`));
}

/** veth ends named `v-<lab>-N` on this machine: a killed run may have left some the state file does not list. */
export async function labVeths(lab: string): Promise<string[]> {
  const { stdout } = await runLocal('ip', ['-o', 'link', 'show']);
  const pattern = new RegExp(`^\\d+: (v-${lab}-\\d+)[@:]`);
  return stdout.split('\n').map((line) => pattern.exec(line)?.[1]).filter((name): name is string => name !== undefined);
}

/** Removes namespaces, veths and the bridge; whatever is already gone is fine. */
export async function removeLabNetwork(lab: string, bridge: string, netnsNames: readonly string[], veths: readonly string[]): Promise<void> {
  for (const netns of netnsNames) await runLocal('ip', ['netns', 'del', netns], { allowFailure: true });
  for (const veth of new Set([...veths, ...(await labVeths(lab))])) {
    if (await linkExists(veth)) await runLocal('ip', ['link', 'del', veth], { allowFailure: true });
  }
  if (await linkExists(bridge)) await runLocal('ip', ['link', 'del', bridge]);
}
