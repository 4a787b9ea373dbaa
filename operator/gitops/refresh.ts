// A push that reaches an operator replica which is not leading (a Service spreads webhooks over
// all replicas) is passed on through the API: the matching sources get the refresh annotation,
// whose watch event makes the leader fetch at once.
import * as appApi from '../api/constants.ts';
import * as api from '../api/source-constants.ts';
import type { WorkflowSource } from '../api/source-types.ts';
import type { KubeClient } from '../kube/client.ts';
import { pushMatches, type PushEvent } from './webhook.ts';

export async function refreshThroughApi(client: KubeClient, event: PushEvent, namespace?: string): Promise<string[]> {
  const base = { group: appApi.group, version: appApi.version, plural: api.plural };
  const list = (await client.call('list workflowsources', () =>
    namespace
      ? client.custom.listNamespacedCustomObject({ ...base, namespace })
      : client.custom.listClusterCustomObject(base),
  )) as { items: WorkflowSource[] };
  const keys: string[] = [];
  const stamp = new Date().toISOString();
  for (const s of list.items) {
    if (!pushMatches(event, s.spec.repoURL, s.spec.revision)) continue;
    await client.patchCustomMetadata(
      { ...base, namespace: s.metadata.namespace, name: s.metadata.name },
      { annotations: { [api.annotations.refreshRequestedAt]: stamp } },
    );
    keys.push(`${s.metadata.namespace}/${s.metadata.name}`);
  }
  return keys;
}
