import assert from 'node:assert/strict';
import { containerInspect, containerInspectCommand, parseContainerInspect } from '../../src/facts/container-inspect.js';
import { imageInspect, imageInspectCommand, parseImageInspect } from '../../src/facts/image-inspect.js';
import { registryManifest } from '../../src/facts/registry-manifest.js';
import { recordInvocations, HOSTILE_VALUES } from '../support/shell-argv.js';
import { fixture } from '../fixtures/docker/index.js';

const run = (stdout: string, exitCode = 0, stderr = '') => ({ stdout, stderr, exitCode });

describe('container_inspect, image_inspect and registry_manifest facts (on real docker 20.10 output)', () => {
  it('read a container: image, state, restart policy, published ports, bind mounts', () => {
    const registry = parseContainerInspect(fixture('container-inspect-registry.json'));
    assert.equal(registry.running, true);
    assert.equal(registry.status, 'running');
    assert.equal(registry.image, 'registry');
    assert.equal(registry.restartPolicy, 'always');
    assert.deepEqual(registry.ports, { '5000/tcp': ['5000'] });
    assert.deepEqual(registry.binds, { '/tmp/spcap/regdata': '/var/lib/registry' });
  });

  it('read an image: ID, tags, labels', () => {
    const image = parseImageInspect(fixture('image-inspect-registry.json'));
    assert.match(image.id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(image.repoTags, ['registry:latest']);
  });

  it('read "no such container/image" as null, and say what else went wrong', () => {
    assert.equal(containerInspect.parse(run('', 1, 'Error: No such container: registry'), { name: 'registry' }, 'h1'), null);
    assert.equal(containerInspect.parse(run('', 1, 'Error: No such object: registry'), { name: 'registry' }, 'h1'), null);
    assert.throws(() => containerInspect.parse(run('', 1, 'permission denied while trying to connect to the Docker daemon socket'), { name: 'registry' }, 'h1'),
      /cannot inspect container registry on h1: permission denied/);
    assert.equal(imageInspect.parse(run('[]', 1, 'Error: No such image: web:1'), { reference: 'web:1' }, 'h1'), null);
    assert.throws(() => imageInspect.parse(run('', 1, 'Cannot connect to the Docker daemon'), { reference: 'web:1' }, 'h1'), /cannot inspect image web:1 on h1/);
  });

  it('quote names and references as single words', () => {
    for (const value of HOSTILE_VALUES) {
      assert.deepEqual(recordInvocations(containerInspectCommand(value), ['docker']), [{ program: 'docker', args: ['container', 'inspect', value, '--format', '{{json .}}'] }]);
      assert.deepEqual(recordInvocations(imageInspectCommand(value), ['docker']), [{ program: 'docker', args: ['image', 'inspect', value, '--format', '{{json .}}'] }]);
    }
  });

  it('read a registry\'s digest for a tag: the digest, null for no such tag, undefined when it cannot say', () => {
    const args = { registry: '10.251.0.1:5000', path: 'httpd', tag: 'latest' };
    assert.match(registryManifest.command(args), /HEAD %s HTTP\/1\.0/);
    assert.match(registryManifest.command(args), /10\.251\.0\.1 5000 \/v2\/httpd\/manifests\/latest 'Accept: application\/vnd\.docker/);
    assert.equal(registryManifest.parse(run('HTTP/1.1 200 OK\nDocker-Content-Digest: sha256:ab\n'), args, 'h'), 'sha256:ab');
    assert.equal(registryManifest.parse(run('HTTP/1.1 404 Not Found\n'), args, 'h'), null);
    assert.equal(registryManifest.parse(run('', 127), args, 'h'), undefined);
    assert.equal(registryManifest.parse(run('HTTP/1.1 400 Bad Request\n'), args, 'h'), undefined);
  });
});
