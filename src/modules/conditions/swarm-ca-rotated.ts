/**
 * `swarm_ca_rotated`: after `docker swarm ca --rotate`, the swarm has a new
 * root CA (its issuer key differs from the one before) and every node holds
 * a certificate from it: each node's TLSInfo names the cluster's issuer key.
 * Read on a manager in one round trip; a node that is down never renews, so
 * the progress names the nodes still waited for.
 */
import { z } from 'zod';
import { defineCondition } from './types.js';
import { asObject, asString, parseJsonText } from '../../facts/docker-json.js';

export const CA_STATE_COMMAND =
  "docker info --format '{{json .Swarm.Cluster.TLSInfo}}' && echo --nodes-- && " +
  "docker node inspect --format '{{.Description.Hostname}} {{.Status.State}} {{json .Description.TLSInfo.CertIssuerPublicKey}}' $(docker node ls -q)";

export interface CaState {
  issuerKey: string;
  nodes: { hostname: string; state: string; issuerKey: string }[];
}

export function parseCaState(stdout: string): CaState {
  const [info = '', nodes = ''] = stdout.split('--nodes--');
  return {
    issuerKey: asString(asObject(parseJsonText(info, 'docker info')).CertIssuerPublicKey),
    nodes: nodes.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
      const [hostname = '', state = '', issuerKey = ''] = line.split(' ');
      // The key is JSON (base64 in quotes), as docker info gives it.
      return { hostname, state, issuerKey: issuerKey.replace(/^"|"$/g, '') };
    }),
  };
}

export const swarmCaRotated = defineCondition({
  name: 'swarm_ca_rotated',
  schema: z.object({ previousIssuerKey: z.string() }).strict(),
  start(args) {
    return {
      async poll(host) {
        const answer = await host.probe(CA_STATE_COMMAND);
        if (answer.exitCode !== 0) return { state: 'waiting', progress: `the manager does not answer: ${(answer.stderr || answer.stdout).trim().split('\n').pop() ?? ''}` };
        const state = parseCaState(answer.stdout);
        if (!state.issuerKey || state.issuerKey === args.previousIssuerKey) return { state: 'waiting', progress: 'the new root CA is not in place yet' };
        const behind = state.nodes.filter((node) => node.issuerKey !== state.issuerKey);
        if (behind.length === 0) return { state: 'done', result: { nodes: state.nodes.length } };
        return {
          state: 'waiting',
          progress: `${state.nodes.length - behind.length}/${state.nodes.length} nodes have a certificate from the new CA; waiting for ${behind.map((node) => `${node.hostname}${node.state === 'ready' ? '' : ` (${node.state})`}`).join(', ')}`,
        };
      },
    };
  },
});
