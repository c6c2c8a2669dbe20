/**
 * script, service_facts, debconf, dpkg_selections, locale_gen and
 * docker_volume through the real loader: their short and full names load,
 * and arguments they do not take stop the load at the task's line.
 */
import assert from 'node:assert/strict';
import { taskSnippets } from '../support/task-snippets.js';

const { moduleNames, refusedAtItsLine } = taskSnippets('debian-modules');

describe('script, service_facts, debconf, dpkg_selections, locale_gen, docker_volume: names and arguments', () => {
  it('loads them by their short and full names', async () => {
    const modules = await moduleNames([
      '    - script: files/setup.sh --force',
      '    - ansible.builtin.script: { cmd: setup.sh, creates: /etc/done, chdir: /opt }',
      '    - service_facts:',
      '    - ansible.builtin.service_facts: {}',
      '    - debconf: { name: tzdata, question: tzdata/Areas, vtype: select, value: Europe }',
      '    - ansible.builtin.debconf: { pkg: tzdata }',
      '    - dpkg_selections: { name: docker-ce, selection: hold }',
      '    - ansible.builtin.dpkg_selections: { name: docker-ce, selection: install }',
      '    - locale_gen: { name: en_US.UTF-8 }',
      '    - community.general.locale_gen: { name: de_CH.UTF-8, state: absent }',
      '    - docker_volume: { name: data }',
      '    - community.docker.docker_volume: { volume_name: data, driver: local, labels: { a: b }, state: absent }',
    ]);
    assert.deepEqual(modules, [
      'script', 'script', 'service_facts', 'service_facts', 'debconf', 'debconf', 'dpkg_selections', 'dpkg_selections',
      'locale_gen', 'locale_gen', 'community.docker.docker_volume', 'community.docker.docker_volume',
    ]);
  });

  const REFUSED: { name: string; task: string; says: RegExp }[] = [
    { name: 'script: a relative chdir', task: '    - script: { cmd: a.sh, chdir: opt }', says: /chdir must be an absolute path/ },
    { name: 'script: decrypt false', task: '    - script: { cmd: a.sh, decrypt: false }', says: /decrypt: false is not supported/ },
    { name: 'script: no script', task: '    - script: { creates: /x }', says: /no script given/ },
    { name: 'debconf: a question without its value', task: '    - debconf: { name: tzdata, question: tzdata/Areas, vtype: select }', says: /question, vtype and value go together/ },
    { name: 'debconf: a type debconf does not have', task: '    - debconf: { name: x, question: x/y, vtype: number, value: 1 }', says: /vtype/ },
    { name: 'dpkg_selections: a selection dpkg does not have', task: '    - dpkg_selections: { name: x, selection: keep }', says: /install.*hold.*deinstall.*purge/ },
    { name: 'locale_gen: a state it does not have', task: '    - locale_gen: { name: en_US.UTF-8, state: latest }', says: /present.*absent/ },
    { name: 'docker_volume: a connection option', task: '    - community.docker.docker_volume: { name: x, docker_host: "tcp://10.0.0.1:2375" }', says: /docker_host.*does not take/ },
    { name: 'docker_volume: name and volume_name', task: '    - community.docker.docker_volume: { name: x, volume_name: y }', says: /give volume_name \(or its alias name\) once/ },
  ];

  for (const bad of REFUSED) {
    it(`${bad.name}: refused at the task's line`, async () => {
      const error = await refusedAtItsLine(bad.task);
      assert.match(error.message, bad.says);
    });
  }
});
