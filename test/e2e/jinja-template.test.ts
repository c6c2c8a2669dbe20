/**
 * A `.j2` template rendered onto a real sshd host by `swarmplay run` and by
 * `ansible-playbook` with its template module: the two files, read back
 * with OpenSSH's client, must be the same bytes. The template uses loops,
 * conditionals, `{%- -%}`, a macro, `{% raw %}` around docker's own
 * `{{ .ID }}`, and filters over lists and mappings.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sshRun, startSshd, type TestSshd } from '../support/sshd.js';
import { recapOf, runCli } from '../support/cli.js';

const exec = promisify(execFile);

const TEMPLATE = `#jinja2: lstrip_blocks: True
# {{ managed_by | default('managed by a playbook') }}
{% macro opt(name, value) -%}
  --{{ name }}={{ value }}
{%- endmacro %}
[Service]
ExecStart=/usr/bin/dockerd {{ opt('data-root', data_root) }}
{%- for mirror in mirrors %} {{ opt('registry-mirror', mirror) }}{% endfor %}

{% for node in nodes | sort(attribute='name') %}
  {% if node.role == 'manager' %}
{{ node.name }} manager{% if loop.first %} (first){% endif %}

  {% elif node.labels | length > 0 %}
{{ node.name }} worker {{ node.labels | dict2items | map(attribute='key') | join(',') }}
  {% else %}
{{ node.name }} worker
  {% endif %}
{% endfor %}
{%- if debug | default(false) | bool %}
debug on
{%- endif %}

ports: {{ ports | map('string') | join(', ') }} / max {{ ports | max }}
{% set total = ports | sum %}total={{ total }} first={{ ports | first }}
ps: docker ps --format '{% raw %}{{ .ID }} {{ .Names }}{% endraw %}'
json: {{ {'b': [1, none, true], 'a': 'é'} | to_json }}
{# a comment the host never sees #}
end
`;

describe('Jinja templates on a real host: swarmplay run and ansible-playbook write the same bytes', function () {
  this.timeout(120_000);
  let host: TestSshd;
  let dir: string;
  let remoteDir: string;

  before(async () => {
    host = await startSshd({ address: '127.0.21.5' });
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-jinja-e2e-'));
    remoteDir = path.join(dir, 'on-host');
    await mkdir(path.join(dir, 'templates'));
    await writeFile(path.join(dir, 'templates', 'dockerd.conf.j2'), TEMPLATE);
    await writeFile(path.join(dir, 'hosts.yaml'), `all:
  hosts:
    node1:
      ansible_host: ${host.address}
      ansible_port: ${host.port}
      ansible_user: root
      ansible_ssh_private_key_file: ${host.clientKeyPath}
      ansible_python_interpreter: /usr/bin/python3
`);
    const playbook = (dest: string): string => `- hosts: all
  gather_facts: false
  vars:
    data_root: /var/lib/docker
    mirrors: [https://a.example, https://b.example]
    ports: [8080, 80, 443]
    nodes:
      - { name: docker02, role: worker, labels: { mem: max, disk: ssd } }
      - { name: docker01, role: manager, labels: {} }
      - { name: docker03, role: worker, labels: {} }
  tasks:
    - file: path=${remoteDir} state=directory
    - template: src=dockerd.conf.j2 dest=${remoteDir}/${dest}
`;
    await writeFile(path.join(dir, 'swarmplay.yaml'), playbook('swarmplay.conf'));
    await writeFile(path.join(dir, 'ansible.yaml'), playbook('ansible.conf'));
  });

  after(async () => {
    await host?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('renders loops, conditionals, whitespace control, macros and raw blocks byte for byte as Ansible', async () => {
    const ours = await runCli(['run', path.join(dir, 'swarmplay.yaml'), '-i', path.join(dir, 'hosts.yaml'), '--json']);
    assert.equal(ours.code, 0, `${ours.stdout}\n${ours.stderr}`);
    assert.equal(recapOf(ours.stdout).node1?.failed, 0);
    const env = {
      ...process.env, ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_NOCOLOR: '1',
      ANSIBLE_DEPRECATION_WARNINGS: 'False', ANSIBLE_LOCALHOST_WARNING: 'False',
    };
    await exec('ansible-playbook', ['-i', path.join(dir, 'hosts.yaml'), path.join(dir, 'ansible.yaml')], { env, maxBuffer: 16 << 20 })
      .catch((error: { stdout?: string; stderr?: string }) => assert.fail(`ansible-playbook failed:\n${error.stdout}\n${error.stderr}`));
    const theirs = await sshRun(host, `cat ${remoteDir}/ansible.conf`);
    const mine = await sshRun(host, `cat ${remoteDir}/swarmplay.conf`);
    assert.equal(mine, theirs);
    assert.match(mine, /docker ps --format '\{\{ \.ID \}\} \{\{ \.Names \}\}'/);
    assert.match(mine, /^docker01 manager \(first\)$/m);
  });
});
