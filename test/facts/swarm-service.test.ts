import assert from 'node:assert/strict';
import {
  parseServiceInspect, parseServicePs, sameImage, serviceInspect, serviceInspectCommand,
} from '../../src/facts/swarm-service.js';
import { networkId } from '../../src/facts/network-id.js';
import { IPVS_PROBE, kernelIpvs } from '../../src/facts/kernel-ipvs.js';
import { FactError } from '../../src/facts/types.js';
import { serviceFixture } from '../fixtures/docker-service/index.js';
import { fixture } from '../fixtures/docker/index.js';

const REGISTRY = '10.203.6.11:5000';

describe('swarm service readers', () => {
  it('reads every setting docker_service compares from a real inspect', () => {
    const service = parseServiceInspect(serviceFixture('inspect-full-options.json'));
    assert.equal(service.name, 'full');
    assert.equal(service.mode, 'replicated');
    assert.equal(service.replicas, 3);
    assert.deepEqual(service.constraints, ['node.labels.mem==max', 'node.role!=manager']);
    assert.deepEqual(service.preferences, ['node.labels.zone']);
    assert.deepEqual(service.labels, { tier: 'front' });
    assert.deepEqual(service.containerLabels, { app: 'nginx' });
    assert.deepEqual(service.env, ['A=1', 'B=two']);
    assert.deepEqual(service.networkIds, ['vlo68njiwxr7k1979hli4s2hz']);
    assert.deepEqual(service.publish, [{ published: 8081, target: 80, protocol: 'tcp', mode: 'host' }]);
    assert.deepEqual(service.updateConfig, { parallelism: 2, delayNs: 10e9, failureAction: 'rollback', monitorNs: 3e9, maxFailureRatio: 0, order: 'start-first' });
    assert.deepEqual(service.limits, { nanoCpus: 5e8, memoryBytes: 64 * 1024 ** 2 });
    assert.deepEqual(service.reservations, { nanoCpus: 2.5e8, memoryBytes: 32 * 1024 ** 2 });
    assert.equal(service.hasPreviousSpec, false);
    assert.equal(service.updateStatus, null);
  });

  it('reads the object form (--format json) as the array form', () => {
    assert.deepEqual(parseServiceInspect(fixture('service-inspect-full.json')), parseServiceInspect(serviceFixture('inspect-full-options.json')));
  });

  it('reads the update status and the previous spec', () => {
    const paused = parseServiceInspect(serviceFixture('inspect-newnginx-update-paused.json'));
    assert.equal(paused.updateStatus?.state, 'paused');
    assert.match(paused.updateStatus!.message, /update paused due to failure/);
    assert.equal(paused.hasPreviousSpec, true);
    assert.match(paused.previousImage!, /httpd:latest@sha256:/);
    const global = parseServiceInspect(serviceFixture('inspect-global.json'));
    assert.equal(global.mode, 'global');
    assert.equal(global.replicas, undefined);
  });

  it('reads task lines: state word, slot, unquoted error', () => {
    const tasks = parseServicePs(serviceFixture('ps-newnginx-update-paused-all.jsonl'));
    assert.equal(tasks.length, 5);
    const rejected = tasks.find((task) => task.state === 'rejected')!;
    assert.equal(rejected.error, `No such image: ${REGISTRY}/testnginx:9.9`);
    assert.equal(rejected.slot, 3);
    assert.equal(tasks[0]!.state, 'running');
    assert.equal(tasks[0]!.desiredState, 'running');
    assert.equal(tasks[0]!.node, 'docker03');
  });

  it('matches an image with or without the digest docker pinned', () => {
    assert.ok(sameImage(`${REGISTRY}/httpd:latest@sha256:e3e0`, `${REGISTRY}/httpd:latest`));
    assert.ok(sameImage('nginx:latest', 'nginx'));
    assert.ok(!sameImage(`${REGISTRY}/testnginx:1.0@sha256:aa`, `${REGISTRY}/testnginx:2.0`));
    assert.ok(!sameImage(`${REGISTRY}/httpd:latest@sha256:aa`, `${REGISTRY}/httpd:latest@sha256:bb`));
  });
});

describe('service_inspect fact', () => {
  const read = (stdout: string, stderr = '', exitCode = 0) => serviceInspect.parse({ stdout, stderr, exitCode }, { name: 'web' }, 'docker02');

  it('is the inspect command with --format json, quoted', () => {
    assert.equal(serviceInspect.command({ name: 'web' }), "docker service inspect web --format '{{json .}}'");
    assert.equal(serviceInspect.command({ name: 'web' }), serviceInspectCommand('web'));
  });

  it('reads a service, and null for no such service', () => {
    assert.equal(read(fixture('service-inspect-newnginx.json'))?.name, 'newnginx');
    assert.equal(read('[]\n', 'Error: no such service: web\n', 1), null);
  });

  it('says to run on a manager when asked on a worker', () => {
    assert.throws(
      () => read('', "Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Use a manager node.\n", 1),
      (error: Error) => error instanceof FactError
        && /^docker_service must run on a swarm manager, and docker02 is not one \(Error response from daemon: This node is not a swarm manager/.test(error.message)
        && /; use delegate_to: a manager$/.test(error.message),
    );
  });

  it('says when docker is missing, or what else docker answered', () => {
    assert.throws(() => read('', 'sh: docker: not found\n', 127), { message: 'docker is not installed on docker02' });
    assert.throws(() => read('', 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n', 1),
      { message: 'cannot inspect service web on docker02: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' });
  });
});

describe('network_id and kernel_ipvs facts', () => {
  it('network_id: the ID, or null when there is no such network', () => {
    assert.equal(networkId.command({ name: 'my_net1' }), "docker network inspect my_net1 --format '{{.Id}}'");
    assert.equal(networkId.parse({ stdout: 'vlo68njiwxr7k1979hli4s2hz\n', stderr: '', exitCode: 0 }, { name: 'my_net1' }, 'h'), 'vlo68njiwxr7k1979hli4s2hz');
    assert.equal(networkId.parse({ stdout: '', stderr: 'Error: No such network: nonet\n', exitCode: 1 }, { name: 'nonet' }, 'h'), null);
  });

  it('kernel_ipvs: only a clear "absent" is false', () => {
    assert.equal(kernelIpvs.command({}), IPVS_PROBE);
    assert.equal(kernelIpvs.parse({ stdout: 'absent\n', stderr: '', exitCode: 0 }, {}, 'h'), false);
    assert.equal(kernelIpvs.parse({ stdout: 'present\n', stderr: '', exitCode: 0 }, {}, 'h'), true);
  });
});
