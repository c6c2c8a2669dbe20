/**
 * Runs every module case of test/modules/cases/ (see test/support/module-cases.ts):
 * arguments and what the host answers in, the planned steps out.
 */
import assert from 'node:assert/strict';
import { findModule, loadAllModules } from '../../src/modules/index.js';
import { describeStep } from '../../src/runner/step-executor.js';
import { caseHost, loadCases, textMatches } from '../support/module-cases.js';

const cases = loadCases();

describe('module cases (arguments and host answers -> planned steps)', () => {
  // Modules are imported when a playbook names them; these tests look at all of them.
  before(() => loadAllModules());
  it('has cases to run', () => assert.ok(cases.length > 0));

  for (const c of cases) {
    it(`${c.module}: ${c.name}`, async () => {
      const module = findModule(c.module);
      assert.ok(module, `${c.file}: no module ${c.module}`);
      const args = module.schema.parse(c.args);
      const plan = await module.plan(caseHost(c), args);
      const { expect } = c;
      if (expect.failed !== undefined) {
        assert.ok(textMatches(expect.failed, plan.failed), `${c.file}: failed: expected ${expect.failed}, got ${plan.failed}`);
      } else {
        assert.equal(plan.failed, undefined, `${c.file}: unexpected failure`);
      }
      assert.equal(plan.skipped, expect.skipped, `${c.file}: skipped`);
      assert.deepEqual(plan.steps.map(describeStep), expect.steps ?? [], `${c.file}: steps`);
      if (expect.msg !== undefined) assert.ok(textMatches(expect.msg, plan.msg), `${c.file}: msg: expected ${expect.msg}, got ${plan.msg}`);
      for (const [key, value] of Object.entries(expect.result ?? {})) {
        assert.deepEqual(plan.result?.[key], value, `${c.file}: result.${key}`);
      }
      if (expect.diffs) {
        assert.deepEqual(plan.diffs?.map((d) => ({ path: d.path, ...(expect.diffs![0]!.before !== undefined && { before: d.before }), ...(expect.diffs![0]!.after !== undefined && { after: d.after }) })), expect.diffs, `${c.file}: diffs`);
      }
      if (expect.warnings) assert.deepEqual(plan.warnings ?? [], expect.warnings, `${c.file}: warnings`);
      assert.equal(Boolean(plan.planAgain), Boolean(expect.planAgain), `${c.file}: planAgain`);
    });
  }
});
