import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import { effectiveSpec } from '../api/defaults.ts';
import type { RolloutStatus, WorkflowApp, WorkflowAppSpec } from '../api/types.ts';
import { prepareEngineConfig } from '../render/engine-config.ts';
import { buildVersion, type OwnedObject } from '../render/render.ts';
import { canarySplit, objectKey, plan, revisionOf, type Plan } from './plan.ts';

const configA = 'modules:\n  - name: server\n    type: http.server\n    config: { address: ":8080" }\n';
const configB = configA.replace(':8080"', ':8080" # v2');

/** A tiny in-memory cluster: applies plans and plays the Deployment controller. */
class Cluster {
  deployments = new Map<string, V1Deployment>();
  services = new Map<string, V1Service>();
  configMaps = new Map<string, V1ConfigMap>();
  rollout: RolloutStatus | undefined;
  now = Date.UTC(2026, 0, 1);
  events: string[] = [];

  live() {
    return { deployments: this.deployments, services: this.services, configMaps: this.configMaps };
  }
  plan(app: WorkflowApp, config: string): Plan {
    const spec = effectiveSpec(app, 'workflow-engine:0.1.0');
    const version = buildVersion(app, spec, prepareEngineConfig(config), []);
    const p = plan({ app, spec, version, live: this.live(), rollout: this.rollout, now: this.now });
    for (const o of p.apply) this.store(o);
    for (const s of p.scale) {
      const d = this.deployments.get(s.name)!;
      d.spec!.replicas = s.replicas;
      d.metadata!.generation = (d.metadata!.generation ?? 1) + 1;
    }
    if (p.prune) {
      for (const [kind, m] of [
        ['Deployment', this.deployments],
        ['Service', this.services],
        ['ConfigMap', this.configMaps],
      ] as const) {
        for (const name of [...m.keys()]) if (!p.keep.has(objectKey(kind, name))) m.delete(name);
      }
    }
    this.rollout = p.rollout;
    this.events.push(...p.events.map((e) => e.reason));
    return p;
  }
  store(o: OwnedObject) {
    const copy = structuredClone(o);
    if (o.kind === 'Deployment') {
      const old = this.deployments.get(o.metadata!.name!);
      const changed = JSON.stringify(old?.spec) !== JSON.stringify((copy as V1Deployment).spec);
      (copy as V1Deployment).metadata!.generation = (old?.metadata?.generation ?? 0) + (changed ? 1 : 0);
      (copy as V1Deployment).status = old?.status;
      this.deployments.set(o.metadata!.name!, copy as V1Deployment);
    } else if (o.kind === 'Service') this.services.set(o.metadata!.name!, copy as V1Service);
    else this.configMaps.set(o.metadata!.name!, copy as V1ConfigMap);
  }
  /** The Deployment controller and kubelet: every Deployment becomes available (or fails). */
  settle(fail: (d: V1Deployment) => boolean = () => false) {
    for (const d of this.deployments.values()) {
      const n = d.spec!.replicas ?? 1;
      d.status = fail(d)
        ? {
            observedGeneration: d.metadata!.generation,
            replicas: n,
            updatedReplicas: n,
            availableReplicas: 0,
            conditions: [
              { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'timed out' },
            ],
          }
        : {
            observedGeneration: d.metadata!.generation,
            replicas: n,
            updatedReplicas: n,
            readyReplicas: n,
            availableReplicas: n,
          };
    }
  }
  pods(): Record<string, number> {
    return Object.fromEntries([...this.deployments].map(([name, d]) => [name, d.spec!.replicas ?? 1]));
  }
}

function app(spec: Partial<WorkflowAppSpec>): WorkflowApp {
  return {
    apiVersion: 'workflow.gocodealone.com/v1alpha1',
    kind: 'WorkflowApp',
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec,
  };
}

test('RollingUpdate: applies ConfigMap, Deployment, Service; Complete once available', () => {
  const c = new Cluster();
  const a = app({ replicas: 2 });
  const p1 = c.plan(a, configA);
  assert.deepEqual(
    p1.apply.map((o) => `${o.kind}/${o.metadata!.name}`),
    ['ConfigMap/web-config', 'Deployment/web', 'Service/web'],
  );
  assert.equal(p1.progress.state, 'Progressing');
  assert.equal(p1.prune, false);
  c.settle();
  const p2 = c.plan(a, configA);
  assert.equal(p2.progress.state, 'Complete');
  assert.equal(p2.prune, true);
  c.plan(a, configB);
  assert.equal(c.plan(a, configB).progress.state, 'Progressing', 'a new revision is not available yet');
  c.settle();
  assert.equal(c.plan(a, configB).progress.state, 'Complete');
});

test('Canary: steps shift pods, pause, promote, then remove the canary', () => {
  const c = new Cluster();
  const a = app({
    replicas: 4,
    strategy: {
      type: 'Canary',
      canary: { steps: [{ weight: 25, pauseSeconds: 10 }, { weight: 50 }, { weight: 100 }] },
    },
  });
  c.plan(a, configA);
  c.settle();
  assert.equal(c.plan(a, configA).progress.state, 'Complete');
  const stableRev = revisionOf(c.deployments.get('web'));

  c.plan(a, configB);
  assert.deepEqual(c.pods(), { web: 3, 'web-canary': 1 });
  c.settle();
  const paused = c.plan(a, configB);
  assert.equal(paused.requeueAfterMs, 10_000);
  assert.match(paused.progress.message, /step 1\/3 .*pausing 10s/);
  c.now += 10_000;
  assert.match(c.plan(a, configB).progress.message, /step 1\/3 .* passed/);
  c.plan(a, configB);
  assert.deepEqual(c.pods(), { web: 2, 'web-canary': 2 });
  assert.equal(c.rollout?.canaryWeight, 50);
  c.settle();
  c.plan(a, configB);
  c.plan(a, configB);
  assert.deepEqual(c.pods(), { web: 0, 'web-canary': 4 });
  c.settle();
  c.plan(a, configB); // step 3 passed
  const promoting = c.plan(a, configB);
  assert.match(promoting.progress.message, /promoting/);
  assert.equal(revisionOf(c.deployments.get('web')), revisionOf(c.deployments.get('web-canary')));
  assert.notEqual(revisionOf(c.deployments.get('web')), stableRev);
  c.settle();
  const done = c.plan(a, configB);
  assert.equal(done.progress.state, 'Complete');
  assert.deepEqual(c.pods(), { web: 4 }, 'canary pruned');
  assert.deepEqual(c.events, [
    'RolloutStarted',
    'CanaryStepPassed',
    'CanaryStepPassed',
    'CanaryStepPassed',
    'RolloutPromoted',
  ]);
});

test('Canary: a degraded canary is rolled back and not retried until the spec changes', () => {
  const c = new Cluster();
  const a = app({ replicas: 2, strategy: { type: 'Canary' } });
  c.plan(a, configA);
  c.settle();
  c.plan(a, configA);
  c.plan(a, configB);
  assert.deepEqual(c.pods(), { web: 1, 'web-canary': 1 });
  c.settle((d) => d.metadata!.name === 'web-canary');
  const aborted = c.plan(a, configB);
  assert.equal(aborted.progress.state, 'RolledBack');
  assert.deepEqual(c.pods(), { web: 2 }, 'stable back at full size, canary gone');
  assert.deepEqual([...c.configMaps.keys()], ['web-config']);
  c.settle();
  const again = c.plan(a, configB);
  assert.equal(again.progress.state, 'RolledBack');
  assert.deepEqual(
    again.apply.map((o) => o.kind),
    ['Service'],
    'no new canary for the same revision',
  );
  assert.deepEqual(c.events, ['RolloutStarted', 'RolloutAborted']);
  const configC = configA.replace(':8080"', ':8080" # v3');
  c.plan(a, configC);
  assert.deepEqual(c.pods(), { web: 1, 'web-canary': 1 }, 'a new revision is tried');
});

test('BlueGreen: preview at full size, switch when Ready, then remove the old color', () => {
  const c = new Cluster();
  const a = app({ replicas: 2, strategy: { type: 'BlueGreen' } });
  c.plan(a, configA);
  c.settle();
  assert.equal(c.plan(a, configA).progress.state, 'Complete');
  assert.equal(c.services.get('web')!.spec!.selector!['workflow.gocodealone.com/track'], 'blue');

  c.plan(a, configB);
  assert.deepEqual(c.pods(), { 'web-blue': 2, 'web-green': 2 });
  assert.equal(
    c.services.get('web')!.spec!.selector!['workflow.gocodealone.com/track'],
    'blue',
    'still on blue while green starts',
  );
  assert.equal(c.services.get('web-preview')!.spec!.selector!['workflow.gocodealone.com/track'], 'green');
  c.settle();
  c.plan(a, configB);
  assert.equal(c.services.get('web')!.spec!.selector!['workflow.gocodealone.com/track'], 'green');
  const done = c.plan(a, configB);
  assert.equal(done.progress.state, 'Complete');
  assert.deepEqual(c.pods(), { 'web-green': 2 });
  assert.deepEqual([...c.services.keys()], ['web']);
  assert.deepEqual(c.events, ['RolloutStarted', 'TrafficSwitched', 'RolloutPromoted']);
});

test('BlueGreen: a degraded preview never gets traffic and is removed', () => {
  const c = new Cluster();
  const a = app({ replicas: 1, strategy: { type: 'BlueGreen' } });
  c.plan(a, configA);
  c.settle();
  c.plan(a, configA);
  c.plan(a, configB);
  c.settle((d) => d.metadata!.name === 'web-green');
  const p = c.plan(a, configB);
  assert.equal(p.progress.state, 'RolledBack');
  assert.equal(c.services.get('web')!.spec!.selector!['workflow.gocodealone.com/track'], 'blue');
  assert.deepEqual(c.pods(), { 'web-blue': 1 });
});

test('switching strategy keeps serving: the old Deployment goes only when the new one is Ready', () => {
  const c = new Cluster();
  c.plan(app({ strategy: { type: 'BlueGreen' } }), configA);
  c.settle();
  c.plan(app({ strategy: { type: 'BlueGreen' } }), configA);
  const a = app({ strategy: { type: 'RollingUpdate' } });
  c.plan(a, configA);
  assert.deepEqual(Object.keys(c.pods()).sort(), ['web', 'web-blue']);
  c.settle();
  c.plan(a, configA);
  assert.deepEqual(Object.keys(c.pods()), ['web']);
});

test('canarySplit keeps at least one canary pod and one stable pod below 100 %', () => {
  assert.deepEqual(canarySplit(4, 25), { canary: 1, stable: 3 });
  assert.deepEqual(canarySplit(1, 25), { canary: 1, stable: 1 });
  assert.deepEqual(canarySplit(10, 33), { canary: 4, stable: 6 });
  assert.deepEqual(canarySplit(3, 100), { canary: 3, stable: 0 });
  assert.deepEqual(canarySplit(0, 50), { canary: 0, stable: 0 });
});
