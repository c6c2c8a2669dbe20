/**
 * docker_image beyond its cases (test/modules/cases/docker_image/): reading
 * references as docker does, the arguments each state needs, and how a
 * failed build is reported.
 */
import assert from 'node:assert/strict';
import { dockerImage, parseReference } from '../../src/modules/docker-image.js';
import type { CommandStep } from '../../src/modules/types.js';
import { fakeHost } from '../support/fake-host.js';
import { recordInvocations } from '../support/shell-argv.js';

describe('docker_image module', () => {
  it('splits references as docker does', () => {
    assert.deepEqual(parseReference('10.251.0.1:5000/httpd:latest'), { registry: '10.251.0.1:5000', repository: '10.251.0.1:5000/httpd', path: 'httpd', tag: 'latest' });
    assert.deepEqual(parseReference('httpd'), { repository: 'httpd', path: 'httpd', tag: 'latest' });
    assert.deepEqual(parseReference('library/httpd:2.4'), { repository: 'library/httpd', path: 'library/httpd', tag: '2.4' });
    assert.deepEqual(parseReference('localhost/app@sha256:ab'), { registry: 'localhost', repository: 'localhost/app', path: 'app', tag: 'latest' });
  });

  it('needs source to tag and path to build', () => {
    assert.equal(dockerImage.schema.safeParse({ name: 'x', state: 'built' }).success, false);
    assert.equal(dockerImage.schema.safeParse({ name: 'x', state: 'tagged' }).success, false);
    assert.equal(dockerImage.schema.safeParse({ name: 'x y' }).success, false);
  });

  it('a build is one command whose failure shows the build\'s last 8 lines', async () => {
    const hash = 'b'.repeat(64);
    const host = fakeHost({
      host: 'docker01',
      factOutputs: { 'image_inspect {"reference":"web:1.0"}': { stdout: '[]', stderr: 'Error: No such image: web:1.0', exitCode: 1 } },
      probes: (command) => (command.startsWith('cd -- \'/srv/my app\'') ? `${hash}\n` : undefined),
    });
    const plan = await dockerImage.plan(host, dockerImage.schema.parse({ name: 'web:1.0', state: 'built', path: '/srv/my app', dockerfile: 'Dockerfile.prod' }));
    const build = plan.steps[0] as CommandStep;
    assert.deepEqual(recordInvocations(build.command, ['docker']), [{
      program: 'docker',
      args: ['build', '--label', `swarmplay.context-sha256=${hash}`, '-t', 'web:1.0', '-f', 'Dockerfile.prod', '/srv/my app'],
    }]);
    assert.equal(build.failMessage, 'docker build of /srv/my app failed on docker01');
    assert.equal(build.failOutputLines, 8);
  });
});
