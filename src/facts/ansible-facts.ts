/**
 * The facts people branch on, with Ansible's names and values (ansible-core
 * 2.14's setup module: distribution, network, hardware, env, user, service
 * manager, package manager, date/time, virtual), read by the sections below
 * that join the host-facts command: still one round trip per host. The
 * parsing is pure and keyed by the section names of runner/facts.ts.
 * test/facts/ansible-facts.test.ts compares the result with `ansible -m
 * setup` on the same lab host.
 */

/** Shell lines, each printing one section after `echo ${SECTION}NAME`. */
export const ANSIBLE_FACT_SECTIONS: Array<[string, string]> = [
  ['debian-version', 'cat /etc/debian_version 2>/dev/null'],
  ['lsb', 'command -v lsb_release >/dev/null 2>&1 && lsb_release -a 2>/dev/null || cat /etc/lsb-release 2>/dev/null'],
  ['fqdn', 'ip=$(getent hosts "$(uname -n)" | awk \'{print $1; exit}\'); [ -n "$ip" ] && getent hosts "$ip"'],
  ['links', 'ip -o link show 2>/dev/null'],
  ['addresses-all', 'ip -o addr show 2>/dev/null'],
  ['route-get', 'ip -4 route get 8.8.8.8 2>/dev/null'],
  ['cpuinfo', 'grep -E "^(processor|cpu cores|physical id)" /proc/cpuinfo 2>/dev/null'],
  ['meminfo', 'grep -E "^(MemTotal|MemFree|SwapTotal)" /proc/meminfo 2>/dev/null'],
  ['env', 'env -0 | od -An -v -tx1 | tr -d " \\n"; echo'],
  ['user', 'id -un; id -u; id -g'],
  ['init', 'cat /proc/1/comm 2>/dev/null; echo ":link $(readlink /sbin/init 2>/dev/null)"; [ -d /run/systemd/system ] && echo :systemd-booted; [ -x /sbin/openrc ] && echo :openrc; [ -d /etc/init.d ] && echo :init.d'],
  ['pkg', 'for p in apt-get dnf yum apk zypper pacman; do command -v $p >/dev/null 2>&1 && echo $p; done'],
  ['date', "date +'%Y|%m|%A|%w|%W|%d|%H|%M|%S|%s|%Z|%z|%N'; date -u +'%Y-%m-%dT%H:%M:%S|%Y%m%dT%H%M%S|%N'"],
  ['virt', '[ -f /.dockerenv ] && echo dockerenv; [ -f /run/.containerenv ] && echo containerenv; grep -qa "docker\\|kubepods" /proc/1/cgroup 2>/dev/null && echo cgroup-docker; tr "\\0" "\\n" 2>/dev/null </proc/1/environ | grep "^container="; cat /sys/devices/virtual/dmi/id/product_name /sys/devices/virtual/dmi/id/sys_vendor 2>/dev/null'],
];

const DISTRIBUTIONS: Record<string, [name: string, family: string]> = {
  debian: ['Debian', 'Debian'], ubuntu: ['Ubuntu', 'Debian'], raspbian: ['Debian', 'Debian'], linuxmint: ['Linux Mint', 'Debian'],
  centos: ['CentOS', 'RedHat'], rhel: ['RedHat', 'RedHat'], fedora: ['Fedora', 'RedHat'], rocky: ['Rocky', 'RedHat'],
  almalinux: ['AlmaLinux', 'RedHat'], ol: ['OracleLinux', 'RedHat'], amzn: ['Amazon', 'RedHat'], alpine: ['Alpine', 'Alpine'],
  arch: ['Archlinux', 'Archlinux'], opensuse: ['openSUSE', 'Suse'], 'opensuse-leap': ['openSUSE Leap', 'Suse'], sles: ['SLES', 'Suse'],
};

const PKG_MGR: Record<string, string> = { 'apt-get': 'apt', dnf: 'dnf', yum: 'yum', apk: 'apk', zypper: 'zypper', pacman: 'pacman' };

function lines(text: string | undefined): string[] {
  return (text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
}

function prefixToNetmask(prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join('.');
}

function network(address: string, prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const n = address.split('.').reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0) & mask;
  return [24, 16, 8, 0].map((s) => ((n >>> 0) >>> s) & 255).join('.');
}

interface Iface {
  device: string;
  active: boolean;
  mtu?: number;
  macaddress?: string;
  type: string;
  promisc: boolean;
  ipv4?: Record<string, string>;
  ipv4_secondaries?: Array<Record<string, string>>;
  ipv6?: Array<Record<string, string>>;
}

function parseInterfaces(links: string, addresses: string): Map<string, Iface> {
  const ifaces = new Map<string, Iface>();
  for (const line of lines(links)) {
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>.*?\bmtu (\d+).*?link\/(\S+)(?: (\S+))?/.exec(line);
    if (!m) continue;
    const flags = m[2]!.split(',');
    const linkType = m[4]!;
    ifaces.set(m[1]!, {
      device: m[1]!,
      active: flags.includes('UP'),
      mtu: Number(m[3]),
      ...(linkType !== 'loopback' && linkType !== 'none' && m[5] ? { macaddress: m[5] } : {}),
      type: linkType === 'loopback' ? 'loopback' : linkType === 'ether' ? 'ether' : linkType,
      promisc: flags.includes('PROMISC'),
    });
  }
  for (const line of lines(addresses)) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+(inet6?)\s+(\S+?)\/(\d+)(?:\s+brd\s+(\S+))?.*?scope\s+(\S+)/.exec(line);
    if (!m) continue;
    const iface = ifaces.get(m[1]!);
    if (!iface) continue;
    const [, , family, address, prefixText, broadcast, scope] = m;
    const prefix = Number(prefixText);
    if (family === 'inet') {
      const entry = { address: address!, broadcast: broadcast ?? '', netmask: prefixToNetmask(prefix), network: network(address!, prefix), prefix: prefixText! };
      if (!iface.ipv4) iface.ipv4 = entry;
      else (iface.ipv4_secondaries ??= []).push(entry);
    } else {
      (iface.ipv6 ??= []).push({ address: address!, prefix: prefixText!, scope: scope! });
    }
  }
  return ifaces;
}

function decodeEnv(hex: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of Buffer.from(hex.trim(), 'hex').toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

function lsbFacts(text: string | undefined): Record<string, string> {
  const lsb: Record<string, string> = {};
  for (const line of lines(text)) {
    const m = /^(Distributor ID|Description|Release|Codename|DISTRIB_ID|DISTRIB_RELEASE|DISTRIB_DESCRIPTION|DISTRIB_CODENAME)\s*[:=]\s*"?(.*?)"?$/.exec(line);
    if (!m) continue;
    const key = { 'Distributor ID': 'id', DISTRIB_ID: 'id', Description: 'description', DISTRIB_DESCRIPTION: 'description', Release: 'release', DISTRIB_RELEASE: 'release', Codename: 'codename', DISTRIB_CODENAME: 'codename' }[m[1]!]!;
    lsb[key] = m[2]!;
  }
  if (lsb.release) lsb.major_release = lsb.release.split('.')[0]!;
  return lsb;
}

/** Inits Ansible names otherwise than their process (its proc_1_map). */
const RENAMED_INITS: Record<string, string> = { procd: 'openwrt_init', 'runit-init': 'runit', svscan: 'svc', 'openrc-init': 'openrc' };

/**
 * Ansible's ansible_service_mgr: PID 1's name (or /sbin/init's target when
 * it cannot be read) unless it is init or a shell; then systemd when booted
 * with it, upstart, openrc, sysvinit with /etc/init.d, else "service".
 */
function serviceManager(init: string[]): string {
  const link = init.find((l) => l.startsWith(':link'))?.slice(':link'.length).trim() ?? '';
  let pid1 = init.find((l) => !l.startsWith(':')) ?? link.split('/').pop() ?? '';
  if (pid1 === 'init' || pid1.endsWith('sh')) pid1 = '';
  if (pid1) return RENAMED_INITS[pid1] ?? pid1;
  if (init.includes(':systemd-booted') || /systemd/.test(link)) return 'systemd';
  if (/upstart/.test(link)) return 'upstart';
  if (init.includes(':openrc')) return 'openrc';
  if (init.includes(':init.d')) return 'sysvinit';
  return 'service';
}

function virtualization(virt: string[]): { type: string; role: string } {
  if (virt.includes('dockerenv') || virt.includes('cgroup-docker')) return { type: 'docker', role: 'guest' };
  if (virt.includes('containerenv') || virt.includes('container=podman')) return { type: 'podman', role: 'guest' };
  const container = virt.find((l) => l.startsWith('container='))?.slice('container='.length);
  if (container) return { type: container === 'systemd-nspawn' ? 'systemd-nspawn' : container, role: 'guest' };
  const dmi = virt.join(' ');
  if (/KVM|QEMU|Bochs/.test(dmi)) return { type: 'kvm', role: 'guest' };
  if (/VMware/.test(dmi)) return { type: 'VMware', role: 'guest' };
  if (/VirtualBox/.test(dmi)) return { type: 'virtualbox', role: 'guest' };
  if (/Xen|HVM domU/.test(dmi)) return { type: 'xen', role: 'guest' };
  if (/Amazon EC2/.test(dmi)) return { type: 'kvm', role: 'guest' };
  return { type: 'NA', role: 'NA' };
}

function dateTime(text: string | undefined): Record<string, string> {
  const [local, utc] = lines(text);
  if (!local || !utc) return {};
  const [year, month, weekday, weekdayNumber, weeknumber, day, hour, minute, second, epoch, tz, tzOffset, nanos] = local.split('|');
  const [isoUtc, basicUtc, utcNanos] = utc.split('|');
  const micro = (nanos ?? '000000').slice(0, 6);
  return {
    year: year!, month: month!, weekday: weekday!, weekday_number: weekdayNumber!, weeknumber: weeknumber!, day: day!,
    hour: hour!, minute: minute!, second: second!, epoch: epoch!, epoch_int: epoch!,
    date: `${year}-${month}-${day}`, time: `${hour}:${minute}:${second}`,
    iso8601_micro: `${isoUtc}.${(utcNanos ?? '000000').slice(0, 6)}Z`, iso8601: `${isoUtc}Z`,
    iso8601_basic: `${year}${month}${day}T${hour}${minute}${second}${micro}`, iso8601_basic_short: `${year}${month}${day}T${hour}${minute}${second}`,
    tz: tz!, tz_dst: tz!, tz_offset: tzOffset!,
  };
  void basicUtc;
}

/**
 * The Ansible-named facts (without the `ansible_` prefix, as under
 * ansible_facts) from the sections of one facts reading.
 */
export function parseAnsibleFacts(sections: Map<string, string>, osRelease: Record<string, string>, nodename: string): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  const id = (osRelease.ID ?? '').toLowerCase();
  const [distribution, family] = DISTRIBUTIONS[id] ?? [osRelease.NAME ?? (id || 'NA'), osRelease.ID_LIKE ? (DISTRIBUTIONS[osRelease.ID_LIKE.split(' ')[0]!]?.[1] ?? 'NA') : 'NA'];
  let version = osRelease.VERSION_ID ?? 'NA';
  const debianVersion = (sections.get('debian-version') ?? '').trim();
  // Ansible reads Debian's full point release from /etc/debian_version (12.11, not 12).
  if (id === 'debian' && /^\d+(\.\d+)*$/.test(debianVersion)) version = debianVersion;
  facts.distribution = distribution;
  facts.os_family = family;
  facts.distribution_version = version;
  facts.distribution_major_version = version.split('.')[0];
  if (id === 'debian' && version.includes('.')) facts.distribution_minor_version = version.split('.')[1];
  facts.distribution_release = osRelease.VERSION_CODENAME ?? (/\(([^)]+)\)/.exec(osRelease.VERSION ?? '')?.[1] ?? 'NA');
  facts.lsb = lsbFacts(sections.get('lsb'));

  facts.nodename = nodename;
  facts.hostname = nodename.split('.')[0];
  const fqdnNames = lines(sections.get('fqdn'))[0]?.split(/\s+/).slice(1) ?? [];
  facts.fqdn = fqdnNames.find((n) => n.includes('.')) ?? fqdnNames[0] ?? nodename;
  facts.domain = (facts.fqdn as string).includes('.') ? (facts.fqdn as string).split('.').slice(1).join('.') : '';

  const ifaces = parseInterfaces(sections.get('links') ?? '', sections.get('addresses-all') ?? '');
  facts.interfaces = [...ifaces.keys()];
  for (const [name, iface] of ifaces) facts[name.replace(/[-:.]/g, '_')] = iface;
  facts.all_ipv4_addresses = [...ifaces.values()].flatMap((i) => [i.ipv4, ...(i.ipv4_secondaries ?? [])]).filter((a) => a && !a.address.startsWith('127.')).map((a) => a!.address);
  facts.all_ipv6_addresses = [...ifaces.values()].flatMap((i) => i.ipv6 ?? []).filter((a) => a.scope !== 'host').map((a) => a.address);
  const route = (sections.get('route-get') ?? '').trim();
  const device = /\bdev\s+(\S+)/.exec(route)?.[1];
  const defaultIpv4: Record<string, unknown> = {};
  if (device && ifaces.get(device)) {
    const iface = ifaces.get(device)!;
    const address = /\bsrc\s+(\S+)/.exec(route)?.[1];
    const entry = [iface.ipv4, ...(iface.ipv4_secondaries ?? [])].find((a) => a?.address === address) ?? iface.ipv4;
    Object.assign(defaultIpv4, entry ?? {}, { interface: device, alias: device, type: iface.type, mtu: iface.mtu });
    if (iface.macaddress) defaultIpv4.macaddress = iface.macaddress;
    const gateway = /\bvia\s+(\S+)/.exec(route)?.[1];
    if (gateway) defaultIpv4.gateway = gateway;
    if (address) defaultIpv4.address = address;
  }
  facts.default_ipv4 = defaultIpv4;

  const cpu = lines(sections.get('cpuinfo'));
  const processors = cpu.filter((l) => l.startsWith('processor')).length;
  const cores = Number(/cpu cores\s*:\s*(\d+)/.exec(cpu.join('\n'))?.[1] ?? 1);
  const sockets = new Set(cpu.filter((l) => l.startsWith('physical id')).map((l) => l.split(':')[1]!.trim())).size || 1;
  facts.processor_vcpus = processors;
  facts.processor_cores = cores;
  facts.processor_count = sockets;
  facts.processor_threads_per_core = Math.max(1, Math.floor(processors / (cores * sockets)));
  const mem = (key: string) => Math.floor(Number(new RegExp(`${key}:\\s*(\\d+)`).exec(sections.get('meminfo') ?? '')?.[1] ?? 0) / 1024);
  facts.memtotal_mb = mem('MemTotal');
  facts.memfree_mb = mem('MemFree');
  facts.swaptotal_mb = mem('SwapTotal');

  facts.env = decodeEnv(sections.get('env') ?? '');
  const [userName, uid, gid] = lines(sections.get('user'));
  facts.user_id = userName ?? '';
  if (uid !== undefined) facts.user_uid = Number(uid);
  if (gid !== undefined) facts.user_gid = Number(gid);
  facts.service_mgr = serviceManager(lines(sections.get('init')));
  const pkg = lines(sections.get('pkg'))[0];
  facts.pkg_mgr = pkg ? PKG_MGR[pkg] : 'unknown';
  facts.date_time = dateTime(sections.get('date'));
  const virt = virtualization(lines(sections.get('virt')));
  facts.virtualization_type = virt.type;
  facts.virtualization_role = virt.role;
  return facts;
}
