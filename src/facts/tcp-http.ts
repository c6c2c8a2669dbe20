/**
 * Network tests run on the host itself, over bash's /dev/tcp (curl, wget and
 * nc may all be missing on a fresh server; bash and coreutils' timeout are
 * not): `tcp_connect` (does something listen on host:port) and `http_head`
 * (the status and headers of a HEAD request). Both read "untestable" when
 * the host has no bash or timeout (exit 127), so a module can say it skipped
 * the test instead of failing.
 */
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { defineFact } from './types.js';

/**
 * A TCP connect test run on the host with bash's /dev/tcp (curl, wget and nc
 * may all be missing on a fresh server; bash and coreutils' timeout are not).
 * Exit 0: connected; 1: refused or timed out; 127: no bash/timeout on the host.
 */
export function tcpConnectProbe(host: string, port: number, seconds = 3): string {
  const script = 'exec 3<>"/dev/tcp/$1/$2"';
  return `command -v bash >/dev/null && command -v timeout >/dev/null || exit 127\ntimeout ${seconds} bash -c ${quote(script)} probe ${quote(host)} ${quote(String(port))} 2>/dev/null || exit 1`;
}

/**
 * An HTTP/1.0 request over bash's /dev/tcp; prints the response head (status
 * line and headers). Exit 127 when bash or timeout is missing.
 */
export function httpHeadProbe(host: string, port: number, requestPath: string, headers: string[] = [], seconds = 5): string {
  const script =
    'exec 3<>"/dev/tcp/$1/$2" || exit 1\n' +
    'printf "HEAD %s HTTP/1.0\\r\\nHost: %s:%s\\r\\n" "$3" "$1" "$2" >&3\n' +
    'shift 3\nfor header in "$@"; do printf "%s\\r\\n" "$header" >&3; done\n' +
    'printf "\\r\\n" >&3\n' +
    'while IFS= read -r line <&3; do line=${line%$\'\\r\'}; [ -z "$line" ] && break; printf "%s\\n" "$line"; done';
  return `command -v bash >/dev/null && command -v timeout >/dev/null || exit 127\ntimeout ${seconds} bash -c ${quote(script)} probe ${quoteArgs([host, String(port), requestPath, ...headers])}`;
}

/**
 * HTTP/1.0 GETs over bash's /dev/tcp, one after the other in one command;
 * each response (head and body) follows a line `--response N--`. Exit 127
 * when bash or timeout is missing.
 */
export function httpGetProbe(host: string, port: number, requestPaths: string[], seconds = 5): string {
  const script =
    'host=$1 port=$2; shift 2; n=0\n' +
    'for p in "$@"; do printf -- "--response %s--\\n" "$n"; n=$((n+1))\n' +
    '  (exec 3<>"/dev/tcp/$host/$port" || exit 1\n' +
    '   printf "GET %s HTTP/1.0\\r\\nHost: %s:%s\\r\\nAccept: application/json\\r\\n\\r\\n" "$p" "$host" "$port" >&3\n' +
    '   cat <&3)\n' +
    'done';
  return `command -v bash >/dev/null && command -v timeout >/dev/null || exit 127\ntimeout ${seconds} bash -c ${quote(script)} probe ${quoteArgs([host, String(port), ...requestPaths])}`;
}

/** Splits httpGetProbe's output: each response's status and body, in request order. */
export function parseHttpResponses(stdout: string): { status?: number; body: string }[] {
  return stdout.split(/^--response \d+--\n/m).slice(1).map((response) => {
    const split = response.indexOf('\r\n\r\n');
    const head = split < 0 ? response : response.slice(0, split);
    const status = httpStatus(head);
    return { ...(status !== undefined && { status }), body: split < 0 ? '' : response.slice(split + 4) };
  });
}

/** The status code of an HTTP response head, or undefined. */
export function httpStatus(head: string): number | undefined {
  const match = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head.trim());
  return match ? Number(match[1]) : undefined;
}

/** A header's value from an HTTP response head (case-insensitive name). */
export function httpHeader(head: string, name: string): string | undefined {
  for (const line of head.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name.toLowerCase()) return line.slice(colon + 1).trim();
  }
  return undefined;
}

/** What `tcp_connect` saw: `untestable` when the host has no bash or timeout. */
export type TcpConnectResult = 'open' | 'closed' | 'untestable';

export interface TcpConnectArgs {
  host: string;
  port: number;
  /** Connect timeout; default 3. */
  seconds?: number;
}

export const tcpConnect = defineFact<TcpConnectArgs, TcpConnectResult>({
  name: 'tcp_connect',
  command: ({ host, port, seconds }) => tcpConnectProbe(host, port, seconds),
  parse: (result) => (result.exitCode === 0 ? 'open' : result.exitCode === 127 ? 'untestable' : 'closed'),
});

/** A HEAD request's answer: no status when nothing answered (refused, timed out, not HTTP). */
export interface HttpHead {
  status?: number;
  /** The response head as printed: status line and headers (httpHeader reads one). */
  head: string;
}

export interface HttpHeadArgs {
  host: string;
  port: number;
  path: string;
  headers?: string[];
}

/** null when the host cannot be asked (no bash or timeout on it). */
export const httpHead = defineFact<HttpHeadArgs, HttpHead | null>({
  name: 'http_head',
  command: ({ host, port, path, headers }) => httpHeadProbe(host, port, path, headers),
  parse(result) {
    if (result.exitCode === 127) return null;
    const status = httpStatus(result.stdout);
    return { ...(status !== undefined && { status }), head: result.stdout };
  },
});
