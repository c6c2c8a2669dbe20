/**
 * `get_url`: downloads a URL to a file on the host, as Ansible's get_url,
 * with the download run on the host (curl, else wget; see http-on-host.ts).
 *
 * - `dest` missing: downloaded. `dest` present and `force: false` (the
 *   default): left alone, unless `checksum` is given and differs.
 * - `force: true`: the URL's content is hashed on the host first (streamed
 *   through sha1sum, nothing written), and only different bytes are written,
 *   so a second run is ok. That costs a second transfer when it differs.
 * - `checksum: "sha256:<hex>"`: the download is checked before it replaces
 *   anything; a mismatch fails and leaves dest as it was. (Ansible's
 *   "sha256:<URL of a checksum file>" form is not supported.)
 * - The file is written to a temp file in dest's folder, given its mode and
 *   owner, then renamed over dest: never half a file. A `dest` that is a
 *   folder gets the URL's last path segment as the file name.
 * - `timeout` (seconds, default 10) bounds the whole transfer; a URL that
 *   does not answer in time fails with the timeout named.
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { accountArg, booleanArg } from './argument-types.js';
import { modeSchema, resolveMode } from './file-mode.js';
import { quote, quoteArgs } from '../transport/shell-quote.js';
import { CHECKSUM_ALGORITHMS, pathInfo, type ChecksumAlgorithm } from '../facts/path-info.js';
import { curlConfig, curlOptions, httpArgsShape, NO_HTTP_TOOL, timeoutArg, transferFailure, type HttpOptions } from './http-on-host.js';

const CHECKSUM = new RegExp(`^(${CHECKSUM_ALGORITHMS.join('|')}):([0-9a-fA-F]+)$`);

const getUrlArgs = z
  .object({
    ...httpArgsShape,
    dest: z.string().min(1),
    force: booleanArg.default(false),
    checksum: z.string().regex(CHECKSUM, 'expected <algorithm>:<hex digest>, like sha256:9f86d0...').optional(),
    timeout: timeoutArg.default(10),
    backup: booleanArg.default(false),
    mode: modeSchema.optional(),
    owner: accountArg.optional(),
    group: accountArg.optional(),
    tmp_dest: z.string().min(1).optional(),
  })
  .strict();

export type GetUrlArgs = z.infer<typeof getUrlArgs>;

function httpOptions(args: GetUrlArgs): HttpOptions {
  return { ...args, followRedirects: true };
}

/** A sh function `fetch_url OUT` that downloads the URL to OUT (or - for stdout); exits 127 with neither tool. */
function fetchFunction(args: GetUrlArgs): string {
  const curl = quoteArgs(['curl', ...curlOptions(httpOptions(args)), '-f', '-o']);
  const wgetHeaders = Object.entries(args.headers).flatMap(([name, value]) => ['--header', `${name}: ${value}`]);
  const wget = quoteArgs(['wget', '-q', '-T', String(args.timeout), ...(args.validate_certs ? [] : ['--no-check-certificate']),
    ...(args.use_proxy ? [] : ['--no-proxy']), '-U', args.http_agent, ...wgetHeaders, args.url, '-O']);
  const lines = [
    'fetch_url() {',
    `  if command -v curl >/dev/null 2>&1; then printf '%s' "$config" | ${curl} "$1"`,
  ];
  // wget would need the credentials on its command line: with them, curl is required.
  if (args.url_username === undefined) lines.push(`  elif command -v wget >/dev/null 2>&1; then ${wget} "$1"`);
  lines.push(
    `  else echo 'get_url: the host has no curl${args.url_username === undefined ? ' or wget' : ' (needed for url_username)'}: install one' >&2; exit ${NO_HTTP_TOOL}`,
    '  fi',
    '}',
  );
  return lines.join('\n');
}

/** The script that downloads, checks, and moves into place; prints `sum:` and `size:` of what it wrote. */
export function downloadScript(args: GetUrlArgs, dest: string, mode: string | undefined, expected?: { algorithm: ChecksumAlgorithm; digest: string }): string {
  const slash = dest.lastIndexOf('/');
  const folder = args.tmp_dest ?? (slash === -1 ? '.' : slash === 0 ? '' : dest.slice(0, slash));
  const lines = [
    'config=$(cat)',
    fetchFunction(args),
    `d=${quote(dest)}`,
    `t=$(mktemp ${quote(`${folder || '/'}/.get_url.XXXXXX`)}) || exit 1`,
    "trap 'rm -f \"$t\"' EXIT",
    'fetch_url "$t" || exit $?',
  ];
  if (expected) {
    lines.push(
      `s=$(${expected.algorithm}sum < "$t"); s=\${s%% *}`,
      `if [ "$s" != ${quote(expected.digest.toLowerCase())} ]; then echo "The checksum for $d did not match ${expected.digest.toLowerCase()}; it was $s: nothing written" >&2; exit 3; fi`,
    );
  }
  lines.push(mode !== undefined ? `chmod ${mode} "$t"` : 'if [ -e "$d" ]; then chmod --reference="$d" "$t"; else chmod "$(printf %o $((0666 & ~$(umask))))" "$t"; fi');
  if (args.owner !== undefined || args.group !== undefined) {
    lines.push(quoteArgs(['chown', `${args.owner ?? ''}${args.group !== undefined ? `:${args.group}` : ''}`, '--']) + ' "$t"');
  }
  if (args.backup) lines.push('if [ -f "$d" ]; then b="$d.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$d" "$b" && echo "backup:$b"; fi');
  lines.push(
    // mv from the same folder is a rename; from tmp_dest it may copy, as Ansible's does.
    'mv -f -- "$t" "$d" || exit 1',
    'trap - EXIT',
    's=$(sha1sum < "$d"); echo "sum:${s%% *}"',
    'echo "size:$(wc -c < "$d")"',
  );
  return lines.join('\n');
}

/** A probe that hashes the URL's content without writing it. */
export function remoteDigestScript(args: GetUrlArgs, algorithm: ChecksumAlgorithm): string {
  return ['config=$(cat)', fetchFunction(args), `{ fetch_url - || echo "__failed:$?" >&2; } | ${algorithm}sum`].join('\n');
}

export const getUrl = defineModule({
  name: 'get_url',
  schema: getUrlArgs,
  secretArgs: ['url_password'],
  async plan(ctx, args): Promise<Plan> {
    const expected = args.checksum === undefined ? undefined : (() => {
      const [, algorithm, digest] = CHECKSUM.exec(args.checksum!)!;
      return { algorithm: algorithm as ChecksumAlgorithm, digest: digest!.toLowerCase() };
    })();
    const algorithm = expected?.algorithm ?? 'sha1';
    let dest = args.dest;
    let info = await ctx.fact(pathInfo, { path: dest, follow: true, checksum: algorithm });
    if (info.type === 'directory') {
      const name = new URL(args.url).pathname.split('/').filter(Boolean).pop() ?? 'index.html';
      dest = `${dest.replace(/\/+$/, '')}/${decodeURIComponent(name)}`;
      info = await ctx.fact(pathInfo, { path: dest, follow: true, checksum: algorithm });
    }
    const result: Record<string, unknown> = { dest, url: args.url, state: 'file' };
    const wantedMode = args.mode === undefined ? undefined : resolveMode(args.mode, info.exists ? parseInt(info.mode!, 8) : undefined, false);
    if (info.exists) {
      result.checksum_dest = info.checksum;
      if (expected && info.checksum === expected.digest && !args.force) {
        return { steps: attributeSteps(dest, info, args, wantedMode), result: { ...result, checksum_src: info.checksum, msg: 'file already exists' } };
      }
      if (!expected && !args.force) {
        return { steps: attributeSteps(dest, info, args, wantedMode), result: { ...result, msg: 'file already exists' } };
      }
      if (args.force) {
        const options = { stdin: curlConfig(httpOptions(args)), timeoutMs: (args.timeout + 30) * 1000 };
        const probe = await ctx.probe(remoteDigestScript(args, algorithm), options);
        const failure = /__failed:(\d+)/.exec(probe.stderr);
        if (failure) return { steps: [], result: { ...result, status_code: -1 }, failed: transferFailure(probe.stderr, Number(failure[1]), args.timeout, args.url) };
        const digest = probe.stdout.trim().split(/\s+/)[0];
        if (expected && digest !== expected.digest) {
          return { steps: [], result, failed: `The checksum for ${dest} did not match ${expected.digest}; it was ${digest}: nothing written` };
        }
        if (digest === info.checksum) return { steps: attributeSteps(dest, info, args, wantedMode), result: { ...result, checksum_src: digest, msg: 'OK' } };
      }
    }
    const download: Step = {
      kind: 'command',
      id: 'download',
      description: `download ${args.url} to ${dest}`,
      command: downloadScript(args, dest, wantedMode, expected),
      display: `download ${args.url} to ${dest}`,
      stdin: curlConfig(httpOptions(args)),
      timeoutMs: (args.timeout * 2 + 60) * 1000,
      failMessage: `Request failed getting ${args.url}`,
      failHints: [
        { whenOutputMatches: 'did not match', message: 'checksum mismatch' },
        { whenOutputMatches: 'timed out|Operation timed out', message: `Request failed: timed out after ${args.timeout} s (timeout: ${args.timeout}) getting ${args.url}` },
        { whenOutputMatches: 'has no curl', message: 'get_url runs on the host' },
      ],
      failOutputLines: 1,
    };
    return { steps: [download], result };
  },
  finish(_args, outcomes) {
    const out = outcomes.byId('download')?.run?.stdout ?? '';
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(out)?.[1];
    const sum = field('sum');
    const size = field('size');
    const backup = field('backup');
    return {
      ...(sum !== undefined && { checksum_src: sum, checksum_dest: sum, msg: `OK (${size?.trim()} bytes)`, status_code: 200 }),
      ...(size !== undefined && { size: Number(size) }),
      ...(backup !== undefined && { backup_file: backup }),
    };
  },
});

/** chmod/chown on an existing dest whose bytes are right. */
function attributeSteps(dest: string, info: { mode?: string; owner?: string; group?: string; uid?: number; gid?: number }, args: GetUrlArgs, mode: string | undefined): Step[] {
  const steps: Step[] = [];
  if (mode !== undefined && parseInt(mode, 8) !== parseInt(info.mode!, 8)) {
    steps.push({ kind: 'command', description: `set mode ${mode} on ${dest}`, command: quoteArgs(['chmod', mode, '--', dest]) });
  }
  const ownerDiffers = args.owner !== undefined && args.owner !== info.owner && args.owner !== String(info.uid);
  const groupDiffers = args.group !== undefined && args.group !== info.group && args.group !== String(info.gid);
  if (ownerDiffers || groupDiffers) {
    const account = `${ownerDiffers ? args.owner : ''}${groupDiffers ? `:${args.group}` : ''}`;
    steps.push({ kind: 'command', description: `set owner ${account} on ${dest}`, command: quoteArgs(['chown', account, '--', dest]) });
  }
  return steps;
}
