// kube-controller-manager's StatefulSet controller, on one node: pods <set>-<ordinal> with stable
// names and hostnames, each mounting its own claims made from volumeClaimTemplates
// (<template>-<set>-<ordinal>, kept across pod restarts, rollouts and scale-downs unless the
// retention policy says Delete); OrderedReady starts ordinals one at a time, each once the previous
// is Ready, and removes the highest first; Parallel does all at once. RollingUpdate replaces pods from
// the highest ordinal down to the partition, one at a time; OnDelete leaves that to the user. Status,
// revisions and `kubectl rollout status` behave as on a real cluster.
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { tolerating } from '../controllers/controller.ts';
import { controllerUid, OwnerController } from '../controllers/owner-controller.ts';
import type { EventRecorder } from '../controllers/event-recorder.ts';
import { deepEqual } from '../logic/schema.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject, OwnerReference } from '../resources/object-meta.ts';
import type { WatchCache } from '../storage/watch-cache.ts';
import { podReadySince } from '../nodeagent/replicaset-controller.ts';
import { currentRevision, pruneRevisions, REVISION_HASH_LABEL } from './controller-revisions.ts';

const COMPONENT = 'statefulset-controller';
const ctx = () => systemContext(COMPONENT);
const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

interface StatefulSetSpec {
  replicas?: number;
  serviceName?: string;
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  ordinals?: { start?: number };
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
  volumeClaimTemplates?: Array<{
    metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: object;
  }>;
  template?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: { volumes?: Array<{ name: string }> };
  };
  selector?: { matchLabels?: Record<string, string> };
}

/** "web-3" -> 3 for the set "web" (undefined for a pod not named like its ordinals). */
export function ordinalOf(setName: string, podName: string): number | undefined {
  const m = /^(\d+)$/.exec(podName.slice(setName.length + 1));
  return podName.startsWith(`${setName}-`) && m ? Number(m[1]) : undefined;
}

export class StatefulSetController extends OwnerController {
  constructor(
    api: ObjectApi,
    catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
    private readonly events: EventRecorder,
  ) {
    super(api, catalog, cache, logger, {
      group: 'apps',
      plural: 'statefulsets',
      kind: 'StatefulSet',
      owns: [
        ['', 'pods'],
        ['', 'persistentvolumeclaims'],
      ],
    });
  }

  protected async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const set = this.api.tryGet(this.type('apps', 'statefulsets'), namespace, name);
    if (!set || set.metadata.deletionTimestamp) return;
    const spec = (set.spec ?? {}) as StatefulSetSpec;
    const revisions = await currentRevision(this.api, this.catalog, set, COMPONENT);
    if (!revisions) return;
    const updateRevision = revisions.current.name;
    const replicas = spec.replicas ?? 1;
    const start = spec.ordinals?.start ?? 0;
    const parallel = spec.podManagementPolicy === 'Parallel';
    const pods = this.api
      .list(this.type('', 'pods'), namespace)
      .items.filter((p) => controllerUid(p, 'StatefulSet') === set.metadata.uid);
    const byOrdinal = new Map<number, KubeObject>();
    for (const p of pods) {
      const ordinal = ordinalOf(name, p.metadata.name!);
      if (ordinal !== undefined) byOrdinal.set(ordinal, p);
    }
    const ready = (p: KubeObject | undefined) =>
      p !== undefined && !p.metadata.deletionTimestamp && podReadySince(p) !== undefined;
    const terminal = (p: KubeObject) =>
      ['Succeeded', 'Failed'].includes(String((p.status as { phase?: string })?.phase));

    // 1. every wanted ordinal gets its claims and pod, in order unless Parallel
    let blocked = false;
    for (let i = start; i < start + replicas; i++) {
      const pod = byOrdinal.get(i);
      if (pod && terminal(pod)) {
        // a pod that ended is replaced, as the kubelet never restarts it
        await this.deletePod(set, pod);
        blocked = true;
        if (!parallel) break;
        continue;
      }
      if (!pod) {
        if (blocked && !parallel) break;
        if (!(await this.ensureClaims(set, spec, i))) return;
        await this.createPod(set, spec, i, updateRevision);
        if (!parallel) break;
        continue;
      }
      if (!parallel && (!ready(pod) || pod.metadata.deletionTimestamp)) break;
    }

    // 2. scale down: ordinals beyond the wanted range, highest first (one at a time unless Parallel)
    const condemned = [...byOrdinal.entries()]
      .filter(([i]) => i < start || i >= start + replicas)
      .sort(([a], [b]) => b - a);
    for (const [, pod] of condemned) {
      if (pod.metadata.deletionTimestamp) {
        if (!parallel) break;
        continue;
      }
      if (
        !parallel &&
        [...byOrdinal.values()].some((p) => p !== pod && !ready(p) && !condemned.some(([, c]) => c === p))
      )
        break;
      if (spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') await this.ownClaimsBy(set, spec, pod);
      await this.deletePod(set, pod);
      if (!parallel) break;
    }

    // 3. rolling update: from the highest ordinal down to the partition, one pod at a time
    const wanted = [...byOrdinal.entries()].filter(([i]) => i >= start && i < start + replicas);
    if ((spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
      const allSettled = wanted.every(([, p]) => ready(p));
      if (allSettled && wanted.length === replicas) {
        const stale = wanted
          .filter(([i, p]) => i >= start + partition && p.metadata.labels?.[REVISION_HASH_LABEL] !== updateRevision)
          .sort(([a], [b]) => b - a)[0];
        if (stale) await this.deletePod(set, stale[1]);
      }
    }

    // 4. claims of a deleted set go with it when the policy says so
    if (spec.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete') await this.ownClaimsBy(set, spec);

    await this.writeStatus(
      set,
      spec,
      wanted.map(([, p]) => p),
      updateRevision,
      ready,
    );
    const inUse = new Set([
      updateRevision,
      String((set.status as { currentRevision?: string })?.currentRevision ?? ''),
    ]);
    for (const p of pods) inUse.add(`${p.metadata.labels?.[REVISION_HASH_LABEL]}`);
    await pruneRevisions(this.api, this.catalog, revisions.history, inUse, spec.revisionHistoryLimit ?? 10, COMPONENT);
  }

  /** The ordinal's claims, made from the templates when missing; false when one cannot be made. */
  private async ensureClaims(set: KubeObject, spec: StatefulSetSpec, ordinal: number): Promise<boolean> {
    const claims = this.type('', 'persistentvolumeclaims');
    for (const t of spec.volumeClaimTemplates ?? []) {
      const name = claimName(t.metadata?.name ?? '', set.metadata.name!, ordinal);
      if (this.api.tryGet(claims, set.metadata.namespace!, name)) continue;
      try {
        await this.api.create(
          claims,
          set.metadata.namespace!,
          {
            metadata: {
              name: name,
              labels: { ...spec.selector?.matchLabels, ...t.metadata?.labels },
              annotations: t.metadata?.annotations,
            },
            spec: t.spec,
          },
          ctx(),
        );
        this.events.record(
          set,
          'Normal',
          'SuccessfulCreate',
          `create Claim ${name} Pod ${set.metadata.name}-${ordinal} in StatefulSet ${set.metadata.name} success`,
        );
      } catch (e) {
        this.events.record(
          set,
          'Warning',
          'FailedCreate',
          `create Claim ${name} for Pod ${set.metadata.name}-${ordinal} in StatefulSet ${set.metadata.name} ` +
            `failed error: ${(e as Error).message}`,
        );
        return false;
      }
    }
    return true;
  }

  private async createPod(set: KubeObject, spec: StatefulSetSpec, ordinal: number, revision: string): Promise<void> {
    const podName = `${set.metadata.name}-${ordinal}`;
    const template = spec.template ?? {};
    const podSpec = structuredClone(template.spec ?? {}) as {
      volumes?: Array<{ name: string }>;
      hostname?: string;
      subdomain?: string;
    };
    const claimVolumes = (spec.volumeClaimTemplates ?? []).map((t) => ({
      name: t.metadata?.name ?? '',
      persistentVolumeClaim: { claimName: claimName(t.metadata?.name ?? '', set.metadata.name!, ordinal) },
    }));
    podSpec.volumes = [
      ...(podSpec.volumes ?? []).filter((v) => !claimVolumes.some((c) => c.name === v.name)),
      ...claimVolumes,
    ];
    podSpec.hostname = podName;
    if (spec.serviceName) podSpec.subdomain = spec.serviceName;
    try {
      await this.api.create(
        this.type('', 'pods'),
        set.metadata.namespace!,
        {
          metadata: {
            name: podName,
            labels: {
              ...template.metadata?.labels,
              [REVISION_HASH_LABEL]: revision,
              [POD_NAME_LABEL]: podName,
              [POD_INDEX_LABEL]: String(ordinal),
            },
            annotations: template.metadata?.annotations,
            ownerReferences: [ownerRef(set)],
          },
          spec: podSpec,
        },
        ctx(),
      );
      this.events.record(
        set,
        'Normal',
        'SuccessfulCreate',
        `create Pod ${podName} in StatefulSet ${set.metadata.name} successful`,
      );
    } catch (e) {
      this.events.record(
        set,
        'Warning',
        'FailedCreate',
        `create Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${(e as Error).message}`,
      );
    }
  }

  private async deletePod(set: KubeObject, pod: KubeObject): Promise<void> {
    const deleted = await this.api
      .delete(
        this.type('', 'pods'),
        pod.metadata.namespace!,
        pod.metadata.name!,
        { preconditions: { uid: pod.metadata.uid } },
        ctx(),
      )
      .catch(tolerating(404, 409));
    if (deleted)
      this.events.record(
        set,
        'Normal',
        'SuccessfulDelete',
        `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
      );
  }

  /**
   * persistentVolumeClaimRetentionPolicy Delete: the claims get an owner reference (to the set, or to
   * the pod being scaled away), so the garbage collector removes them with it.
   */
  private async ownClaimsBy(set: KubeObject, spec: StatefulSetSpec, pod?: KubeObject): Promise<void> {
    const claims = this.type('', 'persistentvolumeclaims');
    const owner: OwnerReference = pod
      ? { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, uid: pod.metadata.uid!, blockOwnerDeletion: false }
      : { ...ownerRef(set), controller: false, blockOwnerDeletion: false };
    const ordinals = pod
      ? [ordinalOf(set.metadata.name!, pod.metadata.name!)!]
      : Array.from({ length: (spec.ordinals?.start ?? 0) + (spec.replicas ?? 1) }, (_, i) => i);
    for (const t of spec.volumeClaimTemplates ?? []) {
      for (const i of ordinals) {
        const claim = this.api.tryGet(
          claims,
          set.metadata.namespace!,
          claimName(t.metadata?.name ?? '', set.metadata.name!, i),
        );
        if (!claim || claim.metadata.ownerReferences?.some((r) => r.uid === owner.uid)) continue;
        await this.api
          .patch(
            claims,
            claim.metadata.namespace!,
            claim.metadata.name!,
            'merge',
            {
              metadata: {
                resourceVersion: claim.metadata.resourceVersion,
                ownerReferences: [...(claim.metadata.ownerReferences ?? []), owner],
              },
            },
            ctx(),
          )
          .catch(tolerating(404, 409));
      }
    }
  }

  private async writeStatus(
    set: KubeObject,
    spec: StatefulSetSpec,
    pods: KubeObject[],
    updateRevision: string,
    ready: (p: KubeObject) => boolean,
  ): Promise<void> {
    const previous = (set.status ?? {}) as { currentRevision?: string };
    const live = pods.filter((p) => !p.metadata.deletionTimestamp);
    const updated = live.filter((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === updateRevision).length;
    const replicas = spec.replicas ?? 1;
    const readyCount = live.filter(ready).length;
    // the current revision becomes the update revision once every pod runs it
    const currentRevision =
      updated === replicas && live.length === replicas ? updateRevision : (previous.currentRevision ?? updateRevision);
    const minReadyMs = (spec.minReadySeconds ?? 0) * 1000;
    const now = Date.now();
    const status = {
      observedGeneration: set.metadata.generation ?? 1,
      replicas: live.length,
      readyReplicas: readyCount,
      currentReplicas: live.filter((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === currentRevision).length,
      updatedReplicas: updated,
      currentRevision,
      updateRevision,
      collisionCount: 0,
      availableReplicas: live.filter((p) => {
        const since = podReadySince(p);
        return since !== undefined && now - since >= minReadyMs;
      }).length,
    };
    const waiting = live.map(podReadySince).filter((t): t is number => t !== undefined && now - t < minReadyMs);
    if (waiting.length)
      this.queue.addAfter(
        `${set.metadata.namespace}/${set.metadata.name}`,
        Math.min(...waiting.map((t) => minReadyMs - (now - t))) + 10,
      );
    if (deepEqual(status, set.status ?? {})) return;
    await this.api
      .update(
        this.type('apps', 'statefulsets'),
        set.metadata.namespace!,
        set.metadata.name!,
        { ...set, status },
        ctx(),
        'status',
      )
      .catch(tolerating(404, 409));
  }
}

/** A claim made from a volumeClaimTemplate: <template>-<set>-<ordinal>. */
export function claimName(template: string, set: string, ordinal: number): string {
  return `${template}-${set}-${ordinal}`;
}

function ownerRef(set: KubeObject): OwnerReference {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    name: set.metadata.name!,
    uid: set.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}
