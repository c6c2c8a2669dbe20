/**
 * swarmplay's Jinja against Ansible's own: every case is rendered by
 * swarmplay and by ansible-core's Templar (Python's jinja2 with Ansible's
 * filters, tests and lookups, as the template module sets it up) on the same
 * variables, and the texts are compared byte for byte. A case that fails in
 * Ansible must fail in swarmplay too. Ansible runs once for all cases
 * (test/support/ansible-jinja.py), so the whole file takes a few seconds.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SwarmplayError } from '../../src/errors.js';
import { compileTemplate } from '../../src/language/jinja-template.js';
import { DIFF_EXPRESSIONS, DIFF_TEMPLATES, DIFF_VARS } from './jinja-cases.js';

const HARNESS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/support/ansible-jinja.py');
const ENV: NodeJS.ProcessEnv = { ...process.env, SWARMPLAY_DIFF_ENV: 'from the environment' };
delete ENV.SWARMPLAY_DIFF_MISSING;

type Outcome = { ok: string } | { error: string };

function ansibleRenders(templates: string[]): Outcome[] {
  const run = spawnSync('/usr/bin/python3', [HARNESS], {
    input: JSON.stringify(templates.map((template) => ({ template, vars: DIFF_VARS }))),
    env: ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000,
  });
  if (run.status !== 0) {
    throw new Error(`cannot run Ansible's Jinja (/usr/bin/python3 with ansible-core; install it: bash scripts/setup-machine.sh): ${run.error?.message ?? run.stderr}`);
  }
  return JSON.parse(run.stdout) as Outcome[];
}

function swarmplayRenders(template: string): Outcome {
  const saved = process.env.SWARMPLAY_DIFF_ENV;
  process.env.SWARMPLAY_DIFF_ENV = ENV.SWARMPLAY_DIFF_ENV;
  try {
    return { ok: compileTemplate(template, { file: 'case.j2' }).render(DIFF_VARS) };
  } catch (error) {
    if (!(error instanceof SwarmplayError)) throw error;
    return { error: `${error.code}: ${error.message}` };
  } finally {
    if (saved === undefined) delete process.env.SWARMPLAY_DIFF_ENV; else process.env.SWARMPLAY_DIFF_ENV = saved;
  }
}

describe("Jinja: swarmplay renders as Ansible's Jinja does, byte for byte", function () {
  this.timeout(120_000);
  const cases = [
    ...DIFF_EXPRESSIONS.map((expr) => ({ kind: 'expression', name: expr, template: `{{ ${expr} }}` })),
    ...DIFF_TEMPLATES.map((template) => ({ kind: 'template', name: JSON.stringify(template).slice(0, 90), template })),
  ];
  let ansible: Outcome[] = [];
  before(() => { ansible = ansibleRenders(cases.map((c) => c.template)); });

  it(`covers at least 300 expressions and 40 templates (${DIFF_EXPRESSIONS.length} and ${DIFF_TEMPLATES.length})`, () => {
    assert.ok(DIFF_EXPRESSIONS.length >= 300 && DIFF_TEMPLATES.length >= 40);
  });

  cases.forEach((c, i) => {
    it(`${c.kind} ${c.name}`, () => {
      const theirs = ansible[i]!;
      const ours = swarmplayRenders(c.template);
      if ('error' in theirs) {
        assert.ok('error' in ours, `Ansible fails (${theirs.error}) but swarmplay renders ${JSON.stringify((ours as { ok: string }).ok)}`);
      } else {
        assert.ok('ok' in ours, `swarmplay fails (${(ours as { error: string }).error}) but Ansible renders ${JSON.stringify(theirs.ok)}`);
        assert.equal(ours.ok, theirs.ok);
      }
    });
  });
});
