/**
 * The facts under Ansible's names, compared with `ansible -m setup` on the
 * same lab host: what playbooks branch on must read the same under both
 * tools. swarmplay's facts are read by a real run (gather_facts, one round
 * trip) and written to the host as JSON; both are read from outside.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { runCli } from '../support/cli.js';

const exec = promisify(execFile);

describe('facts: the same names and values as Ansible\'s setup', function () {
  this.timeout(180_000);
  let lab: TestLab;
  let ansible: Record<string, any>;
  let ours: Record<string, any>;

  before(async () => {
    lab = await bringUpLab({ name: 'ansicfg', subnet: '10.203.23.0/24', hosts: 1, docker: false });
    const host = Object.keys(lab.hosts)[0]!;
    const playbook = path.join(lab.dir, 'facts.yaml');
    await writeFile(playbook, `- hosts: all
  tasks:
    - copy:
        dest: /root/swarmplay-facts.json
        content: "{{ ansible_facts | to_json }}"
    - assert:
        that:
          - ansible_facts.distribution == ansible_distribution
          - ansible_facts['hostname'] == ansible_hostname
`);
    const [setup, run] = await Promise.all([
      exec('ansible', ['-i', lab.inventory, host, '-m', 'setup'], {
        env: { ...process.env, ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_NOCOLOR: '1',
          // Each lab up makes new host keys: keep them out of the user's known_hosts.
          ANSIBLE_SSH_ARGS: '-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no' }, maxBuffer: 16 << 20,
      }).catch((e: { stdout?: string; stderr?: string }) => {
        throw new Error(`ansible -m setup failed:\n${e.stdout}\n${e.stderr}`);
      }),
      runCli(['run', playbook, '-i', lab.inventory]),
    ]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    ansible = JSON.parse(setup.stdout.slice(setup.stdout.indexOf('{'))).ansible_facts;
    ours = JSON.parse(await lab.ssh(host, 'cat /root/swarmplay-facts.json'));
  });
  after(async () => {
    await lab?.down();
  });

  const same = (name: string) => assert.deepEqual(ours[name], ansible[`ansible_${name}`], name);

  it('distribution, release, family and lsb', () => {
    for (const name of ['distribution', 'os_family', 'distribution_version', 'distribution_major_version', 'distribution_release', 'lsb']) same(name);
  });

  it('host names, kernel, architecture, CPUs, memory, user, service and package managers, virtualization', () => {
    for (const name of ['hostname', 'nodename', 'fqdn', 'kernel', 'architecture', 'processor_vcpus', 'processor_cores', 'memtotal_mb',
      'user_id', 'service_mgr', 'pkg_mgr', 'virtualization_type']) same(name);
  });

  it('interfaces, ansible_<interface>, default_ipv4 and all_ipv4_addresses', () => {
    // Ansible lists /sys/class/net, which a lab host (a network namespace without its own /sys) shares with the
    // machine: every interface swarmplay sees must be among Ansible's, with the same values.
    assert.ok(ours.interfaces.includes('lo') && ours.interfaces.length >= 2, String(ours.interfaces));
    for (const name of ours.interfaces) assert.ok(ansible.ansible_interfaces.includes(name), `${name} in ${ansible.ansible_interfaces}`);
    for (const name of ours.interfaces as string[]) {
      const key = name.replace(/[-:.]/g, '_');
      const theirs = ansible[`ansible_${key}`];
      // (Ansible reads link details from that same shared /sys: only the addresses, read with ip, are the host's own.)
      assert.equal(ours[key].device, theirs.device);
      for (const field of ['address', 'netmask', 'network', 'prefix', 'broadcast']) assert.deepEqual(ours[key].ipv4?.[field], theirs.ipv4?.[field], `${name}.ipv4.${field}`);
      assert.deepEqual((ours[key].ipv6 ?? []).map((a: any) => a.address).sort(), (theirs.ipv6 ?? []).map((a: any) => a.address).sort(), `${name}.ipv6`);
    }
    for (const field of ['address', 'interface', 'gateway', 'network', 'netmask', 'macaddress']) {
      assert.deepEqual(ours.default_ipv4[field], ansible.ansible_default_ipv4[field], `default_ipv4.${field}`);
    }
    assert.deepEqual([...ours.all_ipv4_addresses].sort(), [...ansible.ansible_all_ipv4_addresses].sort());
  });

  it('env and date_time', () => {
    for (const name of ['HOME', 'USER', 'SHELL', 'LOGNAME']) assert.equal(ours.env[name], ansible.ansible_env[name], `env.${name}`);
    for (const field of ['date', 'tz', 'tz_offset', 'year', 'weekday']) assert.equal(ours.date_time[field], ansible.ansible_date_time[field], `date_time.${field}`);
  });
});
