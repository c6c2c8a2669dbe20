/**
 * `swarm_node_certificate`: when a node's own swarm certificate expires.
 * `docker node inspect` names only the issuer, so each host's certificate
 * file is read (a plain `cat`: it answers while the host's dockerd is down)
 * and its PEM parsed on the controller, so the hosts need no openssl.
 *
 * The file is under docker's default data root; a host whose docker keeps
 * its data elsewhere, or that left the swarm, reads as null (unknown).
 */
import { X509Certificate } from 'node:crypto';
import { quoteArgs } from '../transport/shell-quote.js';
import { defineFact, FactError } from './types.js';
import { outputTail } from '../transport/output-tail.js';

export const SWARM_NODE_CERTIFICATE_PATH = '/var/lib/docker/swarm/certificates/swarm-node.crt';

export interface SwarmNodeCertificate {
  /** The certificate's notAfter. */
  expires: Date;
  /** The subject's CN: the node ID swarm gave this host. */
  nodeId: string;
}

/** The first certificate of a PEM file (swarm-node.crt holds the node's, then its issuer's). */
export function parseSwarmNodeCertificate(pem: string): SwarmNodeCertificate {
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!first) throw new FactError('no PEM certificate in the output');
  const certificate = new X509Certificate(first);
  return {
    expires: new Date(certificate.validTo),
    nodeId: /^CN=(.*)$/m.exec(certificate.subject)?.[1] ?? '',
  };
}

export const swarmNodeCertificate = defineFact<Record<string, never>, SwarmNodeCertificate | null>({
  name: 'swarm_node_certificate',
  // Exit 3: no such file (docker's data elsewhere, or not a swarm node): not an error, unknown.
  command: () => `[ -e ${SWARM_NODE_CERTIFICATE_PATH} ] || exit 3\n${quoteArgs(['cat', SWARM_NODE_CERTIFICATE_PATH])}`,
  parse(result, _args, host) {
    if (result.exitCode === 3) return null;
    if (result.exitCode !== 0) throw new FactError(`cannot read ${SWARM_NODE_CERTIFICATE_PATH} on ${host}: ${outputTail(result)}`);
    return parseSwarmNodeCertificate(result.stdout);
  },
});
