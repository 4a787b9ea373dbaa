// Faults the operator must ride out, on devcluster with real kubectl: the API server restarting
// under it, another writer fighting over its fields, and two replicas sharing one Lease.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appManifest, eventually, startHarness, type Harness } from './operator-harness.ts';
import type { RunningOperator } from '../operator/index.ts';

let h: Harness;
before(async () => {
  h = await startHarness({ pods: 'standin' });
});
after(async () => {
  await h?.stop();
});

const app = (name: string, replicas = 1) => appManifest(name, { spec: [`replicas: ${replicas}`] });

// A lease long enough that a starved machine's late renewals do not hand it over mid-test (the
// handover under test is the release on stop, which does not wait for the lease to expire).
const leaseTimings = { leaseDurationMs: 10_000, renewDeadlineMs: 7_500, retryPeriodMs: 250 };

test('two replicas, one Lease: only the leader acts; the standby takes over when it goes', {
  timeout: 90_000,
}, async () => {
  const a = await h.startOperator({ leaderElection: { ...leaseTimings, identity: 'replica-a' } });
  const b = await h.startOperator({ leaderElection: { ...leaseTimings, identity: 'replica-b' } });
  try {
    await eventually('a leader', async () => a.isLeader() || b.isLeader());
    // watch the leader renew its Lease a few times (every 250 ms), checking both replicas at every look
    let both = false;
    const renewals = new Set<string>();
    await eventually('three Lease renewals', async () => {
      both ||= a.isLeader() && b.isLeader();
      const l = await h.json('get', 'lease', '-n', 'default', 'workflow-operator.workflow.gocodealone.com');
      renewals.add(l.spec.renewTime);
      return renewals.size >= 3;
    });
    assert.equal(both || (a.isLeader() && b.isLeader()), false, 'never both');
    const [leader, standby] = a.isLeader() ? [a, b] : [b, a];
    const lease = await h.json('get', 'lease', '-n', 'default', 'workflow-operator.workflow.gocodealone.com');
    assert.equal(lease.spec.holderIdentity, leader.identity);

    await h.apply(app('lease-one'));
    await eventually('lease-one reconciled', () => h.json('get', 'deployment', 'lease-one').catch(() => undefined));
    const standbyWrites = (await standby.metrics.apiWrites.get()).values.filter((v) => v.labels.kind !== 'Lease');
    assert.deepEqual(standbyWrites, [], 'the standby wrote nothing but lease attempts');

    await leader.stop(); // releases the Lease
    await eventually('standby leads', async () => standby.isLeader(), 30_000);
    await h.apply(app('lease-two'));
    await eventually('lease-two reconciled by the new leader', () =>
      h.json('get', 'deployment', 'lease-two').catch(() => undefined),
    );
    await standby.stop();
    const after = await h.json('get', 'lease', '-n', 'default', 'workflow-operator.workflow.gocodealone.com');
    assert.ok(after.spec.leaseTransitions >= 1);
  } finally {
    // a failed assertion must not leave a cluster-wide operator running into the next tests
    await Promise.allSettled([a.stop(), b.stop()]);
  }
});

test('the API server restarts under the operator: watches resume (410 Gone, relist) and new work is done', {
  timeout: 90_000,
}, async () => {
  const op = await h.startOperator();
  try {
    await h.apply(app('before-restart'));
    await eventually('before-restart reconciled', () =>
      h.json('get', 'deployment', 'before-restart').catch(() => undefined),
    );
    // A watch resuming from the server's newest resourceVersion stays valid across a restart (as on
    // kube-apiserver); a write no informer sees puts every watch behind it, so each one gets 410.
    await h.kubectl('create', 'secret', 'generic', 'restart-marker', '--from-literal=k=v');
    await h.restartCluster();
    await h.apply(app('after-restart'));
    await eventually(
      'after-restart reconciled',
      () => h.json('get', 'deployment', 'after-restart').catch(() => undefined),
      60_000,
      250,
    );
    await h.kubectl('scale', 'wfa/before-restart', '--replicas=2');
    await eventually(
      'update after restart seen',
      async () => (await h.json('get', 'deployment', 'before-restart')).spec.replicas === 2,
      60_000,
      250,
    );
    // A restarted server keeps no watch history: each watch resuming from its old resourceVersion
    // gets 410 Gone and its cache relists (some after a restart with backoff, so not all at once).
    await eventually(
      'every cache relisted',
      async () => Object.values(op.controller()!.informerStats()).every((s) => s.relists > 0),
      30_000,
      250,
    );
    const metrics = await (await fetch(`${op.metricsUrl}/metrics`)).text();
    assert.match(metrics, /workflow_operator_informer_relists\{informer="workflowapps"\} [1-9]/);
  } finally {
    await op.stop();
  }
});

test('a namespaced operator acts only on its namespace', { timeout: 60_000 }, async () => {
  await h.kubectl('create', 'namespace', 'team-a');
  const op = await h.startOperator({ namespace: 'team-a' });
  // not-mine first: an operator that (wrongly) saw it would see it before mine, and be done with it
  // by the time it is idle after reconciling mine
  await h.apply(app('not-mine'));
  await h.apply(appManifest('mine', { namespace: 'team-a' }));
  await eventually('team-a/mine reconciled', () =>
    h.json('get', 'deployment', '-n', 'team-a', 'mine').catch(() => undefined),
  );
  await eventually('the operator idle', async () => op.controller()!.idle());
  await assert.rejects(h.kubectl('get', 'deployment', 'not-mine'), /not found/);
  assert.equal((await h.json('get', 'wfa', 'not-mine')).status, undefined, 'no status written outside its namespace');
  assert.deepEqual(
    op
      .controller()!
      .appsInCache()
      .map((a) => a.metadata.namespace),
    ['team-a'],
  );
  await op.stop();
  await h.kubectl('delete', 'wfa', 'not-mine');
});

test('another writer changing fields the operator owns loses: the spec wins, without error loops', {
  timeout: 90_000,
}, async () => {
  const op: RunningOperator = await h.startOperator();
  await h.apply(app('contested', 2));
  await eventually('contested reconciled', () => h.json('get', 'deployment', 'contested').catch(() => undefined));
  // A client-side merge patch and a server-side apply by another manager (a field conflict for SSA).
  await h.kubectl('patch', 'deployment', 'contested', '--type', 'merge', '-p', '{"spec":{"replicas":5}}');
  await eventually(
    'replicas restored',
    async () => (await h.json('get', 'deployment', 'contested')).spec.replicas === 2,
  );
  await h.kubectl(
    'patch',
    'configmap',
    'contested-config',
    '--type',
    'merge',
    '-p',
    '{"data":{"workflow.yaml":"modules: []\\n"}}',
  );
  await eventually('config restored', async () =>
    /http\.server/.test((await h.json('get', 'configmap', 'contested-config')).data['workflow.yaml']),
  );
  // Hammer the app's resourceVersion while the operator works on it: every write it makes still lands.
  for (let i = 0; i < 10; i++) await h.kubectl('annotate', '--overwrite', 'wfa/contested', `poke=${i}`);
  await h.kubectl('scale', 'wfa/contested', '--replicas=3');
  await eventually(
    'scaled despite the churn',
    async () => (await h.json('get', 'deployment', 'contested')).spec.replicas === 3,
  );
  const errors = (await op.metrics.reconcileErrors.get()).values[0]?.value ?? 0;
  assert.ok(errors <= 2, `reconcile errors stayed rare (${errors})`);
  await op.stop();
});
