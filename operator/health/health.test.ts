import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment } from '@kubernetes/client-node';
import { deploymentHealth, serviceHealth, worstOf } from './health.ts';

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
