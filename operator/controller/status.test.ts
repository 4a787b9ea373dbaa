import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Service } from '@kubernetes/client-node';
import type { WorkflowApp } from '../api/types.ts';
import type { Plan } from '../rollout/plan.ts';
import { mergeConditions } from './conditions.ts';
import { computeStatus, endpointOf, statusPatch } from './status.ts';

const app = (status?: WorkflowApp['status']): WorkflowApp => ({
  apiVersion: 'workflow.gocodealone.com/v1alpha1',
  kind: 'WorkflowApp',
  metadata: { name: 'web', namespace: 'shop', generation: 3 },
  spec: { config: 'x' },
  status,
});

const emptyLive = { deployments: new Map(), services: new Map(), configMaps: new Map() };
const complete: Plan = {
  apply: [],
  scale: [],
  keep: new Set(),
  prune: true,
  rollout: undefined,
  progress: { state: 'Complete', message: '2 of 2 replicas ready at revision abc' },
  events: [],
};

test('mergeConditions moves lastTransitionTime only when the status flips', () => {
  const t1 = '2026-01-01T00:00:00Z';
  const t2 = '2026-01-01T00:05:00Z';
  const first = mergeConditions(
    undefined,
    [{ type: 'Ready', status: 'False', reason: 'Progressing', message: 'a' }],
    1,
    t1,
  );
  const same = mergeConditions(first, [{ type: 'Ready', status: 'False', reason: 'Progressing', message: 'b' }], 2, t2);
  assert.equal(same[0]!.lastTransitionTime, t1);
  assert.equal(same[0]!.observedGeneration, 2);
  const flipped = mergeConditions(same, [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'c' }], 2, t2);
  assert.equal(flipped[0]!.lastTransitionTime, t2);
});

test('an unchanged outcome gives an identical status: no patch', () => {
  const services = new Map([
    [
      'web',
      {
        metadata: { name: 'web', namespace: 'shop' },
        spec: { type: 'ClusterIP', ports: [{ port: 8080 }] },
      } as V1Service,
    ],
  ]);
  const input = {
    now: new Date('2026-01-01T00:00:00Z'),
    live: { ...emptyLive, services },
    plan: complete,
    selector: 's',
    revision: 'abc',
    configNote: 'config is valid',
    resolvedPlugins: [],
  };
  const first = computeStatus({ ...input, app: app() });
  const second = computeStatus({ ...input, app: app(first), now: new Date('2026-01-01T01:00:00Z') });
  assert.equal(statusPatch(first, second), undefined);
  assert.equal(first.phase, 'Running');
  assert.equal(first.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
});

test('a blocker fails the app but keeps what describes the running version', () => {
  const running = computeStatus({
    app: app(),
    now: new Date(0),
    live: emptyLive,
    plan: complete,
    selector: 's',
    revision: 'abc',
    configHash: 'h1',
    configNote: 'ok',
    resolvedPlugins: [],
  });
  const blocked = computeStatus({
    app: app(running),
    now: new Date(1000),
    live: emptyLive,
    blocker: { condition: 'ConfigValid', reason: 'InvalidConfig', message: 'spec.config:3:5: error: bad' },
    selector: 's',
  });
  assert.equal(blocked.phase, 'Failed');
  assert.equal(blocked.revision, 'abc');
  assert.equal(blocked.configHash, 'h1');
  const cv = blocked.conditions?.find((c) => c.type === 'ConfigValid');
  assert.deepEqual([cv?.status, cv?.reason, cv?.message], ['False', 'InvalidConfig', 'spec.config:3:5: error: bad']);
});

test('a server error being retried is ReconcileError on Ready, keeps the phase, clears on success', () => {
  const service = {
    metadata: { name: 'web', namespace: 'shop' },
    spec: { type: 'ClusterIP', ports: [{ port: 8080 }] },
  };
  const live = { ...emptyLive, services: new Map([['web', service as V1Service]]) };
  const base = { live, selector: 's', revision: 'abc', configNote: 'ok', resolvedPlugins: [] };
  const running = computeStatus({ ...base, app: app(), now: new Date(0), plan: complete });
  const message = 'apply Service shop/web: Internal error occurred: failed to allocate a serviceIP: range is full';
  const blocker = { condition: 'Ready' as const, reason: 'ReconcileError', message, retrying: true };
  const failing = computeStatus({ ...base, app: app(running), now: new Date(1000), blocker });
  assert.equal(failing.phase, 'Running', 'a retried server error is not a Failed app');
  const ready = failing.conditions?.find((c) => c.type === 'Ready');
  assert.deepEqual([ready?.status, ready?.reason, ready?.message], ['False', 'ReconcileError', message]);
  assert.match(failing.conditions?.find((c) => c.type === 'Progressing')?.message ?? '', /retrying with backoff/);
  // The same failure again, later: nothing to write (no write storm while it keeps failing).
  const again = computeStatus({ ...base, app: app(failing), now: new Date(60_000), blocker });
  assert.equal(statusPatch(failing, again), undefined);
  const recovered = computeStatus({ ...base, app: app(again), now: new Date(120_000), plan: complete });
  const after = recovered.conditions?.find((c) => c.type === 'Ready');
  assert.deepEqual(
    [after?.status, after?.reason, after?.lastTransitionTime],
    ['True', 'Ready', '1970-01-01T00:02:00Z'],
  );
});

test('statusPatch deletes vanished fields with null, including inside rollout', () => {
  const patch = statusPatch(
    { phase: 'Progressing', rollout: { step: 1, targetRevision: 'b' }, endpoint: 'x' },
    { phase: 'Running', rollout: { targetRevision: 'b' } },
  );
  assert.deepEqual(patch, { phase: 'Running', rollout: { targetRevision: 'b', step: null }, endpoint: null });
});

test('endpointOf prefers the load balancer ingress, else the cluster DNS name', () => {
  const svc = (ingress?: object[]): V1Service => ({
    metadata: { name: 'web', namespace: 'shop' },
    spec: { type: 'LoadBalancer', ports: [{ port: 8080 }] },
    status: { loadBalancer: { ingress } },
  });
  assert.equal(endpointOf(svc([{ ip: '127.0.0.5' }])), 'http://127.0.0.5:8080');
  assert.equal(endpointOf(svc([{ hostname: 'lb.example.com' }])), 'http://lb.example.com:8080');
  assert.equal(
    endpointOf(svc([{ ip: '127.0.0.1', ports: [{ port: 41234, protocol: 'TCP' }] }])),
    'http://127.0.0.1:41234',
  );
  assert.equal(endpointOf(svc()), 'http://web.shop.svc.cluster.local:8080');
  assert.equal(endpointOf(undefined), undefined);
});
