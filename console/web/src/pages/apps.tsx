import type { AppSummary, Collection } from '../../../api-types.ts';
import { Badge } from '../components/badge.tsx';
import { collectionNotice } from '../components/collection-state.tsx';
import { age, isReachable } from '../format.ts';

export function AppsPage({ apps }: { apps: Collection<AppSummary> }) {
  const notice = collectionNotice(
    apps,
    'WorkflowApps',
    'No apps yet. Push one to apps.git, or kubectl apply a WorkflowApp: it shows up here at once.',
  );
  const running = apps.items.filter((a) => a.phase === 'Running').length;
  return (
    <>
      <h1>Apps</h1>
      <p class="lead">
        Every WorkflowApp in the cluster, updated live. {apps.synced && `${running} of ${apps.items.length} running.`}
      </p>
      {notice ?? (
        <table class="data">
          <caption class="visually-hidden">WorkflowApps</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Namespace</th>
              <th scope="col">Phase</th>
              <th scope="col">Ready</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Source</th>
              <th scope="col">Tenant</th>
              <th scope="col">Strategy</th>
              <th scope="col">Age</th>
            </tr>
          </thead>
          <tbody>
            {apps.items.map((a) => (
              <tr key={`${a.namespace}/${a.name}`} data-app={`${a.namespace}/${a.name}`}>
                <th scope="row">
                  <a href={`/apps/${a.namespace}/${a.name}`}>{a.name}</a>
                </th>
                <td>{a.namespace}</td>
                <td>
                  <Badge status={a.phase} label={a.message ?? undefined} />
                </td>
                <td>
                  {a.readyReplicas}/{a.replicas}
                </td>
                <td>
                  {a.endpoint && isReachable(a.endpoint) ? (
                    <a href={a.endpoint} target="_blank" rel="noopener noreferrer">
                      {a.endpoint.replace(/^https?:\/\//, '')}
                    </a>
                  ) : (
                    (a.endpoint ?? '-')
                  )}
                </td>
                <td>{a.source ? <a href={`/sources/${a.source}`}>{a.source}</a> : '-'}</td>
                <td>{a.tenant ?? '-'}</td>
                <td>{a.strategy}</td>
                <td>{age(a.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
