import assert from 'node:assert/strict';
import { checkTemplateSyntax, containsTemplate, parseTemplateString, renderTemplateString, renderValue } from '../../src/language/template-string.js';
import { at, expectError, vars } from './expression-support.js';

describe('template strings: renderValue', () => {
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
    const error = expectError(() => renderValue({ cmd: 'echo {{ token }}' }, vars, at), 'UNDEFINED_VARIABLE', /'token' is undefined/);
    assert.deepEqual(error.location, at);
  });

  it('{% %} statements render as in Ansible; a bad one names the statement', () => {
    assert.equal(renderValue('{% for h in managers %}{{ h }}{% if not loop.last %},{% endif %}{% endfor %}', { ...vars, managers: ['docker01', 'docker02'] }, at), 'docker01,docker02');
    const error = expectError(() => renderValue('{% include "x" %}', vars, at), 'TEMPLATE_SYNTAX', /unknown statement '\{% include %\}'/);
    assert.match(error.hint ?? '', /if\/elif\/else, for/);
  });
});

describe('template strings: containsTemplate and checkTemplateSyntax', () => {
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
    const e1 = expectError(() => checkTemplateSyntax({ a: [{ b: '{{ x | nosuchfilter }}' }] }, at), 'EXPRESSION_SYNTAX', /unknown filter 'nosuchfilter'/);
    assert.deepEqual(e1.location, at);
    expectError(() => checkTemplateSyntax(['{{ x +  }}'], at), 'EXPRESSION_SYNTAX');
    expectError(() => checkTemplateSyntax('{{ x', at), 'TEMPLATE_SYNTAX', /not closed/);
    expectError(() => checkTemplateSyntax({ '{{ k': 1 }, at), 'TEMPLATE_SYNTAX');
  });
});

describe('template strings', () => {
  it('one whole {{ }} keeps the type; mixed text is a string', () => {
    assert.deepEqual(renderTemplateString('{{ lst }}', vars, at), [1, 2, 3]);
    assert.equal(renderTemplateString('{{ num }}', vars, at), 5);
    assert.equal(renderTemplateString('{{ nothing }}', vars, at), null);
    assert.equal(renderTemplateString('n={{ num }}', vars, at), 'n=5');
    assert.equal(renderTemplateString('x{{ nothing }}x {{ true }} {{ d }}', vars, at), "xx True {'a': 1, 'b': ['x', 'y']}");
    assert.equal(renderTemplateString(' {{ num }}', vars, at), ' 5');
  });
  it('a folded value (one {{ }} then a newline) keeps a list or mapping, as Ansible literal_evals it; other values stay text', () => {
    assert.deepEqual(renderTemplateString('{{ lst }}\n', vars, at), [1, 2, 3]);
    assert.equal(renderTemplateString('{{ num }}\n', vars, at), '5\n');
  });
  it('a }} closing a dict literal inside the expression does not end it', () => {
    assert.deepEqual(renderTemplateString("{{ {'a': {'b': 1}} }}", vars, at), { a: { b: 1 } });
  });
  it('a }} inside a quoted string does not end the expression', () => {
    assert.equal(renderTemplateString("{{ '}}' }}", vars, at), '}}');
    assert.equal(renderTemplateString("a{{ '{{' }}b", vars, at), 'a{{b');
  });
  it('rejects an unclosed {{ and an empty {{ }}', () => {
    expectError(() => parseTemplateString('a {{ b', at), 'TEMPLATE_SYNTAX', /not closed/);
    expectError(() => parseTemplateString('a {{ }}', at), 'TEMPLATE_SYNTAX', /empty/);
  });
  it('splits text and expressions', () => {
    assert.deepEqual(parseTemplateString('a {{ b }} c'), [
      { kind: 'text', text: 'a ' }, { kind: 'expression', expression: ' b ', offset: 4 }, { kind: 'text', text: ' c' },
    ]);
  });
  it('leaves shell braces alone', () => {
    assert.equal(renderTemplateString('echo ${#arr[@]} {{ num }}', vars, at), 'echo ${#arr[@]} 5');
  });
});
