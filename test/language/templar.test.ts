import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SwarmplayError } from '../../src/errors.js';
import { checkTemplateSyntax, containsTemplate, renderValue } from '../../src/language/template-string.js';
import { renderTemplateFile, renderTemplateSource } from '../../src/language/template-file.js';

const at = { file: 'site.yaml', line: 3, column: 5 };

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<SwarmplayError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SwarmplayError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail('expected an error');
}

function throwsWith(fn: () => unknown, code: string, message?: RegExp): SwarmplayError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SwarmplayError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail('expected an error');
}

describe('templar: renderValue', () => {
  const vars = {
    port: 2377,
    managers: ['docker01'],
    addr: '192.168.20.6',
    join: '{{ addr }}:{{ port }}',
    flag: true,
  };

  it('walks mappings and lists, keeping types of whole expressions', () => {
    const rendered = renderValue(
      { hosts: '{{ managers }}', port: '{{ port }}', target: 'tcp://{{ addr }}:{{ port }}', list: ['{{ port + 1 }}', 'plain', 7], nested: { on: '{{ flag }}' } },
      vars, at,
    );
    assert.deepEqual(rendered, { hosts: ['docker01'], port: 2377, target: 'tcp://192.168.20.6:2377', list: [2378, 'plain', 7], nested: { on: true } });
  });

  it('follows variables that hold templates', () => {
    assert.equal(renderValue('{{ join }}', vars, at), '192.168.20.6:2377');
    assert.equal(renderValue('docker swarm join {{ join }}', vars, at), 'docker swarm join 192.168.20.6:2377');
  });

  it('renders templated mapping keys', () => {
    assert.deepEqual(renderValue({ '{{ addr }}': 1 }, vars, at), { '192.168.20.6': 1 });
  });

  it('leaves values without templates as they are', () => {
    const value = { a: [1, { b: 'c' }], d: null, e: false };
    assert.deepEqual(renderValue(value, vars, at), value);
    assert.equal(renderValue(5, vars, at), 5);
  });

  it('booleans and none render as Ansible renders them inside text', () => {
    assert.equal(renderValue('on={{ flag }} none=[{{ none }}]', vars, at), 'on=True none=[]');
  });

  it('an undefined variable is an error naming it and the location, never an empty string', () => {
    const error = throwsWith(() => renderValue({ cmd: 'echo {{ token }}' }, vars, at), 'UNDEFINED_VARIABLE', /'token' is undefined/);
    assert.deepEqual(error.location, at);
  });

  it('{% %} is refused with a clear message', () => {
    const error = throwsWith(() => renderValue('{% for h in managers %}{{ h }}{% endfor %}', vars, at), 'TEMPLATE_SYNTAX', /not supported/);
    assert.match(error.hint ?? '', /loop:/);
  });
});

describe('templar: containsTemplate and checkTemplateSyntax', () => {
  it('detects templates', () => {
    assert.equal(containsTemplate('a {{ b }}'), true);
    assert.equal(containsTemplate('{% if %}'), true);
    assert.equal(containsTemplate('plain ${HOME}'), false);
    assert.equal(containsTemplate(3), false);
  });

  it('passes good templates at any depth', () => {
    checkTemplateSyntax({ a: ['{{ x | default(1) }}', { b: 'y={{ y }}' }] }, at);
  });

  it('finds bad ones deep inside, with the location', () => {
    const e1 = throwsWith(() => checkTemplateSyntax({ a: [{ b: '{{ x | nosuchfilter }}' }] }, at), 'EXPRESSION_SYNTAX', /unknown filter 'nosuchfilter'/);
    assert.deepEqual(e1.location, at);
    throwsWith(() => checkTemplateSyntax(['{{ x +  }}'], at), 'EXPRESSION_SYNTAX');
    throwsWith(() => checkTemplateSyntax('{{ x', at), 'TEMPLATE_SYNTAX', /not closed/);
    throwsWith(() => checkTemplateSyntax({ '{{ k': 1 }, at), 'TEMPLATE_SYNTAX');
  });
});

describe('templar: Handlebars template files', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-templar-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  const vars = {
    registry: '192.168.20.6:5000',
    mirrors: ['https://a.example', 'https://b.example'],
    lazy: 'http://{{ registry }}',
    html: '<&>"',
    node: { role: 'manager' },
  };

  it('renders variables, helpers, blocks, without HTML escaping', async () => {
    const file = path.join(dir, 'daemon.json.hbs');
    await writeFile(file, [
      '{',
      '  "insecure-registries": ["{{registry}}"],',
      '  "mirrors": "{{join mirrors ","}}",',
      '  "lazy": "{{lazy}}",',
      '  "raw": "{{html}}",',
      '  "fallback": "{{default missing_is_ok_here "x"}}",',
      '{{#if (eq node.role "manager")}}  "manager": true,{{/if}}',
      '{{#each mirrors}}  "m{{@index}}": "{{this}}",{{/each}}',
      '}',
    ].join('\n'));
    const out = await renderTemplateFile(file, { ...vars, missing_is_ok_here: null });
    assert.match(out, /"insecure-registries": \["192\.168\.20\.6:5000"\]/);
    assert.match(out, /"mirrors": "https:\/\/a\.example,https:\/\/b\.example"/);
    assert.match(out, /"lazy": "http:\/\/192\.168\.20\.6:5000"/);
    assert.match(out, /"raw": "<&>""/);
    assert.match(out, /"fallback": "x"/);
    assert.match(out, /"manager": true/);
    assert.match(out, /"m1": "https:\/\/b\.example"/);
  });

  it('a missing variable names it with the file and line', async () => {
    const file = path.join(dir, 'missing.hbs');
    await writeFile(file, 'line one\nExecStart=/usr/bin/dockerd -H {{docker_host}}\n');
    const error = await rejectsWith(renderTemplateFile(file, vars), 'UNDEFINED_VARIABLE', /'docker_host' is undefined in template .*missing\.hbs/);
    assert.equal(error.location?.file, file);
    assert.equal(error.location?.line, 2);
    assert.match(error.snippet ?? '', /\{\{docker_host\}\}\n\s+\|\s+\^/);
    assert.match(error.format(), /missing\.hbs:2:\d+: /);
  });

  it('a missing nested attribute names the whole path', async () => {
    await rejectsWith(Promise.resolve().then(() => renderTemplateSource('x\n{{node.zone.name}}', 't.hbs', vars)), 'UNDEFINED_VARIABLE', /'node\.zone\.name'/);
  });

  it('a Handlebars syntax error is TEMPLATE_SYNTAX with file:line', async () => {
    const file = path.join(dir, 'broken.hbs');
    await writeFile(file, 'a\nb\n{{#if registry}}\nunclosed\n');
    const error = await rejectsWith(renderTemplateFile(file, vars), 'TEMPLATE_SYNTAX', /Handlebars syntax error in .*broken\.hbs/);
    assert.equal(error.location?.file, file);
    assert.ok((error.location?.line ?? 0) >= 3, `line ${error.location?.line}`);
    const mismatched = path.join(dir, 'mismatch.hbs');
    await writeFile(mismatched, '{{#if a}}\n{{/each}}\n');
    const e2 = await rejectsWith(renderTemplateFile(mismatched, { a: 1 }), 'TEMPLATE_SYNTAX');
    assert.equal(e2.location?.file, mismatched);
  });

  it('a missing template file is FILE_NOT_FOUND naming it', async () => {
    await rejectsWith(renderTemplateFile(path.join(dir, 'nope.hbs'), vars), 'FILE_NOT_FOUND', /nope\.hbs/);
  });

  it('cannot reach prototypes', () => {
    assert.equal(renderTemplateSource('[{{node.constructor}}][{{node.__proto__}}]', 't.hbs', vars), '[][]');
  });

  it('an undefined variable inside a lazily templated variable names both', () => {
    const error = throwsWith(() => renderTemplateSource('{{bad}}', 't.hbs', { bad: '{{ nope }}' }), 'UNDEFINED_VARIABLE', /'nope' is undefined/);
    assert.match(error.message, /t\.hbs/);
  });
});
