// The ReplicaSet controller: keeps spec.replicas pods (named <rs>-<suffix>, owned by the ReplicaSet) and writes status
// — replicas, readyReplicas, availableReplicas after
// minReadySeconds, observedGeneration — plus a ReplicaFailure condition when its pods cannot run.
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { deepEqual } from '../logic/schema.ts';
import { fromLabelSelectorObject, matchesLabels, type LabelSelectorObject } from '../logic/selectors.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { nowSeconds, type KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { WatchCache } from '../storage/watch-cache.ts';
import { tolerating } from '../controllers/controller.ts';
import { controllerUid, OwnerController } from '../controllers/owner-controller.ts';
import type { EventRecorder } from '../controllers/event-recorder.ts';
import { omitZeros } from './rollout.ts';

const ctx = () => systemContext('replicaset-controller');

interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}
interface PodStatusView {
  conditions?: PodCondition[];
  phase?: string;
  containerStatuses?: Array<{ state?: { waiting?: { reason?: string; message?: string } } }>;
}

export function podReadySince(pod: KubeObject): number | undefined {
  const ready = ((pod.status as PodStatusView | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
  return ready?.status === 'True' ? Date.parse(ready.lastTransitionTime ?? '') || Date.now() : undefined;
}

export class ReplicaSetController extends OwnerController {
  constructor(
    api: ObjectApi,
    catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
    private readonly events: EventRecorder,
  ) {
    super(api, catalog, cache, logger, {
      group: 'apps',
      plural: 'replicasets',
      kind: 'ReplicaSet',
      owns: [['', 'pods']],
    });
  }

  private get rsType(): ResourceType {
    return this.type('apps', 'replicasets');
  }

  private get podType(): ResourceType {
    return this.type('', 'pods');
  }

  protected async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const rs = this.api.tryGet(this.rsType, namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const spec = rs.spec as {
      replicas?: number;
      minReadySeconds?: number;
      selector?: LabelSelectorObject;
      template?: KubeObject & { spec?: object };
    };
    const pods = this.api
      .list(this.podType, namespace)
      .items.filter((p) => controllerUid(p, 'ReplicaSet') === rs.metadata.uid);
    const active = pods.filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        !['Failed', 'Succeeded'].includes(String((p.status as PodStatusView | undefined)?.phase)),
    );
    const desired = spec.replicas ?? 1;
    if (active.length < desired) {
      for (let i = active.length; i < desired; i++) await this.createPod(rs, spec.template!);
    } else if (active.length > desired) {
      for (const pod of deletionOrder(active).slice(0, active.length - desired)) {
        const deleted = await this.api
          .delete(this.podType, namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } }, ctx())
          .catch(tolerating(404, 409));
        if (deleted) this.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      }
    }
    await this.writeStatus(rs, active, spec);
  }

  private async createPod(rs: KubeObject, template: KubeObject & { spec?: object }): Promise<void> {
    const pod = await this.api
      .create(
        this.podType,
        rs.metadata.namespace!,
        {
          metadata: {
            generateName: `${rs.metadata.name}-`,
            labels: template.metadata?.labels,
            annotations: template.metadata?.annotations,
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: rs.metadata.name!,
                uid: rs.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          // unscheduled: the node agent's scheduler binds it (and records Scheduled), as in a real cluster
          spec: template.spec,
        },
        ctx(),
      )
      .catch((e: unknown) => {
        this.events.record(rs, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
        throw e;
      });
    this.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
  }

  private async writeStatus(
    rs: KubeObject,
    active: KubeObject[],
    spec: { minReadySeconds?: number; template?: KubeObject },
  ): Promise<void> {
    const now = Date.now();
    const minReadyMs = (spec.minReadySeconds ?? 0) * 1000;
    const readySince = active.map(podReadySince);
    const available = readySince.filter((t) => t !== undefined && now - t >= minReadyMs).length;
    const waitingForMinReady = readySince.filter((t) => t !== undefined && now - t < minReadyMs);
    if (waitingForMinReady.length) {
      const soonest = Math.min(...waitingForMinReady.map((t) => minReadyMs - (now - t!)));
      this.queue.addAfter(`${rs.metadata.namespace}/${rs.metadata.name}`, soonest + 10);
    }
    const selector = fromLabelSelectorObject(
      spec.template?.metadata?.labels ? { matchLabels: spec.template.metadata.labels } : undefined,
    );
    const failure = active
      .flatMap((p) => (p.status as PodStatusView | undefined)?.containerStatuses ?? [])
      .map((c) => c.state?.waiting)
      .find(
        (w) =>
          w?.reason && ['ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError'].includes(w.reason),
      );
    const previous = (rs.status ?? {}) as {
      conditions?: Array<{
        type: string;
        status: string;
        lastTransitionTime?: string;
        reason?: string;
        message?: string;
      }>;
    };
    const prevFailure = previous.conditions?.find((c) => c.type === 'ReplicaFailure');
    const conditions = failure
      ? [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: failure.reason === 'ErrImageNeverPull' ? 'ImageNotRunnable' : failure.reason!,
            message: failure.message ?? '',
            lastTransitionTime: prevFailure?.lastTransitionTime ?? nowSeconds(),
          },
        ]
      : undefined;
    const status = omitZeros({
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => matchesLabels(selector, p.metadata.labels ?? {})).length,
      readyReplicas: readySince.filter((t) => t !== undefined).length,
      availableReplicas: available,
      observedGeneration: rs.metadata.generation ?? 1,
      ...(conditions ? { conditions } : {}),
    });
    if (deepEqual(status, rs.status ?? {})) return;
    // a merge patch cannot drop a condition from a list: replace status as a whole
    await this.api
      .update(this.rsType, rs.metadata.namespace!, rs.metadata.name!, { ...rs, status }, ctx(), 'status')
      .catch(tolerating(404, 409));
  }
}

/** Which pods go first when scaling down: unscheduled, pending, not ready, then the newest. */
function deletionOrder(pods: KubeObject[]): KubeObject[] {
  const rank = (p: KubeObject) => {
    if (!(p.spec as { nodeName?: string }).nodeName) return 0;
    if ((p.status as PodStatusView | undefined)?.phase !== 'Running') return 1;
    return podReadySince(p) === undefined ? 2 : 3;
  };
  return [...pods].sort(
    (a, b) =>
      rank(a) - rank(b) || String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)),
  );
}
