import { useEffect, useState } from 'preact/hooks';
import type { PluginSearchResult } from '../../../api-types.ts';
import { describeError, getJson } from '../api.ts';
import { navigate } from '../router.ts';

const filterNames = ['tier', 'type', 'category'] as const;
type Filters = Record<(typeof filterNames)[number], string>;

/** Search state lives in the URL (?q=&tier=...), so a search can be linked and the back button works. */
export function RegistryPage({ search }: { search: string }) {
  const params = new URLSearchParams(search);
  const query = params.get('q') ?? '';
  const filters: Filters = {
    tier: params.get('tier') ?? '',
    type: params.get('type') ?? '',
    category: params.get('category') ?? '',
  };
  const [text, setText] = useState(query);
  const [result, setResult] = useState<PluginSearchResult | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    const abort = new AbortController();
    const qs = new URLSearchParams();
    if (query) qs.set('q', query);
    for (const f of filterNames) if (filters[f]) qs.set(f, filters[f]);
    getJson<PluginSearchResult>(`/api/registry/plugins?${qs}`, abort.signal).then(
      (r) => {
        setResult(r);
        setError(undefined);
      },
      (err: unknown) => !abort.signal.aborted && setError(describeError(err)),
    );
    return () => abort.abort();
  }, [search]);

  const go = (next: Partial<Filters & { q: string }>) => {
    const qs = new URLSearchParams();
    const merged = { q: text, ...filters, ...next };
    for (const [k, v] of Object.entries(merged)) if (v) qs.set(k, v);
    navigate(`/registry${qs.size ? `?${qs}` : ''}`);
  };

  return (
    <>
      <h1>Registry</h1>
      <p class="lead">Plugins in the registry, indexed from registry.git.</p>
      <form
        class="search"
        aria-label="Plugin search"
        onSubmit={(e) => {
          e.preventDefault();
          go({ q: text });
        }}
      >
        <span class="filter">
          <label for="plugin-query">Search plugins</label>
          <input
            id="plugin-query"
            type="search"
            value={text}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
            placeholder="http, storage, auth…"
          />
        </span>
        {filterNames.map((f) => (
          <span class="filter" key={f}>
            <label for={`filter-${f}`}>{f[0]!.toUpperCase() + f.slice(1)}</label>
            <select
              id={`filter-${f}`}
              value={filters[f]}
              onChange={(e) => go({ [f]: (e.target as HTMLSelectElement).value })}
            >
              <option value="">any</option>
              {(result?.facets[f] ?? (filters[f] ? [filters[f]] : [])).map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </span>
        ))}
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      {error && (
        <p class="notice notice-bad" role="alert">
          {error}
        </p>
      )}
      <p class="muted" role="status" aria-live="polite">
        {result ? `${result.total} plugin${result.total === 1 ? '' : 's'}` : 'Searching…'}
      </p>
      {result && (
        <ul class="cards">
          {result.items.map((p) => (
            <li key={p.name} class="card">
              <h2>
                <a href={`/registry/${p.name}`}>{p.name}</a> <span class="muted">{p.version}</span>
              </h2>
              <p>{p.description}</p>
              <p class="tags">
                <span class="tag">tier: {p.tier}</span>
                <span class="tag">type: {p.type}</span>
                {p.category && <span class="tag">category: {p.category}</span>}
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
