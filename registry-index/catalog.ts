// The read model the HTTP API serves, built once per served snapshot: plugins by any of their names,
// every version (in the tree, and published earlier but since removed from it), range resolution,
// search, and the upstream static documents. Pure: no I/O.
import semver from 'semver';
import type { Manifest } from './manifest.ts';
import { servedEntry } from './published.ts';
import type { Artifact, PluginEntry } from './registry-index.ts';
import { SearchIndex, type SearchQuery, type SearchResults } from './search.ts';
import type { IndexSummary } from './summary.ts';
import type { RegistrySnapshot } from './sync.ts';
import { compareVersionsDescending } from './version-order.ts';

export interface VersionInfo {
  version: string;
  manifest: Manifest;
  artifacts: Artifact[];
  yanked?: { reason: string };
  /** False for a version published earlier whose file has since left the tree (still downloadable). */
  inTree: boolean;
  prerelease: boolean;
  publishedAt: string | null;
  /** The artifacts differ in the tree, and the published ones are served (immutability). */
  refused: boolean;
}

export class RegistryCatalog {
  readonly generation: number;
  readonly revision: string;
  private readonly byName = new Map<string, string>();
  private readonly versionCache = new Map<string, VersionInfo[]>();
  private searchIndex: SearchIndex | undefined;
  /** Recent result lists by query, so paging through one query searches once. */
  private readonly searchCache = new Map<string, SearchResults>();
  private publicIndex: IndexSummary[] | undefined;

  constructor(private readonly snapshot: RegistrySnapshot) {
    this.generation = snapshot.generation;
    this.revision = snapshot.index.revision;
    for (const entry of snapshot.index.plugins.values()) {
      this.byName.set(entry.id, entry.id);
      if (!this.byName.has(entry.current.manifest.name)) this.byName.set(entry.current.manifest.name, entry.id);
    }
  }

  get size(): number {
    return this.snapshot.index.plugins.size;
  }

  /** A plugin by directory id, manifest name, or name without the `workflow-plugin-` prefix. */
  lookup(name: string): PluginEntry | undefined {
    const id =
      this.byName.get(name) ??
      this.byName.get(name.replace(/^workflow-plugin-/, '')) ??
      this.byName.get(`workflow-plugin-${name}`);
    const entry = id === undefined ? undefined : this.snapshot.index.plugins.get(id);
    return entry && servedEntry(entry, this.snapshot.published);
  }

  /** Every version, newest first. */
  versions(entry: PluginEntry): VersionInfo[] {
    let list = this.versionCache.get(entry.id);
    if (list) return list;
    const ledger = this.snapshot.published.ledger.get(entry.id);
    const refusals = this.snapshot.published.refusals.get(entry.id);
    list = entry.versions.map((v) => {
      const published = ledger?.get(v.version);
      return {
        version: v.version,
        manifest: v.manifest,
        artifacts: v.artifacts,
        ...(v.yanked ? { yanked: v.yanked } : {}),
        inTree: true,
        prerelease: semver.prerelease(v.version) !== null,
        publishedAt: published?.publishedAt ?? null,
        refused: refusals?.has(v.version) ?? false,
      };
    });
    const inTree = new Set(list.map((v) => v.version));
    for (const p of ledger?.values() ?? []) {
      if (inTree.has(p.version)) continue;
      list.push({
        version: p.version,
        manifest: {
          ...p.manifest,
          downloads: p.artifacts.map(({ stored: _stored, ...d }) => d) as Manifest['downloads'],
        },
        artifacts: p.artifacts,
        ...(p.manifest.yanked ? { yanked: p.manifest.yanked } : {}),
        inTree: false,
        prerelease: semver.prerelease(p.version) !== null,
        publishedAt: p.publishedAt,
        refused: false,
      });
    }
    list.sort((a, b) => compareVersionsDescending(a.version, b.version));
    this.versionCache.set(entry.id, list);
    return list;
  }

  version(entry: PluginEntry, version: string): VersionInfo | undefined {
    const v = version.replace(/^v/, '');
    return this.versions(entry).find((x) => x.version === v);
  }

  /**
   * The `latest` tag: the current manifest's version unless it is yanked, else the newest stable,
   * non-yanked version.
   */
  latest(entry: PluginEntry): VersionInfo | undefined {
    const all = this.versions(entry);
    const current = all.find((v) => v.version === entry.current.version);
    if (current && !current.yanked) return current;
    return all.find((v) => !v.yanked && !v.prerelease);
  }

  /**
   * Resolve a range like npm does: an exact version (even yanked) is itself; otherwise yanked
   * versions are skipped, `latest` wins if it satisfies the range, else the highest match.
   * Prereleases match only ranges that name one.
   */
  resolve(entry: PluginEntry, range: string): VersionInfo | undefined {
    const r = range.trim();
    if (r === '' || r === '*' || r === 'latest') return this.latest(entry);
    const exact = semver.valid(r.replace(/^v/, '').replace(/^=/, ''));
    if (exact) return this.version(entry, exact);
    if (semver.validRange(r) === null) return undefined;
    const candidates = this.versions(entry).filter((v) => !v.yanked && semver.satisfies(v.version, r));
    const latest = this.latest(entry);
    if (latest && candidates.includes(latest)) return latest;
    return candidates[0];
  }

  /** All matches, best first; callers page through them. */
  search(query: SearchQuery): SearchResults {
    const key = JSON.stringify([query.q?.trim().toLowerCase() ?? '', query.tier, query.type, query.category]);
    let hits = this.searchCache.get(key);
    if (hits) return hits;
    this.searchIndex ??= new SearchIndex(
      [...this.snapshot.index.plugins.values()]
        .filter((e) => !e.summary.private)
        .map((e) => ({
          id: e.id,
          name: e.current.manifest.name,
          keywords: e.summary.keywords,
          description: e.summary.description,
          tier: e.summary.tier,
          type: e.summary.type,
          category: e.summary.category,
        })),
    );
    hits = this.searchIndex.search(query);
    if (this.searchCache.size >= 1000) this.searchCache.clear();
    this.searchCache.set(key, hits);
    return hits;
  }

  summary(id: string): IndexSummary {
    return this.snapshot.index.plugins.get(id)!.summary;
  }

  /** Upstream `index.json`: public plugins' summaries sorted by name. */
  staticIndex(): IndexSummary[] {
    this.publicIndex ??= [...this.snapshot.index.plugins.values()]
      .filter((e) => !e.summary.private)
      .map((e) => e.summary);
    return this.publicIndex;
  }

  /** Upstream `versions.json` for a plugin. */
  staticVersions(entry: PluginEntry): { name: string; versions: Array<Record<string, unknown>> } {
    return {
      name: entry.id,
      versions: this.versions(entry)
        .filter((v) => !v.yanked)
        .map((v) => ({
          version: v.version,
          released: v.publishedAt,
          prerelease: v.prerelease,
          minEngineVersion: v.manifest.minEngineVersion ?? null,
          downloads: v.artifacts.map((a) => ({ os: a.os, arch: a.arch, url: a.url, sha256: a.sha256 ?? null })),
        })),
    };
  }
}
