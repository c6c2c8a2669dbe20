/**
 * `registry_catalog`: the repositories of a private registry and their tags,
 * asked from a host that reaches it (GET /v2/_catalog, then GET
 * /v2/NAME/tags/list for each, in one more round trip), over plain HTTP as
 * an insecure registry speaks. Read-only.
 */
import { defineFact } from './types.js';
import { httpGetProbe, parseHttpResponses } from './tcp-http.js';

export interface RegistryArgs {
  /** host:port ("10.203.27.11:5000"). */
  registry: string;
}

/** Repository names; undefined when the registry cannot be asked (no answer, TLS, no bash on the host). */
export const registryCatalog = defineFact<RegistryArgs, string[] | undefined>({
  name: 'registry_catalog',
  command({ registry }) {
    const [host, port] = registry.split(':');
    return httpGetProbe(host!, Number(port ?? 80), ['/v2/_catalog?n=1000']);
  },
  parse(result) {
    const [response] = parseHttpResponses(result.stdout);
    if (response?.status !== 200) return undefined;
    try {
      const repositories = (JSON.parse(response.body) as { repositories?: unknown }).repositories;
      return Array.isArray(repositories) ? repositories.filter((name): name is string => typeof name === 'string') : undefined;
    } catch {
      return undefined;
    }
  },
});

export interface RegistryTagsArgs extends RegistryArgs {
  repositories: string[];
}

/** Tags by repository (a repository the registry did not answer for has none). */
export const registryTags = defineFact<RegistryTagsArgs, Record<string, string[]>>({
  name: 'registry_tags',
  command({ registry, repositories }) {
    const [host, port] = registry.split(':');
    return httpGetProbe(host!, Number(port ?? 80), repositories.map((name) => `/v2/${name}/tags/list`), 10);
  },
  parse(result, { repositories }) {
    const responses = parseHttpResponses(result.stdout);
    const tags: Record<string, string[]> = {};
    repositories.forEach((name, index) => {
      let list: unknown;
      try {
        list = responses[index]?.status === 200 ? (JSON.parse(responses[index]!.body) as { tags?: unknown }).tags : undefined;
      } catch { /* not JSON: no tags known */ }
      tags[name] = Array.isArray(list) ? list.filter((tag): tag is string => typeof tag === 'string').sort() : [];
    });
    return tags;
  },
});
