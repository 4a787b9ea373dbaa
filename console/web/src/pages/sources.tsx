import type { Collection, SourceSummary } from '../../../api-types.ts';
import { Badge } from '../components/badge.tsx';
import { collectionNotice } from '../components/collection-state.tsx';
import { age, shortRevision } from '../format.ts';

export function SourcesPage({ sources }: { sources: Collection<SourceSummary> }) {
  const notice = collectionNotice(
    sources,
    'WorkflowSources',
    'No WorkflowSources: nothing is synced from git yet. Apply one to deploy every app in a repository.',
  );
  return (
    <>
      <h1>Sources</h1>
      <p class="lead">Git repositories synced into the cluster, with their sync and health.</p>
      {notice ?? (
        <table class="data">
          <caption class="visually-hidden">WorkflowSources</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Namespace</th>
              <th scope="col">Sync</th>
              <th scope="col">Health</th>
              <th scope="col">Revision</th>
              <th scope="col">Repository</th>
              <th scope="col">Resources</th>
              <th scope="col">Last sync</th>
            </tr>
          </thead>
          <tbody>
            {sources.items.map((s) => (
              <tr key={`${s.namespace}/${s.name}`} data-source={`${s.namespace}/${s.name}`}>
                <th scope="row">
                  <a href={`/sources/${s.namespace}/${s.name}`}>{s.name}</a>
                </th>
                <td>{s.namespace}</td>
                <td>
                  <Badge status={s.syncStatus} label={s.message ?? undefined} />
                  {s.suspended && <span class="muted"> suspended</span>}
                </td>
                <td>
                  <Badge status={s.healthStatus} />
                </td>
                <td>
                  <code>{shortRevision(s.syncedRevision)}</code>
                </td>
                <td>
                  <code>{s.repoURL}</code>
                  {s.path && <span class="muted"> {s.path}</span>}
                </td>
                <td>{s.resourceCount}</td>
                <td>{age(s.lastSyncTime)} ago</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
