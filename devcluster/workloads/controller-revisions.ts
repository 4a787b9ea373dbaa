// ControllerRevisions, the history StatefulSets and DaemonSets keep (what `kubectl rollout history`
// lists): one per distinct pod template, named <owner>-<hash>, numbered in the order templates were
// rolled out, pruned to revisionHistoryLimit. The hash doubles as the controller-revision-hash label.
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { tolerating } from '../controllers/controller.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import { podTemplateHash } from '../nodeagent/template-hash.ts';

export const REVISION_HASH_LABEL = 'controller-revision-hash';

export interface Revision {
  name: string;
  revision: number;
}

/** The revision of the owner's current template, created (or made newest again on a rollback). */
export async function currentRevision(
  api: ObjectApi,
  catalog: ResourceCatalog,
  owner: KubeObject,
  component: string,
): Promise<{ current: Revision; history: KubeObject[] } | undefined> {
  const type = catalog.lookup('apps', 'v1', 'controllerrevisions')!;
  const ctx = systemContext(component);
  const namespace = owner.metadata.namespace!;
  const template = (owner.spec as { template?: unknown }).template;
  const name = `${owner.metadata.name}-${podTemplateHash(template)}`;
  const history = api
    .list(type, namespace)
    .items.filter((r) => r.metadata.ownerReferences?.some((o) => o.controller && o.uid === owner.metadata.uid));
  const newest = Math.max(0, ...history.map((r) => Number(r.revision ?? 0)));
  const existing = history.find((r) => r.metadata.name === name);
  if (existing) {
    if (Number(existing.revision) === newest) return { current: { name, revision: newest }, history };
    const bumped = await api
      .update(type, namespace, name, { ...existing, revision: newest + 1 }, ctx)
      .catch(tolerating(404, 409));
    return bumped ? { current: { name, revision: newest + 1 }, history } : undefined;
  }
  const created = await api
    .create(
      type,
      namespace,
      {
        metadata: {
          name,
          labels: {
            ...(owner.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels,
            'controller.kubernetes.io/hash': name.slice(owner.metadata.name!.length + 1),
          },
          ownerReferences: [
            {
              apiVersion: owner.apiVersion ?? 'apps/v1',
              kind: owner.kind!,
              name: owner.metadata.name!,
              uid: owner.metadata.uid!,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        data: { spec: { template: { ...(template as object), $patch: 'replace' } } },
        revision: newest + 1,
      },
      ctx,
    )
    .catch(tolerating(409));
  return created ? { current: { name, revision: newest + 1 }, history: [...history, created] } : undefined;
}

/** Keeps the newest `limit` revisions besides those still in use. */
export async function pruneRevisions(
  api: ObjectApi,
  catalog: ResourceCatalog,
  history: KubeObject[],
  inUse: Set<string>,
  limit: number,
  component: string,
): Promise<void> {
  const type = catalog.lookup('apps', 'v1', 'controllerrevisions')!;
  const old = history
    .filter((r) => !inUse.has(r.metadata.name!))
    .sort((a, b) => Number(a.revision) - Number(b.revision));
  for (const r of old.slice(0, Math.max(0, old.length - limit)))
    await api
      .delete(type, r.metadata.namespace!, r.metadata.name!, {}, systemContext(component))
      .catch(tolerating(404, 409));
}
