/**
 * Addresses as docker's swarm flags take them ("ADDR", "ADDR:PORT", IPv6 in
 * brackets), shared by swarm_init, swarm_join and hosts_sync.
 */

/** Whether a string is an IPv4 or IPv6 literal. */
export function isIpAddress(value: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(value)) return value.split('.').every((part) => Number(part) <= 255);
  return /^[0-9a-fA-F:]+$/.test(value) && value.includes(':') && value.split(':').length <= 8;
}

/** "10.0.0.1" -> "10.0.0.1:2377"; keeps a port that is there; brackets IPv6. */
export function withDefaultPort(address: string, port: number): string {
  if (/^\[.*\]:\d+$/.test(address)) return address;
  if (isIpAddress(address) && address.includes(':')) return `[${address}]:${port}`;
  return /:\d+$/.test(address) ? address : `${address}:${port}`;
}

/** "10.0.0.1:2377" -> "10.0.0.1"; "[::1]:2377" -> "::1". */
export function hostOfAddress(address: string): string {
  const bracketed = /^\[(.*)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  if (isIpAddress(address)) return address;
  return address.replace(/:\d+$/, '');
}

/** "10.0.0.1:2377" -> 2377, or the default. */
export function portOfAddress(address: string, defaultPort: number): number {
  if (isIpAddress(address)) return defaultPort;
  const match = /:(\d+)$/.exec(address);
  return match ? Number(match[1]) : defaultPort;
}
