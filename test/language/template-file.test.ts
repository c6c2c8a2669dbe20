import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SwarmplayError } from '../../src/errors.js';
import { renderTemplateFile, renderTemplateSource } from '../../src/language/template-file.js';

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

describe('template files: Handlebars', () => {
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

  it('cannot reach prototypes', async () => {
    assert.equal(await renderTemplateSource('[{{node.constructor}}][{{node.__proto__}}]', 't.hbs', vars), '[][]');
  });

  it('an undefined variable inside a lazily templated variable names both', async () => {
    const error = await rejectsWith(renderTemplateSource('{{bad}}', 't.hbs', { bad: '{{ nope }}' }), 'UNDEFINED_VARIABLE', /'nope' is undefined/);
    assert.match(error.message, /t\.hbs/);
  });
});
