/** Durations and memory sizes read and written as docker's CLI does (src/modules/docker-units.ts). */
import assert from 'node:assert/strict';
import { formatDuration, parseDurationNs, parseMemoryBytes } from '../../src/modules/docker-units.js';

describe('docker units', () => {
  it('parses durations and memory sizes as docker does', () => {
    assert.equal(parseDurationNs('1m30s'), 90e9);
    assert.equal(parseDurationNs('500ms'), 5e8);
    assert.equal(parseDurationNs(10), 10e9);
    assert.equal(parseDurationNs('10 minutes'), undefined);
    assert.equal(formatDuration(60e9), '60s');
    assert.equal(formatDuration(5e8), '500ms');
    assert.equal(parseMemoryBytes('64M'), 64 * 1024 ** 2);
    assert.equal(parseMemoryBytes('1g'), 1024 ** 3);
    assert.equal(parseMemoryBytes('512mb'), 512 * 1024 ** 2);
    assert.equal(parseMemoryBytes('lots'), undefined);
  });
});
