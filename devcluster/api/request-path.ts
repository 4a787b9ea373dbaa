// Parses a request path into what it addresses: a discovery document or a resource (collection, item,
// subresource), following kube-apiserver's URL layout, including the deprecated /watch/ prefix.

export type ApiPath =
  | { kind: 'legacy-versions' }
  | { kind: 'group-list' }
  | { kind: 'group'; group: string }
  | { kind: 'resource-list'; group: string; version: string }
  | {
      kind: 'resource';
      group: string;
      version: string;
      plural: string;
      /** Set when the path names a namespace (…/namespaces/{ns}/{plural}…). */
      namespace?: string;
      name?: string;
      subresource?: string;
      /** The deprecated /watch/ path prefix. */
      watch: boolean;
    };

export function parseApiPath(pathname: string): ApiPath | undefined {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'legacy-versions' };
    if (parts.length === 2) return { kind: 'resource-list', group: '', version: parts[1]! };
    return resourcePath('', parts[1]!, parts.slice(2));
  }
  if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'group-list' };
    if (parts.length === 2) return { kind: 'group', group: parts[1]! };
    if (parts.length === 3) return { kind: 'resource-list', group: parts[1]!, version: parts[2]! };
    return resourcePath(parts[1]!, parts[2]!, parts.slice(3));
  }
  return undefined;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function resourcePath(group: string, version: string, rest: string[]): ApiPath | undefined {
  let watch = false;
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
  }
  const base = { kind: 'resource' as const, group, version, watch };
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2]!))) {
    const [, namespace, plural, name, subresource, ...extra] = rest;
    if (extra.length) return undefined;
    return { ...base, namespace, plural: plural!, name, subresource };
  }
  const [plural, name, subresource, ...extra] = rest;
  if (!plural || extra.length) return undefined;
  return { ...base, plural, name, subresource };
}
