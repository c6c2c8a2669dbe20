import assert from 'node:assert/strict';
import { swarmNode, labelFlags } from '../../src/modules/swarm-node.js';
import { DOCKER_INFO_COMMAND, NODE_LIST_COMMAND, nodeInspectCommand } from '../../src/modules/docker-cli.js';
import type { Change } from '../../src/modules/types.js';
import { fakeHost } from '../support/fake-host.js';
import { recordInvocations } from '../support/shell-argv.js';
import { fixture, jsonFixture } from '../fixtures/docker/index.js';

const SELF = '9a8l30g1qbxzon92yoa4oz88h';
/** docker03 as a ready worker with the given spec. */
function docker03(spec: Record<string, unknown> = {}, state = 'ready', id = 'w3'): string {
  return jsonFixture('node-inspect-leader.json', (node) => {
    node.ID = id;
    node.Description.Hostname = 'docker03';
    node.Spec = { Labels: {}, Role: 'worker', Availability: 'active', ...spec };
    node.Status.State = state;
    delete node.ManagerStatus;
  });
}
function host(nodes: string, inspect: Record<string, string>, info = fixture('info-manager.json')) {
  const probes: Record<string, string> = { [DOCKER_INFO_COMMAND]: info, [NODE_LIST_COMMAND]: nodes };
  for (const [id, json] of Object.entries(inspect)) probes[nodeInspectCommand(id)] = json;
  return fakeHost({ probes });
}
/** Each change as its command line; a promotion (an apply step that waits) as its description. */
const commands = (steps: Step[]) => changes.map((c) => (c.kind === 'command' ? c.command : c.description));
const parse = (args: unknown) => swarmNode.schema.parse(args);

describe('swarm_node module', () => {
  it('promotes, drains and labels in as few commands as needed', async () => {
    const plan = await swarmNode.plan(host(`${SELF} vm Ready\nw3 docker03 Ready\n`, { w3: docker03() }),
      parse({ node: 'docker03', role: 'manager', availability: 'drain', labels: { mem: 'max' } }));
    assert.deepEqual(commands(plan.steps), ['docker node promote docker03 (w3)', 'docker node update --availability drain --label-add mem=max w3']);
    assert.deepEqual(plan.result, { node_id: 'w3', hostname: 'docker03', role: 'manager', availability: 'drain', labels: { mem: 'max' }, status: 'ready' });
  });

  it('waits after a promotion until the node is a reachable manager', async () => {
    const plan = await swarmNode.plan(host(`${SELF} vm Ready\nw3 docker03 Ready\n`, { w3: docker03() }), parse({ node: 'docker03', role: 'manager' }));
    const promote = plan.steps[0]!;
    assert.equal(promote.kind, 'apply');
    const ran: string[] = [];
    const answers = ['', 'unknown', 'reachable'];
    const result = await (promote as Extract<Change, { kind: 'apply' }>).apply({
      host: 'docker01',
      async run(command: string) {
        ran.push(command);
        if (command.startsWith('docker node promote')) return { stdout: 'Node w3 promoted to a manager in the swarm.\n', stderr: '', exitCode: 0 };
        return { stdout: `${answers.shift() ?? 'reachable'}\n`, stderr: '', exitCode: 0 };
      },
      async putFile() { throw new Error('no file is written'); },
      async getFile() { throw new Error('no file is read'); },
    });
    assert.deepEqual(result, { reachability: 'reachable' });
    assert.equal(ran[0], 'docker node promote w3');
    assert.equal(ran.length, 4, 'promote, then inspect until reachable');
  });

  it('changes nothing when the node is already as asked (a second run)', async () => {
    const plan = await swarmNode.plan(host(`w3 docker03 Ready\n`, { w3: docker03({ Labels: { mem: 'max', disk: 'ssd' } }) }),
      parse({ node: 'docker03', role: 'worker', availability: null, labels: { mem: 'max' } }));
    assert.deepEqual(plan.steps, []);
  });

  it('sets labels exactly, or removes the given keys', () => {
    assert.deepEqual(labelFlags({ a: '1', b: '2' }, { a: '1', c: '3' }, 'exact'), ['--label-add', 'c=3', '--label-rm', 'b']);
    assert.deepEqual(labelFlags({ a: '1', b: '2' }, { b: '', x: '' }, 'absent'), ['--label-rm', 'b']);
    assert.deepEqual(labelFlags({ a: '1' }, { a: '2' }, 'merge'), ['--label-add', 'a=2']);
  });

  it('quotes label values', async () => {
    const plan = await swarmNode.plan(host(`w3 docker03 Ready\n`, { w3: docker03() }), parse({ node: 'docker03', labels: { 'zone': "a b'; rm -rf /" } }));
    assert.deepEqual(recordInvocations(commands(plan.steps)[0]!, ['docker']), [{ program: 'docker', args: ['node', 'update', '--label-add', "zone=a b'; rm -rf /", 'w3'] }]);
  });

  it('picks the ready node when a hostname also names down leftovers', async () => {
    const plan = await swarmNode.plan(host(`old docker03 Down\nw3 docker03 Ready\n`, { w3: docker03() }), parse({ node: 'docker03', role: 'manager' }));
    assert.deepEqual(commands(plan.steps), ['docker node promote docker03 (w3)']);
  });

  it('fails clearly off a manager, and for an unknown node', async () => {
    const worker = jsonFixture('info-manager.json', (info) => { info.Swarm.ControlAvailable = false; });
    const off = await swarmNode.plan(host('', {}, worker), parse({ node: 'docker03' }));
    assert.match(off.failed!, /must run on a swarm manager.*delegate_to/);
    const unknown = await swarmNode.plan(host(`${SELF} vm Ready\n`, {}), parse({ node: 'docker09' }));
    assert.match(unknown.failed!, /node docker09 is not in the swarm managed by fake01/);
  });

  it('removes a down node (and its down duplicates); refuses one still up unless forced', async () => {
    const down = await swarmNode.plan(host(`old docker03 Down\nw3 docker03 Down\n`, { old: docker03({}, 'down', 'old'), w3: docker03({}, 'down') }), parse({ node: 'docker03', state: 'absent' }));
    assert.deepEqual(commands(down.steps), ['docker node rm old', 'docker node rm w3']);
    const up = await swarmNode.plan(host(`w3 docker03 Ready\n`, { w3: docker03() }), parse({ node: 'docker03', state: 'absent' }));
    assert.match(up.failed!, /still up: make it leave the swarm first/);
    const forced = await swarmNode.plan(host(`w3 docker03 Ready\n`, { w3: docker03() }), parse({ node: 'docker03', state: 'absent', force: true }));
    assert.deepEqual(commands(forced.steps), ['docker node rm --force w3']);
    const gone = await swarmNode.plan(host(`${SELF} vm Ready\n`, {}), parse({ node: 'docker03', state: 'absent' }));
    assert.deepEqual(gone.steps, []);
  });

  it('demotes a manager before removing it, and never removes the manager it runs on', async () => {
    const manager = docker03({ Role: 'manager' }, 'down');
    const plan = await swarmNode.plan(host(`w3 docker03 Down\n`, { w3: manager }), parse({ node: 'docker03', state: 'absent' }));
    assert.deepEqual(commands(plan.steps), ['docker node demote w3', 'docker node rm w3']);
    const self = await swarmNode.plan(host(`${SELF} vm Ready\n`, { [SELF]: fixture('node-inspect-leader.json') }), parse({ node: 'vm', state: 'absent', force: true }));
    assert.match(self.failed!, /the manager this task runs on/);
  });
});
