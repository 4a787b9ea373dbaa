// Content negotiation: which representation the client's Accept header asks for. devcluster always
// answers JSON; it only decides between a plain object, a Table, PartialObjectMetadata or
// aggregated discovery, and refuses (406) clients that cannot take JSON at all.

export interface MediaRange {
  type: string;
  params: Record<string, string>;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header?.trim()) return [{ type: '*/*', params: {} }];
  return header.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    return {
      type: (type ?? '').toLowerCase(),
      params: Object.fromEntries(
        params.map((p) => {
          const [k, v = ''] = p.split('=');
          return [k!.trim(), v.trim()];
        }),
      ),
    };
  });
}

export type Representation = 'object' | 'table' | 'partial-metadata' | 'aggregated-discovery';

const JSONISH = new Set([
  'application/json',
  '*/*',
  'application/*',
  'application/yaml',
  'application/json;stream=watch',
]);

/** The first acceptable representation in the client's order of preference, or undefined (406). */
export function chooseRepresentation(ranges: MediaRange[], allowed: Representation[]): Representation | undefined {
  for (const r of ranges) {
    if (!JSONISH.has(r.type)) continue;
    const as = r.params.as;
    if (as === undefined) return 'object';
    if (as === 'Table' && r.params.g === 'meta.k8s.io' && allowed.includes('table')) return 'table';
    if (
      (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') &&
      r.params.g === 'meta.k8s.io' &&
      allowed.includes('partial-metadata')
    )
      return 'partial-metadata';
    if (
      as === 'APIGroupDiscoveryList' &&
      r.params.g === 'apidiscovery.k8s.io' &&
      r.params.v === 'v2' &&
      allowed.includes('aggregated-discovery')
    )
      return 'aggregated-discovery';
  }
  return undefined;
}
