/**
 * `registry_answers`: a registry on the host answers GET /v2/ on its port
 * (HTTP 200, open, or 401, asking for credentials), tested over bash's
 * /dev/tcp. A host without bash cannot be asked: the wait is done at once
 * and says it skipped the test. The outcome's `v2` says what was seen.
 */
import { z } from 'zod';
import { defineCondition } from './types.js';
import { httpHead } from '../../facts/tcp-http.js';

/** The /v2/ check (an http_head fact's arguments): answered 200 (open) or 401 (auth), a registry listens. */
export function v2Request(port: number) {
  return { host: '127.0.0.1', port, path: '/v2/' };
}

export const V2_SKIPPED = 'skipped: no bash on the host to test /v2/';

export const registryAnswers = defineCondition({
  name: 'registry_answers',
  schema: z.object({ port: z.number().int().min(1).max(65535) }).strict(),
  start(args) {
    let host = '';
    return {
      async poll(probeHost) {
        host = probeHost.host;
        const request = v2Request(args.port);
        const head = httpHead.parse(await probeHost.probe(httpHead.command(request)), request, probeHost.host);
        if (!head) return { state: 'done', result: { v2: V2_SKIPPED } };
        const { status } = head;
        if (status === 200 || status === 401) return { state: 'done', result: { v2: `answers /v2/ (HTTP ${status})` } };
        return { state: 'waiting', progress: status ? `HTTP ${status}` : 'no answer' };
      },
      timeoutMessage(timeoutMs, lastProgress) {
        return `the registry on ${host}:${args.port} does not answer /v2/ after ${Math.round(timeoutMs / 1000)} s (${lastProgress || 'no answer'}); see docker logs`;
      },
    };
  },
});
