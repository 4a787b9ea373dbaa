import { useEffect, useState } from 'preact/hooks';
import type { AppDetail, AppSummary } from '../../../api-types.ts';
import { describeError, getJson } from '../api.ts';
import { Badge } from '../components/badge.tsx';
import { Conditions } from '../components/conditions.tsx';
import { DiagramView } from '../components/diagram.tsx';
import { LogTail } from '../components/log-tail.tsx';
import { age, isReachable, shortRevision } from '../format.ts';

/**
 * One app. The summary comes from the live stream; the rest (pods, events, config, diagram) is
 * fetched again whenever the stream reports a change of this app, and every 5 s for pods and events.
 */
export function AppPage({ namespace, name, live }: { namespace: string; name: string; live?: AppSummary }) {
  const [detail, setDetail] = useState<AppDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const version = live ? JSON.stringify(live) : '';

  useEffect(() => {
    const abort = new AbortController();
    const load = () =>
      getJson<AppDetail>(`/api/apps/${namespace}/${name}`, abort.signal).then(
        (d) => {
          setDetail(d);
          setError(undefined);
        },
        (err: unknown) => !abort.signal.aborted && setError(describeError(err)),
      );
    void load();
    const timer = setInterval(load, 5000);
    return () => {
      abort.abort();
      clearInterval(timer);
    };
  }, [namespace, name, version]);

  const app = live ?? detail?.app;
  return (
    <>
      <p class="breadcrumb">
        <a href="/apps">Apps</a> / {namespace}
      </p>
      <h1>
        {name} {app && <Badge status={app.phase} />}
      </h1>
      {error && (
        <p class="notice notice-bad" role="alert">
          {error}
        </p>
      )}
      {app && (
        <dl class="facts">
          <div>
            <dt>Ready</dt>
            <dd>
              {app.readyReplicas}/{app.replicas}
            </dd>
          </div>
          <div>
            <dt>Endpoint</dt>
            <dd>
              {app.endpoint && isReachable(app.endpoint) ? (
                <a href={app.endpoint} target="_blank" rel="noopener noreferrer">
                  {app.endpoint}
                </a>
              ) : (
                (app.endpoint ?? '-')
              )}
            </dd>
          </div>
          <div>
            <dt>Strategy</dt>
            <dd>{app.strategy}</dd>
          </div>
          <div>
            <dt>Revision</dt>
            <dd>
              <code>{shortRevision(app.revision)}</code>
            </dd>
          </div>
          <div>
            <dt>Source</dt>
            <dd>{app.source ? <a href={`/sources/${app.source}`}>{app.source}</a> : 'applied directly'}</dd>
          </div>
          <div>
            <dt>Tenant</dt>
            <dd>{app.tenant ?? '-'}</dd>
          </div>
          <div>
            <dt>Age</dt>
            <dd>{age(app.createdAt)}</dd>
          </div>
        </dl>
      )}
      {app?.message && <p class="notice notice-warn">{app.message}</p>}
      {detail && (
        <>
          <section aria-labelledby="conditions">
            <h2 id="conditions">Conditions</h2>
            <Conditions conditions={detail.conditions} caption={`Conditions of ${name}`} />
          </section>
          <section aria-labelledby="rollout">
            <h2 id="rollout">Rollout</h2>
            {detail.rollout ? (
              <dl class="facts">
                {Object.entries(detail.rollout).map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>
                      {typeof v === 'string' ? shortRevision(v) : typeof v === 'object' ? JSON.stringify(v) : String(v)}
                    </dd>
                  </div>
                ))}
              </dl>
            ) : (
              <p class="notice">No rollout in progress.</p>
            )}
          </section>
          <section aria-labelledby="pods">
            <h2 id="pods">Pods</h2>
            {detail.pods.length === 0 ? (
              <p class="notice">No pods.</p>
            ) : (
              <table class="data">
                <caption class="visually-hidden">Pods of {name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Pod</th>
                    <th scope="col">Phase</th>
                    <th scope="col">Ready</th>
                    <th scope="col">Restarts</th>
                    <th scope="col">Track</th>
                    <th scope="col">Age</th>
                  </tr>
                </thead>
                <tbody>
                  {detail.pods.map((p) => (
                    <tr key={p.name}>
                      <th scope="row">
                        <code>{p.name}</code>
                      </th>
                      <td>
                        <Badge status={p.phase} /> {p.reason && <span class="muted">{p.reason}</span>}
                      </td>
                      <td>{p.ready ? 'yes' : 'no'}</td>
                      <td>{p.restarts}</td>
                      <td>{p.track ?? '-'}</td>
                      <td>{age(p.startedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          {detail.resolvedPlugins.length > 0 && (
            <section aria-labelledby="plugins">
              <h2 id="plugins">Plugins</h2>
              <ul>
                {detail.resolvedPlugins.map((p) => (
                  <li key={p.name}>
                    <a href={`/registry/${p.name}`}>{p.name}</a> {p.version}
                    {p.range && <span class="muted"> (asked {p.range})</span>}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section aria-labelledby="diagram">
            <h2 id="diagram">Modules and pipelines</h2>
            {detail.diagram ? (
              <>
                <h3>Modules, in dependency order</h3>
                <DiagramView diagram={detail.diagram.modules} label={`Module graph of ${name}`} />
                <p class="muted">Start order: {detail.diagram.startOrder.join(' → ') || '(none)'}</p>
                <h3>Pipelines</h3>
                <DiagramView diagram={detail.diagram.pipelines} label={`Pipelines of ${name}`} />
                <ul class="pipeline-list">
                  {detail.diagram.pipelineList.map((p) => (
                    <li key={p.name}>
                      <strong>{p.name}</strong> ({p.trigger ?? 'no trigger'}): {p.steps.join(' → ') || 'no steps'}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <p class="notice">{detail.configError ?? 'No config to draw.'}</p>
            )}
          </section>
          <section aria-labelledby="events">
            <h2 id="events">Events</h2>
            {detail.events.length === 0 ? (
              <p class="notice">No events.</p>
            ) : (
              <table class="data">
                <caption class="visually-hidden">Events of {name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Object</th>
                    <th scope="col">Message</th>
                    <th scope="col">Count</th>
                    <th scope="col">Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  {detail.events.map((e, i) => (
                    <tr key={i}>
                      <td>
                        <Badge status={e.type} />
                      </td>
                      <td>{e.reason}</td>
                      <td>
                        <code>{e.object}</code>
                      </td>
                      <td class="message">{e.message}</td>
                      <td>{e.count}</td>
                      <td>{age(e.lastSeen)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
      <section aria-labelledby="logs">
        <h2 id="logs">Live logs</h2>
        <LogTail namespace={namespace} name={name} />
      </section>
      {detail && (
        <>
          <section aria-labelledby="config">
            <h2 id="config">Config</h2>
            {detail.configYaml ? (
              // biome-ignore lint/a11y/noNoninteractiveTabindex: scrollable code must be reachable by keyboard
              <pre class="code" tabIndex={0}>
                {detail.configYaml}
              </pre>
            ) : (
              <p class="notice">{detail.configError}</p>
            )}
          </section>
          <details>
            <summary>WorkflowApp manifest</summary>
            <pre class="code">{detail.manifestYaml}</pre>
          </details>
        </>
      )}
    </>
  );
}
