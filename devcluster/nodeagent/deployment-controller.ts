// The Deployment controller: one ReplicaSet per pod template (named <deployment>-<pod-template-hash>),
// rolled forward under the strategy (rollout.ts), revision annotations for `kubectl rollout`, old
// ReplicaSets pruned to revisionHistoryLimit, and status/conditions written like kube-controller-manager.
import type { Logger } from 'pino';
import { ApiError } from '../api/errors.ts';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { deepEqual } from '../logic/schema.ts';
import type { LabelSelectorObject } from '../logic/selectors.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { nowSeconds, type KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { WatchCache } from '../storage/watch-cache.ts';
import { tolerating } from '../controllers/controller.ts';
import { controllerUid, OwnerController } from '../controllers/owner-controller.ts';
import type { EventRecorder } from '../controllers/event-recorder.ts';
import { deploymentStatus, planRollout, type Condition, type ReplicaSetView, type Strategy } from './rollout.ts';
import { podTemplateHash, templateForHash } from './template-hash.ts';

const ctx = () => systemContext('deployment-controller');
const REVISION = 'deployment.kubernetes.io/revision';

interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelectorObject;
  template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: object };
  strategy?: {
    type?: 'RollingUpdate' | 'Recreate';
    rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
  };
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
}

export class DeploymentController extends OwnerController {
  /** When each deployment last made progress (for ProgressDeadlineExceeded). */
  private readonly progress = new Map<string, { at: number; mark: string }>();

  constructor(
    api: ObjectApi,
    catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
    private readonly events: EventRecorder,
  ) {
    super(api, catalog, cache, logger, {
      group: 'apps',
      plural: 'deployments',
      kind: 'Deployment',
      owns: [['apps', 'replicasets']],
    });
  }

  private get deployType(): ResourceType {
    return this.type('apps', 'deployments');
  }

  private get rsType(): ResourceType {
    return this.type('apps', 'replicasets');
  }

  protected async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const d = this.api.tryGet(this.deployType, namespace, name);
    if (!d) {
      this.progress.delete(key);
      return;
    }
    if (d.metadata.deletionTimestamp) return;
    const spec = d.spec as unknown as DeploymentSpec;
    const owned = this.api
      .list(this.rsType, namespace)
      .items.filter((rs) => controllerUid(rs, 'Deployment') === d.metadata.uid);
    const hash = podTemplateHash(
      templateForHash(spec.template as Record<string, unknown>),
      Number((d.status as { collisionCount?: number } | undefined)?.collisionCount ?? 0),
    );
    let newRs = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const oldRss = owned.filter((rs) => rs !== newRs);
    const maxRevision = Math.max(0, ...owned.map(revisionOf));
    let created = false;
    const desired = spec.replicas ?? 1;
    const strategy: Strategy = {
      type: spec.strategy?.type ?? 'RollingUpdate',
      maxSurge: spec.strategy?.rollingUpdate?.maxSurge ?? '25%',
      maxUnavailable: spec.strategy?.rollingUpdate?.maxUnavailable ?? '25%',
    };
    if (!newRs && !spec.paused) {
      newRs = await this.createReplicaSet(d, spec, hash, maxRevision + 1);
      if (!newRs) return;
      created = true;
    } else if (newRs && revisionOf(newRs) < maxRevision) {
      // rolled back to an older template: it becomes the newest revision again
      newRs =
        (await this.api
          .patch(
            this.rsType,
            namespace,
            newRs.metadata.name!,
            'merge',
            { metadata: { annotations: { [REVISION]: String(maxRevision + 1) } } },
            ctx(),
          )
          .catch(tolerating(404, 409))) ?? newRs;
    }
    if (!newRs) return;
    if (!spec.paused) {
      const plan = planRollout(desired, strategy, view(newRs), oldRss.map(view));
      for (const rs of [newRs, ...oldRss]) {
        const target = plan.get(rs.metadata.name!)!;
        const from = Number((rs.spec as { replicas?: number }).replicas ?? 0);
        if (target !== from) {
          const scaled = await this.api
            .patch(this.rsType, namespace, rs.metadata.name!, 'merge', { spec: { replicas: target } }, ctx())
            .catch(tolerating(404, 409));
          if (scaled)
            this.events.record(
              d,
              'Normal',
              'ScalingReplicaSet',
              `Scaled ${target > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${target}`,
            );
        }
      }
      await this.pruneHistory(oldRss, spec.revisionHistoryLimit ?? 10);
    }
    await this.writeStatus(key, d, spec, strategy, newRs, oldRss, created);
  }

  private async createReplicaSet(
    d: KubeObject,
    spec: DeploymentSpec,
    hash: string,
    revision: number,
  ): Promise<KubeObject | undefined> {
    const labels = { ...spec.template.metadata?.labels, 'pod-template-hash': hash };
    try {
      return await this.api.create(
        this.rsType,
        d.metadata.namespace!,
        {
          metadata: {
            name: `${d.metadata.name}-${hash}`,
            labels,
            annotations: {
              [REVISION]: String(revision),
              'deployment.kubernetes.io/desired-replicas': String(spec.replicas ?? 1),
            },
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: d.metadata.name!,
                uid: d.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: {
            // starts empty: the rollout plan scales it within maxSurge on the same reconcile
            replicas: 0,
            selector: { ...spec.selector, matchLabels: { ...spec.selector?.matchLabels, 'pod-template-hash': hash } },
            template: { ...spec.template, metadata: { ...spec.template.metadata, labels } },
          },
        },
        ctx(),
      );
    } catch (e) {
      // a hash collision or a racing reconcile: the next event retries
      if (e instanceof ApiError && e.code === 409) return undefined;
      throw e;
    }
  }

  private async pruneHistory(oldRss: KubeObject[], limit: number): Promise<void> {
    const idle = oldRss.filter(
      (rs) =>
        Number((rs.spec as { replicas?: number }).replicas ?? 0) === 0 &&
        Number((rs.status as { replicas?: number } | undefined)?.replicas ?? 0) === 0,
    );
    const excess = idle.sort((a, b) => revisionOf(a) - revisionOf(b)).slice(0, Math.max(0, idle.length - limit));
    for (const rs of excess)
      await this.api
        .delete(this.rsType, rs.metadata.namespace!, rs.metadata.name!, {}, ctx())
        .catch(tolerating(404, 409));
  }

  private async writeStatus(
    key: string,
    d: KubeObject,
    spec: DeploymentSpec,
    strategy: Strategy,
    newRs: KubeObject,
    oldRss: KubeObject[],
    created: boolean,
  ): Promise<void> {
    const newView = view(newRs);
    const oldViews = oldRss.map(view);
    const mark = JSON.stringify([
      newRs.metadata.name,
      newView.current,
      newView.ready,
      newView.available,
      oldViews.map((r) => r.current),
    ]);
    const nowMs = Date.now();
    const last = this.progress.get(key);
    if (!last || last.mark !== mark) this.progress.set(key, { at: nowMs, mark });
    const deadline = spec.progressDeadlineSeconds ?? 600;
    const failure = ((newRs.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find(
      (c) => c.type === 'ReplicaFailure' && c.status === 'True',
    );
    const previous = (d.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];
    const status = deploymentStatus({
      generation: d.metadata.generation ?? 1,
      desired: spec.replicas ?? 1,
      strategy,
      newRs: newView,
      oldRss: oldViews,
      previous,
      replicaFailure: failure?.message,
      progressDeadlineSeconds: deadline,
      lastProgress: this.progress.get(key)!.at,
      now: nowSeconds(nowMs),
      nowMs,
      newRsCreated: created,
    });
    const collisionCount = (d.status as { collisionCount?: number } | undefined)?.collisionCount;
    if (collisionCount) status.collisionCount = collisionCount;
    const complete = (status.conditions as Condition[]).some(
      (c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable',
    );
    if (!complete) this.queue.addAfter(key, deadline * 1000 + 50);
    const revision = String(revisionOf(newRs));
    if (d.metadata.annotations?.[REVISION] !== revision) {
      await this.api
        .patch(
          this.deployType,
          d.metadata.namespace!,
          d.metadata.name!,
          'merge',
          { metadata: { annotations: { [REVISION]: revision } } },
          ctx(),
        )
        .catch(tolerating(404, 409));
    }
    if (sameStatus(status, d.status as Record<string, unknown> | undefined)) return;
    const fresh = this.api.tryGet(this.deployType, d.metadata.namespace!, d.metadata.name!);
    if (!fresh) return;
    await this.api
      .update(this.deployType, d.metadata.namespace!, d.metadata.name!, { ...fresh, status }, ctx(), 'status')
      .catch(tolerating(404, 409));
  }
}

/** Equal apart from condition timestamps that would change on every write. */
function sameStatus(next: Record<string, unknown>, prev: Record<string, unknown> | undefined): boolean {
  if (!prev) return false;
  const strip = (s: Record<string, unknown>) => ({
    ...s,
    conditions: ((s.conditions ?? []) as Condition[]).map(
      ({ lastUpdateTime: _u, lastTransitionTime: _t, ...rest }) => rest,
    ),
  });
  return deepEqual(strip(next), strip(prev));
}

function revisionOf(rs: KubeObject): number {
  return Number(rs.metadata.annotations?.[REVISION] ?? 0);
}

function view(rs: KubeObject): ReplicaSetView {
  const status = (rs.status ?? {}) as { replicas?: number; readyReplicas?: number; availableReplicas?: number };
  return {
    name: rs.metadata.name!,
    desired: Number((rs.spec as { replicas?: number }).replicas ?? 0),
    current: status.replicas ?? 0,
    ready: status.readyReplicas ?? 0,
    available: status.availableReplicas ?? 0,
    created: rs.metadata.creationTimestamp ?? '',
  };
}
