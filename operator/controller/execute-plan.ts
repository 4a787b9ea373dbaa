// Carrying out a rollout plan: refuse names that belong to someone else, apply what changed
// (ConfigMaps and Services together, then Deployments), scale, prune; every write is remembered
// until the cache shows it, so a quick second pass does not repeat it.
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import * as api from '../api/constants.ts';
import type { WorkflowApp } from '../api/types.ts';
import { objectKey, type LiveObjects, type Plan } from '../rollout/plan.ts';
import type { ReconcileDeps } from './ports.ts';
import { isUpToDate, objectId } from './up-to-date.ts';

function desiredHashOf(o: KubernetesObject): string {
  return o.metadata?.annotations?.[api.annotations.desiredHash] ?? '';
}

/** The object name belongs to something else; applying would take it over. Needs a rename. */
export class NameConflictError extends Error {
  readonly temporary = false;
}

/**
 * Before creating an object, make sure the name is free: server-side apply would otherwise take over
 * (and, through the ownerReference, later garbage-collect) a user's ConfigMap, Deployment or Service
 * that happens to have the name the operator derives. The caches hold every object of these kinds.
 */
function refuseForeignObjects(creating: KubernetesObject[], app: WorkflowApp, deps: ReconcileDeps): void {
  const found = creating.map((o) =>
    deps.cache.existing(
      o.kind as 'ConfigMap' | 'Deployment' | 'Service',
      app.metadata.namespace,
      o.metadata?.name ?? '',
    ),
  );
  for (const [i, existing] of found.entries()) {
    if (!existing) continue;
    const controller = existing.metadata?.ownerReferences?.find((r) => r.controller);
    if (controller?.uid === app.metadata.uid) continue;
    const owner = controller ? `${controller.kind} ${controller.name}` : 'no controller';
    throw new NameConflictError(
      `${creating[i]!.kind} ${app.metadata.namespace}/${existing.metadata?.name} already exists and is not ` +
        `this app's (${owner}); the operator will not take it over: rename or delete it, or rename the WorkflowApp`,
    );
  }
}

/** Applies, scales and prunes per the plan; `actions` collects what was written, for the Synced event. */
export async function executePlan(
  plan: Plan,
  app: WorkflowApp,
  live: LiveObjects,
  deps: ReconcileDeps,
  actions: string[],
): Promise<void> {
  const liveOf = (o: KubernetesObject): KubernetesObject | undefined => {
    const n = o.metadata?.name ?? '';
    return o.kind === 'Deployment'
      ? live.deployments.get(n)
      : o.kind === 'Service'
        ? live.services.get(n)
        : live.configMaps.get(n);
  };
  refuseForeignObjects(
    plan.apply.filter((o) => !liveOf(o) && !deps.memory.expecting(`apply:${objectId(o)}`, desiredHashOf(o))),
    app,
    deps,
  );
  const done: string[] = new Array(plan.apply.length);
  const applyOne = async (desired: KubernetesObject, i: number) => {
    const current = liveOf(desired);
    if (isUpToDate(desired, current, deps.memory)) return;
    const result = await deps.client.apply(desired);
    deps.memory.rememberApply(result, desiredHashOf(desired));
    done[i] = `${current ? 'updated' : 'created'} ${desired.kind} ${desired.metadata?.name}`;
  };
  // ConfigMaps and Services do not depend on anything: apply them together, then the Deployments
  // (whose pods need their ConfigMap), in plan order.
  await Promise.all(plan.apply.map((o, i) => (o.kind === 'Deployment' ? undefined : applyOne(o, i))));
  for (const [i, o] of plan.apply.entries()) if (o.kind === 'Deployment') await applyOne(o, i);
  actions.push(...done.filter(Boolean));
  for (const s of plan.scale) {
    const id = `scale:${app.metadata.namespace}/${s.name}`;
    if (deps.memory.expecting(id, String(s.replicas))) continue;
    await deps.client.scaleDeployment(app.metadata.namespace, s.name, s.replicas);
    deps.memory.expect(id, String(s.replicas));
    actions.push(`scaled Deployment ${s.name} to ${s.replicas}`);
  }
  if (!plan.prune) return;
  const groups: Array<[string, ReadonlyMap<string, V1Deployment | V1Service | V1ConfigMap>, string]> = [
    ['Deployment', live.deployments, 'apps/v1'],
    ['Service', live.services, 'v1'],
    ['ConfigMap', live.configMaps, 'v1'],
  ];
  for (const [kind, objects, apiVersion] of groups) {
    for (const [name, obj] of objects) {
      if (plan.keep.has(objectKey(kind, name))) continue;
      const id = `delete:${obj.metadata?.uid}`;
      if (deps.memory.expecting(id, '')) continue;
      await deps.client.delete({
        apiVersion,
        kind,
        metadata: { name, namespace: app.metadata.namespace, uid: obj.metadata?.uid },
      });
      deps.memory.forget({ kind, metadata: { name, namespace: app.metadata.namespace } });
      deps.memory.expect(id, '');
      actions.push(`deleted ${kind} ${name} (no longer needed)`);
    }
  }
}
