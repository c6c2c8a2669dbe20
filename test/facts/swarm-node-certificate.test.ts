import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSwarmNodeCertificate, swarmNodeCertificate, SWARM_NODE_CERTIFICATE_PATH } from '../../src/facts/swarm-node-certificate.js';

/** A certificate made by openssl the way swarm names a node's (CN = node ID), followed by an issuer's, as in swarm-node.crt. */
function makeCertificates(days: number): { pem: string; enddate: string } {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-node-cert-'));
  try {
    const make = (name: string, subject: string) => execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', String(days), '-subj', subject], { stdio: 'pipe' });
    make('node', '/O=swarm-test/OU=swarm-manager/CN=r5xk2mq1d8v0node');
    make('ca', '/CN=swarm-ca');
    const enddate = execFileSync('openssl', ['x509', '-noout', '-enddate', '-in', join(dir, 'node.crt')], { encoding: 'utf8' });
    return { pem: readFileSync(join(dir, 'node.crt'), 'utf8') + readFileSync(join(dir, 'ca.crt'), 'utf8'), enddate };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('swarm_node_certificate fact', () => {
  it('reads the first certificate of the file: its notAfter as openssl reads it, and the node ID', () => {
    const { pem, enddate } = makeCertificates(90);
    const certificate = swarmNodeCertificate.parse({ stdout: pem, stderr: '', exitCode: 0 }, {}, 'docker01');
    assert.ok(certificate);
    assert.equal(certificate.expires.getTime(), new Date(enddate.replace(/^notAfter=/, '').trim()).getTime());
    assert.equal(certificate.nodeId, 'r5xk2mq1d8v0node');
  });

  it('the command only reads the file; no file is unknown (null), anything else says where', () => {
    assert.equal(swarmNodeCertificate.command({}), `[ -e ${SWARM_NODE_CERTIFICATE_PATH} ] || exit 3\ncat ${SWARM_NODE_CERTIFICATE_PATH}`);
    assert.equal(swarmNodeCertificate.parse({ stdout: '', stderr: '', exitCode: 3 }, {}, 'docker02'), null);
    assert.throws(() => swarmNodeCertificate.parse({ stdout: '', stderr: 'cat: Permission denied', exitCode: 1 }, {}, 'docker02'),
      /cannot read \/var\/lib\/docker\/swarm\/certificates\/swarm-node\.crt on docker02: cat: Permission denied/);
    assert.throws(() => parseSwarmNodeCertificate('garbage'), /no PEM certificate/);
  });
});
