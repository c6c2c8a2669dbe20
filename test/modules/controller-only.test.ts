import assert from 'node:assert/strict';
import { setFact } from '../../src/modules/set-fact.js';
import { debug, NOT_DEFINED } from '../../src/modules/debug.js';
import { assertModule } from '../../src/modules/assert.js';
import { fail } from '../../src/modules/fail.js';
import { findModule, isModuleName, loadAllModules, loadModule, moduleNames } from '../../src/modules/index.js';
import { fakeHost } from '../support/fake-host.js';

const vars = { swarm: { managers: ['docker01'], port: 2377 }, ready: true, count: 3 };

describe('controller-only modules', () => {
  // Modules are imported when a playbook names them; these tests look at all of them.
  before(() => loadAllModules());
  it('are marked controller-only and read nothing from the host', async () => {
    for (const module of [setFact, debug, assertModule, fail]) assert.equal(module.controllerOnly, true, module.name);
    const host = fakeHost({ vars });
    await debug.plan(host, debug.schema.parse({ var: 'swarm.port' }));
    await assertModule.plan(host, assertModule.schema.parse({ that: 'ready' }));
    assert.deepEqual(host.probed, []);
    assert.deepEqual(host.read, []);
  });

  describe('set_fact', () => {
    it('sets the given variables, keeping their types, and changes nothing', async () => {
      const plan = await setFact.plan(fakeHost(), setFact.schema.parse({ token: 'abc', nodes: ['a', 'b'], cacheable: true }));
      assert.deepEqual(plan.setFacts, { token: 'abc', nodes: ['a', 'b'] });
      assert.deepEqual(plan.steps, []);
    });

    it('rejects bad variable names and an empty call', () => {
      assert.equal(setFact.schema.safeParse({ 'bad-name': 1 }).success, false);
      assert.equal(setFact.schema.safeParse({ '1x': 1 }).success, false);
      assert.equal(setFact.schema.safeParse({}).success, false);
    });
  });

  describe('debug', () => {
    it('shows msg, JSON for structures', async () => {
      assert.equal((await debug.plan(fakeHost(), debug.schema.parse({ msg: 'hello' }))).msg, 'hello');
      const plan = await debug.plan(fakeHost(), debug.schema.parse({ msg: { a: [1, 2] } }));
      assert.equal(plan.msg, '{"a": [1, 2]}');
      assert.deepEqual(plan.result, { msg: { a: [1, 2] } });
      assert.equal((await debug.plan(fakeHost(), debug.schema.parse({}))).msg, 'Hello world!');
    });

    it('evaluates var as an expression, and says when it is not defined', async () => {
      const plan = await debug.plan(fakeHost({ vars }), debug.schema.parse({ var: 'swarm.managers' }));
      assert.deepEqual(plan.result, { 'swarm.managers': ['docker01'] });
      assert.equal(plan.msg, 'swarm.managers: ["docker01"]');
      const missing = await debug.plan(fakeHost({ vars }), debug.schema.parse({ var: 'nope' }));
      assert.deepEqual(missing.result, { nope: NOT_DEFINED });
    });

    it('rejects msg with var and unknown arguments', () => {
      assert.equal(debug.schema.safeParse({ msg: 'a', var: 'b' }).success, false);
      assert.equal(debug.schema.safeParse({ mesage: 'a' }).success, false);
    });
  });

  describe('assert', () => {
    it('passes when every condition holds', async () => {
      const plan = await assertModule.plan(fakeHost({ vars }), assertModule.schema.parse({ that: ['ready', 'count > 2', "'docker01' in swarm.managers"] }));
      assert.equal(plan.failed, undefined);
      assert.equal(plan.msg, 'All assertions passed');
      const quiet = await assertModule.plan(fakeHost({ vars }), assertModule.schema.parse({ that: 'ready', quiet: true }));
      assert.equal(quiet.msg, undefined);
    });

    it('fails on the first false condition with fail_msg or a message naming it', async () => {
      const plan = await assertModule.plan(fakeHost({ vars }), assertModule.schema.parse({ that: ['ready', 'count > 5'] }));
      assert.equal(plan.failed, 'Assertion failed: count > 5');
      assert.deepEqual(plan.result, { assertion: 'count > 5', evaluated_to: false, msg: 'Assertion failed: count > 5' });
      const custom = await assertModule.plan(fakeHost({ vars }), assertModule.schema.parse({ that: 'not ready', fail_msg: 'not ready yet' }));
      assert.equal(custom.failed, 'not ready yet');
      const alias = await assertModule.plan(fakeHost({ vars }), assertModule.schema.parse({ that: false, msg: 'via msg' }));
      assert.equal(alias.failed, 'via msg');
    });

    it('throws on an undefined variable rather than calling it false', async () => {
      await assert.rejects(assertModule.plan(fakeHost({ vars }), assertModule.schema.parse({ that: 'missing_var == 1' })), /missing_var/);
    });

    it('rejects a missing that and unknown arguments', () => {
      assert.equal(assertModule.schema.safeParse({ fail_msg: 'x' }).success, false);
      assert.equal(assertModule.schema.safeParse({ that: 'x', because: 'y' }).success, false);
      assert.equal(assertModule.schema.safeParse({ that: [] }).success, false);
    });
  });

  describe('fail', () => {
    it('fails with msg, or the default message', async () => {
      assert.equal((await fail.plan(fakeHost(), fail.schema.parse({ msg: 'stop here' }))).failed, 'stop here');
      assert.equal((await fail.plan(fakeHost(), fail.schema.parse({}))).failed, 'Failed as requested from task');
      assert.equal(fail.schema.safeParse({ message: 'x' }).success, false);
    });
  });
});

describe('module registry', () => {
  before(() => loadAllModules());
  it('lists the modules of issue 3 (and the swarm modules) by their playbook names, sorted', () => {
    const names = moduleNames();
    for (const name of ['assert', 'blockinfile', 'command', 'copy', 'debug', 'fail', 'file', 'lineinfile', 'set_fact', 'shell', 'systemd', 'template', 'wait_for', 'swarm_init', 'swarm_join']) {
      assert.ok(names.includes(name), name);
    }
    assert.deepEqual(names, [...names].sort());
    assert.equal(new Set(names).size, names.length);
  });

  it('imports a module when it is first asked for, once; knows every name without importing', async () => {
    assert.ok(isModuleName('community.general.ufw') && isModuleName('ansible.builtin.apt') && !isModuleName('community.general.copy'));
    const first = await loadModule('ansible.builtin.copy');
    assert.equal(first?.name, 'copy');
    assert.equal(await loadModule('copy'), first, 'the same definition, imported once');
    assert.equal(await loadModule('cpoy'), undefined);
  });

  it("finds modules by name, by Ansible's qualified names, and systemd_service", () => {
    assert.equal(findModule('copy')?.name, 'copy');
    assert.equal(findModule('ansible.builtin.wait_for')?.name, 'wait_for');
    assert.equal(findModule('ansible.legacy.shell')?.name, 'shell');
    assert.equal(findModule('systemd_service')?.name, 'systemd');
    assert.equal(findModule('cpoy'), undefined);
    assert.equal(findModule('community.general.copy'), undefined);
  });

  it('add_host needs the host\'s name (any other argument is a host variable)', () => {
    const result = findModule('add_host')!.schema.safeParse({ groups: ['web'] });
    assert.equal(result.success, false);
    assert.match(JSON.stringify(result.error!.issues), /name is required/);
  });

  it('gives every module a strict schema: unknown arguments are refused', () => {
    for (const name of moduleNames()) {
      if (name === 'set_fact' || name === 'add_host') continue; // take any variable names
      const result = findModule(name)!.schema.safeParse({ no_such_argument_here: 1 });
      assert.equal(result.success, false, name);
      assert.match(JSON.stringify(result.error!.issues), /no_such_argument_here|Unrecognized/, name);
    }
  });
});
