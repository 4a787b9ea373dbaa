import { useEffect, useState } from 'preact/hooks';
import type { SourceDetail, SourceSummary } from '../../../api-types.ts';
import { describeError, getJson, postJson } from '../api.ts';
import { Badge } from '../components/badge.tsx';
import { Conditions } from '../components/conditions.tsx';
import { age, dateTime, shortRevision } from '../format.ts';

export function SourcePage({ namespace, name, live }: { namespace: string; name: string; live?: SourceSummary }) {
  const [detail, setDetail] = useState<SourceDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [syncState, setSyncState] = useState<string>('');
  const [busy, setBusy] = useState(false);
  const version = live ? JSON.stringify(live) : '';

  useEffect(() => {
    const abort = new AbortController();
    getJson<SourceDetail>(`/api/sources/${namespace}/${name}`, abort.signal).then(
      (d) => {
        setDetail(d);
        setError(undefined);
      },
      (err: unknown) => !abort.signal.aborted && setError(describeError(err)),
    );
    return () => abort.abort();
  }, [namespace, name, version]);

  const syncNow = async () => {
    setBusy(true);
    setSyncState('Requesting a sync…');
    try {
      const r = await postJson<{ requestedAt: string }>(`/api/sources/${namespace}/${name}/sync`);
      setSyncState(`Sync requested at ${dateTime(r.requestedAt)}; the status below updates when it is done.`);
    } catch (err) {
      setSyncState(`Sync failed: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const s = live ?? detail?.source;
  return (
    <>
      <p class="breadcrumb">
        <a href="/sources">Sources</a> / {namespace}
      </p>
      <h1>
        {name} {s && <Badge status={s.syncStatus} />} {s && <Badge status={s.healthStatus} />}
      </h1>
      <div class="toolbar">
        <button type="button" class="primary" onClick={syncNow} disabled={busy}>
          Sync now
        </button>
        <span class="muted" role="status" aria-live="polite">
          {syncState}
        </span>
      </div>
      {error && (
        <p class="notice notice-bad" role="alert">
          {error}
        </p>
      )}
      {s && (
        <dl class="facts">
          <div>
            <dt>Repository</dt>
            <dd>
              <code>{s.repoURL}</code>
            </dd>
          </div>
          <div>
            <dt>Revision</dt>
            <dd>
              {s.revision ?? 'default branch'} at <code>{shortRevision(s.syncedRevision)}</code>
            </dd>
          </div>
          <div>
            <dt>Path</dt>
            <dd>{s.path ?? '/'}</dd>
          </div>
          <div>
            <dt>Policy</dt>
            <dd>
              {[s.prune && 'prune', s.selfHeal && 'self-heal', s.suspended && 'suspended'].filter(Boolean).join(', ') ||
                'sync only'}
            </dd>
          </div>
          <div>
            <dt>Last sync</dt>
            <dd>{age(s.lastSyncTime)} ago</dd>
          </div>
        </dl>
      )}
      {s?.message && <p class="notice">{s.message}</p>}
      {detail && (
        <>
          <section aria-labelledby="resources">
            <h2 id="resources">Resources</h2>
            {detail.resources.length === 0 ? (
              <p class="notice">No resources synced yet.</p>
            ) : (
              <table class="data">
                <caption class="visually-hidden">Resources of {name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Kind</th>
                    <th scope="col">Name</th>
                    <th scope="col">Status</th>
                    <th scope="col">Health</th>
                    <th scope="col">File</th>
                    <th scope="col">Message</th>
                  </tr>
                </thead>
                <tbody>
                  {detail.resources.map((r) => (
                    <tr key={`${r.kind}/${r.namespace}/${r.name}/${r.file}`}>
                      <td>{r.kind}</td>
                      <th scope="row">
                        {r.kind === 'WorkflowApp' && r.namespace ? (
                          <a href={`/apps/${r.namespace}/${r.name}`}>{r.name}</a>
                        ) : (
                          r.name
                        )}
                      </th>
                      <td>
                        <Badge status={r.status} />
                      </td>
                      <td>{r.health ? <Badge status={r.health} /> : '-'}</td>
                      <td>
                        {r.file ? (
                          <code>
                            {r.file}
                            {r.line ? `:${r.line}` : ''}
                          </code>
                        ) : (
                          '-'
                        )}
                      </td>
                      <td class="message">{r.message ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section aria-labelledby="history">
            <h2 id="history">Sync history</h2>
            {detail.history.length === 0 ? (
              <p class="notice">No syncs yet.</p>
            ) : (
              <table class="data">
                <caption class="visually-hidden">Sync history of {name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Revision</th>
                    <th scope="col">Result</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Message</th>
                  </tr>
                </thead>
                <tbody>
                  {detail.history.map((h, i) => (
                    <tr key={i}>
                      <td>{dateTime(h.startedAt)}</td>
                      <td>
                        <code>{shortRevision(h.revision)}</code>
                      </td>
                      <td>
                        <Badge status={h.result} />
                      </td>
                      <td>{h.durationMs === null ? '-' : `${h.durationMs} ms`}</td>
                      <td class="message">{h.message ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section aria-labelledby="conditions">
            <h2 id="conditions">Conditions</h2>
            <Conditions conditions={detail.conditions} caption={`Conditions of ${name}`} />
          </section>
          <details>
            <summary>WorkflowSource manifest</summary>
            <pre class="code">{detail.manifestYaml}</pre>
          </details>
        </>
      )}
    </>
  );
}
