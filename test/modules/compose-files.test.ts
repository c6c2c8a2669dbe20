/**
 * Compose files made on the controller for docker_stack: .env reading and
 * `${VAR}` interpolation as docker compose reads them, with `$` kept for
 * docker where it must stay one; merged services and per-service digests.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  composeServices, interpolateString, loadComposeFiles, parseDotEnv, serviceDigests, type ComposeFile,
} from '../../src/modules/compose-files.js';
import { renderTemplateFile } from '../../src/language/template-file.js';
import { REPO_ROOT } from '../support/cli.js';
import { fakeHost } from '../support/fake-host.js';

const file = (document: Record<string, unknown>): ComposeFile => ({ source: 'test', text: '', document });

describe('compose files for docker_stack', () => {
  it('reads .env lines: comments, export, quotes, inline comments', () => {
    assert.deepEqual(parseDotEnv('# release\nTAG=v2 # the new one\nexport N=3\nQ="a \\"b\\""\nS=\'$x\'\n\nnot a line\n'), {
      TAG: 'v2', N: '3', Q: 'a "b"', S: '$x',
    });
  });

  it('interpolates ${VAR}, $VAR and the default and error forms; $$ and $ in values stay for docker', () => {
    const missing = new Set<string>();
    const env = { TAG: 'v2', EMPTY: '', PRICE: '$5' };
    assert.equal(interpolateString('httpd:${TAG}', env, missing), 'httpd:v2');
    assert.equal(interpolateString('$TAG-${EMPTY:-d}-${EMPTY-d}-${UNSET-u}', env, missing), 'v2-d--u');
    assert.equal(interpolateString('costs ${PRICE} and $$HOME', env, missing), 'costs $$5 and $$HOME');
    assert.deepEqual([...missing], []);
    interpolateString('${NOPE} ${EMPTY:?must be set} ${GONE?}', env, missing);
    assert.deepEqual([...missing], ['NOPE', 'EMPTY (must be set)', 'GONE']);
  });

  it('merges services over the files in order; one-shot by restart condition', () => {
    const services = composeServices([
      file({ services: { web: { image: 'a:1', deploy: { replicas: 2 } }, job: { image: 'j', deploy: { restart_policy: { condition: 'none' } } } } }),
      file({ services: { web: { image: 'a:2' }, agent: { image: 'g', deploy: { mode: 'global' } } } }),
    ]);
    assert.deepEqual(services, [
      { name: 'agent', image: 'g', mode: 'global', oneShot: false },
      { name: 'job', image: 'j', mode: 'replicated', oneShot: true },
      { name: 'web', image: 'a:2', mode: 'replicated', replicas: 2, oneShot: false },
    ]);
  });

  it('a service\'s digest changes with its own definition and with what services share, not with another service', () => {
    const base = { version: '3.8', services: { web: { image: 'a:1' }, api: { image: 'b:1' } }, networks: { front: {} } };
    const digests = (document: Record<string, unknown>) => serviceDigests([file(document)], composeServices([file(document)]));
    const before = digests(base);
    const webChanged = digests({ ...base, services: { ...base.services, web: { image: 'a:2' } } });
    assert.notEqual(webChanged.get('web'), before.get('web'));
    assert.equal(webChanged.get('api'), before.get('api'));
    const networkChanged = digests({ ...base, networks: { front: { driver: 'overlay' } } });
    assert.notEqual(networkChanged.get('api'), before.get('api'));
  });

  it('a .j2 compose file is rendered with the play\'s variables first, then interpolated with the .env beside it', async () => {
    const vars = { tiers: ['web', 'api'] };
    const host = fakeHost({
      playbookDir: path.join(REPO_ROOT, 'test', 'fixtures', 'stacks'),
      vars,
      templates: () => { throw new Error('rendered below'); },
    });
    const files = await loadComposeFiles({ ...host, renderTemplate: (file) => renderTemplateFile(file, vars) }, ['web.yaml.j2'], {});
    assert.ok(!('failed' in files), JSON.stringify(files));
    assert.deepEqual(files[0]!.document.services, {
      web: { image: 'registry.invalid:5000/httpd:latest', hostname: '{{.Task.Slot}}' },
      api: { image: 'registry.invalid:5000/httpd:latest', hostname: '{{.Task.Slot}}' },
    });
  });
});
