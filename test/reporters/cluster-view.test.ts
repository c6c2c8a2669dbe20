import assert from 'node:assert/strict';
import { clusterView, formatClusterView, shortImage, serviceOfTask, taskGroups, type ClusterSnapshot } from '../../src/reporters/cluster-view.js';
import { parseClusterSnapshot as parseClusterStatus } from '../../src/facts/cluster-snapshot.js';
import type { SwarmNode } from '../../src/facts/swarm-nodes.js';
import type { TaskLine } from '../../src/facts/swarm-service.js';
import { serviceFixture } from '../fixtures/docker-service/index.js';

const TAKEN = new Date('2026-11-25T09:49:17Z');
const lab = (): ClusterSnapshot => parseClusterStatus(serviceFixture('status-lab-3-nodes.txt'), 'docker01', TAKEN);
const ESCAPE = /\x1b\[/;

function node(index: number, overrides: Partial<SwarmNode> = {}): SwarmNode {
  const hostname = `docker${String(index).padStart(2, '0')}`;
  return { id: `id${index}`, hostname, role: 'worker', availability: 'active', labels: {}, status: 'ready', addr: `10.0.0.${index}`, leader: false,
    engineVersion: '20.10.24', engineLabels: {}, nanoCpus: 2e9, memoryBytes: 2 ** 31, ...overrides };
}

function task(name: string, nodeName: string, image: string, state = 'running', error = ''): TaskLine {
  const slot = /\.(\d+)$/.exec(name);
  return {
    id: `${name}-${nodeName}`, name, ...(slot && { slot: Number(slot[1]) }), node: nodeName, image, desiredState: 'running', state,
    currentState: `${state[0]!.toUpperCase()}${state.slice(1)} 2 seconds ago`, error, ports: '',
  };
}

describe('cluster view', () => {
  it('names images and services short', () => {
    assert.equal(shortImage('10.203.6.11:5000/testnginx:2.0@sha256:e3e0'), 'testnginx:2.0');
    assert.equal(shortImage('nginx'), 'nginx:latest');
    assert.equal(serviceOfTask('web.3'), 'web');
    assert.equal(serviceOfTask('my.app.o0xertcphw8kyfmf72fpfnscl'), 'my.app');
  });

  it('shows what the visualizer shows, from a real 3-node lab swarm', () => {
    const view = clusterView(lab());
    assert.deepEqual(view.nodes.map((n) => [n.hostname, n.role, n.leader, n.availability, n.state, n.labels]), [
      ['docker01', 'manager', true, 'active', 'ready', {}],
      ['docker02', 'worker', false, 'active', 'ready', { mem: 'max' }],
      ['docker03', 'worker', false, 'active', 'ready', {}],
    ]);
    assert.deepEqual(view.services.map((s) => [s.name, s.image, `${s.replicas.running}/${s.replicas.desired}`, s.ports.join(',')]), [
      ['newnginx', 'testnginx:2.0', '3/3', '80->80/tcp host'],
      ['test', 'nginx:latest', '3/3', ''],
      ['test01', 'nginx:latest', '3/3', ''],
      ['web', 'httpd:latest', '6/6', ''],
    ]);
    const docker03 = view.nodes[2]!;
    assert.deepEqual(taskGroups(docker03.tasks).map((g) => g.text), ['newnginx:2.0', 'test:latest ×3', 'web:latest ×2']);
    assert.deepEqual(view.unassigned, []);
  });

  it('prints plain text when not on a terminal', () => {
    const text = formatClusterView(clusterView(lab()), { color: false });
    assert.ok(!ESCAPE.test(text));
    const lines = text.split('\n');
    assert.equal(lines[0], 'swarm via docker01 at 2026-11-25 09:49:17Z · 3 nodes · 4 services · 15/15 tasks running');
    assert.equal(lines[2], 'NODE      ROLE      AVAILABILITY  STATE  LABELS   TASKS');
    assert.equal(lines[4], 'docker02  worker    active        ready  mem=max  newnginx:2.0 · test01:latest ×3 · web:latest ×2');
    assert.ok(lines.includes('web       replicated  6/6       httpd:latest   -                -'));
  });

  it('colours states on a terminal, and colour codes do not shift the columns', () => {
    const plain = formatClusterView(clusterView(lab()), { color: false });
    const colored = formatClusterView(clusterView(lab()), { color: true });
    assert.match(colored, /\x1b\[32mready\x1b\[39m/);
    assert.equal(colored.replace(/\x1b\[\d+m/g, ''), plain);
  });

  it('marks tasks that do not run, tasks on no node, and the errors', () => {
    const snapshot: ClusterSnapshot = {
      ...lab(),
      tasks: [
        task('newnginx.1', 'docker01', 'r:5000/testnginx:3.0', 'starting'),
        task('newnginx.2', 'docker02', 'r:5000/testnginx:2.0'),
        task('newnginx.3', '', 'r:5000/testnginx:3.0', 'pending', 'no suitable node (host-mode port already in use on 1 node)'),
      ],
    };
    const view = clusterView(snapshot);
    assert.deepEqual(view.unassigned.map((t) => t.state), ['pending']);
    const newnginx = view.services.find((s) => s.name === 'newnginx')!;
    assert.deepEqual(newnginx.replicas, { running: 1, desired: 3 });
    assert.deepEqual(newnginx.errors, ['no suitable node (host-mode port already in use on 1 node)']);
    const text = formatClusterView(view, { color: false });
    assert.match(text, /docker01 .* newnginx:3\.0 starting/);
    assert.match(text, /\(no node\) .* newnginx:3\.0 pending/);
    assert.match(text, /newnginx: no suitable node/);
  });

  it('stays one line per node at 50 nodes, cut to the terminal width', () => {
    const nodes = Array.from({ length: 50 }, (_, i) => node(i + 1, i === 0 ? { role: 'manager', leader: true } : i === 7 ? { availability: 'drain', status: 'down' } : {}));
    const tasks = nodes.flatMap((n, i) => Array.from({ length: 4 }, (_, k) => task(`service${k}.${i + 1}`, n.hostname, `reg:5000/image${k}:1.${k}`)));
    const snapshot: ClusterSnapshot = { manager: 'docker01', takenAt: TAKEN, nodes, services: [], tasks };
    const text = formatClusterView(clusterView(snapshot), { color: true, width: 80 });
    const nodeLines = text.split('\n').filter((line) => /^\S*docker\d\d/.test(line.replace(/\x1b\[\d+m/g, '')));
    assert.equal(nodeLines.length, 50);
    for (const line of nodeLines) assert.ok([...line.replace(/\x1b\[\d+m/g, '')].length <= 80, line);
    assert.match(text, /docker08 .*drain.*down/);
    const piped = formatClusterView(clusterView(snapshot), { color: false });
    assert.match(piped, /docker50 .* service0:1\.0 · service1:1\.1 · service2:1\.2 · service3:1\.3\n/);
  });
});
