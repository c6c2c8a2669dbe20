import assert from 'node:assert/strict';
import { Command } from 'commander';
import { registerStatusCommand, renderStatus } from '../../src/cli/status-command.js';
import { clusterSnapshotCommand, parseClusterSnapshot as parseClusterStatus } from '../../src/facts/cluster-snapshot.js';
import { pickManager } from '../../src/runner/cluster-reader.js';
import type { Inventory } from '../../src/language/inventory.js';
import { serviceFixture } from '../fixtures/docker-service/index.js';

const snapshot = () => parseClusterStatus(serviceFixture('status-lab-3-nodes.txt'), 'docker01', new Date('2026-11-25T09:49:17Z'));

describe('swarmplay status', () => {
  it('reads nodes, services and running tasks from one round trip on a real manager', () => {
    const read = snapshot();
    assert.deepEqual(read.nodes.map((n) => n.hostname), ['docker01', 'docker02', 'docker03']);
    assert.deepEqual(read.services.map((s) => s.name).sort(), ['newnginx', 'test', 'test01', 'web']);
    assert.equal(read.tasks.length, 15);
    assert.ok(read.tasks.every((t) => t.desiredState === 'running'));
  });

  it('asks only read-only docker commands', () => {
    const commands = [clusterSnapshotCommand(), clusterSnapshotCommand({ history: true })].join('\n').match(/docker \w+ \w+/g);
    assert.deepEqual([...new Set(commands)], ['docker node ls', 'docker node inspect', 'docker service ls', 'docker service inspect', 'docker service ps']);
  });

  it('prints plain text when piped, colour on a terminal unless NO_COLOR, JSON with --json', () => {
    const piped = renderStatus(snapshot(), {}, { write() {}, isTTY: false }, {});
    assert.ok(!piped.includes('\x1b['));
    const terminal = renderStatus(snapshot(), {}, { write() {}, isTTY: true, columns: 100 }, {});
    assert.ok(terminal.includes('\x1b['));
    const noColor = renderStatus(snapshot(), {}, { write() {}, isTTY: true, columns: 100 }, { NO_COLOR: '1' });
    assert.ok(!noColor.includes('\x1b['));
    const json = JSON.parse(renderStatus(snapshot(), { json: true }, { write() {}, isTTY: true }, {}));
    assert.equal(json.manager, 'docker01');
    assert.deepEqual(json.services.find((s: { name: string }) => s.name === 'web').replicas, { running: 6, desired: 6 });
  });

  it('asks the first host of group managers, or the one named', () => {
    const inventory = {
      hasGroup: (group: string) => group === 'managers',
      groupHosts: () => ['docker01', 'docker04'],
      hasHost: (host: string) => ['docker01', 'docker02', 'docker04'].includes(host),
    } as unknown as Inventory;
    assert.equal(pickManager(inventory, 'inv.yaml'), 'docker01');
    assert.equal(pickManager(inventory, 'inv.yaml', 'docker04'), 'docker04');
    assert.throws(() => pickManager(inventory, 'inv.yaml', 'nope'), /--manager nope: no such host/);
    const none = { hasGroup: () => false } as unknown as Inventory;
    assert.throws(() => pickManager(none, 'inv.yaml'), /has no host in the group managers/);
  });

  it('registers `status` with its options', () => {
    const program = new Command('swarmplay');
    registerStatusCommand(program);
    const status = program.commands.find((command) => command.name() === 'status')!;
    assert.deepEqual(status.options.map((option) => option.long), ['--inventory', '--ask-vault-pass', '--vault-password-file', '--vault-id', '--manager', '--watch', '--interval', '--json', '--strict-host-keys', '--known-hosts', '--ask-pass', '--timeout']);
  });
});
