import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deploymentStatus, planRollout, resolveIntOrPercent, type ReplicaSetView, type Strategy } from './rollout.ts';

const rs = (name: string, desired: number, available = desired, created = name): ReplicaSetView => ({
  name,
  desired,
  current: desired,
  ready: available,
  available,
  created,
});
const rolling = (maxSurge: number | string, maxUnavailable: number | string): Strategy => ({
  type: 'RollingUpdate',
  maxSurge,
  maxUnavailable,
});

test('int-or-percent: surge rounds up, unavailability rounds down', () => {
  assert.equal(resolveIntOrPercent('25%', 3, true), 1);
  assert.equal(resolveIntOrPercent('25%', 3, false), 0);
  assert.equal(resolveIntOrPercent(2, 3, false), 2);
});

test('a rolling update with maxSurge=1, maxUnavailable=0 proceeds one pod at a time', () => {
  const strategy = rolling(1, 0);
  // step 1: the new ReplicaSet surges by one; nothing old goes before it is available
  let plan = planRollout(3, strategy, rs('new', 0, 0), [rs('old', 3)]);
  assert.deepEqual(Object.fromEntries(plan), { new: 1, old: 3 });
  // step 2: the surged pod is available, so one old pod goes
  plan = planRollout(3, strategy, rs('new', 1), [rs('old', 3)]);
  assert.deepEqual(Object.fromEntries(plan), { new: 1, old: 2 });
  // finally all new
  plan = planRollout(3, strategy, rs('new', 3), [rs('old', 1)]);
  assert.deepEqual(Object.fromEntries(plan), { new: 3, old: 0 });
});

test('unavailable old pods are scaled down first; Recreate waits for old pods to go', () => {
  // minAvailable is 1 and no pod is available: unhealthy old pods go first, as far as the budget allows
  let plan = planRollout(2, rolling(0, 1), rs('new', 0, 0), [rs('old', 2, 0)]);
  assert.deepEqual(Object.fromEntries(plan), { new: 0, old: 1 });
  plan = planRollout(2, rolling(0, 1), rs('new', 0, 0), [rs('old', 1, 0)]);
  assert.deepEqual(Object.fromEntries(plan), { new: 1, old: 1 });
  plan = planRollout(2, rolling(0, 1), rs('new', 1, 0), [rs('old', 1, 0)]);
  assert.deepEqual(
    Object.fromEntries(plan),
    { new: 1, old: 1 },
    'the budget is spent on the unavailable new pod: wait for it',
  );
  plan = planRollout(2, rolling(0, 1), rs('new', 1, 1), [rs('old', 1, 0)]);
  assert.deepEqual(Object.fromEntries(plan), { new: 1, old: 0 });
  const recreate: Strategy = { type: 'Recreate', maxSurge: 0, maxUnavailable: 0 };
  assert.deepEqual(Object.fromEntries(planRollout(2, recreate, rs('new', 0, 0), [rs('old', 2)])), { new: 0, old: 0 });
  assert.deepEqual(Object.fromEntries(planRollout(2, recreate, rs('new', 0, 0), [{ ...rs('old', 0), current: 0 }])), {
    new: 2,
    old: 0,
  });
});

test('status: counts, Available and Progressing conditions, ProgressDeadlineExceeded, zeros omitted', () => {
  const base = {
    generation: 4,
    desired: 2,
    strategy: rolling('25%', '25%'),
    previous: [],
    progressDeadlineSeconds: 600,
    now: '2026-01-01T00:00:00Z',
    nowMs: 1_000_000,
    newRsCreated: false,
  };
  const done = deploymentStatus({
    ...base,
    newRs: rs('web-abc', 2),
    oldRss: [{ ...rs('web-old', 0), current: 0 }],
    lastProgress: 1_000_000,
  });
  assert.deepEqual(
    { ...done, conditions: undefined },
    {
      observedGeneration: 4,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      conditions: undefined,
    },
  );
  const conditions = done.conditions as Array<{ type: string; status: string; reason: string }>;
  assert.deepEqual(
    conditions.map((c) => [c.type, c.status, c.reason]),
    [
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ],
  );
  const stuck = deploymentStatus({
    ...base,
    newRs: { ...rs('web-abc', 2, 0) },
    oldRss: [],
    lastProgress: 0,
    replicaFailure: 'cannot run',
  });
  const stuckConditions = stuck.conditions as Array<{ type: string; status: string; reason: string; message: string }>;
  assert.deepEqual(
    stuckConditions.map((c) => [c.type, c.status, c.reason]),
    [
      ['Available', 'False', 'MinimumReplicasUnavailable'],
      ['Progressing', 'False', 'ProgressDeadlineExceeded'],
      ['ReplicaFailure', 'True', 'ImageNotRunnable'],
    ],
  );
  assert.equal(stuck.availableReplicas, undefined);
  assert.equal(stuck.unavailableReplicas, 2);
});
