/**
 * The IP filters' edges beside the comparison with Ansible (test/fixtures/compat/ip-filters): their
 * names with and without ansible.utils., the messages of what they refuse, and IPv6 text forms.
 */
import assert from 'node:assert/strict';
import { ev, expectError } from './expression-support.js';

describe('expressions: ansible.utils IP filters', () => {
  it('are found by their short names and by ansible.utils names', () => {
    assert.equal(ev("'10.1.2.3/8' | ipaddr('network')"), '10.0.0.0');
    assert.equal(ev("'10.1.2.3/8' | ansible.utils.ipaddr('network')"), '10.0.0.0');
    assert.deepEqual(ev("['10.1.2.3', 'fe80::2', 'x'] | ansible.netcommon.ipv4"), ['10.1.2.3']);
  });

  it('write IPv6 addresses as netaddr does: lower case, the longest zero run as ::, IPv4 tails', () => {
    assert.equal(ev("'2001:0DB8:0000:0000:0001:0000:0000:0001' | ipaddr"), '2001:db8::1:0:0:1');
    assert.equal(ev("'0:0:0:0:0:0:0:5' | ipaddr"), '::5');
    assert.equal(ev("'::ffff:0:0' | ipaddr"), '::ffff:0.0.0.0');
    assert.equal(ev("'::1.2.3.4' | ipaddr"), '::1.2.3.4');
    assert.equal(ev("'1::' | ipaddr"), '1::');
    assert.equal(ev("'1:2:3:4:5:6:7:8:9' | ipaddr"), false);
    assert.equal(ev("'1::2::3' | ipaddr"), false);
  });

  it('refuse an unknown query and arithmetic that is not a whole number, naming what would be right', () => {
    const unknown = expectError(() => ev("'10.0.0.1' | ipaddr('adress')"), 'EXPRESSION_ERROR', /ipaddr: unknown filter type: adress/);
    assert.match(unknown.hint ?? '', /'address', 'network'/);
    expectError(() => ev("'10.0.0.1' | ipmath('x')"), 'EXPRESSION_ERROR', /You must pass an integer for arithmetic; x is not a valid integer/);
    expectError(() => ev("'nope' | ipmath(1)"), 'EXPRESSION_ERROR', /You must pass a valid IP address; nope is invalid/);
  });
});
