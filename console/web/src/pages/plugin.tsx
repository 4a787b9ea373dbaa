import { useEffect, useState } from 'preact/hooks';
import type { PluginPage } from '../../../api-types.ts';
import { describeError, getJson } from '../api.ts';
import { dateTime, shortRevision } from '../format.ts';

export function PluginPageView({ name }: { name: string }) {
  const [page, setPage] = useState<PluginPage | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const abort = new AbortController();
    getJson<PluginPage>(`/api/registry/plugins/${encodeURIComponent(name)}`, abort.signal).then(
      setPage,
      (err: unknown) => (!abort.signal.aborted ? setError(describeError(err)) : undefined),
    );
    return () => abort.abort();
  }, [name]);

  return (
    <>
      <p class="breadcrumb">
        <a href="/registry">Registry</a>
      </p>
      <h1>
        {name} {page && <span class="muted">{page.card.version}</span>}
      </h1>
      {error && (
        <p class="notice notice-bad" role="alert">
          {error}
        </p>
      )}
      {page && (
        <>
          <p class="lead">{page.card.description}</p>
          <dl class="facts">
            <div>
              <dt>Tier</dt>
              <dd>{page.card.tier}</dd>
            </div>
            <div>
              <dt>Type</dt>
              <dd>{page.card.type}</dd>
            </div>
            <div>
              <dt>Category</dt>
              <dd>{page.card.category ?? '-'}</dd>
            </div>
            <div>
              <dt>License</dt>
              <dd>{page.license}</dd>
            </div>
            <div>
              <dt>Author</dt>
              <dd>{page.author}</dd>
            </div>
            <div>
              <dt>Indexed at</dt>
              <dd>
                <code>{shortRevision(page.revision)}</code>
              </dd>
            </div>
          </dl>
          <section aria-labelledby="versions">
            <h2 id="versions">Versions</h2>
            <table class="data">
              <caption class="visually-hidden">Versions of {name}</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Published</th>
                  <th scope="col">Downloads and SHA-256 checksums</th>
                </tr>
              </thead>
              <tbody>
                {page.versions.map((v) => (
                  <tr key={v.version}>
                    <th scope="row">
                      {v.version} {v.yanked && <span class="badge badge-bad">yanked: {v.yanked}</span>}
                    </th>
                    <td>{dateTime(v.publishedAt)}</td>
                    <td>
                      {v.downloads.length === 0 ? (
                        page.card.type === 'builtin' ? (
                          'built into the engine: nothing to download'
                        ) : (
                          'no downloads'
                        )
                      ) : (
                        <ul class="downloads">
                          {v.downloads.map((d) => (
                            <li key={`${d.os}/${d.arch}`}>
                              <a href={d.url}>
                                {d.os}/{d.arch}
                              </a>{' '}
                              {d.size !== null && <span class="muted">{d.size} bytes</span>}
                              <br />
                              sha256 <code class="checksum">{d.sha256 ?? 'not published'}</code>
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section aria-labelledby="capabilities">
            <h2 id="capabilities">Capabilities</h2>
            {Object.keys(page.capabilities).length === 0 && !page.configProvider ? (
              <p class="notice">No capabilities declared.</p>
            ) : (
              <dl class="capabilities">
                {Object.entries(page.capabilities).map(([k, list]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>
                      {list.map((c) => (
                        <code key={c} class="tag">
                          {c}
                        </code>
                      ))}
                    </dd>
                  </div>
                ))}
                {page.configProvider && (
                  <div>
                    <dt>configProvider</dt>
                    <dd>yes</dd>
                  </div>
                )}
              </dl>
            )}
          </section>
          <section aria-labelledby="manifest">
            <h2 id="manifest">Manifest</h2>
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: scrollable code must be reachable by keyboard */}
            <pre class="code" tabIndex={0}>
              {JSON.stringify(page.manifest, null, 2)}
            </pre>
          </section>
        </>
      )}
    </>
  );
}
