import assert from 'node:assert/strict';
import { certificateView, clusterView, formatClusterView, quorumOf, shortImage, serviceOfTask, sinceOf, taskGroups, type ClusterSnapshot } from '../../src/reporters/cluster-view.js';
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

  it('shows each node certificate expiry with the days left, warned under 30 days, unknown when unread', () => {
    const view = clusterView(lab(), { docker01: '2027-02-23T09:49:17.000Z', docker02: '2026-12-05T10:00:00.000Z', docker03: null });
    assert.deepEqual(view.nodes.map((n) => n.certificate), [
      { expires: '2027-02-23T09:49:17.000Z', text: '2027-02-23 (90 days left)', warn: false },
      { expires: '2026-12-05T10:00:00.000Z', text: '2026-12-05 (10 days left)', warn: true },
      { expires: null, text: 'unknown', warn: false },
    ]);
    assert.deepEqual(certificateView('2026-11-01T00:00:00.000Z', TAKEN), { expires: '2026-11-01T00:00:00.000Z', text: '2026-11-01 (expired)', warn: true });
    const text = formatClusterView(view, { color: false });
    assert.match(text, /NODE +ROLE +AVAILABILITY +STATE +LABELS +CERT EXPIRES +TASKS/);
    assert.match(text, /docker02 .* mem=max +2026-12-05 \(10 days left\) /);
    assert.match(text, /docker03 .* unknown /);
    assert.doesNotMatch(formatClusterView(clusterView(lab()), { color: false }), /CERT EXPIRES/, 'no column when the expiries were not read');
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

describe('cluster view with task history', () => {
  const at = new Date('2026-12-02T12:00:00Z');
  const old = (name: string, nodeName: string, state: string, error = ''): TaskLine => ({
    ...task(name, nodeName, 'reg:5000/testnginx:9.9@sha256:aa', state, error), id: `${name}-${state}`, desiredState: 'shutdown',
  });

  it('keeps a slot\'s failed tasks under the running one, and a failed task without successor on its node', () => {
    const snapshot: ClusterSnapshot = {
      manager: 'docker01', takenAt: at,
      nodes: [node(1, { role: 'manager', leader: true, reachability: 'reachable' }), node(2)],
      services: [],
      tasks: [
        task('web.1', 'docker01', 'reg:5000/testnginx:1.0'),
        old('web.1', 'docker02', 'rejected', 'No such image: reg:5000/testnginx:9.9'),
        old('web.2', 'docker02', 'failed', 'task: non-zero exit (1)'),
        old('web.3', 'docker02', 'shutdown'),
      ],
    };
    const view = clusterView(snapshot);
    const [docker01, docker02] = view.nodes;
    assert.equal(docker01!.tasks.length, 1);
    assert.deepEqual(docker01!.tasks[0]!.history!.map((t) => [t.state, t.node, t.error]), [['rejected', 'docker02', 'No such image: reg:5000/testnginx:9.9']]);
    assert.deepEqual(docker02!.tasks, []);
    assert.deepEqual(docker02!.ended.map((t) => [t.slot, t.state]), [[2, 'failed']], 'a slot shut down cleanly is not kept');
    assert.equal(docker01!.tasks[0]!.since, '2026-12-02T11:59:58.000Z');
  });

  it('reads docker\'s "how long ago" and the quorum', () => {
    assert.equal(sinceOf('Running about an hour ago', at), '2026-12-02T11:00:00.000Z');
    assert.equal(sinceOf('Rejected less than a second ago', at), at.toISOString());
    assert.equal(sinceOf('Pending', at), undefined);
    const managers = (reachability: string[]) => reachability.map((r) => ({ role: 'manager', reachability: r }));
    assert.deepEqual(quorumOf(managers(['reachable', 'reachable', 'reachable'])), { managers: 3, reachable: 3, tolerates: 1 });
    assert.deepEqual(quorumOf(managers(['reachable', 'reachable'])), { managers: 2, reachable: 2, tolerates: 0, warning: 'even' });
    assert.deepEqual(quorumOf(managers(['reachable', 'unreachable', 'unreachable'])), { managers: 3, reachable: 1, tolerates: 1, warning: 'lost' });
  });
});
