/**
 * The setup module's gather_subset and filter, on a host's facts: which
 * subsets a list asks for (Ansible's rules for all, min and !), and which
 * facts come back under their ansible_ names.
 */
import assert from 'node:assert/strict';
import { chosenSubsets, setup } from '../../src/modules/setup.js';
import { fakeHost } from '../support/fake-host.js';

const facts = {
  hostname: 'docker01',
  os: { id: 'Debian', versionId: '12', kernel: '6.1.0', arch: 'x86_64' },
  interfaces: [{ name: 'eth0', ipv4: ['10.0.0.5'], ipv6: [] }],
  defaultIpv4: '10.0.0.5',
  ansible: { os_family: 'Debian', processor_vcpus: 2, memtotal_mb: 2048, virtualization_type: 'container', eth0: { device: 'eth0' } },
} as never;

async function keys(args: Record<string, unknown>): Promise<string[]> {
  const plan = await setup.plan(fakeHost({ facts }), setup.schema.parse(args));
  return Object.keys(plan.result!.ansible_facts as Record<string, unknown>).filter((k) => k.startsWith('ansible_')).sort();
}

describe('setup module', () => {
  it('decides the subsets as Ansible does', () => {
    const sorted = (asked: string[]) => [...chosenSubsets(asked)].sort();
    assert.deepEqual(sorted(['all']), ['hardware', 'min', 'network', 'virtual']);
    assert.deepEqual(sorted(['!all']), ['min']);
    assert.deepEqual(sorted(['!all', '!min']), []);
    assert.deepEqual(sorted(['!all', '!min', 'network']), ['network']);
    assert.deepEqual(sorted(['all', '!hardware']), ['min', 'network', 'virtual']);
    assert.deepEqual(sorted(['network']), ['min', 'network']);
  });

  it('gives the chosen subsets, filtered by globs on the ansible_ names, and sets them on the host', async () => {
    assert.deepEqual(await keys({ gather_subset: '!all,!min,network' }), ['ansible_all_ipv4_addresses', 'ansible_default_ipv4', 'ansible_eth0', 'ansible_interfaces']);
    assert.deepEqual(await keys({ gather_subset: ['!all', '!min', 'hardware'] }), ['ansible_memtotal_mb', 'ansible_processor_vcpus']);
    assert.deepEqual(await keys({ filter: ['ansible_distribution*', 'ansible_os_fam?ly'] }), ['ansible_distribution', 'ansible_distribution_version', 'ansible_os_family']);
    const plan = await setup.plan(fakeHost({ facts }), setup.schema.parse({ filter: 'ansible_hostname' }));
    assert.equal(plan.setFacts!.ansible_hostname, 'docker01');
    assert.deepEqual(plan.setFacts!.ansible_facts, { hostname: 'docker01' });
    assert.deepEqual(plan.steps, []);
  });

  it('refuses an unknown subset, naming the right ones', () => {
    const result = setup.schema.safeParse({ gather_subset: ['netwrk'] });
    assert.equal(result.success, false);
    assert.match(JSON.stringify(result.error!.issues), /unknown subset 'netwrk': use all, min, hardware, network/);
  });
});
