// Parses a request target into what it addresses: a discovery document or a resource (collection,
// item, subresource), following kube-apiserver's URL layout, including the deprecated /watch/ prefix.
//
// Routing works on the raw path segments, each decoded on its own, never on a decoded or
// normalised path: `%2e%2e` stays a name (refused, as kube-apiserver refuses "." and ".."), and
// `%2F` cannot split a name in two. So no encoding of a path reaches a resource other than the
// one its segments name.
import { nameProblems } from '../logic/names.ts';
import { badRequest } from './errors.ts';

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

export interface RequestTarget {
  /** The raw (still percent-encoded) path, without trailing slashes ("/" stays "/"). */
  path: string;
  query: URLSearchParams;
}

/**
 * Splits `req.url` into its raw path and query. Nothing is decoded or resolved here: `new URL()`
 * would turn `/a/%2e%2e` into `/` and `//host/x` into another host's `/x`.
 */
export function parseRequestTarget(url: string | undefined): RequestTarget {
  const target = url ?? '/';
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  if (!rawPath.startsWith('/')) throw badRequest(`the request target ${JSON.stringify(target)} must be a path`);
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') || '/' : rawPath;
  return { path, query: new URLSearchParams(q === -1 ? '' : target.slice(q + 1)) };
}

/** Parses a raw path (as parseRequestTarget returns it); undefined when it is no API path. */
export function parseApiPath(rawPath: string): ApiPath | undefined {
  const raw = rawPath.split('/').slice(1);
  if (raw.length === 0 || raw.some((p) => p === '')) return undefined;
  const parts = raw.map(decodeSegment);
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

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`the path segment ${JSON.stringify(segment)} is not valid percent-encoding`);
  }
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
    checkSegmentName('namespace', namespace!);
    if (name !== undefined) checkSegmentName('name', name);
    return { ...base, namespace, plural: plural!, name, subresource };
  }
  const [plural, name, subresource, ...extra] = rest;
  if (!plural || extra.length) return undefined;
  if (name !== undefined) checkSegmentName('name', name);
  return { ...base, plural, name, subresource };
}

/** Kubernetes' IsValidPathSegmentName: a name or namespace in a URL is never ".", ".." or has "/" or "%". */
function checkSegmentName(what: 'name' | 'namespace', value: string): void {
  const problems = nameProblems(value, 'path-segment');
  if (problems.length) throw badRequest(`invalid ${what} ${JSON.stringify(value)} in the path: ${problems.join(', ')}`);
}
