/**
 * ansible.utils' IP address filters, as roles use them to pick a swarm's
 * advertise address or a subnet's gateway: `ipaddr` with its queries
 * (`'10.0.0.0/8'`, 'address', 'network', 'prefix', 'private', an index...),
 * `ipv4`, `ipv6`, `ipwrap`, `ipmath` and `nthhost`. Each answers what
 * ansible.utils (over Python's netaddr) answers: the value itself, a string,
 * a number, `False` when the value is no IP address or does not match, and
 * `None` where a query has no answer (a network's address for a host).
 * Merged into FILTERS by filters.ts.
 */
import { runtimeError, type Scope } from './scope.js';
import type { FilterDefinition } from './filters.js';
import { toText } from './values.js';

type Version = 4 | 6;

/** An address with its prefix, as netaddr's IPNetwork: `ip` is the address given, not the network's. */
interface IpNetwork {
  version: Version;
  ip: bigint;
  prefix: number;
}

const WIDTH: Record<Version, number> = { 4: 32, 6: 128 };

function maxOf(version: Version): bigint {
  return (1n << BigInt(WIDTH[version])) - 1n;
}

function hostmask(v: IpNetwork): bigint {
  return (1n << BigInt(WIDTH[v.version] - v.prefix)) - 1n;
}

function netmask(v: IpNetwork): bigint {
  return maxOf(v.version) ^ hostmask(v);
}

function network(v: IpNetwork): bigint {
  return v.ip & netmask(v);
}

function size(v: IpNetwork): bigint {
  return hostmask(v) + 1n;
}

/** netaddr has no broadcast address for networks of one or two addresses. */
function broadcast(v: IpNetwork): bigint | undefined {
  return WIDTH[v.version] - v.prefix <= 1 ? undefined : network(v) | hostmask(v);
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) return undefined;
  return parts.reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.split('::').length > 2) return undefined;
  let tail: bigint[] = [];
  let body = text;
  // An IPv4 address in the last 32 bits (::ffff:10.0.0.1).
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = parseIpv4(dotted[2]!);
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    body = dotted[1]!.endsWith('::') ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const groups = (part: string): bigint[] | undefined => {
    if (part === '') return [];
    const out: bigint[] = [];
    for (const group of part.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return undefined;
      out.push(BigInt(`0x${group}`));
    }
    return out;
  };
  let words: bigint[];
  if (body.includes('::')) {
    const [left, right] = body.split('::') as [string, string];
    const head = groups(left);
    const rest = groups(right);
    if (!head || !rest) return undefined;
    const missing = 8 - head.length - rest.length - tail.length;
    if (missing < 1) return undefined;
    words = [...head, ...Array<bigint>(missing).fill(0n), ...rest, ...tail];
  } else {
    const all = groups(body);
    if (!all) return undefined;
    words = [...all, ...tail];
  }
  if (words.length !== 8) return undefined;
  return words.reduce((value, word) => (value << 16n) | word, 0n);
}

/** An address or `address/prefix` (or `address/netmask` for IPv4), as netaddr.IPNetwork reads it; undefined when it is none. */
function parseNetwork(text: string): IpNetwork | undefined {
  const [address = '', prefixText, ...extra] = text.split('/');
  if (extra.length) return undefined;
  const v4 = parseIpv4(address);
  const version: Version | undefined = v4 !== undefined ? 4 : parseIpv6(address) !== undefined ? 6 : undefined;
  if (version === undefined) return undefined;
  const ip = v4 ?? parseIpv6(address)!;
  if (prefixText === undefined) return { version, ip, prefix: WIDTH[version] };
  if (/^\d+$/.test(prefixText)) {
    const prefix = Number(prefixText);
    return prefix <= WIDTH[version] ? { version, ip, prefix } : undefined;
  }
  const mask = version === 4 ? parseIpv4(prefixText) : undefined;
  if (mask === undefined) return undefined;
  const inverted = (mask ^ maxOf(4)) + 1n;
  if ((inverted & (inverted - 1n)) !== 0n) return undefined;
  return { version, ip, prefix: 32 - (inverted.toString(2).length - 1) };
}

function formatAddress(version: Version, value: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // IPv4-mapped and IPv4-compatible addresses keep their dotted tail, as netaddr prints them.
  if (words.slice(0, 5).every((w) => w === 0) && (words[5] === 0xffff || (words[5] === 0 && value > 0xffffn))) {
    return `::${words[5] === 0xffff ? 'ffff:' : ''}${formatAddress(4, value & 0xffffffffn)}`;
  }
  // The longest run of two or more zero words becomes '::' (the first of equal runs).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

const cidrText = (v: IpNetwork): string => `${formatAddress(v.version, v.ip)}/${v.prefix}`;
const ipText = (v: IpNetwork): string => formatAddress(v.version, v.ip);

function contains(outer: IpNetwork, inner: IpNetwork): boolean {
  if (outer.version !== inner.version || inner.prefix < outer.prefix) return false;
  return network(inner) >= network(outer) && (network(inner) | hostmask(inner)) <= (network(outer) | hostmask(outer));
}

/** The fixed ranges the queries test against, parsed once. */
const RANGES = new Map<string, IpNetwork>();

function within(v: IpNetwork, ...ranges: string[]): boolean {
  return ranges.some((range) => {
    let parsed = RANGES.get(range);
    if (!parsed) RANGES.set(range, parsed = parseNetwork(range)!);
    return contains(parsed, v);
  });
}

const IPV4_PRIVATE = ['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15', '239.0.0.0/8'];

/** netaddr's is_private: RFC 1918 and the other internal ranges, and link-local. */
function isPrivate(v: IpNetwork): boolean {
  return v.version === 4 ? within(v, ...IPV4_PRIVATE, '169.254.0.0/16') : within(v, 'fc00::/7', 'fec0::/10', 'fe80::/10');
}

function isMulticast(v: IpNetwork): boolean {
  return within(v, v.version === 4 ? '224.0.0.0/4' : 'ff00::/8');
}

function addressOf(v: IpNetwork): IpNetwork {
  return { version: v.version, ip: v.ip, prefix: WIDTH[v.version] };
}

function isLoopback(v: IpNetwork): boolean {
  return v.version === 4 ? within(addressOf(v), '127.0.0.0/8') : v.ip === 1n;
}

/** First and last usable addresses: all of a two-address network, else without the network and broadcast addresses. */
function firstLast(v: IpNetwork): [bigint, bigint] | undefined {
  const n = size(v);
  if (n === 2n) return [network(v), network(v) + 1n];
  if (n > 1n) return [network(v) + 1n, network(v) + n - 2n];
  return undefined;
}

type Vtype = 'address' | 'network';
type Query = (v: IpNetwork, vtype: Vtype, value: unknown, scope: Scope) => unknown;

function needNetwork(vtype: Vtype, scope: Scope): void {
  if (vtype === 'address') throw runtimeError(scope, 'Not a network address');
}

/** An answer of None in Python: the query has none for this value. */
const NONE = null;

/** ipaddr's queries by name, built once (each filter call and list element looks one up). */
const QUERIES: Record<string, Query> = (() => {
  const hostAddress = (v: IpNetwork) => (size(v) === 1n || v.ip !== network(v) || broadcast(v) === undefined || v.version === 6 ? ipText(v) : NONE);
  const addressPrefix = (v: IpNetwork) => (size(v) > 2n && (v.ip === network(v) || v.ip === broadcast(v)) ? false : cidrText(v));
  const ipPrefix = (v: IpNetwork, joiner: (v: IpNetwork) => string) => (size(v) === 2n || (size(v) > 1n && v.ip !== network(v)) ? joiner(v) : NONE);
  const usable = (v: IpNetwork, vtype: Vtype, scope: Scope, pick: (range: [bigint, bigint]) => string | null) => {
    needNetwork(vtype, scope);
    const range = firstLast(v);
    return range ? pick(range) : NONE;
  };
  const neighbour = (v: IpNetwork, vtype: Vtype, scope: Scope, step: bigint) => usable(v, vtype, scope, ([first, last]) => {
    const next = v.ip + step;
    return next >= first && next <= last ? formatAddress(v.version, next) : NONE;
  });
  const table: Record<string, Query> = {
    '': (v, vtype) => (vtype === 'address' ? ipText(v) : cidrText(v)),
    address: hostAddress,
    ip: hostAddress,
    'address/prefix': addressPrefix,
    gateway: addressPrefix,
    gw: addressPrefix,
    'host/prefix': addressPrefix,
    hostnet: addressPrefix,
    router: addressPrefix,
    bool: () => true,
    broadcast: (v) => (size(v) > 2n ? formatAddress(v.version, broadcast(v)!) : NONE),
    cidr: cidrText,
    first_usable: (v, vtype, _value, scope) => usable(v, vtype, scope, ([first]) => formatAddress(v.version, first)),
    last_usable: (v, vtype, _value, scope) => usable(v, vtype, scope, ([, last]) => formatAddress(v.version, last)),
    next_usable: (v, vtype, _value, scope) => neighbour(v, vtype, scope, 1n),
    previous_usable: (v, vtype, _value, scope) => neighbour(v, vtype, scope, -1n),
    range_usable: (v, vtype, _value, scope) => usable(v, vtype, scope, ([first, last]) => `${formatAddress(v.version, first)}-${formatAddress(v.version, last)}`),
    host: (v) => (size(v) === 1n ? cidrText(v) : v.ip !== network(v) || broadcast(v) === undefined ? cidrText(v) : NONE),
    hostmask: (v) => formatAddress(v.version, hostmask(v)),
    wildcard: (v) => formatAddress(v.version, hostmask(v)),
    int: (v, vtype) => (vtype === 'address' ? Number(v.ip) : `${v.ip}/${v.prefix}`),
    'ip/prefix': (v) => ipPrefix(v, cidrText),
    ip_netmask: (v) => ipPrefix(v, (n) => `${ipText(n)} ${formatAddress(n.version, netmask(n))}`),
    ipv4: (v, _t, value) => (v.version === 4 ? value : v.prefix < 96 ? false : v.ip <= 0xffffffffn ? `${formatAddress(4, v.ip)}/${v.prefix - 96}`
      : v.ip >> 32n === 0xffffn ? `${formatAddress(4, v.ip & 0xffffffffn)}/${v.prefix - 96}` : false),
    ipv6: (v, _t, value) => (v.version === 6 ? value : `${formatAddress(6, 0xffff00000000n | v.ip)}/${v.prefix + 96}`),
    'link-local': (v, _t, value) => (within(addressOf(v), v.version === 4 ? '169.254.0.0/16' : 'fe80::/10') ? value : NONE),
    lo: (v, _t, value) => (isLoopback(v) ? value : NONE),
    loopback: (v, _t, value) => (isLoopback(v) ? value : NONE),
    multicast: (v, _t, value) => (isMulticast(v) ? value : NONE),
    unicast: (v, _t, value) => (isMulticast(v) ? NONE : value),
    net: (v) => (size(v) > 1n && v.ip === network(v) ? `${formatAddress(v.version, network(v))}/${v.prefix}` : NONE),
    netmask: (v) => formatAddress(v.version, netmask(v)),
    network: (v) => formatAddress(v.version, network(v)),
    network_id: (v) => formatAddress(v.version, network(v)),
    'network/prefix': (v) => `${formatAddress(v.version, network(v))}/${v.prefix}`,
    subnet: (v) => `${formatAddress(v.version, network(v))}/${v.prefix}`,
    network_netmask: (v) => `${formatAddress(v.version, network(v))} ${formatAddress(v.version, netmask(v))}`,
    network_wildcard: (v) => `${formatAddress(v.version, network(v))} ${formatAddress(v.version, hostmask(v))}`,
    prefix: (v) => v.prefix,
    private: (v, _t, value) => (isPrivate(v) ? value : NONE),
    public: (v, _t, value) => {
      const a = addressOf(v);
      const mask = (a.ip ^ maxOf(a.version)) + 1n;
      const plus = a.ip + 1n;
      const isNetmask = (mask & (mask - 1n)) === 0n;
      const isHostmask = (plus & (plus - 1n)) === 0n;
      return !isMulticast(a) && !isPrivate(a) && !isLoopback(a) && !isNetmask && !isHostmask ? value : NONE;
    },
    size: (v) => Number(size(v)),
    size_usable: (v) => (size(v) === 1n ? 0 : size(v) === 2n ? 2 : Number(size(v) - 2n)),
    type: (v) => (size(v) === 1n || v.ip !== network(v) ? 'address' : 'network'),
    version: (v) => v.version,
    v4: (...query) => table.ipv4!(...query),
    v6: (...query) => table.ipv6!(...query),
    wrap: (v, vtype, value) => (v.version === 6 ? (vtype === 'address' ? `[${ipText(v)}]` : `[${ipText(v)}]/${v.prefix}`) : value),
  };
  return table;
})();

/** ansible.utils' ipaddr(value, query, version): see the file's comment. */
function ipaddr(value: unknown, query: unknown, version: Version | undefined, alias: string, scope: Scope): unknown {
  if (Array.isArray(value)) {
    return value.map((element) => ipaddr(element, query, version, alias, scope)).filter((item) => item !== null && item !== false && item !== '' && item !== 0);
  }
  if (!value || value === true) return false;
  const queryText = query === undefined || query === null ? '' : toText(query);
  let v: IpNetwork | undefined;
  let vtype: Vtype;
  const text = toText(value);
  if (/^\d+$/.test(text)) {
    const number = BigInt(text);
    const as: Version = version === 6 || number > maxOf(4) ? 6 : 4;
    if (number > maxOf(as)) return false;
    v = { version: as, ip: number, prefix: WIDTH[as] };
    vtype = 'address';
  } else {
    v = parseNetwork(text);
    vtype = text.includes('/') ? 'network' : 'address';
    if (!v) {
      const numeric = /^(\d+)\/(\d+)$/.exec(text);
      if (!numeric) return false;
      const number = BigInt(numeric[1]!);
      const prefix = Number(numeric[2]);
      const as: Version | undefined = number <= maxOf(4) && prefix <= 32 ? 4 : number <= maxOf(6) && prefix <= 128 ? 6 : undefined;
      if (as === undefined) return false;
      v = { version: as, ip: number, prefix };
      vtype = 'network';
    }
  }
  if (version !== undefined && v.version !== version) return false;
  const lookup = queryText !== '' && (!Object.hasOwn(QUERIES, queryText)) && !/^\d+$/.test(queryText) ? parseNetwork(queryText) : undefined;
  if (lookup) return contains(lookup, v) ? value : NONE;
  if (Object.hasOwn(QUERIES, queryText)) return QUERIES[queryText]!(v, vtype, value, scope);
  if (/^-?\d+(\.\d+)?$/.test(queryText)) {
    if (size(v) === 1n) return vtype === 'address' ? ipText(v) : cidrText(v);
    // netaddr takes int(query) as the index: a number is truncated, a text must be a whole number.
    if (typeof query !== 'number' && !/^-?\d+$/.test(queryText)) return false;
    const index = BigInt(Math.trunc(Number(query)));
    const offset = index < 0n ? size(v) + index : index;
    if (offset < 0n || offset >= size(v)) return false;
    return `${formatAddress(v.version, network(v) + offset)}/${v.prefix}`;
  }
  throw runtimeError(scope, `${alias}: unknown filter type: ${queryText}`,
    "Give a query ipaddr knows ('address', 'network', 'prefix', 'netmask', 'private', 'public', ...), a network to match ('10.0.0.0/8') or an index.");
}

export const IP_FILTERS: Record<string, FilterDefinition> = {
  ipaddr: { apply: (input, [query], _k, scope) => ipaddr(input, query, undefined, 'ipaddr', scope) },
  ipv4: { apply: (input, [query], _k, scope) => ipaddr(input, query, 4, 'ipv4', scope) },
  ipv6: { apply: (input, [query], _k, scope) => ipaddr(input, query, 6, 'ipv6', scope) },
  /** IPv6 addresses in brackets (for URLs and host:port), anything else as it is. */
  ipwrap: {
    apply: (input, [query], _k, scope) => {
      const wrap = (element: unknown): unknown => {
        try {
          const found = ipaddr(element, query, undefined, 'ipwrap', scope);
          return found ? ipaddr(found, 'wrap', undefined, 'ipwrap', scope) : element;
        } catch {
          return element;
        }
      };
      return Array.isArray(input) ? input.map(wrap) : wrap(input);
    },
  },
  /** An address plus (or minus) a number of addresses. */
  ipmath: {
    apply: (input, [amount], _k, scope) => {
      const text = toText(input);
      const v = parseNetwork(text);
      if (!v) throw runtimeError(scope, `You must pass a valid IP address; ${text} is invalid`);
      if (typeof amount !== 'number' || !Number.isInteger(amount)) throw runtimeError(scope, `You must pass an integer for arithmetic; ${toText(amount)} is not a valid integer`);
      const result = v.ip + BigInt(amount);
      if (result < 0n || result > maxOf(v.version)) throw runtimeError(scope, `ipmath: ${text} + ${amount} is outside the IPv${v.version} addresses`);
      return formatAddress(v.version, result);
    },
  },
  /** The nth address of a network (0: the network's own address). */
  nthhost: {
    apply: (input, [query], _k, scope) => {
      const kind = ipaddr(input, 'type', undefined, 'nthhost', scope);
      if (kind !== 'address' && kind !== 'network') return false;
      const v = parseNetwork(toText(ipaddr(input, kind === 'address' ? 'cidr' : 'subnet', undefined, 'nthhost', scope)));
      if (!v || query === undefined || query === null || query === '' || query === 0) return false;
      const nth = Number(query);
      if (!Number.isInteger(nth)) return false;
      const offset = nth < 0 ? size(v) + BigInt(nth) : BigInt(nth);
      return size(v) > BigInt(nth) && offset >= 0n ? formatAddress(v.version, network(v) + offset) : false;
    },
  },
};
