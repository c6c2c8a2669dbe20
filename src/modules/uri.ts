/**
 * `uri`: an HTTP request made from the host with curl, as Ansible's uri:
 * `method`, `body` with `body_format` json (a mapping or list is serialized,
 * Content-Type set) or form-urlencoded, `headers`, `status_code` (the codes
 * that count as success, default [200]), `return_content`, `timeout`
 * (default 30 s, named when it strikes), basic auth, `creates`/`removes`.
 * The result has Ansible's keys: `status`, `url`, `msg`, `content` (with
 * return_content), `json` (a JSON response), `redirected`, and each
 * response header lowercased with `-` as `_` (`content_type`).
 *
 * The request is a step that reports ok (changed is false, as in Ansible's
 * uri): `--check` lists it and does not send it, since a request may change
 * the server (Ansible skips uri in check mode). It needs curl on the host:
 * wget cannot send every method and body uri can (a clear error says so).
 * Credentials, headers and body reach curl on stdin, never on its command
 * line. Response bodies are text; NUL bytes are dropped.
 */
import { z } from 'zod';
import { defineModule, type Plan } from './types.js';
import { booleanArg } from './argument-types.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { curlConfig, curlOptions, httpArgsShape, NO_HTTP_TOOL, timeoutArg, transferFailure } from './http-on-host.js';
import { statPath } from './file-content.js';

const statusCodes = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

const uriArgs = z
  .object({
    ...httpArgsShape,
    method: z.string().regex(/^[A-Za-z]+$/, 'expected an HTTP method like GET, POST, PUT').transform((method) => method.toUpperCase()).default('GET'),
    body: z.unknown().optional(),
    body_format: z.enum(['raw', 'json', 'form-urlencoded']).default('raw'),
    status_code: z.union([statusCodes, z.array(statusCodes).min(1)]).transform((codes) => (Array.isArray(codes) ? codes : [codes])).default([200]),
    return_content: booleanArg.default(false),
    timeout: timeoutArg.default(30),
    follow_redirects: z.union([z.enum(['all', 'none', 'safe', 'urllib2']), booleanArg]).default('safe'),
    user: z.string().optional(),
    password: z.string().optional(),
    creates: z.string().min(1).optional(),
    removes: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((args, refinement) => {
    if (args.user !== undefined && args.url_username !== undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['user'], message: 'give url_username only once (user is its alias)' });
    }
    if (args.password !== undefined && args.url_password !== undefined) {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['password'], message: 'give url_password only once (password is its alias)' });
    }
    if (args.body_format === 'form-urlencoded' && args.body !== undefined && (typeof args.body !== 'object' || args.body === null || Array.isArray(args.body)) && typeof args.body !== 'string') {
      refinement.addIssue({ code: z.ZodIssueCode.custom, path: ['body'], message: 'body_format form-urlencoded needs a mapping (or an already encoded string)' });
    }
  })
  .transform(({ user, password, ...args }) => ({
    ...args,
    url_username: args.url_username ?? user,
    url_password: args.url_password ?? password,
  }));

export type UriArgs = z.infer<typeof uriArgs>;

const MARKER = '\n__uri__ ';

/** The request body as text, and the Content-Type it implies. */
export function requestBody(args: UriArgs): { body?: string; contentType?: string } {
  if (args.body === undefined || args.body === null) return {};
  if (args.body_format === 'json') {
    return { body: typeof args.body === 'string' ? args.body : JSON.stringify(args.body), contentType: 'application/json' };
  }
  if (args.body_format === 'form-urlencoded') {
    if (typeof args.body === 'string') return { body: args.body, contentType: 'application/x-www-form-urlencoded' };
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(args.body as Record<string, unknown>)) form.append(key, String(value));
    return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  return { body: typeof args.body === 'string' ? args.body : JSON.stringify(args.body) };
}

function follows(args: UriArgs): boolean {
  const mode = args.follow_redirects;
  if (mode === true || mode === 'all') return true;
  if (mode === false || mode === 'none') return false;
  return args.method === 'GET' || args.method === 'HEAD';
}

export function requestScript(args: UriArgs): { script: string; stdin: string } {
  const { body, contentType } = requestBody(args);
  const headers = { ...args.headers };
  if (contentType && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['Content-Type'] = contentType;
  const options = { ...args, headers, body, followRedirects: follows(args) };
  const curl = quoteArgs(['curl', ...curlOptions(options), '-i', '-w', `\\n${MARKER.slice(1)}%{http_code} %{num_redirects} %{url_effective}\\n`]);
  const script = [
    `command -v curl >/dev/null 2>&1 || { echo ${quote('uri runs on the host and needs curl there: install curl')} >&2; exit ${NO_HTTP_TOOL}; }`,
    `${curl}`,
  ].join('\n');
  return { script, stdin: curlConfig(options) };
}

interface Response {
  status: number;
  reason: string;
  url: string;
  redirects: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits curl -i's output (one head per response, redirects included) and the -w line. */
export function parseResponse(stdout: string): Response | undefined {
  const at = stdout.lastIndexOf(MARKER);
  if (at === -1) return undefined;
  const [code, redirects, ...url] = stdout.slice(at + MARKER.length).trim().split(' ');
  let rest = stdout.slice(0, at);
  let head = '';
  while (/^HTTP\/\d/.test(rest)) {
    const end = rest.search(/\r?\n\r?\n/);
    if (end === -1) { head = rest; rest = ''; break; }
    head = rest.slice(0, end);
    rest = rest.slice(rest.slice(end).match(/^\r?\n\r?\n/)![0].length + end);
  }
  const [statusLine = '', ...headerLines] = head.split(/\r?\n/);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase().replace(/-/g, '_')] = line.slice(colon + 1).trim();
  }
  return {
    status: Number(code),
    reason: statusLine.replace(/^HTTP\/[\d.]+ \d+ ?/, ''),
    url: url.join(' '),
    redirects: Number(redirects),
    headers,
    body: rest,
  };
}

export const uri = defineModule({
  name: 'uri',
  schema: uriArgs,
  secretArgs: ['url_password', 'password'],
  async plan(ctx, args): Promise<Plan> {
    if (args.creates !== undefined && (await statPath(ctx, args.creates)) !== null) {
      return { steps: [], result: { msg: `skipped, since ${args.creates} exists` }, msg: `skipped, since ${args.creates} exists` };
    }
    if (args.removes !== undefined && (await statPath(ctx, args.removes)) === null) {
      return { steps: [], result: { msg: `skipped, since ${args.removes} does not exist` }, msg: `skipped, since ${args.removes} does not exist` };
    }
    const { script, stdin } = requestScript(args);
    return {
      steps: [{
        kind: 'command',
        id: 'request',
        description: `${args.method} ${args.url}`,
        command: script,
        display: `curl ${args.method} ${args.url}`,
        stdin,
        timeoutMs: (args.timeout + 30) * 1000,
        okExitCodes: 'any',
        countsAsChange: false,
      }],
    };
  },
  finish(args, outcomes) {
    const run = outcomes.byId('request')?.run;
    if (!run) return {};
    const expected = `[${args.status_code.join(', ')}]`;
    const response = run.exitCode === 0 ? parseResponse(run.stdout) : undefined;
    if (!response) {
      const reason = transferFailure(run.stderr, run.exitCode, args.timeout, args.url);
      const msg = run.exitCode === NO_HTTP_TOOL ? reason : `Status code was -1 and not ${expected}: ${reason}`;
      return { failed: true, msg, status: -1, url: args.url };
    }
    const result: Record<string, unknown> = {
      ...response.headers,
      status: response.status,
      url: response.url,
      redirected: response.redirects > 0,
      cookies: {},
      cookies_string: '',
    };
    if (response.headers.content_type?.includes('json')) {
      try {
        result.json = JSON.parse(response.body);
      } catch {
        // Not JSON after all: Ansible leaves `json` out too.
      }
    }
    if (args.return_content) result.content = response.body;
    if (!args.status_code.includes(response.status)) {
      return { ...result, failed: true, msg: `Status code was ${response.status} and not ${expected}: HTTP Error ${response.status}: ${response.reason}` };
    }
    result.msg = `OK (${response.headers.content_length ?? 'unknown'} bytes)`;
    return result;
  },
});
