import assert from 'node:assert/strict';
import { dockerImage, parseReference, contextHashCommand, CONTEXT_LABEL } from '../../src/modules/docker-image.js';
import { imageInspectCommand } from '../../src/modules/docker-cli.js';
import type { Change } from '../../src/modules/types.js';
import { fakeHost } from '../support/fake-host.js';
import { jsonFixture } from '../fixtures/docker/index.js';

const TARGET = '10.251.0.1:5000/httpd:latest';
const NO_IMAGE = { stdout: '', stderr: 'Error: No such image: x', exitCode: 1 };
const DIGEST = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';
const image = (id: string, repoDigests: string[] = [], labels: Record<string, string> = {}) =>
  jsonFixture('image-inspect-registry.json', (i) => { i.Id = id; i.RepoDigests = repoDigests; i.Config.Labels = labels; });
const commands = (steps: Step[]) => changes.map((c) => (c as Extract<Change, { kind: 'command' }>).command ?? c.description);
const parse = (args: unknown) => dockerImage.schema.parse(args);

/** Answers the registry's HEAD /v2/httpd/manifests/latest with `head`. */
function probes(images: Record<string, string | typeof NO_IMAGE>, head?: string) {
  return (command: string) => {
    for (const [ref, answer] of Object.entries(images)) if (command === imageInspectCommand(ref)) return answer;
    if (command.includes('/v2/') && head !== undefined) return head;
    return undefined;
  };
}

describe('docker_image module', () => {
  it('splits references as docker does', () => {
    assert.deepEqual(parseReference(TARGET), { registry: '10.251.0.1:5000', repository: '10.251.0.1:5000/httpd', path: 'httpd', tag: 'latest' });
    assert.deepEqual(parseReference('httpd'), { repository: 'httpd', path: 'httpd', tag: 'latest' });
    assert.deepEqual(parseReference('library/httpd:2.4'), { repository: 'library/httpd', path: 'library/httpd', tag: '2.4' });
  });

  it('tags and pushes a new name (the seed\'s docker tag + docker push)', async () => {
    const host = fakeHost({ probes: probes({ [TARGET]: NO_IMAGE, 'httpd:latest': image('sha256:aa') }, 'HTTP/1.1 404 Not Found\n') });
    const plan = await dockerImage.plan(host, parse({ name: TARGET, source: 'httpd:latest', state: 'pushed' }));
    assert.deepEqual(commands(plan.steps), [`docker tag httpd:latest ${TARGET}`, `docker push ${TARGET}`]);
  });

  it('does not push again when the registry holds the digest the host pushed (a second run)', async () => {
    const pushed = image('sha256:aa', [`10.251.0.1:5000/httpd@${DIGEST}`]);
    const host = fakeHost({ probes: probes({ [TARGET]: pushed, 'httpd:latest': image('sha256:aa') }, `HTTP/1.1 200 OK\nDocker-Content-Digest: ${DIGEST}\n`) });
    assert.deepEqual((await dockerImage.plan(host, parse({ name: TARGET, source: 'httpd:latest', state: 'pushed' }))).steps, []);
  });

  it('pushes again when the registry lost the image or holds another digest', async () => {
    const pushed = image('sha256:aa', [`10.251.0.1:5000/httpd@${DIGEST}`]);
    const lost = fakeHost({ probes: probes({ [TARGET]: pushed }, 'HTTP/1.1 404 Not Found\n') });
    assert.deepEqual(commands((await dockerImage.plan(lost, parse({ name: TARGET, state: 'pushed' }))).steps), [`docker push ${TARGET}`]);
    const other = fakeHost({ probes: probes({ [TARGET]: pushed }, 'HTTP/1.1 200 OK\nDocker-Content-Digest: sha256:22\n') });
    assert.equal((await dockerImage.plan(other, parse({ name: TARGET, state: 'pushed' }))).steps.length, 1);
  });

  it('without an answer from the registry, pushes only what the host never pushed', async () => {
    const unanswered = { stdout: '', stderr: '', exitCode: 127 };
    const never = fakeHost({ probes: (c) => (c === imageInspectCommand(TARGET) ? image('sha256:aa') : c.includes('/v2/') ? unanswered : undefined) });
    assert.equal((await dockerImage.plan(never, parse({ name: TARGET, state: 'pushed' }))).steps.length, 1);
    const once = fakeHost({ probes: (c) => (c === imageInspectCommand(TARGET) ? image('sha256:aa', [`10.251.0.1:5000/httpd@${DIGEST}`]) : c.includes('/v2/') ? unanswered : undefined) });
    assert.deepEqual((await dockerImage.plan(once, parse({ name: TARGET, state: 'pushed' }))).steps, []);
  });

  it('fails clearly for a missing source, and for a push without a registry', async () => {
    const missing = await dockerImage.plan(fakeHost({ probes: probes({ [TARGET]: NO_IMAGE, 'httpd:latest': NO_IMAGE }) }), parse({ name: TARGET, source: 'httpd:latest', state: 'tagged' }));
    assert.match(missing.failed!, /image httpd:latest is not on fake01/);
    const hub = await dockerImage.plan(fakeHost({ probes: probes({ 'myapp:1': image('sha256:aa') }) }), parse({ name: 'myapp:1', state: 'pushed' }));
    assert.match(hub.failed!, /names no registry/);
    assert.equal(dockerImage.schema.safeParse({ name: 'x', state: 'built' }).success, false);
  });

  it('pulls only a missing image', async () => {
    assert.deepEqual((await dockerImage.plan(fakeHost({ probes: probes({ [TARGET]: image('sha256:aa') }) }), parse({ name: TARGET }))).steps, []);
    assert.deepEqual(commands((await dockerImage.plan(fakeHost({ probes: probes({ [TARGET]: NO_IMAGE }) }), parse({ name: TARGET }))).steps), [`docker pull ${TARGET}`]);
  });

  it('builds a folder once: the context hash is kept as an image label', async () => {
    const hash = 'a'.repeat(64);
    const hashProbe = { [contextHashCommand('/srv/aa')]: `${hash}\n` };
    const fresh = fakeHost({ probes: (c) => hashProbe[c] ?? probes({ 'web:1.0': NO_IMAGE })(c) });
    const plan = await dockerImage.plan(fresh, parse({ name: 'web:1.0', state: 'built', path: '/srv/aa' }));
    assert.match(plan.steps[0]!.description, /docker build -t web:1.0 \/srv\/aa/);
    const built = fakeHost({ probes: (c) => hashProbe[c] ?? probes({ 'web:1.0': image('sha256:bb', [], { [CONTEXT_LABEL]: hash }) })(c) });
    assert.deepEqual((await dockerImage.plan(built, parse({ name: 'web:1.0', state: 'built', path: '/srv/aa' }))).steps, []);
  });
});
