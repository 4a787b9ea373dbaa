// kube-controller-manager's DaemonSet controller on a one-node cluster: one pod on the node when the
// template's nodeSelector matches the node's labels (none otherwise), replaced by RollingUpdate when
// the template changes (the old pod goes first, maxUnavailable 1, or the new one first with
// maxSurge), left to the user with OnDelete; revisions and status as kube writes them.
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { tolerating } from '../controllers/controller.ts';
import { controllerUid, OwnerController } from '../controllers/owner-controller.ts';
import type { EventRecorder } from '../controllers/event-recorder.ts';
import { deepEqual } from '../logic/schema.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import { podReadySince } from '../nodeagent/replicaset-controller.ts';
import { resolveIntOrPercent } from '../nodeagent/rollout.ts';
import { currentRevision, pruneRevisions, REVISION_HASH_LABEL } from './controller-revisions.ts';

const COMPONENT = 'daemonset-controller';
const ctx = () => systemContext(COMPONENT);

interface DaemonSetSpec {
  template?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: { nodeSelector?: Record<string, string> };
  };
  updateStrategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

export class DaemonSetController extends OwnerController {
  constructor(
    api: ObjectApi,
    catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
    private readonly events: EventRecorder,
    private readonly nodeName: string,
  ) {
    super(api, catalog, cache, logger, {
      group: 'apps',
      plural: 'daemonsets',
      kind: 'DaemonSet',
      owns: [['', 'pods']],
    });
  }

  protected override onChange(change: Change): void {
    // the node's labels decide which sets fit it
    if (change.storageKey === '/nodes') this.start();
    else super.onChange(change);
  }

  protected async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const ds = this.api.tryGet(this.type('apps', 'daemonsets'), namespace, name);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const spec = (ds.spec ?? {}) as DaemonSetSpec;
    const revisions = await currentRevision(this.api, this.catalog, ds, COMPONENT);
    if (!revisions) return;
    const hash = revisions.current.name.slice(name.length + 1);
    const node = this.api.tryGet(this.type('', 'nodes'), '', this.nodeName);
    const selector = spec.template?.spec?.nodeSelector ?? {};
    const fits = node !== undefined && Object.entries(selector).every(([k, v]) => node.metadata.labels?.[k] === v);
    const pods = this.api
      .list(this.type('', 'pods'), namespace)
      .items.filter((p) => controllerUid(p, 'DaemonSet') === ds.metadata.uid && !isTerminal(p));
    const live = pods.filter((p) => !p.metadata.deletionTimestamp);
    const current = live.filter((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === hash);
    const old = live.filter((p) => p.metadata.labels?.[REVISION_HASH_LABEL] !== hash);

    if (!fits) {
      for (const p of live) await this.deletePod(ds, p);
    } else if ((spec.updateStrategy?.type ?? 'RollingUpdate') === 'OnDelete') {
      if (live.length === 0 && pods.length === 0) await this.createPod(ds, spec, hash, revisions.current.revision);
    } else {
      const surge = resolveIntOrPercent(spec.updateStrategy?.rollingUpdate?.maxSurge, 1, true) > 0;
      if (current.length === 0 && (surge || (old.length === 0 && pods.length === 0)))
        await this.createPod(ds, spec, hash, revisions.current.revision);
      // the old pod goes once its replacement is ready (surge), or right away (maxUnavailable)
      const replacementReady = current.some((p) => podReadySince(p) !== undefined);
      for (const p of old) if (!surge || replacementReady) await this.deletePod(ds, p);
      for (const p of current.slice(1)) await this.deletePod(ds, p);
    }
    await this.writeStatus(ds, spec, fits, live, hash);
    const inUse = new Set([
      revisions.current.name,
      ...pods.map((p) => `${name}-${p.metadata.labels?.[REVISION_HASH_LABEL]}`),
    ]);
    await pruneRevisions(this.api, this.catalog, revisions.history, inUse, spec.revisionHistoryLimit ?? 10, COMPONENT);
  }

  private async createPod(ds: KubeObject, spec: DaemonSetSpec, hash: string, generation: number): Promise<void> {
    const template = spec.template ?? {};
    const podSpec = structuredClone(template.spec ?? {}) as Record<string, unknown>;
    // as kube's DaemonSet controller: the pod is pinned to its node by affinity, then scheduled
    podSpec.affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [this.nodeName] }] }],
        },
      },
    };
    try {
      const pod = await this.api.create(
        this.type('', 'pods'),
        ds.metadata.namespace!,
        {
          metadata: {
            generateName: `${ds.metadata.name}-`,
            labels: {
              ...template.metadata?.labels,
              [REVISION_HASH_LABEL]: hash,
              'pod-template-generation': String(generation),
            },
            annotations: template.metadata?.annotations,
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'DaemonSet',
                name: ds.metadata.name!,
                uid: ds.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: podSpec,
        },
        ctx(),
      );
      this.events.record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
    } catch (e) {
      this.events.record(ds, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
    }
  }

  private async deletePod(ds: KubeObject, pod: KubeObject): Promise<void> {
    const deleted = await this.api
      .delete(
        this.type('', 'pods'),
        pod.metadata.namespace!,
        pod.metadata.name!,
        { preconditions: { uid: pod.metadata.uid } },
        ctx(),
      )
      .catch(tolerating(404, 409));
    if (deleted) this.events.record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
  }

  private async writeStatus(
    ds: KubeObject,
    spec: DaemonSetSpec,
    fits: boolean,
    live: KubeObject[],
    hash: string,
  ): Promise<void> {
    const now = Date.now();
    const minReadyMs = (spec.minReadySeconds ?? 0) * 1000;
    const readySince = live.map(podReadySince);
    const ready = readySince.filter((t) => t !== undefined).length;
    const available = readySince.filter((t) => t !== undefined && now - t >= minReadyMs).length;
    const desired = fits ? 1 : 0;
    const scheduled = Math.min(live.length, desired);
    const status = {
      currentNumberScheduled: scheduled,
      numberMisscheduled: fits ? 0 : live.length,
      desiredNumberScheduled: desired,
      numberReady: Math.min(ready, desired),
      observedGeneration: ds.metadata.generation ?? 1,
      updatedNumberScheduled: Math.min(
        live.filter((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === hash).length,
        desired,
      ),
      numberAvailable: Math.min(available, desired),
      ...(desired - Math.min(available, desired) > 0
        ? { numberUnavailable: desired - Math.min(available, desired) }
        : {}),
    };
    const waiting = readySince.filter((t): t is number => t !== undefined && now - t < minReadyMs);
    if (waiting.length)
      this.queue.addAfter(
        `${ds.metadata.namespace}/${ds.metadata.name}`,
        Math.min(...waiting.map((t) => minReadyMs - (now - t))) + 10,
      );
    if (deepEqual(status, ds.status ?? {})) return;
    await this.api
      .update(
        this.type('apps', 'daemonsets'),
        ds.metadata.namespace!,
        ds.metadata.name!,
        { ...ds, status },
        ctx(),
        'status',
      )
      .catch(tolerating(404, 409));
  }
}

function isTerminal(p: KubeObject): boolean {
  return ['Succeeded', 'Failed'].includes(String((p.status as { phase?: string } | undefined)?.phase));
}
