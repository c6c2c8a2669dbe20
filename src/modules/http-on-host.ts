/**
 * HTTP from the host itself, for get_url and uri: the request runs where
 * Ansible's modules run it (on the managed host, through its network and
 * proxies), with curl, or wget for a plain download. Hosts are only sure to
 * have sshd: a host with neither says so clearly (exit 127). Credentials
 * and headers travel in a curl config on stdin, never on a command line.
 */
import { z } from 'zod';
import { booleanArg, numberArg } from './argument-types.js';

/** The arguments get_url and uri share, as Ansible's url_argument_spec has them. */
export const httpArgsShape = {
  url: z.string().regex(/^(https?|ftp|file):\/\//i, 'expected an http://, https://, ftp:// or file:// URL'),
  headers: z.record(z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  validate_certs: booleanArg.default(true),
  url_username: z.string().optional(),
  url_password: z.string().optional(),
  force_basic_auth: booleanArg.default(false),
  use_proxy: booleanArg.default(true),
  http_agent: z.string().default('ansible-httpget'),
};

export const timeoutArg = numberArg.pipe(z.number().positive());

export interface HttpOptions {
  url: string;
  headers: Record<string, string>;
  validate_certs: boolean;
  url_username?: string;
  url_password?: string;
  use_proxy: boolean;
  http_agent: string;
  timeout: number;
  method?: string;
  followRedirects?: boolean;
  body?: string;
}

/** A curl config file's quoted value. */
function configValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * curl's configuration, given on stdin (`-K -`) so that a process list or a
 * failure message never shows the URL's credentials, headers or body.
 */
export function curlConfig(options: HttpOptions): string {
  const lines = [`url = ${configValue(options.url)}`, `user-agent = ${configValue(options.http_agent)}`];
  for (const [name, value] of Object.entries(options.headers)) lines.push(`header = ${configValue(`${name}: ${value}`)}`);
  if (options.url_username !== undefined) lines.push(`user = ${configValue(`${options.url_username}:${options.url_password ?? ''}`)}`);
  if (options.body !== undefined) lines.push(`data-raw = ${configValue(options.body)}`);
  return `${lines.join('\n')}\n`;
}

/** curl's own options (no secret among them). */
export function curlOptions(options: HttpOptions): string[] {
  const words = ['-K', '-', '-sS', '--max-time', String(options.timeout)];
  if (!options.validate_certs) words.push('-k');
  if (!options.use_proxy) words.push('--noproxy', '*');
  if (options.followRedirects) words.push('-L', '--max-redirs', '50');
  if (options.method) words.push(...(options.method === 'HEAD' ? ['-I'] : ['-X', options.method]));
  return words;
}

/** curl's exit status for a timeout (CURLE_OPERATION_TIMEDOUT); wget says 4 for any network failure. */
export const CURL_TIMEOUT = 28;
export const NO_HTTP_TOOL = 127;

/** What a failed transfer says, naming the timeout when that was the cause. */
export function transferFailure(stderr: string, exitCode: number, timeout: number, url: string): string {
  const said = stderr.trim().split('\n').filter((line) => line && !line.startsWith('__')).pop() ?? `exit ${exitCode}`;
  if (exitCode === NO_HTTP_TOOL) return said;
  if (exitCode === CURL_TIMEOUT || /timed out/i.test(said)) return `Request failed: timed out after ${timeout} s (timeout: ${timeout}) getting ${url}: ${said}`;
  return `Request failed: ${said}`;
}
