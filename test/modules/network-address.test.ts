import assert from 'node:assert/strict';
import { withDefaultPort, hostOfAddress, portOfAddress, isIpAddress } from '../../src/modules/network-address.js';

describe('network addresses', () => {
  it('handles addresses with and without ports', () => {
    assert.equal(withDefaultPort('10.0.0.1', 2377), '10.0.0.1:2377');
    assert.equal(withDefaultPort('10.0.0.1:4000', 2377), '10.0.0.1:4000');
    assert.equal(withDefaultPort('fd00::1', 2377), '[fd00::1]:2377');
    assert.equal(hostOfAddress('[fd00::1]:2377'), 'fd00::1');
    assert.equal(hostOfAddress('10.0.0.1:2377'), '10.0.0.1');
    assert.equal(portOfAddress('10.0.0.1:4000', 2377), 4000);
    assert.equal(portOfAddress('10.0.0.1', 2377), 2377);
    assert.equal(isIpAddress('256.1.1.1'), false);
    assert.equal(isIpAddress('docker01'), false);
  });
});
