// The Registry pages over the registry's HTTP API (registry-index's RegistryClient): a search with
// tier/type/category filters and the values those filters can take, and a plugin's page with its
// versions, downloads and checksums, capabilities and latest manifest.
import { RegistryClient, type PluginDocument, type SearchResult } from '../../registry-index/index.ts';
import type { PluginCard, PluginPage, PluginSearchResult } from '../api-types.ts';

const facetTtlMs = 10_000;

export function pluginCard(s: SearchResult | PluginDocument['summary']): PluginCard {
  return {
    name: s.name,
    description: s.description,
    version: s.version,
    tier: s.tier,
    type: s.type,
    category: s.category,
    keywords: s.keywords,
  };
}

export class RegistryView {
  private readonly client: RegistryClient;
  private facets: { at: number; value: PluginSearchResult['facets'] } | undefined;

  constructor(readonly url: string) {
    this.client = new RegistryClient({ baseUrl: url, timeoutMs: 10_000 });
  }

  async search(query: string, filters: { tier?: string; type?: string; category?: string }, page = 1) {
    const [result, facets] = await Promise.all([
      this.client.search(query, { ...filters, page, perPage: 50 }),
      this.allFacets(),
    ]);
    return { total: result.total, items: result.items.map(pluginCard), facets } satisfies PluginSearchResult;
  }

  async plugin(name: string): Promise<PluginPage> {
    const doc = await this.client.plugin(name);
    const latest = doc.distTags.latest ?? doc.versions[0]?.version;
    const manifest = latest ? await this.client.manifest(doc.name, latest) : null;
    const capabilities: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(doc.summary.capabilities))
      if (Array.isArray(value) && value.length > 0) capabilities[key] = value.map(String);
    return {
      card: { ...pluginCard(doc.summary), name: doc.name },
      license: doc.summary.license,
      author: doc.summary.author,
      homepage: doc.summary.homepage,
      repository: doc.summary.repository,
      revision: doc.revision,
      capabilities,
      configProvider: doc.summary.capabilities.configProvider === true,
      versions: doc.versions.map((v) => ({
        version: v.version,
        publishedAt: v.publishedAt,
        yanked: v.yanked?.reason ?? null,
        downloads: v.downloads.map((d) => ({
          os: d.os,
          arch: d.arch,
          url: d.url,
          sha256: d.sha256 ?? null,
          size: d.size ?? null,
        })),
      })),
      manifest,
    };
  }

  /** Every tier, type and category in the registry (all pages of an empty search), cached briefly. */
  private async allFacets(): Promise<PluginSearchResult['facets']> {
    if (this.facets && Date.now() - this.facets.at < facetTtlMs) return this.facets.value;
    const tier = new Set<string>();
    const type = new Set<string>();
    const category = new Set<string>();
    for (let page = 1; page <= 50; page++) {
      const { total, items } = await this.client.search('', { page, perPage: 100 });
      for (const p of items) {
        tier.add(p.tier);
        type.add(p.type);
        if (p.category) category.add(p.category);
      }
      if (page * 100 >= total) break;
    }
    const sorted = (s: Set<string>) => [...s].sort();
    const value = { tier: sorted(tier), type: sorted(type), category: sorted(category) };
    this.facets = { at: Date.now(), value };
    return value;
  }
}
