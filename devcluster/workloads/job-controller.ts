// kube-controller-manager's Job controller (and its ttl-after-finished sibling): keeps `parallelism`
// pods of a Job running until `completions` succeeded (or each completion index did), replaces
// failed pods after a back-off until `backoffLimit`, enforces `activeDeadlineSeconds`, honours
// `suspend`, and writes status and conditions (SuccessCriteriaMet/Complete, FailureTarget/Failed)
// as kube does. Pods carry the job-tracking finalizer, so each finished pod is counted exactly once
// (through status.uncountedTerminatedPods) even if it is deleted right away.
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { tolerating } from '../controllers/controller.ts';
import { controllerRef, controllerUid, OwnerController } from '../controllers/owner-controller.ts';
import type { EventRecorder } from '../controllers/event-recorder.ts';
import { deepEqual } from '../logic/schema.ts';
import { COMPLETION_INDEX } from '../resources/builtin/batch.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { nowSeconds, type KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import {
  failureBackoffMs,
  formatIndexes,
  isActive,
  isTerminal,
  JOB_TRACKING_FINALIZER,
  jobOutcome,
  jobPodView,
  parseIndexes,
  podsToCreate,
  type Counts,
  type JobSpecView,
} from './job-logic.ts';

const ctx = () => systemContext('job-controller');

interface JobStatus {
  conditions?: Array<{
    type: string;
    status: string;
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
    lastProbeTime?: string;
  }>;
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  ready?: number;
  terminating?: number;
  completedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
}

export function isFinished(job: KubeObject): boolean {
  return ((job.status as JobStatus | undefined)?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

export class JobController extends OwnerController {
  /** Job uid -> when a pod of it last failed (the back-off before replacing it starts there). */
  private readonly lastFailure = new Map<string, number>();

  constructor(
    api: ObjectApi,
    catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
    private readonly events: EventRecorder,
  ) {
    super(api, catalog, cache, logger, { group: 'batch', plural: 'jobs', kind: 'Job', owns: [['', 'pods']] });
  }

  private get jobs(): ResourceType {
    return this.type('batch', 'jobs');
  }
  private get pods(): ResourceType {
    return this.type('', 'pods');
  }

  protected override onChange(change: Change): void {
    super.onChange(change);
    if (change.storageKey !== '/pods') return;
    const pod = change.object as unknown as KubeObject;
    const ref = controllerRef(pod, 'Job');
    if (!ref && pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) && change.type !== 'DELETED')
      this.queue.add(`orphan:${change.namespace}/${change.name}`);
    if (ref && (pod.status as { phase?: string } | undefined)?.phase === 'Failed') {
      const old = (change.oldObject as unknown as KubeObject | undefined)?.status as { phase?: string } | undefined;
      if (old?.phase !== 'Failed') this.lastFailure.set(ref.uid, Date.now());
    }
  }

  protected async reconcile(key: string): Promise<void> {
    if (key.startsWith('orphan:')) return this.releaseOrphan(key.slice(7));
    const [namespace, name] = key.split('/') as [string, string];
    const found = this.api.tryGet(this.jobs, namespace, name);
    if (!found) return;
    let job: KubeObject = found;
    const pods = this.api
      .list(this.pods, namespace)
      .items.filter((p) => controllerUid(p, 'Job') === found.metadata.uid);
    // a pod whose owner reference outlived its Job is released by the orphan path
    if (job.metadata.deletionTimestamp) return this.releaseAll(pods);
    const spec = (job.spec ?? {}) as JobSpecView & { ttlSecondsAfterFinished?: number };
    const status = structuredClone((job.status ?? {}) as JobStatus);
    const views = pods.map(jobPodView);

    // 1. count finished pods exactly once: uncounted first, then their finalizers go, then the counters
    const uncounted = {
      succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])],
      failed: [...(status.uncountedTerminatedPods?.failed ?? [])],
    };
    const seen = new Set([...uncounted.succeeded, ...uncounted.failed]);
    const indexes = parseIndexes(status.completedIndexes);
    for (const pod of pods) {
      const v = jobPodView(pod);
      if (!isTerminal(v) || !pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) || seen.has(v.uid)) continue;
      (v.phase === 'Succeeded' ? uncounted.succeeded : uncounted.failed).push(v.uid);
      if (v.phase === 'Succeeded' && v.index !== undefined) indexes.add(v.index);
    }
    const counts: Counts = {
      succeeded: (status.succeeded ?? 0) + uncounted.succeeded.length,
      failed: (status.failed ?? 0) + uncounted.failed.length,
      succeededIndexes: indexes,
    };
    if (uncounted.succeeded.length + uncounted.failed.length > seen.size) {
      status.uncountedTerminatedPods = uncounted;
      if (spec.completionMode === 'Indexed') status.completedIndexes = formatIndexes(indexes);
      const written = await this.writeStatus(job, status);
      if (!written) return;
      job = written;
    }
    for (const pod of pods) {
      if (seen.has(pod.metadata.uid!) || [...uncounted.succeeded, ...uncounted.failed].includes(pod.metadata.uid!))
        await this.removeFinalizer(pod);
    }
    const stillTracked = new Set(
      pods.filter((p) => p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)).map((p) => p.metadata.uid!),
    );
    const settle = (list: string[]) => list.filter((uid) => stillTracked.has(uid));
    status.succeeded = (status.succeeded ?? 0) + uncounted.succeeded.filter((u) => !stillTracked.has(u)).length;
    status.failed = (status.failed ?? 0) + uncounted.failed.filter((u) => !stillTracked.has(u)).length;
    status.uncountedTerminatedPods = { succeeded: settle(uncounted.succeeded), failed: settle(uncounted.failed) };
    if (!status.uncountedTerminatedPods.succeeded!.length) delete status.uncountedTerminatedPods.succeeded;
    if (!status.uncountedTerminatedPods.failed!.length) delete status.uncountedTerminatedPods.failed;

    // 2. decide
    const now = Date.now();
    const active = views.filter(isActive);
    if (isFinished(job)) {
      await this.deletePods(
        job,
        active.map((p) => p.name),
      );
      status.active = 0;
      status.ready = 0;
      await this.writeStatus(job, status);
      return this.expire(job, spec.ttlSecondsAfterFinished);
    }
    if (spec.suspend) {
      await this.deletePods(
        job,
        active.map((p) => p.name),
      );
      setCondition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended');
      status.active = 0;
      await this.writeStatus(job, status);
      return;
    }
    if (status.conditions?.some((c) => c.type === 'Suspended' && c.status === 'True'))
      setCondition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed');
    status.startTime ??= nowSeconds(now);
    const outcome = jobOutcome(spec, counts, views, Date.parse(status.startTime), now);
    if (outcome.kind !== 'running') {
      const at = nowSeconds(now);
      if (outcome.kind === 'complete') {
        setCondition(status, 'SuccessCriteriaMet', 'True', outcome.reason, outcome.message, at);
        setCondition(status, 'Complete', 'True', outcome.reason, outcome.message, at);
        status.completionTime = at;
        this.events.record(job, 'Normal', 'Completed', 'Job completed');
      } else {
        setCondition(status, 'FailureTarget', 'True', outcome.reason, outcome.message, at);
        setCondition(status, 'Failed', 'True', outcome.reason, outcome.message, at);
        this.events.record(job, 'Warning', outcome.reason, outcome.message);
      }
      await this.deletePods(
        job,
        active.map((p) => p.name),
      );
      status.active = 0;
      status.ready = 0;
      await this.writeStatus(job, status);
      return this.expire(job, spec.ttlSecondsAfterFinished);
    }
    if (spec.activeDeadlineSeconds !== undefined)
      this.queue.addAfter(
        key,
        Math.max(0, Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 - now) + 50,
      );

    // 3. start what is missing, after the back-off that follows a failure
    const toCreate = podsToCreate(spec, counts, views);
    const wait = (this.lastFailure.get(job.metadata.uid!) ?? 0) + failureBackoffMs(counts.failed) - now;
    let created = 0;
    if (toCreate.length && wait > 0) this.queue.addAfter(key, wait + 10);
    else for (const index of toCreate) if (await this.createPod(job, index)) created++;
    status.active = active.length + created;
    status.ready = views.filter((p) => isActive(p) && p.ready).length;
    status.terminating = views.filter((p) => p.terminating && !isTerminal(p)).length;
    if (!status.terminating) delete status.terminating;
    await this.writeStatus(job, status);
  }

  private async createPod(job: KubeObject, index: number): Promise<boolean> {
    const template = ((job.spec as { template?: KubeObject }).template ?? {}) as KubeObject & {
      spec?: Record<string, unknown>;
    };
    const labels = { ...template.metadata?.labels };
    const annotations = { ...template.metadata?.annotations };
    const spec = structuredClone(template.spec ?? {}) as { containers?: Array<{ env?: unknown[] }>; hostname?: string };
    const indexed = index >= 0;
    if (indexed) {
      labels[COMPLETION_INDEX] = String(index);
      annotations[COMPLETION_INDEX] = String(index);
      spec.hostname ??= `${job.metadata.name}-${index}`;
      for (const c of spec.containers ?? []) {
        c.env = [
          ...(c.env ?? []),
          {
            name: 'JOB_COMPLETION_INDEX',
            valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } },
          },
        ];
      }
    }
    try {
      const pod = await this.api.create(
        this.pods,
        job.metadata.namespace!,
        {
          metadata: {
            generateName: indexed ? `${job.metadata.name}-${index}-` : `${job.metadata.name}-`,
            labels,
            annotations,
            finalizers: [JOB_TRACKING_FINALIZER],
            ownerReferences: [
              {
                apiVersion: 'batch/v1',
                kind: 'Job',
                name: job.metadata.name!,
                uid: job.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec,
        },
        ctx(),
      );
      this.events.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
      return true;
    } catch (e) {
      this.events.record(job, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      return false;
    }
  }

  private async deletePods(job: KubeObject, names: string[]): Promise<void> {
    for (const name of names) {
      const deleted = await this.api
        .delete(this.pods, job.metadata.namespace!, name, {}, ctx())
        .catch(tolerating(404, 409));
      if (deleted) this.events.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
    }
  }

  private async removeFinalizer(pod: KubeObject): Promise<void> {
    const finalizers = pod.metadata.finalizers ?? [];
    if (!finalizers.includes(JOB_TRACKING_FINALIZER)) return;
    await this.api
      .patch(
        this.pods,
        pod.metadata.namespace!,
        pod.metadata.name!,
        'json',
        [
          { op: 'test', path: '/metadata/resourceVersion', value: pod.metadata.resourceVersion },
          {
            op: 'replace',
            path: '/metadata/finalizers',
            value: finalizers.filter((f) => f !== JOB_TRACKING_FINALIZER),
          },
        ],
        ctx(),
      )
      .catch(tolerating(404, 409, 422));
  }

  private async releaseAll(pods: KubeObject[]): Promise<void> {
    for (const pod of pods) await this.removeFinalizer(pod);
  }

  /** A pod that still carries the tracking finalizer while its Job is gone must not hang in Terminating. */
  private async releaseOrphan(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.api.tryGet(this.pods, namespace, name);
    if (!pod?.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) return;
    const uid = controllerUid(pod, 'Job');
    const owner = uid && this.api.list(this.jobs, namespace).items.find((j) => j.metadata.uid === uid);
    if (!owner || owner.metadata.deletionTimestamp) await this.removeFinalizer(pod);
  }

  /** ttlSecondsAfterFinished: the finished Job (and, through the garbage collector, its pods) goes. */
  private async expire(job: KubeObject, ttl: number | undefined): Promise<void> {
    if (ttl === undefined) return;
    const status = (job.status ?? {}) as JobStatus;
    const finishedAt = Date.parse(
      status.completionTime ??
        status.conditions?.find((c) => c.type === 'Failed' && c.status === 'True')?.lastTransitionTime ??
        '',
    );
    if (!Number.isFinite(finishedAt)) return;
    const due = finishedAt + ttl * 1000 - Date.now();
    if (due > 0) {
      this.queue.addAfter(`${job.metadata.namespace}/${job.metadata.name}`, due + 10);
      return;
    }
    await this.api
      .delete(
        this.jobs,
        job.metadata.namespace!,
        job.metadata.name!,
        { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid } },
        systemContext('ttl-after-finished-controller'),
      )
      .catch(tolerating(404, 409));
  }

  /** Writes status when it changed; undefined when the Job changed under us (its event brings us back). */
  private async writeStatus(job: KubeObject, status: JobStatus): Promise<KubeObject | undefined> {
    const next = Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined));
    if (deepEqual(next, job.status ?? {})) return job;
    return this.api
      .update(this.jobs, job.metadata.namespace!, job.metadata.name!, { ...job, status: next }, ctx(), 'status')
      .catch(tolerating(404, 409));
  }
}

function setCondition(
  status: JobStatus,
  type: string,
  value: string,
  reason: string,
  message: string,
  at = nowSeconds(),
): void {
  const conditions = (status.conditions ??= []);
  const existing = conditions.find((c) => c.type === type);
  if (existing) {
    if (existing.status !== value) existing.lastTransitionTime = at;
    Object.assign(existing, { status: value, reason, message, lastProbeTime: at });
    return;
  }
  conditions.push({ type, status: value, reason, message, lastProbeTime: at, lastTransitionTime: at });
}
