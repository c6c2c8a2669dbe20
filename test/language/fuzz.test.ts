import { renderTemplateSource } from '../../src/language/template-file.js';
import { renderTemplateString } from '../../src/language/template-string.js';
/**
 * Fuzzing the three parsers of user input: the playbook loader, the
 * inventory loader and the expression evaluator (and `{{ }}` templates).
 * Whatever the input, they give a result or a SwarmplayError (the documented
 * error, which the CLI turns into a message and exit 5): never a TypeError,
 * a RangeError, a stack overflow or a hang. Bounded: a fixed number of runs
 * each, and every single call must finish quickly.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { SwarmplayError } from '../../src/errors.js';
import { loadPlaybook } from '../../src/language/playbook-loader.js';
import { loadInventory } from '../../src/language/inventory.js';
import { evaluateExpression } from '../../src/language/expressions.js';
import { renderValue } from '../../src/language/template-string.js';
import { figures, printFiguresAtEnd } from '../reliability/support.js';

printFiguresAtEnd();

/** 200 per parser in the suite; FUZZ_RUNS=5000 for a longer hunt (3000 each found nothing when written). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/**
 * Calls `fn`; a SwarmplayError is fine, any other throw fails the property with what was thrown.
 * A hang fails by the suite's timeout; how fast parsing is belongs in the benchmarks, not here.
 */
async function onlySwarmplayErrors(what: string, input: unknown, fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof SwarmplayError)) {
      throw new Error(`${what} threw ${(error as Error)?.name ?? typeof error} instead of a SwarmplayError on input ${JSON.stringify(input)}: ` +
        `${(error as Error)?.stack ?? String(error)}`);
    }
    // The documented error is usable: a code and a message, formatted without throwing.
    assert.ok(error.code && error.message, JSON.stringify(input));
    error.format();
  }
}

const PLAYBOOK_KEYS = ['name', 'hosts', 'tasks', 'pre_tasks', 'post_tasks', 'handlers', 'vars', 'vars_files', 'gather_facts', 'serial',
  'strategy', 'become', 'tags', 'when', 'loop', 'register', 'notify', 'block', 'rescue', 'always', 'import_tasks', 'include_tasks',
  'command', 'shell', 'copy', 'debug', 'file', 'set_fact', 'assert', 'args', 'loop_control', 'until', 'retries', 'no_log',
  'changed_when', 'failed_when', 'delegate_to', 'run_once', 'listen', 'content', 'dest', 'msg', 'var', '__proto__', 'constructor'];
const TEMPLATE_BITS = ['{{', '}}', '{%', '%}', '{#', ' x ', 'item', '|', 'default', "'", '"', '[', ']', '(', ')', '.', ' and ', ' not ',
  'groups', 'hostvars', '__proto__', 'constructor', 'inventory_hostname', '1', '-1', '*', '\n', ' ', ':', '- ', '&a', '*a', '!!str', '#'];

const scalar = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: fc.constantFrom(...TEMPLATE_BITS), maxLength: 8 }),
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
);
/** Values shaped like playbooks: nested lists and mappings whose keys are mostly real keywords. */
const playbookish = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(fc.oneof(fc.constantFrom(...PLAYBOOK_KEYS), fc.string({ maxLength: 8 })), tie('value'), { maxKeys: 5 }),
})).value;

const VALID_PLAYBOOK = `- name: a play
  hosts: all
  vars:
    names: [a, b]
  tasks:
    - name: loop
      debug: msg="{{ item }} on {{ inventory_hostname }}"
      loop: "{{ names }}"
    - block:
        - command: echo hi
          register: out
          when: out is not defined
      rescue:
        - debug: var=out
`;
const VALID_INVENTORY = `all:
  vars:
    ansible_user: root
  children:
    managers:
      hosts:
        docker01: {ansible_host: 192.168.20.6}
    workers:
      hosts:
        docker0[2:3]:
      vars:
        role: worker
`;

/** A valid text with a few characters replaced, inserted or deleted: the near misses users make. */
function mutated(valid: string): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat({ max: valid.length }), fc.nat({ max: 4 }), fc.string({ unit: fc.constantFrom(...TEMPLATE_BITS, '\t', '  '), maxLength: 3 }));
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let text = valid;
    for (const [at, remove, insert] of edits) text = text.slice(0, at) + insert + text.slice(at + remove);
    return text;
  });
}

const yamlText = (valid: string): fc.Arbitrary<string> => fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(...TEMPLATE_BITS, ...PLAYBOOK_KEYS.map((k) => `${k}: `)), maxLength: 30 }),
  playbookish.map((value) => stringify(value)),
  fc.array(playbookish, { maxLength: 3 }).map((plays) => stringify(plays)),
  mutated(valid),
);

describe('fuzz: parsers of user input throw only SwarmplayError, never crash or hang', function () {
  this.timeout(120_000);
  let dir: string;
  let count = 0;

  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'swarmplay-fuzz-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`loadPlaybook: ${RUNS} random, YAML-shaped and mutated playbooks`, async () => {
    await fc.assert(fc.asyncProperty(yamlText(VALID_PLAYBOOK), async (text) => {
      const file = path.join(dir, `playbook-${count++}.yaml`);
      writeFileSync(file, text);
      await onlySwarmplayErrors('loadPlaybook', text, () => loadPlaybook(file));
    }), { numRuns: RUNS });
    figures.fuzzRuns += RUNS;
  });

  it(`loadInventory: ${RUNS} random, YAML-shaped and mutated inventories`, async () => {
    await fc.assert(fc.asyncProperty(yamlText(VALID_INVENTORY), async (text) => {
      const folder = path.join(dir, `inventory-${count++}`);
      const file = path.join(folder, 'hosts.yaml');
      mkdirSync(folder);
      writeFileSync(file, text);
      await onlySwarmplayErrors('loadInventory', text, async () => {
        const inventory = await loadInventory(file);
        // A loaded inventory must answer questions about itself without crashing.
        for (const host of inventory.hostNames()) inventory.hostVars(host);
      });
    }), { numRuns: RUNS });
    figures.fuzzRuns += RUNS;
  });

  const EXPRESSION_BITS = ['x', 'y', 'item', 'items', 'groups', 'hostvars', "'a'", '"b"', '1', '2.5', '-', '+', '*', '/', '//', '%', '**',
    '~', '==', '!=', '<', '>=', ' and ', ' or ', ' not ', ' in ', ' is ', 'defined', 'none', ' if ', ' else ', '(', ')', '[', ']', '{', '}',
    ',', ':', '.', '|', 'default', 'length', 'join', 'int', 'bool', 'to_json', 'from_json', 'regex_replace', 'map', 'select', 'first',
    'range', 'lookup', '__proto__', 'constructor', 'prototype', 'toString', 'true', 'false', 'True', 'None', ' ', '\n', '\\', '{{', '}}'];
  const expression = fc.oneof(
    fc.string({ unit: fc.constantFrom(...EXPRESSION_BITS), maxLength: 14 }),
    fc.string({ maxLength: 40 }),
  );
  const vars = { x: 1, y: 'text', item: { a: [1, 2], b: null }, items: ['a', 'b'], groups: { all: ['h1'] }, hostvars: { h1: { v: 1 } },
    lazy: '{{ x + 1 }}', loop1: '{{ loop2 }}', loop2: '{{ loop1 }}' };

  it(`evaluateExpression: ${RUNS} generated expressions`, async () => {
    await fc.assert(fc.asyncProperty(expression, async (expr) => {
      await onlySwarmplayErrors('evaluateExpression', expr, () => evaluateExpression(expr, vars));
    }), { numRuns: RUNS });
    figures.fuzzRuns += RUNS;
  });

  it(`templates: ${RUNS} generated strings with {{ }} rendered over variables (self-referencing ones included)`, async () => {
    const template = fc.oneof(
      expression.map((e) => `{{ ${e} }}`),
      fc.string({ unit: fc.constantFrom(...EXPRESSION_BITS, ...TEMPLATE_BITS, 'lazy', 'loop1'), maxLength: 16 }),
    );
    await fc.assert(fc.asyncProperty(template, async (text) => {
      await onlySwarmplayErrors('renderValue', text, () => renderValue(text, vars));
    }), { numRuns: RUNS });
    figures.fuzzRuns += RUNS;
  });

  const STATEMENT_BITS = ['{% if x %}', '{% elif y %}', '{% else %}', '{% endif %}', '{% for i in items %}', '{% for k, v in item.items() %}',
    '{% endfor %}', '{% set z = x %}', '{% set b %}', '{% endset %}', '{% macro m(a, b=1) %}', '{% endmacro %}', '{{ m(1) }}', '{{ m(m) }}',
    '{% raw %}', '{% endraw %}', '{# c #}', '{#', '#}', '{%-', '-%}', '{{-', '-}}', '{% filter upper %}', '{% endfilter %}', '{{ loop.index }}',
    '{{ loop.cycle(1, 2) }}', '{% for i in range(100000) %}', '{{ "x" * 1000000 }}', '{% include "x" %}', '#jinja2: trim_blocks: False\n',
    '{{ i }}', '{{ z }}', 'text', '\n', ' ', '{{ __proto__ }}', '{{ m.constructor }}', "{{ '%s' % x }}"];

  it(`Jinja statements: ${RUNS} generated templates with {% %}, {# #}, raw, macros and whitespace control`, async () => {
    const template = fc.string({ unit: fc.constantFrom(...STATEMENT_BITS, ...EXPRESSION_BITS), maxLength: 18 });
    await fc.assert(fc.asyncProperty(template, async (text) => {
      await onlySwarmplayErrors('renderTemplateString', text, () => renderTemplateString(text, vars));
      await onlySwarmplayErrors('renderTemplateSource', text, () => renderTemplateSource(text, 'fuzz.j2', vars));
    }), { numRuns: RUNS });
    figures.fuzzRuns += RUNS;
  });
});
