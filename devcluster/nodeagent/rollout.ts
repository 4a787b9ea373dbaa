// The Deployment controller's arithmetic, as pure functions: how far the new ReplicaSet may scale up
// and the old ones down under maxSurge/maxUnavailable (RollingUpdate) or all-at-once (Recreate), and
// the status and conditions written back (kubectl rollout status and wait read exactly these).

export interface ReplicaSetView {
  name: string;
  /** spec.replicas */
  desired: number;
  /** status.replicas / readyReplicas / availableReplicas */
  current: number;
  ready: number;
  available: number;
  /** creationTimestamp: old ReplicaSets scale down oldest first */
  created: string;
}

export interface Strategy {
  type: 'RollingUpdate' | 'Recreate';
  maxSurge: number | string;
  maxUnavailable: number | string;
}

/** An int-or-percent value resolved against `total` (surge rounds up, unavailability down). */
export function resolveIntOrPercent(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value.trim());
  if (!m) return Number.parseInt(value, 10) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export function surgeAndUnavailable(strategy: Strategy, desired: number): { surge: number; unavailable: number } {
  if (strategy.type === 'Recreate') return { surge: 0, unavailable: desired };
  const surge = resolveIntOrPercent(strategy.maxSurge, desired, true);
  let unavailable = resolveIntOrPercent(strategy.maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, desired) };
}

const sum = (rss: ReplicaSetView[], f: (r: ReplicaSetView) => number) => rss.reduce((n, r) => n + f(r), 0);

/** Desired replicas for every ReplicaSet after one reconcile step. */
export function planRollout(
  desired: number,
  strategy: Strategy,
  newRs: ReplicaSetView,
  oldRss: ReplicaSetView[],
): Map<string, number> {
  const plan = new Map<string, number>([
    [newRs.name, newRs.desired],
    ...oldRss.map((r) => [r.name, r.desired] as [string, number]),
  ]);
  const activeOld = oldRss.filter((r) => r.desired > 0 || r.current > 0);
  if (strategy.type === 'Recreate') {
    for (const r of oldRss) plan.set(r.name, 0);
    // the new pods start only once every old pod is gone
    if (activeOld.every((r) => r.current === 0)) plan.set(newRs.name, desired);
    return plan;
  }
  if (activeOld.length === 0) {
    plan.set(newRs.name, desired);
    return plan;
  }
  const { surge, unavailable } = surgeAndUnavailable(strategy, desired);
  const all = [newRs, ...oldRss];
  // scale up the new ReplicaSet within the surge; like the real controller, a step that scales up
  // scales nothing down (the next step sees the new pods' availability)
  if (newRs.desired > desired) plan.set(newRs.name, desired);
  else {
    const total = sum(all, (r) => r.desired);
    const room = Math.min(desired + surge - total, desired - newRs.desired);
    if (room > 0) {
      plan.set(newRs.name, newRs.desired + room);
      return plan;
    }
  }
  // scale down old ReplicaSets: unhealthy pods first, then as far as availability allows
  const minAvailable = desired - unavailable;
  const newUnavailable = newRs.desired - newRs.available;
  let maxScaledDown = sum(all, (r) => r.desired) - minAvailable - newUnavailable;
  const oldestFirst = [...oldRss].sort((a, b) => a.created.localeCompare(b.created) || a.name.localeCompare(b.name));
  for (const r of oldestFirst) {
    if (maxScaledDown <= 0) break;
    const unhealthy = Math.max(0, r.desired - r.available);
    const cut = Math.min(unhealthy, maxScaledDown, plan.get(r.name)!);
    plan.set(r.name, plan.get(r.name)! - cut);
    maxScaledDown -= cut;
  }
  let canRemove = sum(all, (r) => r.available) - minAvailable;
  for (const r of oldestFirst) {
    if (canRemove <= 0) break;
    const cut = Math.min(plan.get(r.name)!, canRemove);
    plan.set(r.name, plan.get(r.name)! - cut);
    canRemove -= cut;
  }
  return plan;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface DeploymentStatusInput {
  generation: number;
  desired: number;
  strategy: Strategy;
  newRs: ReplicaSetView;
  oldRss: ReplicaSetView[];
  previous: Condition[];
  /** Why pods cannot run (an image this node does not run), if so. */
  replicaFailure?: string;
  /** When the rollout last made progress and the deadline, for ProgressDeadlineExceeded. */
  progressDeadlineSeconds: number;
  lastProgress: number;
  now: string;
  nowMs: number;
  newRsCreated: boolean;
}

export function deploymentStatus(input: DeploymentStatusInput): Record<string, unknown> {
  const all = [input.newRs, ...input.oldRss];
  const replicas = sum(all, (r) => r.current);
  const available = sum(all, (r) => r.available);
  const ready = sum(all, (r) => r.ready);
  const updated = input.newRs.current;
  const { unavailable: maxUnavailable } = surgeAndUnavailable(input.strategy, input.desired);
  const complete =
    updated === input.desired &&
    replicas === input.desired &&
    available === input.desired &&
    input.oldRss.every((r) => r.current === 0);
  const conditions: Condition[] = [];
  const condition = (c: Condition) => {
    const prev = input.previous.find((p) => p.type === c.type);
    const same = prev && prev.status === c.status;
    const sameReason = same && prev.reason === c.reason && prev.message === c.message;
    conditions.push({
      ...c,
      lastUpdateTime: sameReason ? (prev.lastUpdateTime ?? input.now) : input.now,
      lastTransitionTime: same ? (prev.lastTransitionTime ?? input.now) : input.now,
    });
  };
  condition(
    available >= input.desired - maxUnavailable
      ? {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        }
      : {
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        },
  );
  const rsName = input.newRs.name;
  if (complete)
    condition({
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${rsName}" has successfully progressed.`,
    });
  else if (input.nowMs - input.lastProgress > input.progressDeadlineSeconds * 1000) {
    condition({
      type: 'Progressing',
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${rsName}" has timed out progressing.`,
    });
  } else if (input.newRsCreated)
    condition({
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetCreated',
      message: `Created new replica set "${rsName}"`,
    });
  else
    condition({
      type: 'Progressing',
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: `ReplicaSet "${rsName}" is progressing.`,
    });
  if (input.replicaFailure)
    condition({ type: 'ReplicaFailure', status: 'True', reason: 'ImageNotRunnable', message: input.replicaFailure });
  return omitZeros({
    observedGeneration: input.generation,
    replicas,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicas - available),
    conditions,
  });
}

/** Status counters are omitempty in the Go types: zeros are not serialised. */
export function omitZeros<T extends Record<string, unknown>>(status: T): Partial<T> {
  return Object.fromEntries(Object.entries(status).filter(([, v]) => v !== 0)) as Partial<T>;
}
