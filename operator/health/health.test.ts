import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment } from '@kubernetes/client-node';
import { deploymentHealth, health, serviceHealth, worstOf } from './health.ts';

function dep(
  spec: { replicas?: number; paused?: boolean; generation?: number },
  status: Record<string, unknown>,
): V1Deployment {
  return {
    metadata: { name: 'd', generation: spec.generation ?? 2 },
    spec: { replicas: spec.replicas ?? 2, paused: spec.paused, selector: {}, template: {} },
    status: { observedGeneration: 2, ...status },
  } as V1Deployment;
}

const table: Array<[string, V1Deployment | undefined, string]> = [
  ['missing', undefined, 'Missing'],
  ['paused', dep({ paused: true }, {}), 'Suspended'],
  [
    'generation not observed',
    dep({ generation: 3 }, { updatedReplicas: 2, replicas: 2, availableReplicas: 2 }),
    'Progressing',
  ],
  [
    'deadline exceeded',
    dep(
      {},
      {
        updatedReplicas: 1,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      },
    ),
    'Degraded',
  ],
  ['not all updated', dep({}, { updatedReplicas: 1, replicas: 2, availableReplicas: 2 }), 'Progressing'],
  ['old replicas terminating', dep({}, { updatedReplicas: 2, replicas: 3, availableReplicas: 2 }), 'Progressing'],
  ['not available', dep({}, { updatedReplicas: 2, replicas: 2, availableReplicas: 1 }), 'Progressing'],
  ['healthy', dep({}, { updatedReplicas: 2, replicas: 2, availableReplicas: 2 }), 'Healthy'],
  ['scaled to zero', dep({ replicas: 0 }, {}), 'Healthy'],
];

for (const [name, d, want] of table) {
  test(`deploymentHealth: ${name} -> ${want}`, () => assert.equal(deploymentHealth(d).status, want));
}

test('serviceHealth: a LoadBalancer waits for its ingress', () => {
  assert.equal(serviceHealth({ spec: { type: 'LoadBalancer' } }).status, 'Progressing');
  assert.equal(
    serviceHealth({ spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } } })
      .status,
    'Healthy',
  );
  assert.equal(serviceHealth({ spec: { type: 'ClusterIP' } }).status, 'Healthy');
  assert.equal(serviceHealth(undefined).status, 'Missing');
});

test('worstOf follows gitops-engine order', () => {
  const h = (status: any) => ({ status, message: status });
  assert.equal(worstOf(h('Healthy'), h('Progressing'), h('Suspended')).status, 'Progressing');
  assert.equal(worstOf(h('Missing'), h('Degraded')).status, 'Degraded');
  assert.equal(worstOf().status, 'Healthy');
});

const cond = (type: string, status: string, reason = 'R', message = 'm') => ({ type, status, reason, message });
const app = (generation: number, observed: number, conditions: object[], suspend = false) => ({
  metadata: { name: 'a', generation },
  spec: { suspend },
  status: { observedGeneration: observed, conditions },
});

const appTable: Array<[string, unknown, string]> = [
  ['missing', undefined, 'Missing'],
  ['suspended', app(1, 1, [], true), 'Suspended'],
  ['generation not observed', app(2, 1, [cond('Ready', 'True')]), 'Progressing'],
  ['ready', app(2, 2, [cond('Ready', 'True')]), 'Healthy'],
  ['rollout under way', app(2, 2, [cond('Ready', 'False', 'Progressing')]), 'Progressing'],
  ['rolled back', app(2, 2, [cond('Ready', 'False', 'RolledBack'), cond('Degraded', 'True')]), 'Degraded'],
  ['invalid config', app(2, 2, [cond('Ready', 'False', 'InvalidConfig'), cond('ConfigValid', 'False')]), 'Degraded'],
  ['name conflict', app(2, 2, [cond('Ready', 'False', 'NameConflict')]), 'Degraded'],
  ['no status yet', app(1, 0, []), 'Progressing'],
];

for (const [name, obj, want] of appTable) {
  test(`WorkflowApp health: ${name} -> ${want}`, () => {
    assert.equal(health('WorkflowApp', obj).status, want);
  });
}

test('health of other kinds: rules where there are some, else Healthy once it exists', () => {
  assert.equal(health('ConfigMap', { metadata: { name: 'c' } }).status, 'Healthy');
  assert.equal(health('Secret', undefined).status, 'Missing');
  assert.equal(health('Service', { metadata: { name: 's' }, spec: { type: 'LoadBalancer' } }).status, 'Progressing');
});
