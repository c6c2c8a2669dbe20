/**
 * `registry_manifest`: the digest a registry holds for a tag, asked from the
 * host (HEAD /v2/PATH/manifests/TAG over plain HTTP, as an insecure registry
 * speaks, with the Accept header docker sends, so the digest is the one a
 * push records in RepoDigests).
 */
import { defineFact } from './types.js';
import { httpHeadProbe, httpHeader, httpStatus } from './tcp-http.js';

const MANIFEST_ACCEPT = 'Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';

export interface RegistryManifestArgs {
  /** host:port ("10.251.0.1:5000"); port 80 when none. */
  registry: string;
  /** The repository's path within the registry: "httpd", "library/httpd". */
  path: string;
  tag: string;
}

/** The digest; null when the registry has no such tag; undefined when it cannot be asked (TLS, no bash, no answer). */
export type RegistryDigest = string | null | undefined;

export const registryManifest = defineFact<RegistryManifestArgs, RegistryDigest>({
  name: 'registry_manifest',
  command({ registry, path, tag }) {
    const [host, port] = registry.split(':');
    return httpHeadProbe(host!, Number(port ?? 80), `/v2/${path}/manifests/${tag}`, [MANIFEST_ACCEPT]);
  },
  parse(result) {
    const status = httpStatus(result.stdout);
    if (status === 404) return null;
    if (status === 200) return httpHeader(result.stdout, 'Docker-Content-Digest') ?? undefined;
    return undefined;
  },
});
