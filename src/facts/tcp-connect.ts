/**
 * `tcp_connect`: whether the host reaches an address over TCP, tested on the
 * host itself with bash's /dev/tcp (curl, wget and nc may all be missing on a
 * fresh server; bash and coreutils' timeout are not).
 */
import { quote } from '../transport/shell-quote.js';
import { defineFact } from './types.js';

/**
 * The test as a shell command. Exit 0: connected; 1: refused or timed out;
 * 127: no bash/timeout on the host.
 */
export function tcpConnectProbe(host: string, port: number, seconds = 3): string {
  const script = 'exec 3<>"/dev/tcp/$1/$2"';
  return `command -v bash >/dev/null && command -v timeout >/dev/null || exit 127\ntimeout ${seconds} bash -c ${quote(script)} probe ${quote(host)} ${quote(String(port))} 2>/dev/null || exit 1`;
}

/** 'untested' when the host has no bash or timeout: the caller goes on and lets the real connection judge. */
export type TcpReach = 'connected' | 'refused' | 'untested';

export const tcpConnect = defineFact<{ host: string; port: number; seconds: number }, TcpReach>({
  name: 'tcp_connect',
  command: ({ host, port, seconds }) => tcpConnectProbe(host, port, seconds),
  parse(result) {
    if (result.exitCode === 0) return 'connected';
    if (result.exitCode === 1) return 'refused';
    return 'untested';
  },
});
