// The Job controller's decisions, as pure functions of the Job and its pods: how many pods (or which
// completion indexes) to start, whether the Job is complete or has failed (backoff limit, deadline),
// and the conditions and counts kube writes. The I/O shell is job-controller.ts.
import type { KubeObject } from '../resources/object-meta.ts';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export interface JobSpecView {
  parallelism?: number;
  completions?: number;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  completionMode?: 'NonIndexed' | 'Indexed';
  suspend?: boolean;
  template?: { spec?: { restartPolicy?: string } };
}

export interface JobPod {
  name: string;
  uid: string;
  phase: string;
  /** Being deleted (deletionTimestamp set). */
  terminating: boolean;
  ready: boolean;
  restarts: number;
  index?: number;
}

export function jobPodView(pod: KubeObject): JobPod {
  const status = (pod.status ?? {}) as {
    phase?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{ restartCount?: number }>;
  };
  const index = pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
  return {
    name: pod.metadata.name!,
    uid: pod.metadata.uid!,
    phase: status.phase ?? 'Pending',
    terminating: Boolean(pod.metadata.deletionTimestamp),
    ready: status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: (status.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
    ...(index !== undefined && /^\d+$/.test(index) ? { index: Number(index) } : {}),
  };
}

export const isTerminal = (p: JobPod) => p.phase === 'Succeeded' || p.phase === 'Failed';
export const isActive = (p: JobPod) => !isTerminal(p) && !p.terminating;

export type JobOutcome =
  | { kind: 'running' }
  | { kind: 'complete'; reason: 'CompletionsReached'; message: string }
  | { kind: 'failed'; reason: 'BackoffLimitExceeded' | 'DeadlineExceeded'; message: string };

export interface Counts {
  succeeded: number;
  failed: number;
  /** Completion indexes that succeeded (Indexed jobs). */
  succeededIndexes: Set<number>;
}

/** Whether the Job is done, given what has been counted and the pods still there. */
export function jobOutcome(
  spec: JobSpecView,
  counts: Counts,
  pods: JobPod[],
  startTime: number | undefined,
  now: number,
): JobOutcome {
  const active = pods.filter(isActive);
  const backoffLimit = spec.backoffLimit ?? 6;
  const onFailure = spec.template?.spec?.restartPolicy === 'OnFailure';
  const restarts = active.reduce((n, p) => n + p.restarts, 0);
  // OnFailure restarts containers in place: their restarts count against the limit (as kube's
  // pastBackoffLimitOnFailure)
  const restartsExceed = onFailure && (backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit);
  if (counts.failed > backoffLimit || restartsExceed)
    return { kind: 'failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
  if (
    spec.activeDeadlineSeconds !== undefined &&
    startTime !== undefined &&
    now - startTime >= spec.activeDeadlineSeconds * 1000
  )
    return { kind: 'failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
  const message = 'Reached expected number of succeeded pods';
  if (spec.completionMode === 'Indexed') {
    if (counts.succeededIndexes.size >= (spec.completions ?? 1))
      return { kind: 'complete', reason: 'CompletionsReached', message };
  } else if (spec.completions !== undefined) {
    if (counts.succeeded >= spec.completions) return { kind: 'complete', reason: 'CompletionsReached', message };
  } else if (counts.succeeded > 0 && active.length === 0) {
    // work-queue Jobs (completions unset): done once a pod succeeded and none is left running
    return { kind: 'complete', reason: 'CompletionsReached', message };
  }
  return { kind: 'running' };
}

/** The pods to start now: a count (NonIndexed) or the completion indexes (Indexed). */
export function podsToCreate(spec: JobSpecView, counts: Counts, pods: JobPod[]): number[] {
  const active = pods.filter(isActive);
  const parallelism = spec.parallelism ?? 1;
  if (spec.completionMode === 'Indexed') {
    const busy = new Set(active.map((p) => p.index));
    const wanted: number[] = [];
    for (let i = 0; i < (spec.completions ?? 1) && active.length + wanted.length < parallelism; i++)
      if (!counts.succeededIndexes.has(i) && !busy.has(i)) wanted.push(i);
    return wanted;
  }
  if (spec.completions === undefined && counts.succeeded > 0) return [];
  const remaining = spec.completions === undefined ? parallelism : spec.completions - counts.succeeded;
  const target = Math.max(0, Math.min(parallelism, remaining));
  return Array.from({ length: Math.max(0, target - active.length) }, () => -1);
}

/** "0-2,4,6,7", as kube writes completedIndexes. */
export function formatIndexes(indexes: Set<number>): string {
  const sorted = [...indexes].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    // three or more in a row are a range ("1,3-5,7"); two stay a pair ("0,1")
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(',');
}

export function parseIndexes(text: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a!; i <= (b ?? a!); i++) out.add(i);
  }
  return out;
}

/** Back-off before replacing failed pods: 1 s doubling to 60 s (kube: 10 s to 6 min). */
export function failureBackoffMs(failed: number): number {
  return failed <= 0 ? 0 : Math.min(1000 * 2 ** (failed - 1), 60_000);
}
